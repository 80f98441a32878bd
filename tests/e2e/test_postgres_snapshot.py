"""Initial snapshots of a real PostgreSQL 15 through `vimur run` (type: postgresql, stdout
transport): the rows read equal SELECT and equal what the stream sends for the same rows (the
type matrix), a consumer applying the events in order ends equal to a table changed during the
snapshot, a kill -9 mid-snapshot resumes from the last key published, and initial_only exits
after the snapshot without leaving a replication slot."""
import random
import threading
import time

from test_postgres_capture import (  # noqa: F401 (pg_vimur is a fixture)
    TYPE_ROWS, TYPES_DDL, expected_value, pg_vimur, same, values)

SNAPSHOT_SOURCE = """    snapshot: {mode}
    snapshot_chunk_rows: {chunk}"""


def snapshot_source(mode, chunk=500):
    return SNAPSHOT_SOURCE.format(mode=mode, chunk=chunk)


def create_items(pg, schema, rows, filler=20):
    pg.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE",
               f"CREATE SCHEMA {schema}",
               f"CREATE TABLE {schema}.items (id int PRIMARY KEY, k int NOT NULL, s text, "
               f"n bigint, f text)",
               f"CREATE TABLE {schema}.marker (id serial PRIMARY KEY, tag text)",
               f"INSERT INTO {schema}.items SELECT g, g % 1000, 'row ' || g, g * 7, "
               f"repeat('x', {filler}) FROM generate_series(1, {rows}) g")


def items(pg, schema):
    return {r[0]: {"id": r[0], "k": r[1], "s": r[2], "n": r[3], "f": r[4]}
            for r in pg.query(f"SELECT id, k, s, n, f FROM {schema}.items")}


class Churn(threading.Thread):
    """A client updating, deleting, inserting and re-keying rows of schema.items, each in its
    own transaction, as fast as one connection goes (bounded by `rate` per second)."""

    def __init__(self, pg, schema, max_id, seed, rate=400):
        super().__init__(daemon=True)
        self.pg, self.table, self.rate = pg, f"{schema}.items", rate
        self.next_id = max_id + 1
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.count = 0
        self.error = None

    def one(self, conn):
        rng, t = self.rng, self.table
        pick = lambda: rng.randint(1, self.next_id)  # noqa: E731
        op = rng.random()
        if op < 0.4:
            conn.execute(f"UPDATE {t} SET k = k + 1, s = %s WHERE id = %s",
                         (f"upd {rng.random():.6f}", pick()))
        elif op < 0.55:
            conn.execute(f"DELETE FROM {t} WHERE id = %s", (pick(),))
        elif op < 0.8:
            conn.execute(f"INSERT INTO {t} VALUES (%s, 1, 'new', 2, 'n')", (self.next_id,))
            self.next_id += 1
        elif op < 0.88:
            # A changed primary key: a delete and a create in the stream.
            conn.execute(f"UPDATE {t} SET id = %s WHERE id = %s", (self.next_id, pick()))
            self.next_id += 1
        else:
            with conn.transaction():
                conn.execute(f"UPDATE {t} SET n = n + 1 WHERE id = %s", (pick(),))
                conn.execute(f"DELETE FROM {t} WHERE id = %s", (pick(),))
                conn.execute(f"INSERT INTO {t} VALUES (%s, 3, 'tx', 4, 't')", (self.next_id,))
                self.next_id += 1

    def run(self):
        try:
            with self.pg.connect() as conn:
                start = time.time()
                while not self.stopping.is_set():
                    self.one(conn)
                    self.count += 1
                    ahead = self.count / self.rate - (time.time() - start)
                    if ahead > 0:
                        time.sleep(ahead)
        except Exception as e:  # noqa: BLE001 (reported by finish)
            self.error = e

    def finish(self):
        self.stopping.set()
        self.join(timeout=30)
        assert self.error is None, f"client failed: {self.error!r}"


