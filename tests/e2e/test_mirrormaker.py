"""Cross-datacenter: MariaDB -> `vimur run` (Avro, `vimur registry` on cluster A) -> Kafka A,
mirrored by Kafka's MirrorMaker 2 (scripts/mirrormaker: IdentityReplicationPolicy, consumer
group offsets synced) into Kafka B, a second single-node cluster on this machine.

What it proves:
- every event of the table's topic and of the DDL topic, and every record of `_schemas`, reaches
  B under the same name at the same partition and offset (IdentityReplicationPolicy);
- a second `vimur registry` on B, reading the mirrored `_schemas`, serves the same subjects,
  versions and schema ids as A's, so Confluent's AvroDeserializer on B (SchemaRegistryClient at
  B's registry) decodes every event of B, before and after a DDL (two value schema ids); the
  state rebuilt from B's events equals the table;
- consumer failover: a group reads the stream on A and commits, MirrorMaker's checkpoints
  translate its offsets and write them into B's `__consumer_offsets`, and a consumer of the
  same group on B starts from them. After a commit at the end of a quiet stream B gets exactly
  the same offsets. After a commit in the middle of the stream B's group offsets lie between
  that exact translation and the new commit, never after it (MirrorMaker translates to the
  offset sync at or before the commit and checkpoints only translations later than its
  previous one: events may be read again, at-least-once; the number is printed; B's
  `src.checkpoints.internal` is read to wait for them). From there each key's
  versions (a counter column, +1 per update, +1 for the delete) arrive on B in order with no
  gap, starting at most one past the last version the group read on A and ending at what the
  table holds.
Not covered here: mirroring under broker failures, MirrorMaker restarts, and exactly-once
sources (MirrorMaker copies records, not transactions; see docs/operations.md).
Sizes: CI uses 30 keys and 6 updates each; VIMUR_TEST_LONG=1 uses 300 keys and 20 updates."""
import os
import shutil
import struct
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from confluent_kafka import Consumer, KafkaException, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import ROOT, avro_format, edit_config
from kafka_fixtures import (Kafka, TopicReader, kafka, kafka_vimur,  # noqa: F401 (fixtures)
                            quiet, read_topics)
from test_registry import Registry

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
KEYS = 300 if LONG else 30
UPDATES_BEFORE = 10 if LONG else 3   # per key, before the failover point
UPDATES_AFTER = 10 if LONG else 3    # per key, after it
TOPIC = "mm.mm2.counters"
GROUP = "mm-failover"


@pytest.fixture(scope="module")
def sites(request):
    """Kafka A (the `kafka` fixture) and Kafka B, started at the same time."""
    directory = tempfile.mkdtemp(prefix="vimur-e2e-kafka-b.")
    try:
        with ThreadPoolExecutor(1) as pool:
            b = pool.submit(Kafka, directory)
            a = request.getfixturevalue("kafka")
            b = b.result()
        yield a, b
    finally:
        subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "stop", directory],
                       capture_output=True, text=True)
        shutil.rmtree(directory, ignore_errors=True)


class MirrorMaker:
    """scripts/mirrormaker: one MirrorMaker 2 driver mirroring A into B."""

    def __init__(self, directory, source, target, topics):
        self.dir = directory
        self.args = [source, target, topics]

    def start(self):
        env = dict(os.environ, VIMUR_MIRRORMAKER_WATCH_PID=str(os.getpid()))
        subprocess.run([os.path.join(ROOT, "scripts", "mirrormaker"), "start", self.dir,
                        *self.args], check=True, capture_output=True, text=True, env=env)

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "mirrormaker"), "stop", self.dir],
                       capture_output=True, text=True)

    def log(self):
        try:
            return open(os.path.join(self.dir, "mirrormaker.log"), errors="replace").read()[-4000:]
        except OSError:
            return ""


def schemas_registry(bootstrap, workdir):
    """A `vimur registry` on the cluster's `_schemas`, the topic MirrorMaker copies."""
    os.makedirs(workdir, exist_ok=True)
    registry = Registry(bootstrap, workdir)
    edit_config(registry.config, f"topic: {registry.topic}\n", "topic: _schemas\n")
    registry.topic = "_schemas"
    return registry


def end_offsets(bootstrap, topic, partitions):
    """The partitions' end offsets, or None while the topic does not exist."""
    c = Consumer(quiet({"bootstrap.servers": bootstrap, "group.id": "e2e-" + uuid.uuid4().hex}))
    try:
        return [c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(partitions)]
    except KafkaException:
        return None
    finally:
        c.close()


