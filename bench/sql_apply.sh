#!/usr/bin/env bash
# Apply-rate benchmark of the `sql` sink: N rows published to Kafka by `vimur run` (snapshot:
# initial_only, JSON with schemas, or Avro through `vimur registry` with --format avro), then
# applied by `vimur run --only sinks` into MariaDB and into PostgreSQL, each next to the limit
# measured in the same run: a bulk load of the same rows into the same table (`LOAD DATA LOCAL INFILE` and `\copy ... FROM` a TSV file), written
# to the binlog as the sink's are.
#
#   bench/sql_apply.sh [--rows N] [--runs N] [--partitions N] [--batch N] [--format json|avro]
#                      [--keep]
#
# Starts a private MariaDB (source and MariaDB target), PostgreSQL and Kafka with the project's
# scripts in a temporary directory. Each run empties both target tables, loads them in bulk
# (timed), empties them again and times a new consumer group of the sink from its start until
# the last row is in the table (and the row count equals N). --batch sets the sink's
# batch_max_records (default 2000, the sink's default). Prints rows/s of each, their
# ratio (the issue's aim: a third of the bulk load or better) and the sink's peak resident
# memory and CPU time. VIMUR_BIN names the vimur binary (default: the one scripts/build prints).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=1000000
runs=3
partitions=1
batch=2000
format=json
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --batch) batch="$2"; shift 2 ;;
    --format) format="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
work="$(mktemp -d -t vimur-bench-apply.XXXXXX)"
chmod 755 "$work"  # PostgreSQL runs as its own user when this runs as root
case "$format" in json|avro) ;; *) echo "--format is json or avro" >&2; exit 2 ;; esac
cleanup() {
  [ -z "${registry_pid:-}" ] || kill "$registry_pid" 2>/dev/null || true
  "$here/scripts/kafka" stop "$work/kafka" >/dev/null 2>&1 || true
  "$here/scripts/postgres" stop "$work/pg" >/dev/null 2>&1 || true
  "$here/scripts/mariadb" stop "$work/db" >/dev/null 2>&1 || true
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
port="$("$here/scripts/mariadb" start "$work/db" | tail -1 | cut -d= -f2)"
pg_port="$("$here/scripts/postgres" start "$work/pg" | tail -1 | cut -d= -f2)"
bootstrap="$("$here/scripts/kafka" start "$work/kafka" | tail -1 | cut -d= -f2)"
sql() { mariadb -h127.0.0.1 -P"$port" -uroot -proot "$@"; }
echo "filling bench.t with $rows rows" >&2
sql -e "CREATE DATABASE bench; CREATE DATABASE target;
  CREATE TABLE bench.t (
  id BIGINT PRIMARY KEY, a INT NOT NULL, b INT UNSIGNED, c BIGINT, d DECIMAL(12,2),
  e DOUBLE, f VARCHAR(40), g VARCHAR(200), h DATETIME(3), i DATE, j TIMESTAMP(6) NULL,
  k TINYINT, l CHAR(8)) DEFAULT CHARSET=utf8mb4;
  CREATE TABLE target.t LIKE bench.t;
  SET SESSION sql_log_bin = 0;
  INSERT INTO bench.t SELECT seq, seq % 100000, seq * 3, seq * 1000003, seq / 100,
    seq / 7, CONCAT('name-', seq), REPEAT(CHAR(97 + seq % 26), 20 + seq % 60),
    '2024-01-01 00:00:00' + INTERVAL seq SECOND, '2000-01-01' + INTERVAL (seq % 9000) DAY,
    '2024-01-01 00:00:00' + INTERVAL seq MICROSECOND, seq % 128, LPAD(seq % 9999, 8, '0')
    FROM bench.seq_1_to_$rows;"
sql --quick -B -N -e "SELECT * FROM bench.t" > "$work/rows.tsv"
chmod 644 "$work/rows.tsv"
PGPASSWORD=vimur psql -q -h 127.0.0.1 -p "$pg_port" -U vimur vimur -c "CREATE TABLE t (
  id BIGINT PRIMARY KEY, a INTEGER NOT NULL, b BIGINT, c BIGINT, d NUMERIC(12,2),
  e DOUBLE PRECISION, f VARCHAR(40), g VARCHAR(200), h TIMESTAMP(3), i DATE,
  j TIMESTAMPTZ(6), k SMALLINT, l CHAR(8))"