def apply(events):
    """A consumer: upserts `after` by id, deletes on `d` (tombstones carry no value)."""
    state = {}
    for v in events:
        if v is None:
            continue
        if v["op"] == "d":
            state.pop(v["before"]["id"], None)
        else:
            state[v["after"]["id"]] = v["after"]
    return state


def check_markers(events):
    """Snapshot reads come first, marked first .. true .. last; streaming follows."""
    ops = [v["op"] for v in events]
    reads = [v for v in events if v["op"] == "r"]
    assert reads, "no snapshot reads"
    assert "r" not in ops[len(reads):], "a snapshot read after a streamed change"
    marks = [v["source"]["snapshot"] for v in reads]
    if len(marks) > 1:
        assert marks[0] == "first" and marks[-1] == "last", (marks[0], marks[-1])
        assert set(marks[1:-1]) <= {"true"}
    for v in events[len(reads):]:
        assert v["source"]["snapshot"] == "false"
    return len(reads)


def all_values(vimur, prefix):
    """Every event value of the schema's topics, in output order."""
    return [r["value"] for r in vimur.records()
            if r["topic"].startswith(prefix) and r["value"] is not None]


def wait_log(vimur, text, timeout=120):
    deadline = time.time() + timeout
    while text not in vimur.log():
        assert vimur.proc is not None and vimur.proc.poll() is None, vimur.log()
        assert time.time() < deadline, f"no '{text}' in the log:\n{vimur.log()}"
        time.sleep(0.02)


def diff(expected, got):
    missing = sorted(set(expected) - set(got))[:5]
    extra = sorted(set(got) - set(expected))[:5]
    changed = [k for k in expected if k in got and expected[k] != got[k]][:5]
    return (f"{len(expected)} rows in the table, {len(got)} after applying the events; "
            f"missing {missing}, extra {extra}, different "
            f"{[(expected[k], got[k]) for k in changed]}")


def finish_and_compare(pg, vimur, schema, tag, churn=None):
    """Stops the client, waits for an end marker through the stream, compares the replay."""
    if churn is not None:
        churn.finish()
    pg.execute(f"INSERT INTO {schema}.marker (tag) VALUES ('end')")
    vimur.wait_for(lambda recs: any(r["topic"] == f"pg{tag}.{schema}.marker" and r["value"] and
                                    r["value"]["after"]["tag"] == "end" for r in recs),
                   timeout=120, what="the end marker")
    vimur.stop()
    events = values(vimur.records(), f"pg{tag}.{schema}.items")
    expected = items(pg, schema)
    got = apply(events)
    assert got == expected, diff(expected, got)
    return events


