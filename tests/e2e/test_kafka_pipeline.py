"""End to end with the Kafka transport: a private MariaDB -> `vimur run` -> a private Kafka
broker, read back with confluent-kafka's Consumer and AdminClient (clients Vimur did not write).

What is checked: every source change arrives, in per-key order, in the partition the Java
client would pick (murmur2 of the key bytes); topics are compacted with the configured
partitions; a delete is followed by a tombstone and compaction keeps only the latest value;
heartbeat and transaction-metadata topics; and, under kill -9 of vimur and a 60 s stop of the
broker, at-least-once loses nothing and exactly-once delivers each change once to a
read_committed consumer, in bounded memory.

Sizes: VIMUR_E2E_CRASH_TXNS (default 100000 source transactions) and VIMUR_E2E_CRASH_KILLS
(default 20 kill -9) for the crash tests; VIMUR_E2E_OUTAGE_S (default 60) for the broker stop.
The defaults are the full sizes of the issue and run in CI."""
import json
import os
import random
import signal
import subprocess
import threading
import time

import pytest

from kafka_fixtures import (TopicReader, java_partition, kafka, kafka_vimur,  # noqa: F401
                            murmur2, read_topics)


def test_murmur2_matches_kafka_utils_test_vectors():
    # The vectors of Kafka's UtilsTest.testMurmur2 (clients/src/test/.../utils/UtilsTest.java).
    cases = {b"21": -973932308, b"foobar": -790332482,
             b"a-little-bit-long-string": -985981536,
             b"a-little-bit-longer-string": -1486304829,
             b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
             b"abc": 479470107}
    for data, want in cases.items():
        assert murmur2(data) == want, data


def key_of(record):
    """A hashable form of a JSON key."""
    return json.dumps(record.json_key(), sort_keys=True)


# --- 1. keys, order, partitions, compaction config, tombstones ---

def test_every_change_arrives_in_key_order_in_the_java_partition(mariadb, kafka, kafka_vimur):
    mariadb.execute(
        "DROP DATABASE IF EXISTS k1", "CREATE DATABASE k1",
        "CREATE TABLE k1.orders (id INT PRIMARY KEY, v INT NOT NULL, note VARCHAR(100))",
        "CREATE TABLE k1.items (a INT, b VARCHAR(40), v INT NOT NULL, PRIMARY KEY (a, b))"
        " DEFAULT CHARSET=utf8mb4")
    vimur = kafka_vimur(mariadb, kafka, "k1", [r"k1\..*"], extra_transport="""
  topic: {partitions: 4, replication_factor: 1}
  topic_overrides:
    k1.k1.items: {partitions: 2}""")
    vimur.start()

    rng = random.Random(1124)
    # Per key, the changes made, in commit order: (op, v) with v None for a delete.
    expected = {"k1.k1.orders": {}, "k1.k1.items": {}}
    live = {"k1.k1.orders": {}, "k1.k1.items": {}}
    names = ["x", "ünï", "日本", "a b", "😀", "long" * 9]
    conn = mariadb.connect()
    conn.autocommit(False)
    with conn.cursor() as cur:
        for _ in range(400):
            for _ in range(rng.randint(1, 5)):
                topic = rng.choice(list(expected))
                keys = live[topic]
                roll = rng.random()
                if topic == "k1.k1.orders":
                    kid = rng.randint(1, 300)
                    key = json.dumps({"id": kid}, sort_keys=True)
                    where, args = "id = %s", [kid]
                else:
                    ka, kb = rng.randint(-5, 5), rng.choice(names)
                    key = json.dumps({"a": ka, "b": kb}, sort_keys=True)
                    where, args = "a = %s AND b = %s", [ka, kb]
                table = topic.split(".", 1)[1]
                if key not in keys:
                    v = 1
                    if topic == "k1.k1.orders":
                        cur.execute(f"INSERT INTO {table} (id, v, note) VALUES (%s, %s, %s)",
                                    [kid, v, rng.choice(names)])
                    else:
                        cur.execute(f"INSERT INTO {table} (a, b, v) VALUES (%s, %s, %s)",
                                    [ka, kb, v])
                    keys[key] = v
                    expected[topic].setdefault(key, []).append(("c", v))
                elif roll < 0.25:
                    cur.execute(f"DELETE FROM {table} WHERE {where}", args)
                    del keys[key]
                    expected[topic][key].append(("d", None))
                else:
                    v = keys[key] + 1
                    cur.execute(f"UPDATE {table} SET v = %s WHERE {where}", [v] + args)
                    keys[key] = v
                    expected[topic][key].append(("u", v))
            conn.commit()
    conn.close()
    total = sum(len(ops) for per_key in expected.values() for ops in per_key.values())

    reader = TopicReader(kafka, list(expected), isolation="read_uncommitted")
    deadline = time.time() + 120
    while sum(1 for r in reader.records if r.value is not None) < total:
        if time.time() > deadline:
            break  # the comparison below names what is missing
        assert vimur.alive(), vimur.log()
        reader.read()
        time.sleep(0.2)
    time.sleep(1)  # nothing more should come
    reader.read()
    records = reader.records
    reader.close()
    vimur.stop()

    # Topics: compacted, with the configured partitions (transport.topic and the override).
    partitions = {"k1.k1.orders": 4, "k1.k1.items": 2}
    for topic, want in partitions.items():
        assert kafka.partitions(topic) == want, topic
        assert kafka.topic_config(topic)["cleanup.policy"] == "compact", topic

    # Every record is in the partition Java's default partitioner picks for its key.
    for r in records:
        assert r.key is not None, r
        assert r.partition == java_partition(r.key, partitions[r.topic]), r

    # Per key, in partition order: exactly the changes made, in commit order, and each delete
    # followed directly by its tombstone.
    got = {t: {} for t in expected}
    by_partition = {}
    for r in records:
        by_partition.setdefault((r.topic, r.partition), []).append(r)
    for (topic, _), recs in by_partition.items():
        recs.sort(key=lambda r: r.offset)
        for i, r in enumerate(recs):
            if r.value is None:
                prev = [p for p in recs[:i] if p.key == r.key]
                assert prev and prev[-1].value is not None and \
                    prev[-1].json_value()["op"] == "d", f"tombstone without a delete: {r}"
                continue
            v = r.json_value()
            if v["op"] == "d":
                nxt = [n for n in recs[i + 1:] if n.key == r.key]
                assert nxt and nxt[0].value is None, f"delete not followed by a tombstone: {r}"
                assert nxt[0].offset == r.offset + 1, "something between a delete and its tombstone"
                got[topic].setdefault(key_of(r), []).append(("d", None))
            else:
                assert v["source"]["db"] == "k1" and v["source"]["table"] == topic.split(".")[2]
                got[topic].setdefault(key_of(r), []).append((v["op"], v["after"]["v"]))
    for topic in expected:
        differ = {k: (got[topic].get(k), ops) for k, ops in expected[topic].items()
                  if got[topic].get(k) != ops}
        assert not differ and got[topic].keys() == expected[topic].keys(), \
            f"{topic}: key: (got, expected) {differ}\n{vimur.log()}"

    # And the final state matches SELECT.
    rows = {json.dumps({"id": i}, sort_keys=True): v
            for i, v in mariadb.query("SELECT id, v FROM k1.orders")}
    assert {k: ops[-1][1] for k, ops in got["k1.k1.orders"].items() if ops[-1][0] != "d"} == rows


