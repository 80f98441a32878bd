#!/usr/bin/env bash
# `vimur verify` benchmark: a table of N rows (a dozen mixed columns) in MariaDB and its copy
# (in another MariaDB database, and in PostgreSQL), compared by `vimur verify`, next to the
# limit measured in the same run: a plain `SELECT *` of both tables (`mariadb --quick` and
# `psql` to /dev/null, one after the other). The issue's aim: verify within twice that time.
#
#   bench/verify.sh [--rows N] [--runs N] [--keep]
#
# Starts a private MariaDB and PostgreSQL with the project's scripts in a temporary directory
# (no Kafka: verify reads the databases only). Prints both times, their ratio and vimur's peak
# resident memory per target. VIMUR_BIN names the vimur binary (default: scripts/build's).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=10000000
runs=3
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
work="$(mktemp -d -t vimur-bench-verify.XXXXXX)"
chmod 755 "$work"  # PostgreSQL runs as its own user when this runs as root
cleanup() {
  "$here/scripts/postgres" stop "$work/pg" >/dev/null 2>&1 || true
  "$here/scripts/mariadb" stop "$work/db" >/dev/null 2>&1 || true
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
port="$("$here/scripts/mariadb" start "$work/db" | tail -1 | cut -d= -f2)"
pg_port="$("$here/scripts/postgres" start "$work/pg" | tail -1 | cut -d= -f2)"
sql() { mariadb -h127.0.0.1 -P"$port" -uroot -proot "$@"; }
echo "filling bench.t and target.t with $rows rows" >&2
sql -e "CREATE DATABASE bench; CREATE DATABASE target;
  CREATE TABLE bench.t (
  id BIGINT PRIMARY KEY, a INT NOT NULL, b INT UNSIGNED, c BIGINT, d DECIMAL(12,2),
  e DOUBLE, f VARCHAR(40), g VARCHAR(200), h DATETIME(3), i DATE, j TIMESTAMP(6) NULL,
  k TINYINT, l CHAR(8)) DEFAULT CHARSET=utf8mb4;
  SET SESSION sql_log_bin = 0;
  INSERT INTO bench.t SELECT seq, seq % 100000, seq * 3, seq * 1000003, seq / 100,
    seq / 7, CONCAT('name-', seq), REPEAT(CHAR(97 + seq % 26), 20 + seq % 60),
    '2024-01-01 00:00:00' + INTERVAL seq SECOND, '2000-01-01' + INTERVAL (seq % 9000) DAY,
    '2024-01-01 00:00:00' + INTERVAL seq MICROSECOND, seq % 128, LPAD(seq % 9999, 8, '0')
    FROM bench.seq_1_to_$rows;
  CREATE TABLE target.t LIKE bench.t;
  INSERT INTO target.t SELECT * FROM bench.t;"
echo "copying it into PostgreSQL" >&2
psql_() { PGPASSWORD=vimur psql -q -h 127.0.0.1 -p "$pg_port" -U vimur vimur "$@"; }
psql_ -c "SET TIME ZONE 'UTC'; CREATE TABLE t (
  id BIGINT PRIMARY KEY, a INTEGER NOT NULL, b BIGINT, c BIGINT, d NUMERIC(12,2),
  e DOUBLE PRECISION, f VARCHAR(40), g VARCHAR(200), h TIMESTAMP(3), i DATE,
  j TIMESTAMPTZ(6), k SMALLINT, l CHAR(8))"
sql --quick -B -N -e "SET time_zone = '+00:00'; SELECT * FROM bench.t" |
  PGPASSWORD=vimur PGTZ=UTC psql -q -h 127.0.0.1 -p "$pg_port" -U vimur vimur -c "\\copy t FROM STDIN"
for target in mariadb postgresql; do
  url="mariadb://root:root@127.0.0.1:$port/target"
  [ "$target" = postgresql ] && url="postgresql://vimur:vimur@127.0.0.1:$pg_port/vimur"
  cat > "$work/$target.yaml" <<YAML
name: bench
state_dir: $work/state
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: $port
    user: root
    password: root
    include_tables: ['bench\.t']
transport:
  type: kafka
  bootstrap_servers: 127.0.0.1:9
format: {type: json, schemas: true}
sinks:
  - name: copy
    type: sql
    topics: ['bench\.bench\.t']
    targets: {$target: '$url'}
YAML
done

export BENCH_PORT="$port" BENCH_PG_PORT="$pg_port" BENCH_WORK="$work" BENCH_VIMUR="$vimur"
export BENCH_ROWS="$rows" BENCH_RUNS="$runs"
python3 - <<'PY'
import os, statistics, subprocess, time
port, pg_port, work = os.environ["BENCH_PORT"], os.environ["BENCH_PG_PORT"], os.environ["BENCH_WORK"]
vimur = os.environ["BENCH_VIMUR"]
rows, runs = int(os.environ["BENCH_ROWS"]), int(os.environ["BENCH_RUNS"])
devnull = open(os.devnull, "wb")
select_source = ["mariadb", "--quick", "-h127.0.0.1", f"-P{port}", "-uroot", "-proot", "-e",
                 "SELECT * FROM bench.t"]
selects = {
    "mariadb": ["mariadb", "--quick", "-h127.0.0.1", f"-P{port}", "-uroot", "-proot", "-e",
                "SELECT * FROM target.t"],
    "postgresql": ["psql", "-q", "-h", "127.0.0.1", "-p", pg_port, "-U", "vimur", "vimur", "-c",
                   "SELECT * FROM t"],
}
env = dict(os.environ, PGPASSWORD="vimur")
results = {name: ([], [], []) for name in selects}
for run in range(runs):
    for name, select_target in selects.items():
        limit_s, vimur_s, rss = results[name]
        t = time.monotonic()
        subprocess.run(select_source, stdout=devnull, check=True)
        subprocess.run(select_target, stdout=devnull, check=True, env=env)
        limit_s.append(time.monotonic() - t)
        t = time.monotonic()
        p = subprocess.Popen([vimur, "verify", "--config", os.path.join(work, f"{name}.yaml"),
                              "--sink", "copy"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        out = p.stdout.read().decode()
        _, status, usage = os.wait4(p.pid, 0)
        vimur_s.append(time.monotonic() - t)
        assert status == 0, f"verify did not report identical tables:\n{out[-3000:]}"
        rss.append(usage.ru_maxrss // 1024)
        print(f"run {run + 1} {name}: SELECT of both {limit_s[-1]:.2f} s, verify "
              f"{vimur_s[-1]:.2f} s ({rows / vimur_s[-1]:,.0f} rows/s), ratio "
              f"{vimur_s[-1] / limit_s[-1]:.2f} (aim <= 2), peak RSS {rss[-1]} MiB", flush=True)
for name, (limit_s, vimur_s, rss) in results.items():
    lm, vm = statistics.median(limit_s), statistics.median(vimur_s)
    print(f"{name}, median of {runs}: SELECT of both {lm:.2f} s, verify {vm:.2f} s "
          f"({vm / lm:.2f}x; aim 2x), peak RSS {max(rss)} MiB; load {os.getloadavg()[0]:.1f}")
PY