def test_01_snapshot_equals_select_and_the_stream_follows(postgres_server, pg_vimur):
    pg = postgres_server
    create_items(pg, "ps1", 3000)
    pg.execute("CREATE TABLE ps1.nokey (a int, b text)",
               "INSERT INTO ps1.nokey SELECT g, 'b' || g FROM generate_series(1, 50) g",
               TYPES_DDL.replace("types.all_types", "ps1.all_types"))
    rng = random.Random(7)
    rows = list(TYPE_ROWS)
    for i in range(5, 25):
        rows.append(f"({i}, {rng.randint(-32768, 32767)}, {rng.randint(-2**31, 2**31 - 1)}, "
                    f"{rng.randint(-2**63, 2**63 - 1)}, {rng.randint(-10**12, 10**12) / 1000}, "
                    f"{rng.randint(-10**19, 10**19)}, {rng.uniform(-1e6, 1e6)}, "
                    f"{rng.uniform(-1e300, 1e300)}, {rng.choice(['true', 'false'])}, "
                    f"'t{i}', 'v{i}', 'c{i % 10}', '\\x{rng.getrandbits(64):016x}', "
                    f"'{1900 + i}-0{1 + i % 9}-1{i % 10}', '0{i % 10}:1{i % 6}:00.{i:06d}', "
                    f"'12:34:56.789', '{1950 + i}-03-04 05:06:07.{rng.randrange(10**6):06d}', "
                    f"'2001-01-01 00:00:00.{i:03d}', "
                    f"'2020-06-07 08:09:1{i % 10}.{i:06d}+0{i % 10}', "
                    f"'2020-06-07 08:09:10+00', '0000000{i % 10}-0000-0000-0000-000000000000', "
                    f"'{{\"i\": {i}}}', '{{\"i\": {i}}}', '{i} minutes', '192.168.0.{i}')")
    pg.execute("INSERT INTO ps1.all_types VALUES " + ", ".join(rows))
    vimur = pg_vimur(pg, "ps1", [r"ps1\..*"], snapshot_source("initial"))
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot done")
    assert "with an exported snapshot" in vimur.log()
    # Streamed after the snapshot: an UPDATE touching nothing else re-sends every row of the
    # type matrix as the stream decodes it, and changes of the other tables.
    pg.execute("UPDATE ps1.all_types SET id = id",
               "INSERT INTO ps1.items VALUES (5000, 1, 'streamed', 2, 'y')",
               "DELETE FROM ps1.items WHERE id = 1",
               "INSERT INTO ps1.nokey VALUES (51, 'streamed')")
    events = finish_and_compare(pg, vimur, "ps1", "ps1")
    everything = all_values(vimur, "pgps1.ps1.")
    reads = check_markers(everything)
    assert reads == 3000 + 50 + len(rows)
    assert [v["op"] for v in events[3000:]] == ["c", "d"]
    assert events[0]["source"]["snapshot"] in ("first", "true")
    src = events[0]["source"]
    assert src["connector"] == "postgresql" and src["db"] == "vimur"
    assert src["schema"] == "ps1" and src["table"] == "items" and src["name"] == "pgps1"
    # Streaming starts at the snapshot's position: every streamed change is after it.
    assert isinstance(src["lsn"], int) and src["lsn"] > 0
    assert all(v["source"]["lsn"] >= src["lsn"] for v in everything[reads:])
    assert [r["key"] for r in vimur.records() if r["topic"] == "pgps1.ps1.items"][:2] == \
        [{"id": 1}, {"id": 2}]

    nokey = values(vimur.records(), "pgps1.ps1.nokey")
    assert [v["op"] for v in nokey] == ["r"] * 50 + ["c"]
    assert sorted(v["after"]["a"] for v in nokey[:50]) == list(range(1, 51))
    assert all(r["key"] is None for r in vimur.records() if r["topic"] == "pgps1.ps1.nokey")

    # The type matrix: snapshot reads equal SELECT, and equal the same rows as streamed.
    typed = values(vimur.records(), "pgps1.ps1.all_types")
    read = {v["after"]["id"]: v["after"] for v in typed if v["op"] == "r"}
    streamed = {v["after"]["id"]: v["after"] for v in typed if v["op"] == "u"}
    assert len(read) == len(rows) and set(streamed) == set(read)
    mismatches = [(i, read[i], streamed[i]) for i in read if read[i] != streamed[i]]
    assert not mismatches, mismatches[:3]
    with pg.connect() as conn:
        cur = conn.execute("SELECT * FROM ps1.all_types ORDER BY id")
        names = [d.name for d in cur.description]
        selected = cur.fetchall()
    wrong = []
    for row in selected:
        got = read[row[0]]
        assert list(got.keys()) == names
        for name, value in zip(names, row):
            if not same(expected_value(name, value), got[name]):
                wrong.append((row[0], name, value, got[name]))
    assert not wrong, wrong[:10]


def test_02_handover_under_concurrent_writes_ends_equal(postgres_server, pg_vimur):
    pg = postgres_server
    rows = 40_000
    create_items(pg, "ps2", rows)
    vimur = pg_vimur(pg, "ps2", [r"ps2\..*"], snapshot_source("initial", chunk=1000))
    churn = Churn(pg, "ps2", rows, seed=2)
    churn.start()
    time.sleep(0.3)
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot read view")
    at_view = churn.count
    wait_log(vimur, "snapshot done")
    during = churn.count - at_view
    time.sleep(1.0)
    events = finish_and_compare(pg, vimur, "ps2", "ps2", churn)
    reads = check_markers(events)
    print(f"\nps2: {rows} rows, {reads} snapshot reads, {churn.count} client transactions "
          f"({during} while the snapshot ran), {len(events) - reads} streamed events")
    assert during > 0, "the client wrote nothing while the snapshot ran"
    # Exact handover: no change from before the view is streamed again (a changed row is read
    # with its newer values and then only changed by later transactions).
    assert len(events) - reads <= churn.count * 2