# --- 2. compaction keeps the latest value per key; tombstones expire ---

def test_compaction_keeps_latest_value_and_drops_deleted_keys(mariadb, kafka, kafka_vimur):
    mariadb.execute("DROP DATABASE IF EXISTS k2", "CREATE DATABASE k2",
                    "CREATE TABLE k2.t (id INT PRIMARY KEY, v INT NOT NULL)")
    topic = "k2.k2.t"
    vimur = kafka_vimur(mariadb, kafka, "k2", [r"k2\.t"],
                        extra_transport="  topic: {partitions: 1}")
    vimur.start()
    # The first change creates the topic.
    mariadb.execute("INSERT INTO k2.t VALUES (0, 0)")
    kafka.wait_for_topics([topic])
    assert kafka.topic_config(topic)["cleanup.policy"] == "compact"
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO k2.t VALUES (%s, %s)", [(i, 1) for i in range(1, 101)])
        for round_ in range(2, 6):
            cur.execute("UPDATE k2.t SET v = %s WHERE id BETWEEN 1 AND 100", [round_])
        cur.execute("DELETE FROM k2.t WHERE id BETWEEN 51 AND 100")
        cur.execute("UPDATE k2.t SET v = 99 WHERE id BETWEEN 1 AND 10")
    want = {json.dumps({"id": i}, sort_keys=True): v
            for i, v in mariadb.query("SELECT id, v FROM k2.t WHERE id > 0")}
    assert len(want) == 50

    # Before compaction every change is there: 100 inserts, 400 updates, 50 deletes and their
    # tombstones, 10 updates.
    deadline = time.time() + 60
    while True:
        before = [r for r in read_topics(kafka, [topic]) if r.json_key() != {"id": 0}]
        if len(before) >= 100 + 400 + 100 + 10 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert len(before) == 100 + 400 + 100 + 10

    # Now make the broker compact the topic eagerly.
    kafka.alter_topic_config(topic, {"segment.ms": 100, "min.cleanable.dirty.ratio": 0.001,
                                     "delete.retention.ms": 100, "min.compaction.lag.ms": 0,
                                     "max.compaction.lag.ms": 100})
    # The cleaner looks for work every log.cleaner.backoff.ms (15 s by default); other topics
    # keep their 7-day segments, so nothing else becomes cleanable.
    kafka.alter_broker_config({"log.cleaner.backoff.ms": 200})
    try:
        state = wait_for_compaction(kafka, conn, topic, want)
    finally:
        kafka.alter_broker_config({"log.cleaner.backoff.ms": 15000})
    conn.close()
    vimur.stop()
    assert {k: r.json_value()["after"]["v"] for k, r in state.items()} == want