format_section="format: {type: json, schemas: true}"
if [ "$format" = avro ]; then
  registry_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  cat > "$work/registry.yaml" <<EOF
name: bench
sources:
  - {name: db, type: mysql, user: root}
transport: {type: kafka, bootstrap_servers: $bootstrap}
registry: {listen: 127.0.0.1:$registry_port}
EOF
  "$vimur" registry --config "$work/registry.yaml" 2> "$work/registry.log" > /dev/null &
  registry_pid=$!
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$registry_port/subjects" > /dev/null && break
    sleep 0.2
  done
  format_section="format: {type: avro, registry_url: 'http://127.0.0.1:$registry_port'}"
fi
common="name: bench
state_dir: $work/state
transport:
  type: kafka
  bootstrap_servers: $bootstrap
  topic: {partitions: $partitions}
$format_section
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: $port
    user: root
    password: root
    server_id: 5998
    include_tables: ['bench\.t']
    snapshot: initial_only
    snapshot_chunk_rows: 10000"
echo "$common" > "$work/publish.yaml"
echo "publishing $rows rows to Kafka" >&2
"$vimur" run --config "$work/publish.yaml" 2> "$work/publish.log" > /dev/null

export BENCH_PORT="$port" BENCH_PG_PORT="$pg_port" BENCH_WORK="$work" BENCH_VIMUR="$vimur"
export BENCH_ROWS="$rows" BENCH_RUNS="$runs" BENCH_COMMON="$common" BENCH_BATCH="$batch"
PYTHONPATH="$here/bench" python3 - <<'PY'
import os, statistics, subprocess, time
from proc_stats import cpu_s, peak_rss_mib
port, pg_port, work = os.environ["BENCH_PORT"], os.environ["BENCH_PG_PORT"], os.environ["BENCH_WORK"]
vimur, common = os.environ["BENCH_VIMUR"], os.environ["BENCH_COMMON"]
rows, runs = int(os.environ["BENCH_ROWS"]), int(os.environ["BENCH_RUNS"])
batch = int(os.environ["BENCH_BATCH"])
tsv = os.path.join(work, "rows.tsv")
MARIADB = ["mariadb", "-h127.0.0.1", f"-P{port}", "-uroot", "-proot", "-B", "-N"]


def psql(user="vimur"):  # scripts/postgres: users vimur/vimur and postgres/postgres (superuser)
    return ["psql", "-q", "-At", "-h", "127.0.0.1", "-p", pg_port, "-U", user, "vimur"]


def mariadb(statement, local_infile=False):
    args = MARIADB + (["--local-infile=1"] if local_infile else [])
    return subprocess.run(args + ["-e", statement], check=True, capture_output=True,
                          text=True).stdout.strip()


def postgres(statement, user="vimur"):
    return subprocess.run(psql(user) + ["-c", statement], check=True, capture_output=True,
                          text=True, env=dict(os.environ, PGPASSWORD=user)).stdout.strip()


class Session:
    """One client session for the checks made while the sink runs: a new psql per check (its
    start and the server's new backend) costs ~35 ms of CPU, 13 % of the two cores at ten
    checks a second, taken from the sink being measured."""

    def __init__(self, args, env=None):
        self.client = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                       text=True, env=env)

    def value(self, statement):
        self.client.stdin.write(statement + ";\n")
        self.client.stdin.flush()
        return self.client.stdout.readline().strip()

    def close(self):
        self.client.stdin.close()
        self.client.wait(30)


