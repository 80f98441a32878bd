"""Initial snapshots end to end against a real MariaDB: a table snapshotted while a client
changes it, read back by a consumer that applies the events in order (upsert by key, delete on
`d`), must end equal to the table (compared with SELECT): through stdout and through Kafka with
exactly_once (read_committed), across a kill -9 in the middle of the snapshot, with the rows
written between the snapshot's read view and the stream's start, and for initial_only and
when_needed. VIMUR_TEST_LONG=1 runs the issue-sized variant (200,000 rows, ~500 tx/s)."""
import json
import os
import random
import threading
import time

import pytest

from kafka_fixtures import TopicReader, kafka, kafka_vimur  # noqa: F401 (fixtures)

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
ROWS = 200_000 if LONG else 20_000
RATE = 500 if LONG else 200  # client transactions per second while the snapshot runs
# The handover and kill -9 tests need a snapshot that lasts long enough to act during it: more
# rows, and (the snapshot reads over a million rows a second) events read at 4 MB/s, so that
# the ~45 MB of the first run take seconds.
SLOW_ROWS = max(ROWS, 100_000)
SLOW_OUTPUT = 4 << 20

SNAPSHOT_SOURCE = """    snapshot: {mode}
    snapshot_chunk_rows: 1000"""


def create_tables(mariadb, db, rows, filler=40):
    mariadb.execute(
        f"CREATE DATABASE IF NOT EXISTS {db}",
        f"DROP TABLE IF EXISTS {db}.t",
        f"DROP TABLE IF EXISTS {db}.marker",
        f"CREATE TABLE {db}.t (id INT PRIMARY KEY, k INT NOT NULL, s VARCHAR(64), n BIGINT, "
        f"f VARCHAR(1000)) DEFAULT CHARSET=utf8mb4",
        f"CREATE TABLE {db}.marker (id INT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(40))",
        f"INSERT INTO {db}.t SELECT seq, seq % 1000, CONCAT('row ', seq), seq * 7, "
        f"REPEAT('x', {filler}) FROM {db}.seq_1_to_{rows}")


class Churn(threading.Thread):
    """A client running mixed transactions (updates, deletes, REPLACEs, inserts, primary-key
    changes, multi-statement transactions) against db.t at about `rate` per second."""

    def __init__(self, mariadb, db, max_id, rate, seed):
        super().__init__(daemon=True)
        self.mariadb, self.db, self.rate = mariadb, db, rate
        self.next_id = max_id + 1
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.count = 0
        self.error = None

    def one(self, cur):
        rng, t = self.rng, f"{self.db}.t"
        pick = lambda: rng.randint(1, self.next_id)  # noqa: E731
        op = rng.random()
        if op < 0.35:
            cur.execute(f"UPDATE {t} SET k = k + 1, s = %s WHERE id = %s",
                        (f"upd {rng.random():.6f}", pick()))
        elif op < 0.5:
            cur.execute(f"DELETE FROM {t} WHERE id = %s", (pick(),))
        elif op < 0.7:
            cur.execute(f"REPLACE INTO {t} VALUES (%s, %s, %s, %s, %s)",
                        (pick(), rng.randint(0, 999), "replaced", rng.randint(0, 10 ** 12), "r"))
        elif op < 0.85:
            cur.execute(f"INSERT INTO {t} VALUES (%s, 1, 'new', 2, 'n')", (self.next_id,))
            self.next_id += 1
        elif op < 0.9:
            # A changed primary key (a delete and a create in the stream).
            cur.execute(f"UPDATE IGNORE {t} SET id = %s WHERE id = %s", (self.next_id, pick()))
            self.next_id += 1
        else:
            cur.execute("BEGIN")
            cur.execute(f"UPDATE {t} SET n = n + 1 WHERE id = %s", (pick(),))
            cur.execute(f"DELETE FROM {t} WHERE id = %s", (pick(),))
            cur.execute(f"INSERT INTO {t} VALUES (%s, 3, 'tx', 4, 't')", (self.next_id,))
            self.next_id += 1
            cur.execute("COMMIT")

    def run(self):
        try:
            conn = self.mariadb.connect()
            with conn.cursor() as cur:
                start = time.time()
                while not self.stopping.is_set():
                    self.one(cur)
                    self.count += 1
                    ahead = self.count / self.rate - (time.time() - start)
                    if ahead > 0:
                        time.sleep(ahead)
            conn.close()
        except Exception as e:  # noqa: BLE001 (reported by finish)
            self.error = e

    def finish(self):
        self.stopping.set()
        self.join(timeout=30)
        assert self.error is None, f"client failed: {self.error!r}"


