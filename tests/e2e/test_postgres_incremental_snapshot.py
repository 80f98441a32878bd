"""Incremental snapshots (`vimur snapshot`) of a real PostgreSQL 15 source while `vimur run`
streams: chunks read between watermarks written to the WAL (pg_logical_emit_message), merged
into the stream. A consumer applying the events in order (upsert by key, delete on `d`, `r` as
upsert) ends equal to a table a client changes meanwhile; also with --where, across a kill -9 in
the middle of the snapshot, and for requests that are cancelled or rejected. No watermark is
ever handed on as an event."""
import json
import os
import re
import subprocess
import time

from conftest import vimur_binary
from test_postgres_capture import pg_vimur, values  # noqa: F401 (pg_vimur is a fixture)
from test_postgres_snapshot import Churn, create_items, finish_and_compare, items, wait_log


def source(chunk):
    return f"""    snapshot: never
    snapshot_chunk_rows: {chunk}"""


def snapshot(vimur, *args, timeout=120):
    env = dict(os.environ, VIMUR_E2E_PASSWORD="vimur")
    return subprocess.run([vimur_binary(), "snapshot", "--config", vimur.config, *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


def reads_of(events):
    return [v for v in events if v is not None and v["op"] == "r"]


def status_of(vimur, request_id):
    path = os.path.join(vimur.state_dir, vimur.name, "snapshot-requests", "db",
                        f"{request_id}.status.json")
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def no_watermarks(vimur):
    for path in vimur.outputs:
        with open(path, "rb") as f:
            assert b"vimur-watermark" not in f.read(), f"a watermark was handed on in {path}"
    assert not [r for r in vimur.records() if r["value"] and r["value"].get("op") == "m"]


def test_01_snapshot_while_streaming_under_concurrent_writes_ends_equal(postgres_server,
                                                                        pg_vimur):
    pg = postgres_server
    rows = 4000
    create_items(pg, "pi1", rows)
    vimur = pg_vimur(pg, "pi1", [r"pi1\..*"], source(500))
    vimur.start()  # snapshot: never: the rows that exist now are not in the stream
    churn = Churn(pg, "pi1", rows, seed=11, rate=300)
    churn.start()
    time.sleep(0.5)
    before = churn.count
    done = snapshot(vimur, "--table", "pi1.items", "--wait")
    during = churn.count - before
    assert done.returncode == 0, done.stderr + vimur.log()
    assert re.search(r"snapshot \S+ accepted by source db: 1 table", done.stdout), done.stdout
    assert re.search(r"snapshot \S+ done", done.stdout), done.stdout
    time.sleep(0.5)
    events = finish_and_compare(pg, vimur, "pi1", "pi1", churn)
    reads = reads_of(events)
    assert {v["source"]["snapshot"] for v in reads} == {"incremental"}
    assert all(v["before"] is None for v in reads)
    assert {v["source"]["connector"] for v in reads} == {"postgresql"}
    streamed = [i for i, v in enumerate(events) if v["op"] != "r"]
    first, last = events.index(reads[0]), events.index(reads[-1])
    between = len([i for i in streamed if first < i < last])
    print(f"\npi1: {rows} rows, {len(reads)} incremental reads, {churn.count} client "
          f"transactions ({during} while the snapshot ran), {between} streamed changes "
          f"between the first and the last read")
    assert during > 0, "the client wrote nothing while the snapshot ran"
    # Rows the stream changed between their chunk's watermarks are left out of the chunk
    # (the stream carried them): nearly all rows are read.
    assert len(reads) >= rows * 0.8
    no_watermarks(vimur)


def test_02_where_reads_only_the_matching_rows(postgres_server, pg_vimur):
    pg = postgres_server
    create_items(pg, "pi2", 3000)
    vimur = pg_vimur(pg, "pi2", [r"pi2\..*"], source(100))
    vimur.start()
    done = snapshot(vimur, "--table", "pi2.items", "--where", "k < 100 AND s LIKE 'row %'",
                    "--wait")
    assert done.returncode == 0, done.stderr + vimur.log()
    vimur.wait_for(lambda recs: len(reads_of([r["value"] for r in recs])) >= 300,
                   what="the snapshot's reads")
    vimur.stop()
    reads = reads_of(values(vimur.records(), "pgpi2.pi2.items"))
    expected = {r[0] for r in pg.query("SELECT id FROM pi2.items WHERE k < 100")}
    assert len(expected) == 300
    assert sorted(v["after"]["id"] for v in reads) == sorted(expected)
    rows = items(pg, "pi2")
    assert all(v["after"] == rows[v["after"]["id"]] for v in reads)
    no_watermarks(vimur)


def test_03_kill9_mid_snapshot_continues_after_the_last_chunk(postgres_server, pg_vimur):
    pg = postgres_server
    rows = 20_000
    create_items(pg, "pi3", rows, filler=200)
    vimur = pg_vimur(pg, "pi3", [r"pi3\..*"], source(50))
    vimur.start()
    churn = Churn(pg, "pi3", rows, seed=13, rate=200)
    churn.start()
    accepted = snapshot(vimur, "--table", "pi3.items")
    assert accepted.returncode == 0, accepted.stderr + vimur.log()
    deadline = time.time() + 60
    while True:
        assert time.time() < deadline, vimur.log()
        try:
            stored = json.load(open(vimur.offset_path())).get("incremental_snapshot")
        except (OSError, ValueError):
            stored = None
        if stored and "after" in json.loads(stored)["requests"][0]:
            break
        assert " done (" not in vimur.log(), "the snapshot ended before it could be killed"
        time.sleep(0.005)
    vimur.kill9()
    first_run = len(reads_of(values(vimur.records(), "pgpi3.pi3.items")))
    vimur.start()
    wait_log(vimur, " done (", timeout=90)
    assert re.search(r"incremental snapshot \S+ continues at table pi3\.items after key \(\d+\)",
                     vimur.log()), vimur.log()
    time.sleep(0.5)
    events = finish_and_compare(pg, vimur, "pi3", "pi3", churn)
    with open(vimur.outputs[-1]) as f:
        second = reads_of([json.loads(line)["value"] for line in f if line.strip()])
    print(f"\npi3: killed after {first_run} incremental reads; the restart read {len(second)} "
          f"more, from id {second[0]['after']['id']} ({rows} rows at the start)")
    assert first_run > 0
    # It continued after the last chunk stored, not from the table's first key.
    assert second[0]["after"]["id"] > 50, "the restart read the table again from its start"
    assert len(reads_of(events)) >= rows * 0.8
    # The snapshot's progress is gone from the stored position once it is done.
    assert "incremental_snapshot" not in open(vimur.offset_path()).read()
    no_watermarks(vimur)


def test_04_cancel_stops_the_snapshot_and_keyless_tables_are_rejected(postgres_server, pg_vimur):
    pg = postgres_server
    rows = 30_000
    create_items(pg, "pi4", rows, filler=200)
    pg.execute("CREATE TABLE pi4.nokey (a int, b text)")
    vimur = pg_vimur(pg, "pi4", [r"pi4\..*"], source(10))
    vimur.start()
    nokey = snapshot(vimur, "--table", "pi4.nokey")
    assert nokey.returncode == 1 and "has no primary key" in nokey.stderr, nokey.stderr
    where = snapshot(vimur, "--table", "pi4.items", "--where", "no_such_column = 1")
    assert where.returncode == 1 and "no_such_column" in where.stderr, where.stderr

    accepted = snapshot(vimur, "--table", "pi4.items")
    assert accepted.returncode == 0, accepted.stderr + vimur.log()
    request_id = re.search(r"snapshot (\S+) accepted", accepted.stdout).group(1)
    deadline = time.time() + 60
    while True:
        assert time.time() < deadline, vimur.log()
        status = status_of(vimur, request_id)
        if status and status["state"] == "running" and status["rows"] > 0:
            break
        assert not (status and status["state"] == "done"), "done before it could be cancelled"
        time.sleep(0.01)
    cancel = snapshot(vimur, "--cancel", "--table", "pi4.items")
    assert cancel.returncode == 0, cancel.stderr + vimur.log()
    deadline = time.time() + 30
    while (status_of(vimur, request_id) or {}).get("state") != "cancelled":
        assert time.time() < deadline, vimur.log()
        time.sleep(0.05)
    read_by_cancel = len(reads_of(values(vimur.records(), "pgpi4.pi4.items")))
    pg.execute("INSERT INTO pi4.marker (tag) VALUES ('end')")
    vimur.wait_for(lambda recs: any(r["topic"] == "pgpi4.pi4.marker" for r in recs),
                   what="the end marker")
    time.sleep(0.5)
    vimur.stop()
    reads = reads_of(values(vimur.records(), "pgpi4.pi4.items"))
    print(f"\npi4: cancelled after {len(reads)} of {rows} rows")
    assert 0 < len(reads) < rows
    assert len(reads) >= read_by_cancel
    assert "incremental_snapshot" not in open(vimur.offset_path()).read()
    no_watermarks(vimur)