def committed(bootstrap, group, topic, partitions):
    """The group's committed offsets (-1001 where none), read without joining the group."""
    c = Consumer(quiet({"bootstrap.servers": bootstrap, "group.id": group}))
    try:
        return [tp.offset for tp in c.committed(
            [TopicPartition(topic, p) for p in range(partitions)], timeout=10)]
    finally:
        c.close()


def checkpoints(kafka, group, topic):
    """The latest checkpoint per partition of `group` on `topic` that MirrorMaker wrote into
    B's `src.checkpoints.internal`: {partition: (upstream offset, downstream offset)}.
    Records are Kafka protocol structs (org.apache.kafka.connect.mirror.Checkpoint): key
    {group, topic: STRING, partition: INT32}, value {version: INT16, upstream offset,
    downstream offset: INT64, metadata: STRING}."""
    def string(buf, at):
        n = struct.unpack_from(">h", buf, at)[0]
        return buf[at + 2:at + 2 + n].decode(), at + 2 + n

    latest = {}
    for rec in read_topics(kafka, ["src.checkpoints.internal"]):
        g, at = string(rec.key, 0)
        t, at = string(rec.key, at)
        p = struct.unpack_from(">i", rec.key, at)[0]
        if (g, t) == (group, topic):
            latest[p] = struct.unpack_from(">qq", rec.value, 2)
    return latest


def wait_until(predicate, timeout, what):
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.time() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(0.5)


class Decoder:
    """Confluent's AvroDeserializer against one registry, for keys and values."""

    def __init__(self, url):
        self.client = SchemaRegistryClient({"url": url})
        self.deserialize = AvroDeserializer(self.client)

    def key(self, topic, payload):
        return self.deserialize(payload, SerializationContext(topic, MessageField.KEY))

    def value(self, topic, payload):
        if payload is None:
            return None  # tombstone
        return self.deserialize(payload, SerializationContext(topic, MessageField.VALUE))


def version(value):
    """A key's version: its counter n after an insert or update, n + 1 for its delete."""
    if value["op"] == "d":
        return value["before"]["n"] + 1
    return value["after"]["n"]


def consume_group(bootstrap, group, topic, partitions, decoder, stop_after=None):
    """Reads `topic` in consumer group `group` (from its committed offsets, else the beginning)
    until every partition is at its current end, or `stop_after` events; commits what it read.
    Returns [(partition, offset, key id, value or None)] in the order read."""
    ends = end_offsets(bootstrap, topic, partitions)
    position = {p: max(o, 0) for p, o in enumerate(committed(bootstrap, group, topic, partitions))}
    c = Consumer(quiet({"bootstrap.servers": bootstrap, "group.id": group,
                        "enable.auto.commit": False, "auto.offset.reset": "earliest"}))
    c.subscribe([topic])
    out = []
    deadline = time.time() + 60
    try:
        while any(position[p] < ends[p] for p in range(partitions)):
            assert time.time() < deadline, f"group {group} did not reach {ends}: {position}"
            for msg in c.consume(num_messages=1 if stop_after else 500, timeout=0.5):
                if msg.error() is not None:
                    continue
                out.append((msg.partition(), msg.offset(), decoder.key(topic, msg.key())["id"],
                            decoder.value(topic, msg.value())))
                position[msg.partition()] = msg.offset() + 1
                if stop_after is not None and len(out) >= stop_after:
                    break
            if stop_after is not None and len(out) >= stop_after:
                break
        c.commit(offsets=[TopicPartition(topic, p, o) for p, o in position.items()],
                 asynchronous=False)
    finally:
        c.close()
    return out


def versions_by_key(events):
    got = {}
    for _, _, key, value in events:
        if value is not None:
            got.setdefault(key, []).append(version(value))
    return got