def table_rows(mariadb, db):
    return {r[0]: {"id": r[0], "k": r[1], "s": r[2], "n": r[3], "f": r[4]}
            for r in mariadb.query(f"SELECT id, k, s, n, f FROM {db}.t")}


def apply(values):
    """A consumer: upserts `after` by id, deletes on `d` (tombstones carry no value)."""
    state = {}
    for v in values:
        if v is None:
            continue
        if v["op"] == "d":
            state.pop(v["before"]["id"], None)
        else:
            state[v["after"]["id"]] = v["after"]
    return state


def check_markers(values):
    """Snapshot reads come first, marked first .. true .. last; streaming follows."""
    ops = [v["op"] for v in values if v is not None]
    reads = [v for v in values if v is not None and v["op"] == "r"]
    assert reads, "no snapshot reads"
    assert "r" not in ops[len(reads):], "a snapshot read after a streamed change"
    marks = [v["source"]["snapshot"] for v in reads]
    if len(marks) > 1:
        assert marks[0] == "first" and marks[-1] == "last", (marks[0], marks[-1])
        assert set(marks[1:-1]) <= {"true"}
    for v in values[len(reads):]:
        if v is not None:
            assert v["source"]["snapshot"] == "false"
    return len(reads)


def diff(expected, got):
    missing = sorted(set(expected) - set(got))[:5]
    extra = sorted(set(got) - set(expected))[:5]
    changed = [k for k in expected if k in got and expected[k] != got[k]][:5]
    return (f"{len(expected)} rows in the table, {len(got)} after applying the events; "
            f"missing {missing}, extra {extra}, different "
            f"{[(expected[k], got[k]) for k in changed]}")


def wait_log(vimur, text, timeout=300):
    deadline = time.time() + timeout
    while text not in vimur.log():
        assert vimur.proc is not None and vimur.proc.poll() is None, vimur.log()
        assert time.time() < deadline, f"no '{text}' in the log:\n{vimur.log()}"
        time.sleep(0.02)


def stdout_values(vimur, topic):
    return [r["value"] for r in vimur.records() if r["topic"] == topic]


def finish_and_compare(mariadb, vimur, db, churn=None):
    if churn is not None:
        churn.finish()
    mariadb.execute(f"INSERT INTO {db}.marker (tag) VALUES ('end')")
    vimur.wait_for(lambda recs: any(r["topic"] == f"shop.{db}.marker" and r["value"] and
                                    r["value"]["after"] and r["value"]["after"]["tag"] == "end"
                                    for r in recs), timeout=300, what="the end marker")
    vimur.stop()
    values = stdout_values(vimur, f"shop.{db}.t")
    expected = table_rows(mariadb, db)
    got = apply(values)
    assert got == expected, diff(expected, got)
    return values


def test_01_snapshot_under_concurrent_writes_ends_equal(mariadb, vimur_factory):
    db = "snap1"
    create_tables(mariadb, db, ROWS)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"], SNAPSHOT_SOURCE.format(mode="initial"))
    churn = Churn(mariadb, db, ROWS, RATE, seed=1)
    churn.start()
    time.sleep(0.5)
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot read view at")
    at_view = churn.count
    wait_log(vimur, "snapshot done")
    during = churn.count - at_view
    time.sleep(1.0)
    values = finish_and_compare(mariadb, vimur, db, churn)
    reads = check_markers(values)
    print(f"\n{db}: {ROWS} rows, {reads} snapshot reads, {churn.count} client transactions "
          f"({during} while the snapshot ran), {len(values) - reads} streamed records")
    assert during > 0, "the client wrote nothing while the snapshot ran"
    assert reads >= ROWS * 0.8