def wait_for_compaction(kafka, conn, topic, want):
    """Until the topic holds one record per live key (key 0 aside) and no tombstone."""

    # The active segment is never cleaned: keep rolling it with changes of key 0 (ignored).
    deadline = time.time() + 150
    tick = 0
    with conn.cursor() as cur:
        while True:
            tick += 1
            cur.execute("UPDATE k2.t SET v = %s WHERE id = 0", [tick])
            time.sleep(0.3)
            recs = [r for r in read_topics(kafka, [topic]) if r.json_key() != {"id": 0}]
            state = {key_of(r): r for r in recs}
            if len(recs) == len(want) and all(r.value is not None for r in recs):
                return state
            assert time.time() < deadline, (
                f"not compacted: {len(recs)} records for {len(want)} live keys, "
                f"{sum(r.value is None for r in recs)} tombstones left")


# --- 2b. a row larger than the broker's default record size ---

def test_a_20_mib_row_needs_and_gets_a_topic_config(mariadb, kafka, kafka_vimur):
    """A 20 MiB LONGBLOB: with the default topic it stops the pipeline naming the setting;
    with `transport.topic.config: {max.message.bytes: ...}` the topic is created with it, the
    producer's limit follows, and a consumer reads the row whole."""
    import base64
    import hashlib
    size = 20 << 20
    mariadb.execute("SET GLOBAL max_allowed_packet = 67108864", "DROP DATABASE IF EXISTS k2b",
                    "CREATE DATABASE k2b",
                    "CREATE TABLE k2b.t (id INT PRIMARY KEY, b LONGBLOB NOT NULL)")
    # A new session sees the new max_allowed_packet; the value is made by the server.
    mariadb.execute(f"INSERT INTO k2b.t SELECT 1, REPEAT(SHA2('x', 256), {size // 64})")
    assert mariadb.query("SELECT LENGTH(b) FROM k2b.t")[0][0] == size

    plain = kafka_vimur(mariadb, kafka, "k2b0", [r"k2b\.t"], extra_source="    snapshot: initial")
    plain.start(wait=False)
    assert plain.proc.wait(timeout=120) != 0, plain.log()
    plain.proc = None
    assert "max.message.bytes" in plain.log(), plain.log()

    big = kafka_vimur(mariadb, kafka, "k2b", [r"k2b\.t"], extra_source="    snapshot: initial",
                      extra_transport="  topic: {partitions: 1, config: "
                                      "{max.message.bytes: '67108864'}}")
    big.start()
    topic = "k2b.k2b.t"
    kafka.wait_for_topics([topic])
    assert kafka.topic_config(topic)["max.message.bytes"] == "67108864"
    # The snapshot read the first row; the second comes through the binlog (an event larger
    # than one 16 MiB protocol packet).
    mariadb.execute(f"INSERT INTO k2b.t SELECT 2, REPEAT(SHA2('y', 256), {size // 64})")
    digests = {r[0]: r[1] for r in mariadb.query("SELECT id, SHA2(b, 256) FROM k2b.t")}
    deadline = time.time() + 120
    while True:
        records = [r for r in read_topics(kafka, [topic]) if r.value is not None]
        if len(records) >= 2 or time.time() > deadline:
            break
        time.sleep(0.5)
    big.stop()
    assert len(records) == 2, big.log()
    for record in records:
        after = record.json_value()["after"]
        data = base64.b64decode(after["b"])
        assert len(data) == size and hashlib.sha256(data).hexdigest() == digests[after["id"]]
    assert [r.json_value()["op"] for r in records] == ["r", "c"]
    print(f"\n20 MiB rows: records of {len(records[0].value)} bytes read back whole")


