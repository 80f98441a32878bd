#!/usr/bin/env bash
# Snapshot benchmark: `vimur run` with `snapshot: initial_only` reading a table of a dozen
# mixed columns (stdout transport to /dev/null) against the limit measured in the same run,
# `mariadb --quick -e 'SELECT * FROM t' > /dev/null` (the server's text protocol read on one
# client thread). With --incremental, one `vimur run` streams (snapshot: never) and each run
# times `vimur snapshot --table bench.t --wait` instead (an incremental snapshot). With --kafka,
# the initial snapshot goes to a private Kafka (scripts/kafka; JSON, at-least-once, 3
# partitions) and each run ends when vimur has exited, i.e. every record is acknowledged.
#
#   bench/snapshot.sh [--rows N] [--runs N] [--workers N] [--incremental | --kafka] [--keep]
#
# Starts a private MariaDB (scripts/mariadb) in a temporary directory, fills bench.t with N
# rows (default 1,000,000), then runs the limit and vimur alternately (--runs, default 3) and
# prints rows/s of each, their ratio and vimur's peak resident memory. VIMUR_BIN names the
# vimur binary (default: the one scripts/build prints). --workers sets snapshot_workers
# (default 1: one connection).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=1000000
runs=3
keep=0
mode=initial_only
kafka=0
workers=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --workers) workers="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    --incremental) mode=never; shift ;;
    --kafka) kafka=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
work="$(mktemp -d -t vimur-bench-snapshot.XXXXXX)"
cleanup() {
  "$here/scripts/kafka" stop "$work/kafka" >/dev/null 2>&1 || true
  "$here/scripts/mariadb" stop "$work/db" >/dev/null 2>&1 || true
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
port="$("$here/scripts/mariadb" start "$work/db" | tail -1 | cut -d= -f2)"
sql() { mariadb -h127.0.0.1 -P"$port" -uroot -proot "$@"; }
echo "filling bench.t with $rows rows" >&2
sql -e "CREATE DATABASE bench; CREATE TABLE bench.t (
  id BIGINT PRIMARY KEY, a INT NOT NULL, b INT UNSIGNED, c BIGINT, d DECIMAL(12,2),
  e DOUBLE, f VARCHAR(40), g VARCHAR(200), h DATETIME(3), i DATE, j TIMESTAMP(6) NULL,
  k TINYINT, l CHAR(8)) DEFAULT CHARSET=utf8mb4;
  SET SESSION sql_log_bin = 0;
  INSERT INTO bench.t SELECT seq, seq % 100000, seq * 3, seq * 1000003, seq / 100,
    seq / 7, CONCAT('name-', seq), REPEAT(CHAR(97 + seq % 26), 20 + seq % 60),
    '2024-01-01 00:00:00' + INTERVAL seq SECOND, '2000-01-01' + INTERVAL (seq % 9000) DAY,
    '2024-01-01 00:00:00' + INTERVAL seq MICROSECOND, seq % 128, LPAD(seq % 9999, 8, '0')
    FROM bench.seq_1_to_$rows;"
transport="type: stdout"
if [ "$kafka" = 1 ]; then
  bootstrap="$("$here/scripts/kafka" start "$work/kafka" | tail -1 | cut -d= -f2)"
  transport="type: kafka
  bootstrap_servers: $bootstrap
  topic: {partitions: 3}"
fi
cat > "$work/vimur.yaml" <<YAML
name: bench
state_dir: $work/state
queue_max_bytes: 67108864
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: $port
    user: root
    password: root
    server_id: 5999
    include_tables: ['bench\.t']
    snapshot: $mode
    snapshot_chunk_rows: 10000
    snapshot_workers: $workers
transport:
  $transport
format:
  type: json
YAML
export BENCH_PORT="$port" BENCH_WORK="$work" BENCH_VIMUR="$vimur" BENCH_ROWS="$rows" BENCH_RUNS="$runs"
export BENCH_WORKERS="$workers" BENCH_KAFKA="$kafka" BENCH_INCREMENTAL="$([ "$mode" = never ] && echo 1 || echo 0)"
python3 - <<'PY'
import os, resource, shutil, statistics, subprocess, time
port, work, vimur = os.environ["BENCH_PORT"], os.environ["BENCH_WORK"], os.environ["BENCH_VIMUR"]
rows, runs = int(os.environ["BENCH_ROWS"]), int(os.environ["BENCH_RUNS"])
incremental = os.environ["BENCH_INCREMENTAL"] == "1"
kafka = os.environ["BENCH_KAFKA"] == "1"
config = os.path.join(work, "vimur.yaml")
devnull = open(os.devnull, "wb")
limit_s, vimur_s, rss = [], [], []


def peak_rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) // 1024
    return 0


streaming = None
if incremental:
    log = os.path.join(work, "vimur.log")
    streaming = subprocess.Popen([vimur, "run", "--config", config], stdout=devnull,
                                 stderr=open(log, "wb"))
    while "streaming from" not in open(log).read():
        assert streaming.poll() is None, open(log).read()[-2000:]
        time.sleep(0.05)
for run in range(runs):
    t = time.monotonic()
    subprocess.run(["mariadb", "--quick", "-h127.0.0.1", f"-P{port}", "-uroot", "-proot",
                    "-e", "SELECT * FROM bench.t"], stdout=devnull, check=True)
    limit_s.append(time.monotonic() - t)
    if incremental:
        t = time.monotonic()
        subprocess.run([vimur, "snapshot", "--config", config, "--table", "bench.t", "--wait"],
                       stdout=devnull, check=True)
        vimur_s.append(time.monotonic() - t)
        rss.append(peak_rss_mib(streaming.pid))
    else:
        shutil.rmtree(os.path.join(work, "state"), ignore_errors=True)
        if kafka:  # a new pipeline name: no stored offsets, records on new topics
            with open(config) as f:
                text = f.read()
            with open(config, "w") as f:
                f.write(text.replace(f"name: bench{run - 1 if run else ''}\n",
                                     f"name: bench{run}\n", 1))
        t = time.monotonic()
        p = subprocess.Popen([vimur, "run", "--config", config], stdout=devnull,
                             stderr=open(os.path.join(work, f"vimur.{run}.log"), "wb"))
        _, status, usage = os.wait4(p.pid, 0)
        vimur_s.append(time.monotonic() - t)
        assert status == 0, open(os.path.join(work, f"vimur.{run}.log")).read()[-2000:]
        rss.append(usage.ru_maxrss // 1024)
    print(f"run {run + 1}: limit {limit_s[-1]:.3f} s ({rows / limit_s[-1]:,.0f} rows/s), "
          f"vimur {vimur_s[-1]:.3f} s ({rows / vimur_s[-1]:,.0f} rows/s), "
          f"ratio {limit_s[-1] / vimur_s[-1]:.2f}, peak RSS {rss[-1]} MiB", flush=True)
if streaming is not None:
    streaming.terminate()
    streaming.wait()
lm, vm = statistics.median(limit_s), statistics.median(vimur_s)
print(f"{'to Kafka' if kafka else 'to /dev/null'}, snapshot_workers {os.environ['BENCH_WORKERS']}, median of {runs}: limit {rows / lm:,.0f} rows/s, vimur {rows / vm:,.0f} rows/s "
      f"({lm / vm:.0%} of the limit), peak RSS {max(rss)} MiB; load {os.getloadavg()[0]:.1f}")
PY