def test_02_rows_written_between_view_and_stream_appear(mariadb, vimur_factory):
    """Rows inserted after the snapshot's read view, while it still reads, arrive through the
    stream: each exactly once as a create, none as a read, none missing."""
    db = "snap2"
    create_tables(mariadb, db, SLOW_ROWS, filler=400)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"], SNAPSHOT_SOURCE.format(mode="initial"))
    # The snapshot reads over a million rows a second: its events are held in a pipe while the
    # first inserts are made, so that it is still reading then (blocked on writing them).
    hold = threading.Event()
    vimur.start(wait_for_offsets=False, hold_output=hold)
    wait_log(vimur, "snapshot read view at")
    inserted, during = [], 0
    conn = mariadb.connect()
    with conn.cursor() as cur:
        for i in range(5000):
            cur.execute(f"INSERT INTO {db}.t VALUES (%s, 5, 'window', 6, 'w')",
                        (SLOW_ROWS + 1 + i,))
            inserted.append(SLOW_ROWS + 1 + i)
            if "snapshot done" not in vimur.log():
                during += 1
            if i == 20:
                hold.set()
            if i >= 20 and "snapshot done" in vimur.log():
                break
    conn.close()
    values = finish_and_compare(mariadb, vimur, db)
    check_markers(values)
    for row_id in inserted:
        seen = [v["op"] for v in values if v and (v["after"] or v["before"])["id"] == row_id]
        assert seen == ["c"], f"row {row_id} inserted after the read view arrived as {seen}"
    print(f"\n{db}: {len(inserted)} rows inserted after the read view, {during} of them "
          f"before the snapshot ended")
    assert during > 0, "no insert landed between the read view and the end of the snapshot"


def test_03_kill9_mid_snapshot_then_restart_ends_equal(mariadb, vimur_factory):
    db = "snap3"
    create_tables(mariadb, db, SLOW_ROWS, filler=400)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"], SNAPSHOT_SOURCE.format(mode="initial"))
    churn = Churn(mariadb, db, SLOW_ROWS, RATE, seed=3)
    churn.start()
    vimur.start(wait_for_offsets=False, output_bytes_per_s=SLOW_OUTPUT)
    deadline = time.time() + 120
    while True:
        assert time.time() < deadline, vimur.log()
        try:
            stored = open(vimur.offset_path()).read()
        except OSError:
            stored = ""
        if "snapshot_progress" in stored:
            break
        assert "snapshot done" not in vimur.log(), "the snapshot ended before it could be killed"
        time.sleep(0.005)
    vimur.kill9()
    first_run = len([v for v in stdout_values(vimur, f"shop.{db}.t") if v and v["op"] == "r"])
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot done")
    assert "resuming the snapshot at table" in vimur.log()
    time.sleep(1.0)
    values = finish_and_compare(mariadb, vimur, db, churn)
    second_run = len([v for v in values if v and v["op"] == "r"]) - first_run
    print(f"\n{db}: killed after {first_run} snapshot reads; the restart read {second_run} more "
          f"({SLOW_ROWS} rows in the table at the start)")
    assert first_run > 0
    assert second_run < SLOW_ROWS, "the restart read the table again from its start"


def test_04_initial_only_exits_after_the_snapshot(mariadb, vimur_factory):
    db = "snap4"
    create_tables(mariadb, db, 3000)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"], SNAPSHOT_SOURCE.format(mode="initial_only"))
    vimur.start(wait_for_offsets=False)
    assert vimur.proc.wait(timeout=120) == 0, vimur.log()
    vimur.proc = None
    values = stdout_values(vimur, f"shop.{db}.t")
    assert check_markers(values) == 3000
    assert apply(values) == table_rows(mariadb, db)
    # Started again, it has nothing to do.
    vimur.start(wait_for_offsets=False)
    assert vimur.proc.wait(timeout=60) == 0, vimur.log()
    vimur.proc = None
    assert len(stdout_values(vimur, f"shop.{db}.t")) == 3000