TARGETS = {
    "mariadb": dict(
        url=f"mariadb://root:root@127.0.0.1:{port}/target",
        settle=lambda: None,
        # Into the binlog like the sink's writes (before 2026-12-04 the load skipped it).
        bulk=lambda: mariadb(f"LOAD DATA LOCAL INFILE '{tsv}' INTO TABLE target.t",
                             local_infile=True),
        query=mariadb,
        session=lambda: Session(MARIADB + ["--unbuffered"]),
        table="target.t"),
    "postgresql": dict(
        url=f"postgresql://vimur:vimur@127.0.0.1:{pg_port}/vimur",
        # Each timed load starts right after a checkpoint, so that neither pays for one the
        # WAL of the load before it started (its writes, full-page images after it).
        settle=lambda: postgres("CHECKPOINT", user="postgres"),
        bulk=lambda: postgres(f"\\copy t FROM '{tsv}'"),
        query=postgres,
        session=lambda: Session(psql(), env=dict(os.environ, PGPASSWORD="vimur")),
        table="t"),
}


results = {name: ([], [], []) for name in TARGETS}
for run in range(runs):
    for name, target in TARGETS.items():
        bulk_s, sink_s, rss = results[name]
        query, table = target["query"], target["table"]
        query(f"TRUNCATE {table}")
        target["settle"]()
        t = time.monotonic()
        target["bulk"]()
        bulk_s.append(time.monotonic() - t)
        loaded = int(query(f"SELECT COUNT(*) FROM {table}"))
        assert loaded == rows, f"{name}: the bulk load did not load {rows} rows"
        query(f"TRUNCATE {table}")
        config = os.path.join(work, f"apply-{name}-{run}.yaml")
        with open(config, "w") as f:
            f.write(f"""{common}
sinks:
  - name: apply-{name}-{run}
    type: sql
    topics: ['bench\\.bench\\.t']
    targets: {{{name}: '{target["url"]}'}}
    create_tables: false
    batch_max_records: {batch}
""")
        log = os.path.join(work, f"apply-{name}-{run}.log")
        target["settle"]()
        check = target["session"]()
        t = time.monotonic()
        sink = subprocess.Popen([vimur, "run", "--only", "sinks", "--config", config],
                                stdout=subprocess.DEVNULL, stderr=open(log, "wb"))
        peak = 0
        while check.value(f"SELECT COUNT(*) FROM {table} WHERE id = {rows}") != "1":
            assert sink.poll() is None, open(log).read()[-3000:]
            peak = max(peak, peak_rss_mib(sink.pid))
            time.sleep(0.1)
        while int(check.value(f"SELECT COUNT(*) FROM {table}")) != rows:  # the last may come first
            assert sink.poll() is None, open(log).read()[-3000:]
            time.sleep(0.1)
        sink_s.append(time.monotonic() - t)
        check.close()
        rss.append(max(peak, peak_rss_mib(sink.pid)))
        cpu = cpu_s(sink.pid)
        sink.terminate()
        assert sink.wait(60) == 0, open(log).read()[-3000:]
        print(f"run {run + 1} {name}: bulk load {bulk_s[-1]:.2f} s "
              f"({rows / bulk_s[-1]:,.0f} rows/s), sink {sink_s[-1]:.2f} s "
              f"({rows / sink_s[-1]:,.0f} rows/s), ratio {bulk_s[-1] / sink_s[-1]:.2f}, "
              f"peak RSS {rss[-1]} MiB, sink CPU {cpu:.1f} s", flush=True)
for name, (bulk_s, sink_s, rss) in results.items():
    bm, sm = statistics.median(bulk_s), statistics.median(sink_s)
    print(f"{name}, median of {runs}: bulk load {rows / bm:,.0f} rows/s, sink {rows / sm:,.0f} "
          f"rows/s ({bm / sm:.0%} of the bulk load; aim 33 %), peak RSS {max(rss)} MiB; "
          f"load {os.getloadavg()[0]:.1f}")
PY