def test_oversized_events_are_truncated_or_dead_lettered(mariadb, kafka, kafka_vimur):
    """A 3 MiB MEDIUMBLOB on a default topic (1 MiB): `on_oversized_event: truncate` replaces
    it by the marker and names the column in a header; `dead_letter` sends the whole record to
    `{prefix}.oversized`; small rows around it go through untouched either way."""
    import base64
    size = 3 << 20
    mariadb.execute("SET GLOBAL max_allowed_packet = 67108864", "DROP DATABASE IF EXISTS k2c",
                    "CREATE DATABASE k2c",
                    "CREATE TABLE k2c.t (id INT PRIMARY KEY, note TEXT, b MEDIUMBLOB)",
                    "INSERT INTO k2c.t VALUES (1, 'small', 'x')",
                    f"INSERT INTO k2c.t SELECT 2, 'big', REPEAT('z', {size})",
                    "INSERT INTO k2c.t VALUES (3, 'small too', 'y')")
    for policy in ("truncate", "dead_letter"):
        name = "k2c" + policy[0]
        v = kafka_vimur(mariadb, kafka, name, [r"k2c\.t"], extra_source="    snapshot: initial",
                        extra_transport=f"  on_oversized_event: {policy}\n"
                                        "  topic: {partitions: 1}")
        v.start()
        topic = f"{name}.k2c.t"
        deadline = time.time() + 120
        while True:
            records = [r for r in read_topics(kafka, [topic]) if r.value is not None]
            if len(records) >= (3 if policy == "truncate" else 2) or time.time() > deadline:
                break
            time.sleep(0.5)
        assert [r.json_value()["after"]["id"] for r in records] == (
            [1, 2, 3] if policy == "truncate" else [1, 3]), v.log()
        if policy == "truncate":
            big = records[1]
            after = big.json_value()["after"]
            assert base64.b64decode(after["b"]) == b"__vimur_truncated__"
            assert after["note"] == "big"  # small values stay
            assert big.headers.get("vimur.truncated") == b"b", big.headers
            assert "on_oversized_event: truncate" in v.log()
        else:
            dead = [r for r in read_topics(kafka, [f"{name}.oversized"]) if r.value is not None]
            assert len(dead) == 1
            after = dead[0].json_value()["after"]
            assert after["id"] == 2 and len(base64.b64decode(after["b"])) == size
            assert dead[0].json_key() == {"id": 2}
            assert kafka.topic_config(f"{name}.oversized")["max.message.bytes"] == "67108864"
        v.stop()


# --- 3. heartbeats and transaction metadata ---

def test_heartbeats_on_a_filtered_database(mariadb, kafka, kafka_vimur):
    mariadb.execute("DROP DATABASE IF EXISTS k3", "CREATE DATABASE k3",
                    "CREATE TABLE k3.captured (id INT PRIMARY KEY)",
                    "CREATE TABLE k3.ignored (id INT PRIMARY KEY, v INT)")
    vimur = kafka_vimur(mariadb, kafka, "k3", [r"k3\.captured"])
    vimur.start()
    conn = mariadb.connect()
    with conn.cursor() as cur:
        for i in range(12):  # changes the pipeline filters out, for ~6 s
            cur.execute("INSERT INTO k3.ignored VALUES (%s, %s)", [i, i])
            time.sleep(0.5)
    conn.close()
    topic = "__vimur-heartbeat.k3"
    kafka.wait_for_topics([topic])
    beats = read_topics(kafka, [topic])
    vimur.stop()
    assert len(beats) >= 3, beats
    for b in beats:
        assert b.json_key() == {"serverName": "k3"}
        assert abs(b.json_value()["ts_ms"] - time.time() * 1000) < 120_000
    assert "k3.k3.ignored" not in kafka.topics()


def test_transaction_metadata_topic(mariadb, kafka, kafka_vimur):
    mariadb.execute("DROP DATABASE IF EXISTS k4", "CREATE DATABASE k4",
                    "CREATE TABLE k4.a (id INT PRIMARY KEY, v INT)",
                    "CREATE TABLE k4.b (id INT PRIMARY KEY)")
    vimur = kafka_vimur(mariadb, kafka, "k4", [r"k4\..*"],
                        extra_source="    transaction_metadata: true")
    vimur.start()
    conn = mariadb.connect()
    conn.autocommit(False)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO k4.a VALUES (1, 1), (2, 2)")
        cur.execute("INSERT INTO k4.b VALUES (1)")
        conn.commit()
        cur.execute("UPDATE k4.a SET v = 3 WHERE id = 1")
        cur.execute("DELETE FROM k4.b WHERE id = 1")
        conn.commit()
    conn.close()
    topics = ["k4.transaction", "k4.k4.a", "k4.k4.b"]
    kafka.wait_for_topics(topics)
    deadline = time.time() + 60
    while True:
        recs = read_topics(kafka, topics)
        tx = [r.json_value() for r in recs if r.topic == "k4.transaction"]
        if sum(t["status"] == "END" for t in tx) >= 2:
            break
        assert time.time() < deadline, tx
        time.sleep(0.3)
    vimur.stop()
    assert [t["status"] for t in tx] == ["BEGIN", "END", "BEGIN", "END"]
    first, second = tx[1], tx[3]
    assert tx[0]["id"] == first["id"] and tx[2]["id"] == second["id"] != first["id"]
    assert first["event_count"] == 3
    assert sorted((c["data_collection"], c["event_count"]) for c in first["data_collections"]) \
        == [("k4.a", 2), ("k4.b", 1)]
    # An update and a delete (its tombstone is not a change event).
    assert second["event_count"] == 2
    assert sorted((c["data_collection"], c["event_count"]) for c in second["data_collections"]) \
        == [("k4.a", 1), ("k4.b", 1)]
    data = [r.json_value() for r in recs if r.topic != "k4.transaction" and r.value]
    ids = {first["id"]: 0, second["id"]: 0}
    for v in data:
        ids[v["transaction"]["id"]] += 1
    assert ids == {first["id"]: 3, second["id"]: 2}