@pytest.mark.parametrize("mode", ["initial", "when_needed"])
def test_05_purged_position(mariadb, vimur_factory, mode):
    """The stored position is purged from the server while vimur is down: `initial` stops
    with an error naming it, `when_needed` takes a new snapshot and ends equal."""
    db = f"snap5{mode[0]}"
    create_tables(mariadb, db, 2000)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"], SNAPSHOT_SOURCE.format(mode=mode))
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "streaming from")
    vimur.stop()
    mariadb.execute(f"DELETE FROM {db}.t WHERE id <= 100", f"UPDATE {db}.t SET k = -1 WHERE id > 1900",
                    "FLUSH BINARY LOGS")
    stored = json.load(open(vimur.offset_path()))["file"]
    last = mariadb.query("SHOW BINARY LOGS")[-1][0]
    # PURGE skips a file a binlog dump thread still reads (the stopped pipeline's, until the
    # server notices it is gone): repeat until the stored position's file is gone.
    deadline = time.time() + 30
    while stored in [r[0] for r in mariadb.query("SHOW BINARY LOGS")]:
        assert time.time() < deadline, "the binlog could not be purged"
        mariadb.execute(f"PURGE BINARY LOGS TO '{last}'")
        time.sleep(0.2)
    vimur.start(wait_for_offsets=False)
    if mode == "initial":
        assert vimur.proc.wait(timeout=60) != 0
        assert "cannot stream from the stored position" in vimur.log() or \
            "no longer on the server" in vimur.log(), vimur.log()
        vimur.proc = None
        return
    wait_log(vimur, "taking a new snapshot")
    wait_log(vimur, "snapshot done")
    mariadb.execute(f"UPDATE {db}.t SET k = -2 WHERE id = 500")
    mariadb.execute(f"INSERT INTO {db}.marker (tag) VALUES ('end')")
    vimur.wait_for(lambda recs: any(r["topic"] == f"shop.{db}.marker" and r["value"] and
                                    r["value"]["after"] and r["value"]["after"]["tag"] == "end"
                                    for r in recs), timeout=120, what="the end marker")
    vimur.stop()
    # A new snapshot cannot tell which rows were deleted while the position was lost: the
    # consumer starts again from it (the events of the last run alone).
    with open(vimur.outputs[-1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    values = [r["value"] for r in lines if r["topic"] == f"shop.{db}.t"]
    check_markers(values)
    expected = table_rows(mariadb, db)
    assert apply(values) == expected, diff(expected, apply(values))


def test_00_snapshot_reads_equal_streamed_images_for_every_type(mariadb, vimur_factory):
    """Every column type: the snapshot's `after` of a row equals the binlog's `before` image of
    the same row (its delete), and both records carry the same JSON schema."""
    from test_mysql_capture import ALL_TYPES_DDL, insert_sql, rand_row
    mariadb.execute("CREATE DATABASE IF NOT EXISTS e2e", "DROP TABLE IF EXISTS e2e.all_types",
                    ALL_TYPES_DDL)
    rng = random.Random(11)
    conn = mariadb.connect()
    with conn.cursor() as cur:
        for i in range(1, 121):
            row = rand_row(rng, i)
            if i % 7 == 0:
                row["t_geom"] = "POINT(1.5 -2.25)"
            cur.execute(*insert_sql(row))
    conn.close()
    vimur = vimur_factory(mariadb, [r"e2e\.all_types"], SNAPSHOT_SOURCE.format(mode="initial"),
                          extra_format="  schemas: true")
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "streaming from")
    mariadb.execute("DELETE FROM e2e.all_types")
    recs = vimur.wait_for(lambda rs: sum(1 for r in rs if r["value"] and
                                         r["value"]["payload"]["op"] == "d") == 120)
    vimur.stop()
    reads = {r["value"]["payload"]["after"]["id"]: r["value"] for r in recs
             if r["value"] and r["value"]["payload"]["op"] == "r"}
    deletes = {r["value"]["payload"]["before"]["id"]: r["value"] for r in recs
               if r["value"] and r["value"]["payload"]["op"] == "d"}
    assert len(reads) == 120 and set(reads) == set(deletes)
    for i in reads:
        assert reads[i]["payload"]["after"] == deletes[i]["payload"]["before"], i
        assert reads[i]["schema"] == deletes[i]["schema"]


def test_07_ddl_after_the_read_view_continues_with_a_new_view(mariadb, vimur_factory):
    """A table altered (rebuilt) after the read view, before the snapshot reaches it: InnoDB
    refuses the old view's read; the snapshot continues with a new view and ends equal."""
    db = "snap7"
    create_tables(mariadb, db, SLOW_ROWS, filler=400)  # snap7.t, read before snap7.u
    mariadb.execute(f"CREATE TABLE {db}.u (id INT PRIMARY KEY, v INT)",
                    f"INSERT INTO {db}.u SELECT seq, seq FROM {db}.seq_1_to_3000")
    vimur = vimur_factory(mariadb, [rf"{db}\..*"], SNAPSHOT_SOURCE.format(mode="initial"))
    # The snapshot reads t at over a million rows a second: its events are held in a pipe so
    # that it is still in t (blocked on writing them) when u is altered.
    hold = threading.Event()
    vimur.start(wait_for_offsets=False, hold_output=hold)
    wait_log(vimur, f"snapshot of {db}.t starts")
    mariadb.execute(f"ALTER TABLE {db}.u ADD COLUMN x INT NOT NULL DEFAULT 7, ALGORITHM=COPY")
    assert f"snapshot of {db}.u starts" not in vimur.log(), vimur.log()
    hold.set()
    wait_log(vimur, "snapshot done")
    assert "changed (DDL) after the snapshot's read view" in vimur.log(), vimur.log()
    finish_and_compare(mariadb, vimur, db)
    check_markers([r["value"] for r in vimur.records()
                   if r["topic"] in (f"shop.{db}.t", f"shop.{db}.u")])
    got = apply(stdout_values(vimur, f"shop.{db}.u"))
    expected = {r[0]: {"id": r[0], "v": r[1], "x": r[2]}
                for r in mariadb.query(f"SELECT id, v, x FROM {db}.u")}
    assert got == expected, diff(expected, got)


# --- snapshot_workers ---------------------------------------------------------------------------

WORKERS_SOURCE = """    snapshot: {mode}
    snapshot_chunk_rows: {chunk}
    snapshot_workers: 4"""


def full_log(vimur):
    with open(os.path.join(vimur.workdir, f"vimur.{vimur.runs}.log")) as f:
        return f.read()


def create_side_tables(mariadb, db):
    """A composite primary key (one worker reads it) and a table without a key (one scan)."""
    mariadb.execute(
        f"DROP TABLE IF EXISTS {db}.pair", f"DROP TABLE IF EXISTS {db}.nokey",
        f"CREATE TABLE {db}.pair (a INT, b VARCHAR(8), v INT, PRIMARY KEY (a, b))",
        f"INSERT INTO {db}.pair SELECT seq % 300, CONCAT('b', seq DIV 300), seq "
        f"FROM {db}.seq_1_to_3000",
        f"CREATE TABLE {db}.nokey (x INT, y VARCHAR(20))",
        f"INSERT INTO {db}.nokey SELECT seq % 50, CONCAT('y', seq) FROM {db}.seq_1_to_1500")


def check_side_tables(mariadb, vimur, db, restarted=False):
    """Each side table's snapshot reads equal the table. After a kill -9 a table whose end was
    not yet stored is read again (at least once): then the reads are compared as a set."""
    def reads(table, columns):
        return [tuple(v["after"][c] for c in columns)
                for v in stdout_values(vimur, f"shop.{db}.{table}") if v and v["op"] == "r"]

    def rows(table, columns):
        query = f"SELECT {', '.join(columns)} FROM {db}.{table}"
        return sorted(tuple(r) for r in mariadb.query(query))

    for table, columns in (("pair", ("a", "b", "v")), ("nokey", ("x", "y"))):
        got, want = reads(table, columns), rows(table, columns)
        if restarted:
            assert sorted(set(got)) == sorted(set(want)), table
        else:
            assert sorted(got) == want, table


def check_one_first_one_last(vimur):
    """Over every table: snapshot reads first, exactly one `first` (the first) and one `last`."""
    values = [r["value"] for r in vimur.records() if r["value"] is not None]
    reads = [v for v in values if v.get("op") == "r"]
    assert reads and all(v.get("op") == "r" for v in values[:len(reads)])
    marks = [v["source"]["snapshot"] for v in reads]
    assert marks.count("first") == 1 and marks.count("last") == 1, (marks.count("first"),
                                                                     marks.count("last"))
    assert marks[0] == "first" and marks[-1] == "last"
    return reads


def test_09_workers_read_several_tables_and_key_ranges_under_writes(mariadb, vimur_factory):
    """snapshot_workers: 4 over a large integer-keyed table (split into key ranges), a
    composite key and a table without a key, while a client writes: the consumer ends equal."""
    db = "snapw1"
    create_tables(mariadb, db, ROWS)
    create_side_tables(mariadb, db)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"],
                          WORKERS_SOURCE.format(mode="initial", chunk=500))
    churn = Churn(mariadb, db, ROWS, RATE, seed=9)
    churn.start()
    time.sleep(0.5)
    started = time.time()
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot read view at")
    at_view = churn.count
    wait_log(vimur, "snapshot done")
    seconds = time.time() - started
    during = churn.count - at_view
    time.sleep(1.0)
    finish_and_compare(mariadb, vimur, db, churn)
    check_side_tables(mariadb, vimur, db)
    reads = check_one_first_one_last(vimur)
    log = full_log(vimur)
    assert f"snapshot of {db}.t starts" in log and " key ranges" in log, log[-4000:]
    assert "4 workers share the read view at" in log, log[-4000:]
    print(f"\n{db}: {len(reads)} snapshot reads over 4 tables in {seconds:.1f} s, "
          f"{churn.count} client transactions ({during} while the snapshot ran)")
    assert during > 0, "the client wrote nothing while the snapshot ran"


