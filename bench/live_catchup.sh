#!/usr/bin/env bash
# Live capture benchmark: catch-up of a whole binlog from a running MariaDB through `vimur run`
# (stdout transport to /dev/null) against the limit, `mariadb-binlog --read-from-remote-server
# --raw` copying the same binlog over the same replication protocol, measured in one run.
#
#   bench/live_catchup.sh SERVER_DIR BINLOG_DIR [--runs N] [--verify] [--queue-bytes N]
#
# SERVER_DIR and BINLOG_DIR come from `bench/make_binlog.sh BINLOG_DIR --keep SERVER_DIR`
# (BINLOG_DIR gives expected_rows and end_position). VIMUR_BIN names the vimur binary (default:
# the one scripts/build prints). Each run times the copy, then vimur from mysql-bin.000001:4
# until its stored position reaches end_position (polled every 5 ms), then stops it with SIGINT.
# Prints each run and the median of N (default 3) runs, with the CPU time each side used: the
# copy (mariadb-binlog and the server's dump thread) and vimur (its threads by name, and the
# server's dump thread), and vimur's minor page faults. --queue-bytes sets vimur's
# queue_max_bytes (default: vimur's own, 64 MiB). On a 2-core machine the CPU of vimur and the server, halved, is a floor
# for vimur's time. --verify adds one untimed run with stdout to a file and checks that it holds
# one change event per row change written.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
[ $# -ge 2 ] || { echo "usage: $0 SERVER_DIR BINLOG_DIR [--runs N] [--verify] [--queue-bytes N]" >&2; exit 2; }
server_dir="$1"
binlog_dir="$2"
shift 2
runs=3
verify=0
queue_bytes=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --verify) verify=1; shift ;;
    --queue-bytes) queue_bytes="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
port="$(cat "$server_dir/port")"
"$here/scripts/mariadb" status "$server_dir" >/dev/null || {
  echo "no MariaDB running in $server_dir; run bench/make_binlog.sh with --keep" >&2
  exit 1
}
vimur="${VIMUR_BIN:-$("$here/scripts/build" | tail -1)}"
first_file="$(ls "$binlog_dir"/mysql-bin.[0-9]* | sort | head -1 | xargs basename)"

work="$(mktemp -d -t vimur-bench-live.XXXXXX)"
trap 'rm -rf "$work"' EXIT

export VIMUR_BENCH_SERVER_PID="$(cat "$server_dir/mariadb.pid")" VIMUR_BENCH_QUEUE="$queue_bytes"
export VIMUR_BENCH_PORT="$port" VIMUR_BENCH_FIRST="$first_file" VIMUR_BENCH_WORK="$work" \
  VIMUR_BENCH_BIN="$vimur" VIMUR_BENCH_RUNS="$runs" VIMUR_BENCH_VERIFY="$verify" \
  VIMUR_BENCH_BINLOGS="$binlog_dir"
python3 - <<'EOF'
import json, os, resource, shutil, signal, statistics, subprocess, sys, tempfile, time

port = os.environ["VIMUR_BENCH_PORT"]
first = os.environ["VIMUR_BENCH_FIRST"]
work = os.environ["VIMUR_BENCH_WORK"]
vimur = os.environ["VIMUR_BENCH_BIN"]
runs = int(os.environ["VIMUR_BENCH_RUNS"])
binlogs = os.environ["VIMUR_BENCH_BINLOGS"]
rows = int(open(os.path.join(binlogs, "expected_rows")).read())
end_file, end_pos = open(os.path.join(binlogs, "end_position")).read().split()
end = (end_file, int(end_pos))
server_pid = os.environ["VIMUR_BENCH_SERVER_PID"]
tick = os.sysconf("SC_CLK_TCK")


