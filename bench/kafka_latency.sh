#!/usr/bin/env bash
# End-to-end latency benchmark: source commit -> Kafka acknowledgement at a steady rate.
#
#   bench/kafka_latency.sh [--rate TXNS_PER_S] [--seconds S] [--set NAME=VALUE ...]
#
# Starts a private MariaDB and Kafka broker, runs `vimur run` (Kafka transport, JSON), and
# writes one-row transactions (autocommit INSERTs of ~200-byte rows into lat.t) at a steady
# rate (default 2,000/s for 30 s, the first 3 s discarded as warm-up; the server does not
# fsync at commit, so that one connection keeps the rate). The writer notes the wall-clock time
# at which each COMMIT returned, and the row holds NOW(6) of its INSERT (a little earlier); the topic is created beforehand with
# message.timestamp.type=LogAppendTime, so each record's timestamp is the time the broker
# appended it, i.e. just before it acknowledged it (acks=all, one replica). Latency = append
# time - commit time, per transaction (and, as an upper bound, append time - NOW(6)); prints p50, p90, p99, p99.9, max, and vimur's peak
# resident memory (VmHWM). --set passes librdkafka properties (transport.client_config).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rate=2000
seconds=30
sets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) rate="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
work="$(mktemp -d -t vimur-bench-latency.XXXXXX)"
cleanup() {
  "$here/scripts/kafka" stop "$work/kafka" >/dev/null 2>&1 || true
  "$here/scripts/mariadb" stop "$work/mariadb" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
port="$(VIMUR_MARIADB_OWNER_PID=$$ "$here/scripts/mariadb" start "$work/mariadb" \
  --innodb-flush-log-at-trx-commit=0 --sync-binlog=0 | tail -1 | cut -d= -f2)"
bootstrap="$(VIMUR_KAFKA_WATCH_PID=$$ "$here/scripts/kafka" start "$work/kafka" | tail -1 | cut -d= -f2)"

export VIMUR_BENCH_PORT="$port" VIMUR_BENCH_WORK="$work" VIMUR_BENCH_BIN="$vimur" \
  VIMUR_BENCH_RATE="$rate" VIMUR_BENCH_SECONDS="$seconds" VIMUR_BENCH_BOOTSTRAP="$bootstrap" \
  VIMUR_BENCH_SETS="$(printf '%s\n' "${sets[@]+"${sets[@]}"}")"
"$here/.cache/venv/bin/python" - <<'EOF'
import json, os, signal, subprocess, sys, threading, time
import pymysql
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

env = os.environ
port, work, vimur = int(env["VIMUR_BENCH_PORT"]), env["VIMUR_BENCH_WORK"], env["VIMUR_BENCH_BIN"]
rate, seconds = float(env["VIMUR_BENCH_RATE"]), float(env["VIMUR_BENCH_SECONDS"])
bootstrap = env["VIMUR_BENCH_BOOTSTRAP"]
sets = [s.split("=", 1) for s in env["VIMUR_BENCH_SETS"].splitlines() if s]
WARMUP = 3.0
PARTITIONS = 3
quiet = {"bootstrap.servers": bootstrap, "log_level": 2}


def connect():
    return pymysql.connect(host="127.0.0.1", port=port, user="root", password="root",
                           autocommit=True, init_command="SET time_zone = '+00:00'")


conn = connect()
with conn.cursor() as cur:
    cur.execute("CREATE DATABASE lat")
    cur.execute("CREATE TABLE lat.t (id INT PRIMARY KEY, customer VARCHAR(64), "
                "amount DECIMAL(12,2), created DATETIME(6), note VARCHAR(128))")

topic = "lat.lat.t"
admin = AdminClient(quiet)
for f in admin.create_topics([NewTopic(topic, PARTITIONS, 1, config={
        "cleanup.policy": "compact", "message.timestamp.type": "LogAppendTime"})]).values():
    f.result()

config = os.path.join(work, "vimur.yaml")
client = "".join(f"\n    {k}: '{v}'" for k, v in sets)
with open(config, "w") as f:
    f.write(f"""name: lat
state_dir: {work}/state
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: {port}
    user: vimur
    password: vimur
    server_id: 5404
transport:
  type: kafka
  bootstrap_servers: {bootstrap}
  topic: {{partitions: {PARTITIONS}}}
""" + (f"  client_config:{client}\n" if sets else "") + """format:
  type: json
""")
log_path = os.path.join(work, "vimur.log")
log = open(log_path, "wb")
proc = subprocess.Popen([vimur, "run", "--config", config], stdout=subprocess.DEVNULL, stderr=log)
log.close()
while b"streaming from" not in open(log_path, "rb").read():
    if proc.poll() is not None:
        sys.exit(open(log_path).read())
    time.sleep(0.05)

peak = [0]


def sample():
    while proc.poll() is None:
        try:
            for line in open(f"/proc/{proc.pid}/status"):
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.2)