def test_10_workers_kill9_mid_snapshot_then_restart_ends_equal(mariadb, vimur_factory):
    db = "snapw2"
    create_tables(mariadb, db, SLOW_ROWS, filler=400)
    create_side_tables(mariadb, db)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"],
                          WORKERS_SOURCE.format(mode="initial", chunk=1000))
    churn = Churn(mariadb, db, SLOW_ROWS, RATE, seed=10)
    churn.start()
    vimur.start(wait_for_offsets=False, output_bytes_per_s=SLOW_OUTPUT)
    deadline = time.time() + 120
    while True:
        assert time.time() < deadline, vimur.log()
        try:
            stored = json.load(open(vimur.offset_path()))
        except (OSError, ValueError):
            stored = {}
        # Kill once rows of t were handed on, not merely planned: t's key is split into ranges
        # each starting `after` the end (`to`) of the one before; a range whose `after` is
        # another key (hex of its text) moved on, and so did the ranges before a finished one.
        ranges = json.loads(stored.get("snapshot_progress") or "{}").get("ranges", {})
        left = ranges.get(f"{db}.t", [])
        if any(r.get("after") and (i == 0 or bytes.fromhex(r["after"][0]).decode() !=
                                   left[i - 1].get("to"))
               for i, r in enumerate(left)):
            break
        assert "snapshot done" not in vimur.log(), "the snapshot ended before it could be killed"
        time.sleep(0.005)
    vimur.kill9()
    progress = json.loads(stored["snapshot_progress"])
    assert "done" in progress and f"{db}.t" in progress.get("ranges", {}), progress
    first_run = len([v for v in stdout_values(vimur, f"shop.{db}.t") if v and v["op"] == "r"])
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot done")
    log = full_log(vimur)
    assert "resuming the snapshot (" in log, log[-4000:]
    time.sleep(1.0)
    values = finish_and_compare(mariadb, vimur, db, churn)
    check_side_tables(mariadb, vimur, db, restarted=True)
    second_run = len([v for v in values if v and v["op"] == "r"]) - first_run
    print(f"\n{db}: killed after {first_run} snapshot reads of {db}.t "
          f"({len(progress['ranges'][f'{db}.t'])} ranges open); the restart read "
          f"{second_run} more ({SLOW_ROWS} rows in the table at the start)")
    assert first_run > 0
    assert second_run < SLOW_ROWS, "the restart read the table again from its start"


