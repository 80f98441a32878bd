#!/usr/bin/env bash
# Kafka catch-up benchmark: a whole binlog from a running MariaDB through `vimur run` into a
# local Kafka broker, against the limit measured in the same run: librdkafka alone
# (bench/kafka_produce_bench.cc) producing exactly the records Vimur produced, with the same
# producer settings, to a topic with the same partitions and configuration.
#
#   bench/kafka_catchup.sh SERVER_DIR BINLOG_DIR [--runs N] [--set NAME=VALUE ...]
#
# SERVER_DIR and BINLOG_DIR come from `bench/make_binlog.sh BINLOG_DIR --keep SERVER_DIR`.
# --set NAME=VALUE   a librdkafka property given to both (Vimur's transport.client_config),
#                    e.g. --set linger.ms=20 --set compression.type=lz4
# --queue-bytes N, --window-bytes N   Vimur's queue_max_bytes and transport.max_in_flight_bytes
#                    (default 64 MiB each)
# Each run seeds the offsets topic with {"file": FIRST_BINLOG, "pos": 4} for a new pipeline
# name, starts vimur, and times it until the position it commits reaches end_position (read
# from the offsets topic as it is written); then SIGINT. Its peak resident memory (VmHWM) is
# sampled. After the first run the records of its topics are dumped, and each run also times
# kafka_produce_bench producing that dump. Runs alternate (vimur, limit); medians of N (3).
#
# --local           also times each run with `transport: {type: local}` (the embedded log,
#                    `fsync: batch`, same partitions and queue) from the same start to the same
#                    end (read from the log's commit records), and prints its rate next to the
#                    Kafka catch-up's: issue 15 aims at twice the Kafka catch-up's rate.
# Environment: VIMUR_BIN (default: scripts/build), VIMUR_PRODUCE_BENCH (default: built in
# build/release), VIMUR_BENCH_PARTITIONS (3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: $0 SERVER_DIR BINLOG_DIR [--runs N] [--set NAME=VALUE ...]" >&2; exit 2; }
server_dir="$1"
binlog_dir="$2"
shift 2
runs=3
sets=()
queue_bytes=67108864
window_bytes=67108864
local=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --set) sets+=("$2"); shift 2 ;;
    --queue-bytes) queue_bytes="$2"; shift 2 ;;
    --window-bytes) window_bytes="$2"; shift 2 ;;
    --local) local=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
"$here/scripts/mariadb" status "$server_dir" >/dev/null || {
  echo "no MariaDB running in $server_dir; run bench/make_binlog.sh with --keep" >&2
  exit 1
}
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
produce="${VIMUR_PRODUCE_BENCH:-}"
if [ -z "$produce" ]; then
  (cd "$here" && cmake --preset release >&2 && cmake --build build/release --target kafka_produce_bench >&2)
  produce="$here/build/release/kafka_produce_bench"
fi
python="$here/.cache/venv/bin/python"

