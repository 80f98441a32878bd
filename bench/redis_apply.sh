#!/usr/bin/env bash
# Apply-rate benchmark of the `redis` sink: N row changes published by `vimur run` to the
# embedded log (snapshot: initial_only, JSON with schemas, or without: --schemas false), then
# applied by `vimur run --only sinks` into Redis (`SET t:{id}` of the row as JSON), next to the
# limit measured in the same run: the same keys and values (read back from Redis after the
# sink's run) loaded by `redis-cli --pipe`, Redis's own pipelined mass insertion.
#
#   bench/redis_apply.sh [--rows N] [--runs N] [--schemas true|false] [--keep]
#
# Starts a private MariaDB and Redis with the project's scripts in a temporary directory.
# Each run empties Redis, times a new consumer group of the sink from its start until the
# last key exists (and DBSIZE equals N), then empties Redis and times the mass insertion.
# Prints rows/s of each, their ratio (the issue's aim: half the limit or better) and the
# sink's peak resident memory and CPU time. VIMUR_BIN names the vimur binary (default: the
# one scripts/build prints).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=1000000
runs=3
keep=0
schemas=true
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --schemas) schemas="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
work="$(mktemp -d -t vimur-bench-redis.XXXXXX)"
cleanup() {
  "$here/scripts/redis" stop "$work/redis" >/dev/null 2>&1 || true
  "$here/scripts/mariadb" stop "$work/db" >/dev/null 2>&1 || true
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
port="$("$here/scripts/mariadb" start "$work/db" | tail -1 | cut -d= -f2)"
redis_port="$("$here/scripts/redis" start "$work/redis" | tail -1 | cut -d= -f2)"
source "$here/bench/sink_input.sh"
publish_bench_rows

export BENCH_WORK="$work" BENCH_VIMUR="$vimur" BENCH_ROWS="$rows" BENCH_RUNS="$runs"
export BENCH_REDIS_PORT="$redis_port"
PYTHONPATH="$here/bench" python3 - <<'PY'
import os, statistics, subprocess, time
from proc_stats import cpu_s, peak_rss_mib
work, vimur = os.environ["BENCH_WORK"], os.environ["BENCH_VIMUR"]
rows, runs = int(os.environ["BENCH_ROWS"]), int(os.environ["BENCH_RUNS"])
redis_port = os.environ["BENCH_REDIS_PORT"]
publish = open(os.path.join(work, "publish.yaml")).read()


def cli(*args, **kwargs):
    return subprocess.run(["redis-cli", "-p", redis_port, *args], check=True,
                          capture_output=True, text=True, **kwargs).stdout.strip()


def resp(*parts):
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(p), p))
    return b"".join(out)


def dump_commands(path):
    """The SET commands of every key the sink wrote, with its exact value, as RESP."""
    keys = cli("--scan", "--pattern", "t:*").split("\n")
    with open(path, "wb") as f:
        for i in range(0, len(keys), 1000):
            chunk = keys[i:i + 1000]
            values = subprocess.run(["redis-cli", "-p", redis_port, "--raw", "MGET", *chunk],
                                    check=True, capture_output=True).stdout.split(b"\n")
            for key, value in zip(chunk, values):
                f.write(resp(b"SET", key.encode(), value))
    return len(keys)


sink_rates, limit_rates, ratios = [], [], []
commands = os.path.join(work, "commands.resp")
for run in range(runs):
    cli("FLUSHALL")
    config = os.path.join(work, f"sink{run}.yaml")
    with open(config, "w") as f:
        f.write(publish + f"""sinks:
  - name: cache
    type: redis
    topics: ['bench\\.bench\\.t']
    url: redis://127.0.0.1:{redis_port}
    key: 't:${{id}}'
    group_id: bench-redis-{run}
""")
    log = open(os.path.join(work, f"sink{run}.log"), "wb")
    start = time.monotonic()
    proc = subprocess.Popen([vimur, "run", "--only", "sinks", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=log)
    rss = 0
    while True:
        rss = max(rss, peak_rss_mib(proc.pid))
        if cli("EXISTS", f"t:{rows}") == "1" and int(cli("DBSIZE")) == rows:
            break
        if proc.poll() is not None:
            raise SystemExit(f"the sink exited {proc.returncode}; see {log.name}")
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    cpu = cpu_s(proc.pid)
    rss = max(rss, peak_rss_mib(proc.pid))
    proc.terminate()
    proc.wait(timeout=60)
    if run == 0:
        assert dump_commands(commands) == rows
    cli("FLUSHALL")
    start = time.monotonic()
    with open(commands, "rb") as f:
        subprocess.run(["redis-cli", "-p", redis_port, "--pipe"], stdin=f, check=True,
                       capture_output=True)
    limit = time.monotonic() - start
    assert int(cli("DBSIZE")) == rows
    sink_rates.append(rows / elapsed)
    limit_rates.append(rows / limit)
    ratios.append(limit / elapsed)
    print(f"run {run + 1}: sink {rows / elapsed:,.0f} rows/s ({elapsed:.2f} s, cpu {cpu:.1f} s, "
          f"peak rss {rss} MiB), redis-cli --pipe {rows / limit:,.0f} rows/s ({limit:.2f} s), "
          f"ratio {limit / elapsed:.2f}")
print(f"median: sink {statistics.median(sink_rates):,.0f} rows/s, limit "
      f"{statistics.median(limit_rates):,.0f} rows/s, ratio {statistics.median(ratios):.2f} "
      f"(aim: 0.5)")
PY
