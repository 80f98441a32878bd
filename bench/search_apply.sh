#!/usr/bin/env bash
# Apply-rate benchmark of the `search` sink: N row changes published by `vimur run` to the
# embedded log (snapshot: initial_only, JSON with schemas), then indexed by `vimur run --only
# sinks` into OpenSearch (one document per row), next to the limit measured in the same run:
# the same documents (read back from the index after the sink's run) posted to `_bulk` by a
# plain client (curl, 5,000 documents per request, the sink's batch size) into a new index.
#
#   bench/search_apply.sh [--rows N] [--runs N] [--keep]
#
# Starts a private MariaDB and OpenSearch with the project's scripts in a temporary directory.
# Each run times a new consumer group of the sink, into a new index, from its start until the
# index holds N documents (refreshed), then times the bulk load of the same documents into
# another new index. Prints documents/s of each, their ratio (the issue's aim: half the limit
# or better) and the sink's peak resident memory and CPU time. VIMUR_BIN names the vimur binary
# (default: the one scripts/build prints).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rows=1000000
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
work="$(mktemp -d -t vimur-bench-search.XXXXXX)"
cleanup() {
  "$here/scripts/opensearch" stop "$work/os" >/dev/null 2>&1 || true
  "$here/scripts/mariadb" stop "$work/db" >/dev/null 2>&1 || true
  [ "$keep" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
port="$("$here/scripts/mariadb" start "$work/db" | tail -1 | cut -d= -f2)"
url="$(VIMUR_OPENSEARCH_HEAP="${VIMUR_OPENSEARCH_HEAP:-1g}" "$here/scripts/opensearch" start "$work/os" | tail -1 | cut -d= -f2-)"
source "$here/bench/sink_input.sh"
publish_bench_rows

export BENCH_WORK="$work" BENCH_VIMUR="$vimur" BENCH_ROWS="$rows" BENCH_RUNS="$runs"
export BENCH_URL="$url"
PYTHONPATH="$here/bench" python3 - <<'PY'
import json, os, statistics, subprocess, time, urllib.request
from proc_stats import cpu_s, peak_rss_mib
work, vimur, url = os.environ["BENCH_WORK"], os.environ["BENCH_VIMUR"], os.environ["BENCH_URL"]
rows, runs = int(os.environ["BENCH_ROWS"]), int(os.environ["BENCH_RUNS"])
publish = open(os.path.join(work, "publish.yaml")).read()
BATCH = 5000


def call(method, path, body=None, ctype="application/json"):
    req = urllib.request.Request(url + path, method=method, data=body,
                                 headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=300) as r:
        return json.loads(r.read() or b"null")


def count(index):
    call("POST", f"/{index}/_refresh")
    return call("GET", f"/{index}/_count")["count"]


def dump_bulk_files(index):
    """The sink's documents, as _bulk bodies of BATCH index actions each."""
    files, lines = [], []
    scroll = call("POST", f"/{index}/_search?scroll=2m",
                  json.dumps({"size": 10000, "sort": ["_doc"]}).encode())
    while scroll["hits"]["hits"]:
        for hit in scroll["hits"]["hits"]:
            lines.append(json.dumps({"index": {"_id": hit["_id"]}}))
            lines.append(json.dumps(hit["_source"], separators=(",", ":")))
            if len(lines) == 2 * BATCH:
                files.append(os.path.join(work, f"bulk{len(files)}.ndjson"))
                open(files[-1], "w").write("\n".join(lines) + "\n")
                lines = []
        scroll = call("POST", "/_search/scroll",
                      json.dumps({"scroll": "2m", "scroll_id": scroll["_scroll_id"]}).encode())
    if lines:
        files.append(os.path.join(work, f"bulk{len(files)}.ndjson"))
        open(files[-1], "w").write("\n".join(lines) + "\n")
    return files


sink_rates, limit_rates, ratios = [], [], []
bulk_files = None
for run in range(runs):
    index = f"bench-sink-{run}"
    config = os.path.join(work, f"sink{run}.yaml")
    with open(config, "w") as f:
        f.write(publish + f"""sinks:
  - name: docs
    type: search
    topics: ['bench\\.bench\\.t']
    url: {url}
    index: {index}
    root: 'bench\\.bench\\.t'
    group_id: bench-search-{run}
    batch_max_records: {BATCH}
""")
    log = open(os.path.join(work, f"sink{run}.log"), "wb")
    start = time.monotonic()
    proc = subprocess.Popen([vimur, "run", "--only", "sinks", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=log)
    rss = 0
    while True:
        rss = max(rss, peak_rss_mib(proc.pid))
        try:
            if count(index) >= rows:
                break
        except Exception:  # noqa: BLE001 (the index does not exist yet)
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the sink exited {proc.returncode}; see {log.name}")
        time.sleep(0.2)
    elapsed = time.monotonic() - start
    cpu = cpu_s(proc.pid)
    rss = max(rss, peak_rss_mib(proc.pid))
    proc.terminate()
    proc.wait(timeout=60)
    if bulk_files is None:
        bulk_files = dump_bulk_files(index)
    mapping = call("GET", f"/{index}/_mapping")[index]
    call("DELETE", f"/{index}")
    plain = f"bench-plain-{run}"
    call("PUT", f"/{plain}", json.dumps(mapping).encode())
    start = time.monotonic()
    for path in bulk_files:
        out = subprocess.run(["curl", "-s", "-H", "Content-Type: application/x-ndjson",
                              "-XPOST", f"{url}/{plain}/_bulk", "--data-binary", f"@{path}"],
                             check=True, capture_output=True).stdout
        assert b'"errors":false' in out, out[:300]
    assert count(plain) == rows
    limit = time.monotonic() - start
    call("DELETE", f"/{plain}")
    sink_rates.append(rows / elapsed)
    limit_rates.append(rows / limit)
    ratios.append(limit / elapsed)
    print(f"run {run + 1}: sink {rows / elapsed:,.0f} docs/s ({elapsed:.2f} s, cpu {cpu:.1f} s, "
          f"peak rss {rss} MiB), plain _bulk {rows / limit:,.0f} docs/s ({limit:.2f} s), "
          f"ratio {limit / elapsed:.2f}")
print(f"median: sink {statistics.median(sink_rates):,.0f} docs/s, limit "
      f"{statistics.median(limit_rates):,.0f} docs/s, ratio {statistics.median(ratios):.2f} "
      f"(aim: 0.5)")
PY