work="$(mktemp -d -t vimur-bench-kafka.XXXXXX)"
cleanup() {
  "$here/scripts/kafka" stop "$work/kafka" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
bootstrap="$(VIMUR_KAFKA_WATCH_PID=$$ "$here/scripts/kafka" start "$work/kafka" | tail -1 | cut -d= -f2)"

export VIMUR_BENCH_PORT="$(cat "$server_dir/port")" VIMUR_BENCH_WORK="$work" \
  VIMUR_BENCH_BIN="$vimur" VIMUR_BENCH_PRODUCE="$produce" VIMUR_BENCH_RUNS="$runs" \
  VIMUR_BENCH_BINLOGS="$binlog_dir" VIMUR_BENCH_BOOTSTRAP="$bootstrap" \
  VIMUR_BENCH_QUEUE="$queue_bytes" VIMUR_BENCH_WINDOW="$window_bytes" VIMUR_BENCH_LOCAL="$local" \
  VIMUR_BENCH_SETS="$(printf '%s\n' "${sets[@]+"${sets[@]}"}")"
"$python" - <<'EOF'
import json, os, shutil, signal, statistics, struct, subprocess, sys, time, zlib
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

env = os.environ
port, work, vimur = env["VIMUR_BENCH_PORT"], env["VIMUR_BENCH_WORK"], env["VIMUR_BENCH_BIN"]
runs, bootstrap = int(env["VIMUR_BENCH_RUNS"]), env["VIMUR_BENCH_BOOTSTRAP"]
binlogs = env["VIMUR_BENCH_BINLOGS"]
partitions = int(env.get("VIMUR_BENCH_PARTITIONS", "3"))
sets = [s.split("=", 1) for s in env["VIMUR_BENCH_SETS"].splitlines() if s]
rows = int(open(os.path.join(binlogs, "expected_rows")).read())
end_file, end_pos = open(os.path.join(binlogs, "end_position")).read().split()
end = (end_file, int(end_pos))
first = sorted(f for f in os.listdir(binlogs) if f.startswith("mysql-bin.0"))[0]
quiet = {"bootstrap.servers": bootstrap, "log_level": 2}
admin = AdminClient(quiet)
OFFSETS = "vimur-offsets"


def create_topic(name, parts, config):
    for f in admin.create_topics([NewTopic(name, parts, 1, config=config)]).values():
        try:
            f.result()
        except Exception as e:
            if "already exists" not in str(e).lower():
                raise


def delete_topics(names):
    names = [n for n in names if n in admin.list_topics(timeout=10).topics]
    if names:
        for f in admin.delete_topics(names).values():
            f.result()
    while set(names) & set(admin.list_topics(timeout=10).topics):
        time.sleep(0.2)


def vm_hwm_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def pipeline_config(name, state_dir, server_id, transport):
    """The benchmark's pipeline: the MariaDB source, JSON, and `transport` (YAML lines)."""
    return f"""name: {name}
state_dir: {state_dir}
queue_max_bytes: {env["VIMUR_BENCH_QUEUE"]}
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: {port}
    user: vimur
    password: vimur
    server_id: {server_id}
transport:
{transport}format:
  type: json
"""


def run_until(name, config_text, reached):
    """Runs vimur with `config_text` until `reached()` (which may wait up to ~20 ms) says the
    end is stored; returns (seconds until then, seconds until it streamed, peak RSS in KiB)."""
    config = os.path.join(work, f"{name}.yaml")
    with open(config, "w") as f:
        f.write(config_text)
    log_path = os.path.join(work, f"{name}.log")
    log = open(log_path, "wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen([vimur, "run", "--config", config], stdout=subprocess.DEVNULL,
                            stderr=log)
    log.close()
    done = streaming = None
    peak = 0
    while time.perf_counter() - t0 < 900 and proc.poll() is None:
        peak = max(peak, vm_hwm_kb(proc.pid))
        if streaming is None and b"streaming from" in open(log_path, "rb").read():
            streaming = time.perf_counter() - t0
        if reached():
            done = time.perf_counter() - t0
            break
    peak = max(peak, vm_hwm_kb(proc.pid))
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=120)
    if done is None or rc != 0:
        sys.stderr.write(open(log_path).read()[-3000:])
        sys.exit(f"vimur ({name}) did not reach {end} (exit {rc})")
    return done, streaming, peak


def run_vimur(name):
    """Seeds the start position in the offsets topic, runs vimur with the Kafka transport until
    it commits `end`; returns (seconds, seconds until it streamed, peak RSS in KiB)."""
    create_topic(OFFSETS, 1, {"cleanup.policy": "compact"})
    key = json.dumps([name, "db"], separators=(",", ":"))
    p = Producer(quiet)
    p.produce(OFFSETS, key=key, value=json.dumps({"file": first, "pos": 4}))
    p.flush()
    tail = Consumer(dict(quiet, **{"group.id": "bench-tail", "enable.auto.commit": False,
                                   "isolation.level": "read_committed"}))
    high = tail.get_watermark_offsets(TopicPartition(OFFSETS, 0), timeout=10)[1]
    tail.assign([TopicPartition(OFFSETS, 0, high)])

    def reached():
        msg = tail.poll(0.02)
        if msg is None or msg.error() or msg.key() != key.encode() or msg.value() is None:
            return False
        pos = json.loads(msg.value())
        return (pos.get("file", ""), pos.get("pos", 0)) >= end

    client = "".join(f"\n    {k}: '{v}'" for k, v in sets)
    transport = (f"  type: kafka\n  bootstrap_servers: {bootstrap}\n"
                 f"  topic: {{partitions: {partitions}}}\n"
                 f"  max_in_flight_bytes: {env['VIMUR_BENCH_WINDOW']}\n" +
                 (f"  client_config:{client}\n" if sets else ""))
    try:
        return run_until(name, pipeline_config(name, f"{work}/state", 5403, transport), reached)
    finally:
        tail.close()


def last_local_position(commits):
    """The newest whole commit record's position of source `db` in a local log's __commits
    (frames: u32 body length, u32 CRC-32 of the body, JSON body)."""
    try:
        data = open(commits, "rb").read()
    except FileNotFoundError:
        return None
    at, found = 0, None
    while at + 8 <= len(data):
        size, crc = struct.unpack_from("<II", data, at)
        body = data[at + 8:at + 8 + size]
        if len(body) < size or zlib.crc32(body) != crc:
            break
        found = json.loads(body).get("positions", {}).get("db", found)
        at += 8 + size
    if found is None:
        return None
    pos = json.loads(found)
    return (pos.get("file", ""), pos.get("pos", 0))