def test_mirrored_topics_decode_on_b_and_a_consumer_fails_over_in_key_order(
        mariadb, sites, kafka_vimur, tmp_path):
    a, b = sites
    mm = MirrorMaker(str(tmp_path / "mirrormaker"), a.bootstrap, b.bootstrap,
                     r"mm|mm\..*|_schemas")
    registries = []
    pool = ThreadPoolExecutor(1)
    try:
        # MirrorMaker starts while the pipeline is set up; it finds new topics by itself.
        mm_started = pool.submit(mm.start)
        mariadb.execute("DROP DATABASE IF EXISTS mm2", "CREATE DATABASE mm2",
                        "CREATE TABLE mm2.counters (id INT PRIMARY KEY, n INT NOT NULL, "
                        "note VARCHAR(20))")
        registry_a = schemas_registry(a.bootstrap, str(tmp_path / "registry-a"))
        registries.append(registry_a)
        registry_a.start()
        vimur = kafka_vimur(mariadb, a, "mm", [r"mm2\.counters"],
                            extra_transport="  topic: {partitions: 3, replication_factor: 1}")
        avro_format(vimur.config, registry_a.url)
        vimur.start()

        # 1. Inserts; the group reads them all on A and commits. While the stream is quiet,
        # MirrorMaker translates a caught-up group exactly: B gets the same offsets.
        conn = mariadb.connect()
        with conn.cursor() as cur:
            for k in range(1, KEYS + 1):
                cur.execute("INSERT INTO mm2.counters VALUES (%s, 0, %s)", (k, f"key {k}"))
        a.wait_for_topics([TOPIC])
        wait_until(lambda: sum(end_offsets(a.bootstrap, TOPIC, 3) or [0]) >= KEYS, 60,
                   f"{KEYS} events on A:\n{vimur.log()}")
        decoder_a = Decoder(registry_a.url)
        read_on_a = consume_group(a.bootstrap, GROUP, TOPIC, 3, decoder_a)
        quiet_on_a = committed(a.bootstrap, GROUP, TOPIC, 3)
        assert sum(quiet_on_a) == KEYS
        mm_started.result()
        wait_until(lambda: committed(b.bootstrap, GROUP, TOPIC, 3) == quiet_on_a, 90,
                   f"{GROUP}'s offsets {quiet_on_a} on B:\n{mm.log()}")

        # 2. A DDL (a second value schema) and updates; the group reads about half of them on
        # A and commits there, in the middle of the stream.
        with conn.cursor() as cur:
            cur.execute("ALTER TABLE mm2.counters ADD COLUMN amount DECIMAL(8,2) NULL")
            for r in range(UPDATES_BEFORE):
                for k in range(1, KEYS + 1):
                    cur.execute("UPDATE mm2.counters SET n = n + 1, amount = %s WHERE id = %s",
                                (Decimal(k * 100 + r) / 4, k))
        before_total = KEYS * (1 + UPDATES_BEFORE)
        wait_until(lambda: sum(end_offsets(a.bootstrap, TOPIC, 3) or [0]) >= before_total, 60,
                   f"{before_total} events on A:\n{vimur.log()}")
        read_on_a += consume_group(a.bootstrap, GROUP, TOPIC, 3, decoder_a,
                                   stop_after=KEYS * UPDATES_BEFORE // 2)
        committed_on_a = committed(a.bootstrap, GROUP, TOPIC, 3)
        assert sum(committed_on_a) == len(read_on_a) == KEYS + KEYS * UPDATES_BEFORE // 2

        # 3. More updates and a few deletes (each followed by a tombstone).
        with conn.cursor() as cur:
            for r in range(UPDATES_AFTER):
                for k in range(1, KEYS + 1):
                    cur.execute("UPDATE mm2.counters SET n = n + 1, note = %s WHERE id = %s",
                                (f"after {r}", k))
            cur.execute("DELETE FROM mm2.counters WHERE id % 7 = 0")
        conn.close()
        deleted = KEYS // 7
        total = KEYS * (1 + UPDATES_BEFORE + UPDATES_AFTER) + 2 * deleted
        wait_until(lambda: sum(end_offsets(a.bootstrap, TOPIC, 3) or [0]) >= total, 60,
                   f"{total} events on A:\n{vimur.log()}")
        vimur.stop()

        # Everything reaches B at the same offsets (no transactions: offsets stay dense).
        for topic in (TOPIC, "mm", "_schemas"):  # mm: the DDL topic ({topic_prefix})
            partitions = a.partitions(topic)
            want = end_offsets(a.bootstrap, topic, partitions)
            wait_until(lambda: end_offsets(b.bootstrap, topic, partitions) == want, 60,
                       f"{topic} mirrored to B ({want}):\n{mm.log()}")
        assert b.topic_config(TOPIC)["cleanup.policy"] == "compact"
        assert b.topic_config("_schemas")["cleanup.policy"] == "compact"

        # MirrorMaker checkpoints the mid-stream commit: it translates each partition's offset
        # to the offset sync at or before it (so never past it) and emits the checkpoint only
        # when that is later than its previous one, then writes it into B's group. Wait for
        # the checkpoints of this commit, or three intervals when they are not later.
        deadline = time.time() + 15
        while time.time() < deadline:
            latest = checkpoints(b, GROUP, TOPIC)
            if all(latest.get(p, (-1, -1))[0] == u
                   for p, u in enumerate(committed_on_a) if u > quiet_on_a[p]):
                break
            time.sleep(0.5)
        time.sleep(6)  # one group offset sync interval
        on_b = committed(b.bootstrap, GROUP, TOPIC, 3)
        for p, (t, u) in enumerate(zip(on_b, committed_on_a)):
            assert quiet_on_a[p] <= t <= u, f"partition {p}: B's offset {t}, A's {u}"

        # Site B's registry reads the mirrored _schemas: the same subjects, versions and ids.
        registry_b = schemas_registry(b.bootstrap, str(tmp_path / "registry-b"))
        registries.append(registry_b)
        registry_b.start()
        decoder_b = Decoder(registry_b.url)
        subjects = decoder_a.client.get_subjects()
        assert {f"{TOPIC}-key", f"{TOPIC}-value", "mm-value"} <= set(subjects)  # mm: DDL
        assert decoder_b.client.get_subjects() == subjects
        for subject in subjects:
            versions = decoder_a.client.get_versions(subject)
            assert decoder_b.client.get_versions(subject) == versions
            for v in versions:
                va = decoder_a.client.get_version(subject, v)
                vb = decoder_b.client.get_version(subject, v)
                assert (vb.schema_id, vb.schema.schema_str) == (va.schema_id,
                                                                va.schema.schema_str)
        assert len(decoder_a.client.get_versions(f"{TOPIC}-value")) == 2  # before/after DDL

        # Failover: the same group on B continues from the translated offsets.
        read_on_b = consume_group(b.bootstrap, GROUP, TOPIC, 3, decoder_b)
        first_on_b = {}
        for p, offset, _, _ in read_on_b:
            first_on_b.setdefault(p, offset)
        for p, offset in first_on_b.items():  # where B's group was when it joined
            assert quiet_on_a[p] <= offset <= committed_on_a[p], (p, first_on_b, on_b)
        read_again = sum(committed_on_a[p] - offset for p, offset in first_on_b.items())
        print(f"failover: committed on A {committed_on_a}, checkpoints {latest}, "
              f"B's group started at {first_on_b}: {read_again} events read again")

        rows = {r[0]: r for r in mariadb.query("SELECT id, n, note, amount FROM mm2.counters")}
        final = {k: rows[k][1] if k in rows else None for k in range(1, KEYS + 1)}
        on_a = versions_by_key(read_on_a)
        on_b = versions_by_key(read_on_b)
        for k in range(1, KEYS + 1):
            last = UPDATES_BEFORE + UPDATES_AFTER + (1 if final[k] is None else 0)
            seen_a, seen_b = on_a.get(k, []), on_b.get(k, [])
            assert seen_a == list(range(len(seen_a))), (k, seen_a)
            assert seen_b, f"key {k}: nothing on B"
            # In order, no gap, up to the end; starting at most one past what A delivered.
            assert seen_b == list(range(seen_b[0], last + 1)), (k, seen_b)
            assert seen_b[0] <= len(seen_a), (k, seen_a, seen_b)

        # Every event on B decodes through B's registry; the state they build is the table.
        reader = TopicReader(b, [TOPIC])
        try:
            records = reader.read()
        finally:
            reader.close()
        assert len(records) == total
        state = {}
        history = {}
        for rec in records:
            key = decoder_b.key(TOPIC, rec.key)["id"]
            value = decoder_b.value(TOPIC, rec.value)
            if value is None:
                assert state.get(key) == "deleted", key  # a tombstone follows its delete
                continue
            history.setdefault(key, []).append(version(value))
            state[key] = "deleted" if value["op"] == "d" else value["after"]
        assert {k for k, v in state.items() if v == "deleted"} == set(range(7, KEYS + 1, 7))
        for k, versions in history.items():
            assert versions == list(range(len(versions))), (k, versions)
        live = {k: v for k, v in state.items() if v != "deleted"}
        assert live == {k: {"id": k, "n": n, "note": note, "amount": amount}
                        for k, (_, n, note, amount) in rows.items()}
    finally:
        pool.shutdown(wait=True)
        mm.stop()
        for r in registries:
            r.close()