# --- 4. crashes of vimur and a stop of the broker ---

CRASH_TXNS = int(os.environ.get("VIMUR_E2E_CRASH_TXNS", "100000"))
CRASH_KILLS = int(os.environ.get("VIMUR_E2E_CRASH_KILLS", "20"))
OUTAGE_S = float(os.environ.get("VIMUR_E2E_OUTAGE_S", "60"))
KEYS = 100  # rows of the counter table


def setup_counter_schema(mariadb, db):
    """Each source transaction i inserts row i into `log` and adds 1 to counter row i % 100:
    two row changes, written by a server-side loop that commits each iteration."""
    mariadb.execute(
        # Durability of the source is not under test; fast commits keep the test short.
        "SET GLOBAL innodb_flush_log_at_trx_commit = 0", "SET GLOBAL sync_binlog = 0",
        f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
        f"CREATE TABLE {db}.ctr (id INT PRIMARY KEY, v INT NOT NULL)",
        f"CREATE TABLE {db}.log (txn INT PRIMARY KEY, note VARCHAR(32) NOT NULL)",
        f"INSERT INTO {db}.ctr SELECT seq, 0 FROM mysql.seq_0_to_{KEYS - 1}",
        f"""CREATE PROCEDURE {db}.write(IN first INT, IN n INT)
        BEGIN
          DECLARE i INT DEFAULT first;
          WHILE i < first + n DO
            START TRANSACTION;
            INSERT INTO {db}.log VALUES (i, CONCAT('txn ', i));
            UPDATE {db}.ctr SET v = v + 1 WHERE id = i % {KEYS};
            COMMIT;
            SET i = i + 1;
          END WHILE;
        END""")


class Writer(threading.Thread):
    """Writes `total` transactions in chunks spread evenly over `duration` seconds."""

    def __init__(self, mariadb, db, total, duration, chunk=500):
        super().__init__(daemon=True)
        self.mariadb, self.db, self.total = mariadb, db, total
        self.duration, self.chunk = duration, chunk
        self.written = 0
        self.error = None

    def run(self):
        try:
            conn = self.mariadb.connect()
            chunks = (self.total + self.chunk - 1) // self.chunk
            t0 = time.time()
            with conn.cursor() as cur:
                for j in range(chunks):
                    delay = t0 + j * self.duration / chunks - time.time()
                    if delay > 0:
                        time.sleep(delay)
                    n = min(self.chunk, self.total - self.written)
                    cur.execute(f"CALL {self.db}.write(%s, %s)", [self.written, n])
                    self.written += n
            conn.close()
        except Exception as e:  # reported by the test
            self.error = e

    def finish(self, timeout=300):
        self.join(timeout)
        assert not self.is_alive(), "the writer did not finish"
        assert self.error is None, self.error
        assert self.written == self.total


def wait_for_all(kafka, vimur, db, total, isolation, timeout):
    """Reads the pipeline's two topics until every transaction's insert has arrived."""
    reader = TopicReader(kafka, [f"{db}.{db}.log", f"{db}.{db}.ctr"], isolation)
    seen = set()
    deadline = time.time() + timeout
    while True:
        for r in reader.read():
            if r.topic.endswith(".log") and r.value is not None:
                seen.add(r.json_value()["after"]["txn"])
        if len(seen) >= total:
            break
        assert vimur.alive(), f"vimur exited:\n{vimur.log()}"
        assert time.time() < deadline, f"{len(seen)} of {total} transactions arrived:\n{vimur.log()}"
        time.sleep(0.5)
    time.sleep(1.5)  # anything still in flight (duplicates) arrives too
    reader.read()
    reader.close()
    return reader.records