def run_local(name):
    """Seeds the start position in a new local log's commit records, runs vimur with the local
    log until they hold `end`; returns (seconds, peak RSS in KiB, bytes the log holds)."""
    state = os.path.join(work, "state-local")
    shutil.rmtree(state, ignore_errors=True)
    log_dir = os.path.join(state, name, "log")
    os.makedirs(log_dir)
    body = json.dumps({"seq": 1, "positions": {"db": json.dumps({"file": first, "pos": 4})},
                       "topics": {}}).encode()
    commits = os.path.join(log_dir, "__commits")
    with open(commits, "wb") as f:
        f.write(struct.pack("<II", len(body), zlib.crc32(body)) + body)

    def reached():
        position = last_local_position(commits)
        if position is not None and position >= end:
            return True
        time.sleep(0.02)
        return False

    transport = (f"  type: local\n  fsync: batch\n  topic: {{partitions: {partitions}}}\n"
                 f"  max_in_flight_bytes: {env['VIMUR_BENCH_WINDOW']}\n")
    seconds, _, peak = run_until(name + "-local", pipeline_config(name, state, 5404, transport),
                                 reached)
    size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(log_dir) for f in fs)
    shutil.rmtree(state)
    return seconds, peak, size


def dump(name, path):
    """Writes every record of the pipeline's topics, as kafka_produce_bench reads them."""
    topics = [t for t in admin.list_topics(timeout=10).topics
              if t == name or t.startswith(name + ".")]
    c = Consumer(dict(quiet, **{"group.id": "bench-dump", "enable.partition.eof": True,
                                "enable.auto.commit": False}))
    tps = [TopicPartition(t, p, -2) for t in topics
           for p in admin.list_topics(t, timeout=10).topics[t].partitions]
    c.assign(tps)
    left = {(tp.topic, tp.partition) for tp in tps}
    n = size = 0
    with open(path, "wb") as out:
        while left:
            for m in c.consume(10000, 1.0):
                if m.error():
                    left.discard((m.topic(), m.partition()))
                    continue
                for part in (m.key(), m.value()):
                    if part is None:
                        out.write(struct.pack("<I", 0xFFFFFFFF))
                    else:
                        out.write(struct.pack("<I", len(part)))
                        out.write(part)
                        size += len(part)
                n += 1
    c.close()
    return n, size


def run_limit(path):
    delete_topics(["limit"])
    create_topic("limit", partitions, {"cleanup.policy": "compact"})
    cmd = [env["VIMUR_BENCH_PRODUCE"], "--bootstrap", bootstrap, "--topic", "limit",
           "--input", path]
    for k, v in sets:
        cmd += ["--set", f"{k}={v}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    fields = dict(kv.split("=") for kv in out.split())
    delete_topics(["limit"])
    return float(fields["seconds"]), int(fields["messages"])


dump_path = os.path.join(work, "records.bin")
vimur_times, limit_times, peaks = [], [], []
with_local = env["VIMUR_BENCH_LOCAL"] == "1"
local_times, local_peaks = [], []
messages = 0
for i in range(runs):
    name = f"cu{i + 1}"
    t, streaming, peak = run_vimur(name)
    if i == 0:
        messages, size = dump(name, dump_path)
        print(f"records vimur produced: {messages} ({size / 1e6:.1f} MB of keys and values)")
    delete_topics([t for t in admin.list_topics(timeout=10).topics
                   if t == name or t.startswith(name + ".")])
    lt, n = run_limit(dump_path)
    assert n == messages
    vimur_times.append(t)
    limit_times.append(lt)
    peaks.append(peak)
    print(f"run {i + 1}: vimur {t:.2f} s (streaming after {streaming:.2f} s), "
          f"peak RSS {peak / 1024:.0f} MiB; librdkafka alone {lt:.2f} s; "
          f"ratio {lt / t:.2f}", flush=True)
    if with_local:
        lo, lpeak, lsize = run_local(name)
        local_times.append(lo)
        local_peaks.append(lpeak)
        print(f"run {i + 1}: vimur with the local log {lo:.2f} s, peak RSS {lpeak / 1024:.0f} MiB, "
              f"{lsize / 1e6:.0f} MB on disk; {t / lo:.2f}x the Kafka catch-up's rate", flush=True)

mv, ml = statistics.median(vimur_times), statistics.median(limit_times)
print(f"settings: {' '.join(f'{k}={v}' for k, v in sets) or 'defaults'}; "
      f"{partitions} partitions; queue_max_bytes {env['VIMUR_BENCH_QUEUE']}, "
      f"max_in_flight_bytes {env['VIMUR_BENCH_WINDOW']}; median of {runs} runs")
print(f"limit  librdkafka alone        {ml:7.2f} s  {messages / ml / 1e3:7.0f} k msgs/s  "
      f"{rows / ml / 1e3:7.0f} k row events/s")
print(f"vimur run (MariaDB -> Kafka)   {mv:7.2f} s  {messages / mv / 1e3:7.0f} k msgs/s  "
      f"{rows / mv / 1e3:7.0f} k row events/s  {100 * ml / mv:5.1f}% of the limit; "
      f"peak RSS {max(peaks) / 1024:.0f} MiB")
if with_local:
    mo = statistics.median(local_times)
    print(f"vimur run (MariaDB -> local)   {mo:7.2f} s  {messages / mo / 1e3:7.0f} k msgs/s  "
          f"{rows / mo / 1e3:7.0f} k row events/s  {mv / mo:5.2f}x the Kafka catch-up "
          f"(aim 2x); peak RSS {max(local_peaks) / 1024:.0f} MiB")
EOF