def server_cpu():
    """CPU seconds the MariaDB server has used so far (all its threads)."""
    fields = open(f"/proc/{server_pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / tick


def thread_cpu(pid):
    """CPU seconds of each thread of `pid` by thread name (exact, from schedstat)."""
    used = {}
    task_dir = f"/proc/{pid}/task"
    for tid in os.listdir(task_dir):
        try:
            name = open(f"{task_dir}/{tid}/comm").read().strip()
            ns = int(open(f"{task_dir}/{tid}/schedstat").read().split()[0])
        except OSError:
            continue  # the thread ended
        used[name] = used.get(name, 0) + ns / 1e9
    return used


# The limit's copy goes to memory when a tmpfs is there: written to disk, its 116 MB would be
# flushed by the kernel some 30 s later, in the middle of a later run.
raw_parent = "/dev/shm" if os.access("/dev/shm", os.W_OK) else work


def copy_binlog():
    """The limit: the server streams the binlog to mariadb-binlog, which writes it raw."""
    out = tempfile.mkdtemp(prefix="vimur-bench-raw.", dir=raw_parent) + "/"
    s0 = server_cpu()
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(["mariadb-binlog", "--no-defaults", "--read-from-remote-server", "--raw",
                    "--host=127.0.0.1", f"--port={port}", "--user=root", "--password=root",
                    f"--result-file={out}", first, "--to-last-log"], check=True)
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {"mariadb-binlog": r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime,
           "server": server_cpu() - s0}
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    shutil.rmtree(out)
    return elapsed, size, cpu


server_ids = iter(range(5402, 6402))


def run_vimur(stdout_path):
    """vimur from the first binlog's start until its committed position reaches `end`.
    Each run registers with a new replica id: reusing one makes the server first retire the
    previous run's dump thread (about 0.1 s), a cost the limit, which does not register as a
    replica, never pays."""
    server_id = next(server_ids)
    state = os.path.join(work, "state")
    subprocess.run(["rm", "-rf", state], check=True)
    offsets = os.path.join(state, "bench", "offsets")
    os.makedirs(offsets)
    offset_file = os.path.join(offsets, "db.json")
    with open(offset_file, "w") as f:
        json.dump({"file": first, "pos": 4}, f)
    config = os.path.join(work, "vimur.yaml")
    with open(config, "w") as f:
        queue = os.environ["VIMUR_BENCH_QUEUE"]
        queue_line = f"queue_max_bytes: {queue}" if queue else ""
        f.write(f"""name: bench
state_dir: {state}
{queue_line}
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: {port}
    user: vimur
    password: vimur
    server_id: {server_id}
transport:
  type: stdout
format:
  type: json
""")
    log = open(os.path.join(work, "vimur.log"), "wb")
    out = open(stdout_path, "wb")
    s0 = server_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen([vimur, "run", "--config", config], stdout=out, stderr=log)
    out.close()
    log.close()
    reached = None
    deadline = t0 + 600
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            break
        try:
            with open(offset_file) as f:
                p = json.load(f)
            if (p.get("file", ""), p.get("pos", 0)) >= end:
                reached = time.perf_counter() - t0
                cpu = thread_cpu(proc.pid)
                cpu["server"] = server_cpu() - s0
                faults = int(open(f"/proc/{proc.pid}/stat").read().rsplit(")", 1)[1].split()[7])
                break
        except (OSError, ValueError):
            pass  # replaced while we read it
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=120)
    if reached is None or rc != 0:
        sys.stderr.write(open(os.path.join(work, "vimur.log")).read()[-3000:])
        sys.exit(f"vimur did not reach {end} (exit {rc})")
    return reached, cpu, faults


def cpu_text(cpu):
    return ", ".join(f"{name} {seconds:.3f}" for name, seconds in cpu.items() if seconds >= 0.001)


copies, catchups, floors = [], [], []
size = 0
cores = os.cpu_count()
for i in range(runs):
    t_copy, size, copy_cpu = copy_binlog()
    t_vimur, vimur_cpu, faults = run_vimur("/dev/null")
    copies.append(t_copy)
    catchups.append(t_vimur)
    floors.append(sum(vimur_cpu.values()) / cores)
    print(f"run {i + 1}: mariadb-binlog {t_copy:.3f} s, vimur {t_vimur:.3f} s, "
          f"ratio {t_copy / t_vimur:.2f}", flush=True)
    print(f"  CPU s: copy: {cpu_text(copy_cpu)}; vimur: {cpu_text(vimur_cpu)}; "
          f"vimur + server over {cores} cores {floors[-1]:.3f} s; vimur's minor faults {faults}",
          flush=True)

mc, mv = statistics.median(copies), statistics.median(catchups)
print(f"binlog: {size / 1e6:.1f} MB, {rows} row changes; median of {runs} runs")
print(f"limit  mariadb-binlog --raw   {mc:7.3f} s  {rows / mc / 1e6:6.2f} M rows/s  "
      f"{size / mc / 1e6:7.1f} MB/s")
print(f"vimur run (stdout>/dev/null)  {mv:7.3f} s  {rows / mv / 1e6:6.2f} M rows/s  "
      f"{size / mv / 1e6:7.1f} MB/s  {100 * mc / mv:5.1f}% of the limit")
print(f"CPU floor of vimur's time (its CPU and the server's, over {cores} cores): "
      f"{statistics.median(floors):.3f} s")

if os.environ["VIMUR_BENCH_VERIFY"] == "1":
    path = os.path.join(work, "events.jsonl")
    run_vimur(path)
    changes = 0
    with open(path, "rb") as f:
        for line in f:
            if b'"op":"c"' in line or b'"op":"u"' in line or b'"op":"d"' in line:
                changes += 1
    print(f"verify: {changes} change events on stdout, {rows} row changes written: "
          f"{'OK' if changes == rows else 'MISMATCH'}")
    if changes != rows:
        sys.exit(1)
EOF