def test_03_kill9_mid_snapshot_resumes_and_ends_equal(postgres_server, pg_vimur):
    pg = postgres_server
    rows = 60_000
    create_items(pg, "ps3", rows, filler=200)
    vimur = pg_vimur(pg, "ps3", [r"ps3\..*"], snapshot_source("initial", chunk=300))
    churn = Churn(pg, "ps3", rows, seed=3, rate=200)
    churn.start()
    vimur.start(wait_for_offsets=False)
    deadline = time.time() + 60
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
    first_run = len([v for v in values(vimur.records(), "pgps3.ps3.items") if v["op"] == "r"])
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot done")
    assert "resuming the snapshot at table ps3.items (after the last key read)" in vimur.log()
    time.sleep(0.5)
    events = finish_and_compare(pg, vimur, "ps3", "ps3", churn)
    second_run = len([v for v in events if v["op"] == "r"]) - first_run
    print(f"\nps3: killed after {first_run} snapshot reads; the restart read {second_run} more "
          f"({rows} rows in the table at the start)")
    assert first_run > 0
    assert second_run < rows, "the restart read the table again from its start"
    # Nothing was confirmed past the snapshot's consistent point while it ran: the slot still
    # existed and streaming delivered every change since (the replay above is equal).


def test_04_initial_only_exits_and_leaves_no_slot(postgres_server, pg_vimur):
    pg = postgres_server
    create_items(pg, "ps4", 3000)
    vimur = pg_vimur(pg, "ps4", [r"ps4\..*"], snapshot_source("initial_only"))
    vimur.start(wait_for_offsets=False)
    assert vimur.proc.wait(timeout=60) == 0, vimur.log()
    vimur.proc = None
    events = values(vimur.records(), "pgps4.ps4.items")
    assert check_markers(events) == 3000
    assert apply(events) == items(pg, "ps4")
    assert pg.query("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'vimur_ps4'") \
        == [(0,)]
    # Started again, it has nothing to do.
    vimur.start(wait_for_offsets=False)
    assert vimur.proc.wait(timeout=60) == 0, vimur.log()
    vimur.proc = None
    assert len(values(vimur.records(), "pgps4.ps4.items")) == 3000


def test_05_existing_slot_snapshots_a_new_view_and_streams_from_the_slot(postgres_server,
                                                                        pg_vimur):
    """A slot that exists on a first start (a leftover) is used, not dropped: the snapshot reads
    a new view and streaming replays from the slot's confirmed position, which may repeat
    changes the rows already contain; the consumer still ends equal."""
    pg = postgres_server
    create_items(pg, "ps5", 2000)
    pg.execute("CREATE PUBLICATION vimur_ps5 FOR TABLE ps5.items, ps5.marker",
               "SELECT pg_create_logical_replication_slot('vimur_ps5', 'pgoutput')",
               "UPDATE ps5.items SET s = 'before the snapshot' WHERE id <= 10")
    vimur = pg_vimur(pg, "ps5", [r"ps5\..*"], snapshot_source("initial"))
    vimur.start(wait_for_offsets=False)
    wait_log(vimur, "snapshot done")
    assert "exists already" in vimur.log()
    events = finish_and_compare(pg, vimur, "ps5", "ps5")
    assert check_markers(events) == 2000
    # The updates made after the slot's position and before the view came again (older
    # values of rows already read, then nothing newer): the replay is still equal.
    assert [v["op"] for v in events[2000:]] == ["u"] * 10
    assert pg.query("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'vimur_ps5'") \
        == [(1,)]
