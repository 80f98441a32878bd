#!/usr/bin/env bash
# PostgreSQL catch-up benchmark: about 1,000,000 row changes read from a logical replication
# slot by `vimur run` (type: postgresql, stdout transport to /dev/null) against the limit
# measured in the same run, `pg_recvlogical` reading the same changes through the same plugin
# (pgoutput) and publication and writing its raw output to /dev/null.
#
#   bench/pg_catchup.sh [--rows N] [--runs N]
#
# Starts a private PostgreSQL (scripts/postgres) in a temporary directory, creates a table of
# 10 mixed columns, a publication and one slot per run and side (before any data, so every
# slot holds the same changes), then writes N inserts (default 870,000), N/10 updates and N/20
# deletes in transactions of 1000 rows: 1.15 * N row changes. Each run times pg_recvlogical
# (--endpos at the WAL end after the writes) and vimur from its slot until its stored position
# reaches that end, alternately; prints each run, the medians and vimur's peak resident memory.
# VIMUR_BIN names the vimur binary (default: the one scripts/build prints).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=870000
runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
bindir=""
for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
  if [ -x "$d/pg_recvlogical" ]; then bindir="$d"; break; fi
done
[ -n "$bindir" ] || { echo "pg_recvlogical not found; run scripts/setup" >&2; exit 1; }

work="$(mktemp -d -t vimur-bench-pg.XXXXXX)"
chmod 755 "$work"
cleanup() {
  "$here/scripts/postgres" stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
port="$("$here/scripts/postgres" start "$work/pg" | tail -1 | cut -d= -f2)"

export VIMUR_BENCH_PORT="$port" VIMUR_BENCH_WORK="$work" VIMUR_BENCH_BIN="$vimur" \
  VIMUR_BENCH_RUNS="$runs" VIMUR_BENCH_ROWS="$rows" VIMUR_BENCH_RECV="$bindir/pg_recvlogical"
"$here/.cache/venv/bin/python" - <<'EOF'
import json, os, signal, statistics, subprocess, sys, time

import psycopg

env = os.environ
port, work, vimur = env["VIMUR_BENCH_PORT"], env["VIMUR_BENCH_WORK"], env["VIMUR_BENCH_BIN"]
runs, rows = int(env["VIMUR_BENCH_RUNS"]), int(env["VIMUR_BENCH_ROWS"])
recv = env["VIMUR_BENCH_RECV"]


def connect():
    return psycopg.connect(host="127.0.0.1", port=port, user="vimur", password="vimur",
                           dbname="vimur", autocommit=True)


with connect() as c:
    c.execute("""CREATE TABLE bench (
        id bigint PRIMARY KEY, qty int NOT NULL, price numeric(12,2), ratio double precision,
        flag boolean, name varchar(64), note text, created timestamptz, day date,
        payload bytea)""")
    c.execute("CREATE PUBLICATION bench_pub FOR TABLE bench")
    for i in range(runs):
        for side in ("recv", "vimur"):
            c.execute(f"SELECT pg_create_logical_replication_slot('{side}_{i}', 'pgoutput')")
    t0 = time.perf_counter()
    txn = 1000
    for start in range(1, rows + 1, txn):
        end = min(rows, start + txn - 1)
        with c.transaction():
            c.execute("""INSERT INTO bench SELECT g, g %% 1000, g * 1.25, g / 7.0, g %% 2 = 0,
                         'name-' || g, repeat('note ', 8), now(), current_date,
                         decode(md5(g::text), 'hex')
                         FROM generate_series(%s::bigint, %s::bigint) g""", (start, end))
            # Interleaved: a tenth updated, a twentieth deleted, of rows already written.
            c.execute("UPDATE bench SET qty = qty + 1, note = 'updated' "
                      "WHERE id BETWEEN %s AND %s AND id %% 10 = 0", (start, end))
            c.execute("DELETE FROM bench WHERE id BETWEEN %s AND %s AND id %% 20 = 5",
                      (start, end))
    end_lsn = c.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]
    end_num = c.execute("SELECT pg_current_wal_lsn() - '0/0'").fetchone()[0]
    wal = c.execute("SELECT pg_size_pretty(pg_current_wal_lsn() - '0/0')").fetchone()[0]
changes = rows + rows // 10 + rows // 20
print(f"wrote {changes} row changes ({rows} inserts) in {time.perf_counter() - t0:.1f} s; "
      f"WAL end {end_lsn} ({wal})", flush=True)


def vm_hwm_kb(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_recv(i):
    t0 = time.perf_counter()
    subprocess.run([recv, "-h", "127.0.0.1", "-p", port, "-U", "vimur", "-d", "vimur",
                    "--slot", f"recv_{i}", "--start", "--endpos", end_lsn, "--no-loop",
                    "-o", "proto_version=1", "-o", "publication_names=bench_pub",
                    "-f", "/dev/null"], check=True, env=dict(os.environ, PGPASSWORD="vimur"))
    return time.perf_counter() - t0


def run_vimur(i):
    state = os.path.join(work, f"state{i}")
    config = os.path.join(work, f"vimur{i}.yaml")
    with open(config, "w") as f:
        f.write(f"""name: bench
state_dir: {state}
sources:
  - name: db
    type: postgresql
    host: 127.0.0.1
    port: {port}
    user: vimur
    password: vimur
    database: vimur
    slot: vimur_{i}
    publication: bench_pub
    snapshot: never
transport:
  type: stdout
format:
  type: json
""")
    offsets = os.path.join(state, "bench", "offsets", "db.json")
    log = open(os.path.join(work, f"vimur{i}.log"), "wb")
    t0 = time.perf_counter()
    proc = subprocess.Popen([vimur, "run", "--config", config], stdout=subprocess.DEVNULL,
                            stderr=log)
    log.close()
    reached, peak = None, 0
    while time.perf_counter() - t0 < 900 and proc.poll() is None:
        peak = max(peak, vm_hwm_kb(proc.pid))
        try:
            with open(offsets) as f:
                lsn = json.load(f).get("lsn", 0)
        except (OSError, ValueError):
            lsn = 0
        if lsn >= end_num:
            reached = time.perf_counter() - t0
            break
        time.sleep(0.005)
    peak = max(peak, vm_hwm_kb(proc.pid))
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=120)
    if reached is None or rc != 0:
        sys.stderr.write(open(os.path.join(work, f"vimur{i}.log")).read()[-3000:])
        sys.exit(f"vimur did not reach {end_lsn} (exit {rc})")
    return reached, peak


recv_times, vimur_times, peaks = [], [], []
for i in range(runs):
    r = run_recv(i)
    v, peak = run_vimur(i)
    recv_times.append(r)
    vimur_times.append(v)
    peaks.append(peak)
    print(f"run {i + 1}: pg_recvlogical {r:.2f} s ({changes / r / 1e3:.0f} k changes/s), "
          f"vimur {v:.2f} s ({changes / v / 1e3:.0f} k changes/s), ratio {r / v:.2f}, "
          f"peak RSS {peak / 1024:.0f} MiB", flush=True)
mr, mv = statistics.median(recv_times), statistics.median(vimur_times)
print(f"median of {runs}: limit pg_recvlogical {changes / mr / 1e3:.0f} k changes/s, vimur "
      f"{changes / mv / 1e3:.0f} k changes/s ({100 * mr / mv:.0f}% of the limit; aim 50%), "
      f"peak RSS {max(peaks) / 1024:.0f} MiB (aim < 64 MiB)")
EOF