def check_delivery(mariadb, db, records, total, exactly_once):
    """Every source change is there; per key in commit order; exactly once if promised."""
    inserts = [r.json_value()["after"]["txn"] for r in records
               if r.topic.endswith(".log") and r.value is not None]
    assert set(inserts) == set(range(total)), "transactions missing"
    if exactly_once:
        assert len(inserts) == total, f"{len(inserts) - total} duplicate inserts"
    final = dict(mariadb.query(f"SELECT id, v FROM {db}.ctr"))
    per_key = {}
    for r in records:
        if r.topic.endswith(".ctr"):
            v = r.json_value()
            assert v["op"] == "u", v
            per_key.setdefault(v["after"]["id"], []).append((v["before"]["v"], v["after"]["v"]))
    duplicates = 0
    for key, want in final.items():
        changes = per_key.get(key, [])
        if exactly_once:
            assert changes == [(i, i + 1) for i in range(want)], f"key {key}"
            continue
        # At-least-once: a resumed run may replay a tail it had already sent, so the values
        # go back, but never jump ahead: every change follows the one before it or restarts.
        for (pb, pa), (b, a) in zip(changes, changes[1:]):
            assert b == pa or a <= pa, f"key {key}: {pb}->{pa} then {b}->{a}"
            assert a == b + 1
        assert {a for _, a in changes} == set(range(1, want + 1)), f"key {key}"
        duplicates += len(changes) - want
    return len(inserts) - total + duplicates


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at_least_once", "exactly_once"])
def test_kill9_loses_nothing(mariadb, kafka, kafka_vimur, exactly_once):
    """CRASH_TXNS source transactions (2 row changes each) while vimur is killed with kill -9
    CRASH_KILLS times at random moments (during start-up, catch-up and streaming) and
    restarted; then every change must have arrived (exactly once with exactly_once)."""
    db = "kx" if exactly_once else "ka"
    setup_counter_schema(mariadb, db)
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"], extra_transport=f"""
  exactly_once: {str(exactly_once).lower()}
  topic: {{partitions: 3}}""")
    vimur.start()
    rng = random.Random(20 + exactly_once)
    writer = Writer(mariadb, db, CRASH_TXNS, duration=max(10.0, CRASH_KILLS * 1.2))
    writer.start()
    kills_started = 0
    for _ in range(CRASH_KILLS):
        time.sleep(rng.uniform(0.1, 2.5))
        assert vimur.alive(), f"vimur exited by itself:\n{vimur.log()}"
        kills_started += vimur.started()
        vimur.kill9()
        vimur.start(wait=False)
    writer.finish()
    vimur.wait_started()
    records = wait_for_all(kafka, vimur, db, CRASH_TXNS,
                           "read_committed" if exactly_once else "read_uncommitted", 240)
    vimur.stop()
    duplicates = check_delivery(mariadb, db, records, CRASH_TXNS, exactly_once)
    print(f"\n{db}: {CRASH_TXNS} txns, {CRASH_KILLS} kills ({kills_started} after streaming "
          f"began), {duplicates} duplicates, peak RSS {vimur.peak_rss_kb // 1024} MiB")
    assert kills_started > 0  # some kills hit a running pipeline


MEMORY_LIMIT_MIB = 100  # peak resident memory allowed with the 4 MiB bounds below


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at_least_once", "exactly_once"])
def test_broker_stopped_for_a_minute(mariadb, kafka, kafka_vimur, exactly_once):
    """The broker stops for OUTAGE_S seconds while the source keeps writing (more than the
    4 MiB capture queue and 4 MiB in-flight window hold); vimur keeps running, its peak
    resident memory stays under MEMORY_LIMIT_MIB, and once the broker is back every change
    arrives (exactly once with exactly_once)."""
    db = "ox" if exactly_once else "oa"
    setup_counter_schema(mariadb, db)
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"], extra_top="queue_max_bytes: 4194304",
                        extra_transport=f"""
  exactly_once: {str(exactly_once).lower()}
  max_in_flight_bytes: 4194304
  topic: {{partitions: 3}}""")
    vimur.start()
    total = 40000
    writer = Writer(mariadb, db, total, duration=OUTAGE_S + 20)
    writer.start()
    time.sleep(8)
    kafka.stop()
    try:
        outage_end = time.time() + OUTAGE_S
        while time.time() < outage_end:
            assert vimur.alive(), f"vimur exited during the outage:\n{vimur.log()}"
            time.sleep(1)
    finally:
        kafka.start()
    writer.finish()
    records = wait_for_all(kafka, vimur, db, total,
                           "read_committed" if exactly_once else "read_uncommitted", 180)
    vimur.stop()
    duplicates = check_delivery(mariadb, db, records, total, exactly_once)
    peak = vimur.peak_rss_kb / 1024
    print(f"\n{db}: broker down {OUTAGE_S:.0f} s, {total} txns, {duplicates} duplicates, "
          f"peak RSS {peak:.0f} MiB")
    assert peak < MEMORY_LIMIT_MIB


# --- 5. kill -9 while transactions larger than a capture chunk (4 MiB) are published ---

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
BIG_TXNS = 10 if LONG else 4
BIG_ROWS = 1_000_000 if LONG else 100_000
BIG_KILLS = 10 if LONG else 3


def count_records(kafka, topic, isolation):
    """Records now in `topic` (a cheap progress probe: end offsets, read_uncommitted)."""
    from confluent_kafka import Consumer as _Consumer, TopicPartition as _Tp
    c = _Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": "vimur-e2e-probe",
                   "log_level": 2})
    from confluent_kafka import KafkaException as _KafkaException
    try:
        n = 0
        for p in range(kafka.partitions(topic)):
            # Right after the topic appears its partitions may not have a leader yet
            # (NOT_LEADER_FOR_PARTITION): ask again, for at most ten seconds.
            for attempt in range(20):
                try:
                    lo, hi = c.get_watermark_offsets(_Tp(topic, p), timeout=10)
                    break
                except _KafkaException:
                    if attempt == 19:
                        raise
                    time.sleep(0.5)
            n += hi - lo
        return n
    finally:
        c.close()


@pytest.mark.parametrize("exactly_once", [False, True], ids=["at_least_once", "exactly_once"])
def test_kill9_during_large_transactions(mariadb, kafka, kafka_vimur, exactly_once):
    """BIG_TXNS source transactions of BIG_ROWS rows each (several capture chunks apiece)
    while vimur is killed with kill -9 BIG_KILLS times during their publishing: every restart
    resumes (no offset is stored inside a transaction), the replay equals the table, and with
    exactly_once no row arrives twice and a read_committed consumer never sees part of one."""
    db = "lx" if exactly_once else "la"
    mariadb.execute(
        "SET GLOBAL innodb_flush_log_at_trx_commit = 0", "SET GLOBAL sync_binlog = 0",
        f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
        f"CREATE TABLE {db}.big (id INT PRIMARY KEY, t INT NOT NULL, pad CHAR(100) NOT NULL)")
    topic = f"{db}.{db}.big"
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\.big"], extra_transport=f"""
  exactly_once: {str(exactly_once).lower()}
  topic: {{partitions: 3}}""")
    vimur.start()

    def write(t):
        mariadb.execute(f"INSERT INTO {db}.big SELECT seq + {t * BIG_ROWS}, {t}, "
                        f"REPEAT('x', 100) FROM mysql.seq_0_to_{BIG_ROWS - 1}")

    rng = random.Random(90 + exactly_once)
    kills = 0
    for t in range(BIG_TXNS):
        # Counted before the write: vimur may publish the whole transaction before a count
        # taken after the write's commit returns.
        before = count_records(kafka, topic, "read_uncommitted") if t else 0
        write(t)
        if kills >= BIG_KILLS:
            continue
        # Kill once publishing of this transaction is under way, then restart at once.
        deadline = time.time() + 120
        while True:
            assert vimur.alive(), f"vimur exited by itself:\n{vimur.log()}"
            if kafka.partitions(topic) and \
                    count_records(kafka, topic, "read_uncommitted") > before + BIG_ROWS // 20:
                break
            assert time.time() < deadline, f"no progress:\n{vimur.log()}"
            time.sleep(0.05)
        time.sleep(rng.uniform(0.0, 0.3))
        vimur.kill9()
        kills += 1
        vimur.start()  # asserts that it starts streaming again
    total = BIG_TXNS * BIG_ROWS
    isolation = "read_committed" if exactly_once else "read_uncommitted"
    reader = TopicReader(kafka, [topic], isolation)
    seen = set()
    deadline = time.time() + (1800 if LONG else 300)
    while len(seen) < total:
        for r in reader.read(timeout=300):
            seen.add(r.json_key()["id"])
        assert vimur.alive(), f"vimur exited:\n{vimur.log()}"
        assert time.time() < deadline, f"{len(seen)} of {total} rows arrived:\n{vimur.log()}"
        time.sleep(0.5)
    time.sleep(1.5)
    reader.read()
    reader.close()
    vimur.stop()
    ids = [r.json_key()["id"] for r in reader.records]
    assert set(ids) == set(range(total))
    rows = {r.json_key()["id"]: r.json_value()["after"]["t"] for r in reader.records}
    assert rows == {i: i // BIG_ROWS for i in range(total)}, "the replay differs from the table"
    assert mariadb.query(f"SELECT COUNT(*) FROM {db}.big")[0][0] == total
    if exactly_once:
        assert len(ids) == total, f"{len(ids) - total} rows arrived twice"
    print(f"\n{db}: {BIG_TXNS} transactions of {BIG_ROWS} rows, {kills} kills, "
          f"{len(ids) - total} duplicates")
    assert kills == BIG_KILLS


# --- 6. outages that stall, not kill: the schema registry, and stopping while Kafka is down ---

REGISTRY_OUTAGE_S = float(os.environ.get("VIMUR_E2E_REGISTRY_OUTAGE_S", "30"))


def test_registry_down_mid_stream_stalls_and_loses_nothing(mariadb, kafka, kafka_vimur, tmp_path):
    """`vimur registry` stops for REGISTRY_OUTAGE_S seconds while new tables (new schemas to
    register) and rows keep coming: vimur keeps running, and once the registry is back every
    row arrives."""
    from test_registry import Registry
    mariadb.execute("DROP DATABASE IF EXISTS rg", "CREATE DATABASE rg",
                    "CREATE TABLE rg.a (id INT PRIMARY KEY, v INT NOT NULL)")
    registry = Registry(kafka.bootstrap, str(tmp_path))
    registry.start()
    try:
        vimur = kafka_vimur(mariadb, kafka, "rg", [r"rg\..*"])
        with open(vimur.config) as f:
            text = f.read()
        with open(vimur.config, "w") as f:
            f.write(text.replace("format:\n  type: json\n",
                                 f"format:\n  type: avro\n  registry_url: {registry.url}\n"))
        vimur.start()
        mariadb.execute("INSERT INTO rg.a VALUES (0, 0)")
        kafka.wait_for_topics(["rg.rg.a"])
        registry.stop()
        outage_end = time.time() + REGISTRY_OUTAGE_S
        mariadb.execute("CREATE TABLE rg.b (id INT PRIMARY KEY, s VARCHAR(20))")
        i = 1
        while time.time() < outage_end:
            mariadb.execute(f"INSERT INTO rg.b VALUES ({i}, 'row {i}')",
                            f"INSERT INTO rg.a VALUES ({i}, {i})")
            i += 1
            assert vimur.alive(), f"vimur exited during the registry outage:\n{vimur.log()}"
            time.sleep(0.2)
        registry.start()
        deadline = time.time() + 120
        while True:
            recs = read_topics(kafka, ["rg.rg.a", "rg.rg.b"], "read_uncommitted") \
                if kafka.partitions("rg.rg.b") else []
            got_a = {r.key for r in recs if r.topic == "rg.rg.a"}
            got_b = {r.key for r in recs if r.topic == "rg.rg.b"}
            if len(got_a) >= i and len(got_b) >= i - 1:
                break
            assert vimur.alive(), f"vimur exited:\n{vimur.log()}"
            assert time.time() < deadline, \
                f"{len(got_a)} of {i} rows of a, {len(got_b)} of {i - 1} of b:\n{vimur.log()}"
            time.sleep(0.5)
        assert "retrying" in vimur.log(), vimur.log()
        vimur.stop()
    finally:
        registry.close()


def test_sigterm_while_kafka_is_down_stops_within_the_timeout(mariadb, kafka, kafka_vimur):
    """Kafka stops, changes fill the in-flight window and the capture queue, then SIGTERM:
    vimur exits within shutdown_timeout_s (plus start-up slack), non-zero, saying how much was
    not acknowledged; after Kafka is back a restart delivers every change."""
    db = "sd"
    setup_counter_schema(mariadb, db)
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"], extra_top="""queue_max_bytes: 1048576
shutdown_timeout_s: 5""", extra_transport="""
  max_in_flight_bytes: 1048576
  topic: {partitions: 3}""")
    vimur.start()
    mariadb.execute(f"CALL {db}.write(0, 100)")
    kafka.wait_for_topics([f"{db}.{db}.log"])
    kafka.stop()
    try:
        total = 20000
        mariadb.execute(f"CALL {db}.write(100, {total - 100})")
        time.sleep(5)  # capture fills the window and the queue
        assert vimur.alive(), vimur.log()
        t0 = time.time()
        vimur.proc.send_signal(signal.SIGTERM)
        try:
            rc = vimur.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"vimur did not stop within 60 s of SIGTERM:\n{vimur.log()}")
        took = time.time() - t0
        log = vimur.log()
        vimur.proc = None
        assert rc != 0, log
        assert "shutdown_timeout_s=5" in log and "not acknowledged" in log, log
        assert took < 5 + 15, f"took {took:.1f} s:\n{log}"
    finally:
        kafka.start()
    vimur.start()
    records = wait_for_all(kafka, vimur, db, total, "read_uncommitted", 180)
    vimur.stop()
    check_delivery(mariadb, db, records, total, exactly_once=False)