def test_11_workers_share_one_read_view(mariadb, vimur_factory):
    """Under a fast writer the workers' views still agree: the log names the one position, and
    the snapshot's events carry it."""
    import re
    db = "snapw3"
    create_tables(mariadb, db, 3000)
    vimur = vimur_factory(mariadb, [rf"{db}\..*"],
                          WORKERS_SOURCE.format(mode="initial_only", chunk=200))
    churn = Churn(mariadb, db, 3000, 1000, seed=11)
    churn.start()
    time.sleep(0.5)
    vimur.start(wait_for_offsets=False)
    assert vimur.proc.wait(timeout=120) == 0, vimur.log()
    vimur.proc = None
    churn.finish()
    log = full_log(vimur)
    m = re.search(r"(\d+) workers share the read view at (\S+):(\d+) \(attempt (\d+)\)", log)
    assert m, log[-4000:]
    assert m.group(1) == "4", m.group(0)
    reads = check_one_first_one_last(vimur)
    assert {(v["source"]["file"], v["source"]["pos"]) for v in reads} == \
        {(m.group(2), int(m.group(3)))}
    print(f"\n{db}: {m.group(0)}; {len(reads)} snapshot reads, {churn.count} client "
          f"transactions")


# --- Kafka with exactly_once -------------------------------------------------------------------