threading.Thread(target=sample, daemon=True).start()

# The writer: transaction i is scheduled at t0 + i / rate; commit time = when COMMIT returned.
total = int(rate * seconds)
committed = [0.0] * total
late = 0
t0 = time.time() + 0.2
with conn.cursor() as cur:
    for i in range(total):
        due = t0 + i / rate
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        elif delay < -0.01:
            late += 1
        cur.execute("INSERT INTO lat.t VALUES (%s, %s, %s, NOW(6), %s)",
                    [i, f"customer{i}@example.com", i % 100000 / 100,
                     "a note of about sixty bytes to make the row a realistic size"])
        committed[i] = time.time()
elapsed = time.time() - t0

consumer = Consumer(dict(quiet, **{"group.id": "lat", "enable.partition.eof": True}))
consumer.assign([TopicPartition(topic, p, -2) for p in range(PARTITIONS)])
appended = {}
statement = {}  # NOW(6) of the INSERT: DATETIME(6) arrives as microseconds since the epoch
deadline = time.time() + 60
while len(appended) < total and time.time() < deadline:
    for m in consumer.consume(10000, 0.5):
        if m.error() or m.value() is None:
            continue
        kind, ts = m.timestamp()
        assert kind == 2, "the topic must use LogAppendTime"  # TIMESTAMP_LOG_APPEND_TIME
        i = int(m.key().split(b":")[1].rstrip(b"}"))
        if i not in appended:
            appended[i] = ts / 1000.0
            statement[i] = json.loads(m.value())["after"]["created"] / 1e6
consumer.close()
proc.send_signal(signal.SIGINT)
proc.wait(timeout=60)
if len(appended) < total:
    sys.exit(f"only {len(appended)} of {total} transactions arrived")

first = int(WARMUP * rate)
lat = sorted((appended[i] - committed[i]) * 1000 for i in range(first, total))
upper = sorted((appended[i] - statement[i]) * 1000 for i in range(first, total))


def pct(p, values=None):
    values = values or lat
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


print(f"rate {rate:.0f} txn/s for {seconds:.0f} s (achieved {total / elapsed:.0f}/s, "
      f"{late} writes >10 ms late); {len(lat)} transactions after {WARMUP:.0f} s warm-up; "
      f"settings: {' '.join(f'{k}={v}' for k, v in sets) or 'defaults'}")
print(f"commit -> Kafka append (ms): p50 {pct(50):.1f}  p90 {pct(90):.1f}  p99 {pct(99):.1f}  "
      f"p99.9 {pct(99.9):.1f}  max {lat[-1]:.1f}  min {lat[0]:.1f}")
print(f"INSERT's NOW(6) -> Kafka append (ms): p50 {pct(50, upper):.1f}  p99 {pct(99, upper):.1f}  "
      f"max {upper[-1]:.1f}")
print(f"vimur peak RSS {peak[0] / 1024:.0f} MiB")
EOF