def test_06_kafka_exactly_once_snapshot_under_writes(mariadb, kafka, kafka_vimur):  # noqa: F811
    db = "snap6"
    create_tables(mariadb, db, ROWS)
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"],
                        extra_source=SNAPSHOT_SOURCE.format(mode="initial"),
                        extra_transport="""  exactly_once: true
  topic: {partitions: 3}""")
    churn = Churn(mariadb, db, ROWS, RATE, seed=6)
    churn.start()
    time.sleep(0.5)
    vimur.start(wait=True, timeout=600)  # streaming starts once the snapshot is done
    time.sleep(1.0)
    churn.finish()
    mariadb.execute(f"INSERT INTO {db}.marker (tag) VALUES ('end')")
    topic, marker = f"{db}.{db}.t", f"{db}.{db}.marker"
    reader = TopicReader(kafka, [topic, marker], isolation="read_committed")
    deadline = time.time() + 300
    while not any(r.topic == marker for r in reader.records):
        assert time.time() < deadline, vimur.log()
        reader.read()
    reader.read()
    reader.close()
    vimur.stop()
    # Per key, the records of one partition are in order; the consumer applies them so.
    values = [r.json_value() for r in reader.records if r.topic == topic]
    expected = table_rows(mariadb, db)
    got = apply(values)
    assert got == expected, diff(expected, got)
    reads = [v for v in values if v and v["op"] == "r"]
    marks = [v["source"]["snapshot"] for v in reads]
    assert marks.count("first") == 1 and marks.count("last") == 1
    print(f"\n{db}: {ROWS} rows through Kafka (exactly_once, read_committed): {len(reads)} "
          f"snapshot reads, {churn.count} client transactions")


def test_08_kafka_exactly_once_incremental_snapshot_under_writes(mariadb, kafka,  # noqa: F811
                                                                   kafka_vimur):  # noqa: F811
    """`vimur snapshot` while streaming to Kafka with exactly_once: a read_committed consumer
    applying the topic in order ends equal to the table."""
    import subprocess
    from conftest import vimur_binary
    db = "snap8"
    create_tables(mariadb, db, ROWS)
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"],
                        extra_source="    snapshot_chunk_rows: 1000",
                        extra_transport="""  exactly_once: true
  topic: {partitions: 3}""")
    vimur.start(wait=True, timeout=120)
    churn = Churn(mariadb, db, ROWS, RATE, seed=8)
    churn.start()
    time.sleep(0.5)
    done = subprocess.run([vimur_binary(), "snapshot", "--config", vimur.config, "--table",
                           f"{db}.t", "--wait"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr + vimur.log()
    time.sleep(0.5)
    churn.finish()
    mariadb.execute(f"INSERT INTO {db}.marker (tag) VALUES ('end')")
    topic, marker = f"{db}.{db}.t", f"{db}.{db}.marker"
    reader = TopicReader(kafka, [topic, marker], isolation="read_committed")
    deadline = time.time() + 300
    while not any(r.topic == marker for r in reader.records):
        assert time.time() < deadline, vimur.log()
        reader.read()
    reader.read()
    reader.close()
    vimur.stop()
    values = [r.json_value() for r in reader.records if r.topic == topic]
    expected = table_rows(mariadb, db)
    got = apply(values)
    assert got == expected, diff(expected, got)
    reads = [v for v in values if v and v["op"] == "r"]
    assert {v["source"]["snapshot"] for v in reads} == {"incremental"}
    assert len(reads) >= ROWS * 0.8
    print(f"\n{db}: {ROWS} rows through Kafka (exactly_once, read_committed): {len(reads)} "
          f"incremental reads, {churn.count} client transactions")
