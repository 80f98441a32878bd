"""End to end: the embedded local log (`transport: {type: local}`) with a `sql` sink in the
same `vimur run` process, and no Kafka.

One writer runs transactions (inserts, updates, deletes) on `lshop.items` in MariaDB while
`vimur run` captures them into the local log under state_dir and the sink applies them to a
second database. vimur is killed with kill -9 several times mid-run and restarted. At the end
the target table equals the source, and the log itself holds every captured change exactly
once: the records of a batch whose commit record was not written when vimur died are cut off
on restart (recovery), and the source reads that transaction again.

Sizes: CI runs 3,000 transactions and 3 kill -9; VIMUR_TEST_LONG=1 runs the issue-sized
variant, 50,000 transactions and 20 kill -9.

Also: `vimur tail` prints the local log's events (from the beginning, and following new ones
from another process); `vimur export --to-kafka` copies every topic to the Kafka fixture and
a confluent-kafka consumer reads the same keys, values, tombstones, partitions and order as
`vimur tail --from-beginning` reads from the log; compaction of a running pipeline's log
keeps the latest value per key and drops deleted keys, at the offsets they had; a consumer
group that is behind holds retention and then the source (slow_consumer: wait) until its
offsets file is removed."""
import glob
import json
import os
import random
import signal
import struct
import subprocess
import threading
import time
import zlib

from conftest import vimur_binary
from kafka_fixtures import kafka, read_topics  # noqa: F401  (the Kafka fixture for export)

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
TRANSACTIONS = 50_000 if LONG else 3_000
KILLS = 20 if LONG else 3
RATE = 1000 if LONG else 250  # transactions per second
KEYS = 400


def write_config(path, mariadb):
    with open(path, "w") as f:
        f.write(f"""name: llog
state_dir: {os.path.dirname(path)}/state
sources:
  - name: db
    type: mysql
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: 5977
    heartbeat_interval_ms: 500
    include_tables: ['lshop\\.items']
transport:
  type: local
  topic: {{partitions: 3}}
format:
  type: json
  schemas: true
sinks:
  - name: copy
    type: sql
    topics: ['llog\\.lshop\\.items']
    targets: {{t: 'mariadb://root:root@127.0.0.1:{mariadb.port}/ltarget'}}
    create_tables: true
    batch_max_ms: 50
""")


class Run:
    def __init__(self, config, workdir):
        self.config, self.workdir, self.proc, self.runs = config, workdir, None, 0

    def log_path(self, run=None):
        return os.path.join(self.workdir, f"run.{run or self.runs}.log")

    def log(self, run=None):
        try:
            return open(self.log_path(run), errors="replace").read()
        except OSError:
            return ""

    def start(self):
        self.runs += 1
        err = open(self.log_path(), "wb")
        self.proc = subprocess.Popen([vimur_binary(), "run", "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()

    def wait_log(self, texts, timeout=60):
        deadline = time.time() + timeout
        while not any(t in self.log() for t in texts):
            assert self.proc.poll() is None, f"vimur exited {self.proc.returncode}:\n{self.log()[-4000:]}"
            assert time.time() < deadline, f"none of {texts} in the log:\n{self.log()[-4000:]}"
            time.sleep(0.05)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=60)
        assert rc == 0, f"vimur exited {rc}:\n{self.log()[-4000:]}"

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def workload(mariadb, done, progress):
    """TRANSACTIONS transactions of 1-3 statements; every statement writes a new `seq`, so
    every change event in the log is distinct."""
    rng = random.Random(15)
    conn = mariadb.connect(db="lshop")
    conn.autocommit(False)
    seq = 0
    interval = 1.0 / RATE
    for n in range(TRANSACTIONS):
        t0 = time.time()
        with conn.cursor() as cur:
            for _ in range(rng.randint(1, 3)):
                seq += 1
                key = rng.randint(1, KEYS)
                roll = rng.random()
                if roll < 0.6:
                    cur.execute("INSERT INTO items (id, seq, note) VALUES (%s, %s, %s)"
                                " ON DUPLICATE KEY UPDATE seq = VALUES(seq), note = VALUES(note)",
                                (key, seq, rng.choice(["a", "ünï", None, "it's"])))
                elif roll < 0.85:
                    cur.execute("UPDATE items SET seq = %s WHERE id = %s", (seq, key))
                else:
                    cur.execute("DELETE FROM items WHERE id = %s", (key,))
        conn.commit()
        progress[0] = n + 1
        time.sleep(max(0.0, interval - (time.time() - t0)))
    conn.close()
    done.set()


def read_log(log_dir):
    """Every record of every partition of every topic, checking the frames like the reader."""
    records = {}
    commits = open(os.path.join(log_dir, "__commits"), "rb").read()
    last, pos = None, 0
    while pos + 8 <= len(commits):
        length, crc = struct.unpack_from("<II", commits, pos)
        body = commits[pos + 8:pos + 8 + length]
        if len(body) < length or zlib.crc32(body) != crc:
            break
        last, pos = json.loads(body), pos + 8 + length
    assert last is not None, "no commit record"
    for topic, ends in last["topics"].items():
        for p, end in enumerate(ends):
            out, expected = [], None
            for seg in sorted(glob.glob(os.path.join(log_dir, topic, str(p), "*.log"))):
                data, pos = open(seg, "rb").read(), 0
                while pos + 8 <= len(data):
                    length, crc = struct.unpack_from("<II", data, pos)
                    body = data[pos + 8:pos + 8 + length]
                    assert len(body) == length and zlib.crc32(body) == crc, f"{seg} at byte {pos}"
                    offset, _ts, klen = struct.unpack_from("<qqi", body, 0)
                    at = 20 + max(klen, 0)
                    key = body[20:at] if klen >= 0 else None
                    (vlen,) = struct.unpack_from("<i", body, at)
                    value = body[at + 4:at + 4 + vlen] if vlen >= 0 else None
                    if offset < end:
                        assert expected is None or offset == expected, f"{seg}: gap at {offset}"
                        out.append((key, value))
                    expected = offset + 1
                    pos += 8 + length
            assert expected is None or expected >= end, f"{topic}[{p}] ends at {expected} < {end}"
            records[(topic, p)] = out
    return records


def test_kill9_during_writes_then_target_equals_source_and_log_exactly_once(mariadb, tmp_path):
    mariadb.execute(
        "DROP DATABASE IF EXISTS lshop", "DROP DATABASE IF EXISTS ltarget",
        "CREATE DATABASE lshop", "CREATE DATABASE ltarget",
        "CREATE TABLE lshop.items (id INT PRIMARY KEY, seq BIGINT NOT NULL, note VARCHAR(20))"
        " DEFAULT CHARSET=utf8mb4")
    config = str(tmp_path / "vimur.yaml")
    write_config(config, mariadb)
    run = Run(config, str(tmp_path))
    try:
        run.start()
        run.wait_log(["streaming from"])
        done, progress = threading.Event(), [0]
        writer = threading.Thread(target=workload, args=(mariadb, done, progress))
        writer.start()
        rng = random.Random(9)
        seconds = TRANSACTIONS / RATE
        for k in range(KILLS):
            # Spread over the writes; each kill lands while vimur is capturing and applying.
            target = TRANSACTIONS * (k + 1) // (KILLS + 1)
            while progress[0] < target and not done.is_set():
                time.sleep(0.02)
            time.sleep(rng.uniform(0, min(0.5, seconds / (KILLS + 1) / 2)))
            run.kill9()
            run.start()
            run.wait_log(["resuming from stored position"])
        writer.join()
        want = mariadb.query("SELECT id, seq, note FROM lshop.items ORDER BY id")
        deadline, got = time.time() + 60, None
        while time.time() < deadline:
            try:
                got = mariadb.query("SELECT id, seq, note FROM ltarget.items ORDER BY id")
            except Exception:  # the table is created with the first batch
                got = None
            if got == want:
                break
            assert run.proc.poll() is None, f"vimur exited:\n{run.log()[-4000:]}"
            time.sleep(0.5)
        assert got == want, (f"target differs: {len(got or [])} rows vs {len(want)}\n"
                             f"{run.log()[-3000:]}")
        run.stop()
    finally:
        run.close()

    # Every change event exactly once in the log, although the source read some
    # transactions twice (the ones in flight at each kill).
    records = read_log(str(tmp_path / "state" / "llog" / "log"))
    seen, total = set(), 0
    for (topic, _p), rows in records.items():
        if topic != "llog.lshop.items":
            continue
        for key, value in rows:
            if value is None:
                continue  # tombstones repeat the delete's key
            v = json.loads(value)["payload"]
            ident = (key, v["op"], json.dumps(v["before"], sort_keys=True),
                     json.dumps(v["after"], sort_keys=True))
            assert ident not in seen, f"change delivered twice: {ident}"
            seen.add(ident)
            total += 1
    assert total >= TRANSACTIONS // 2, f"{total} events for {TRANSACTIONS} transactions"


# --- vimur tail and vimur export --to-kafka over the local log ---

def write_small_config(path, mariadb, name, db, server_id, transport=""):
    with open(path, "w") as f:
        f.write(f"""name: {name}
state_dir: {os.path.dirname(path)}/state
sources:
  - name: db
    type: mysql
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: {server_id}
    heartbeat_interval_ms: 500
    include_tables: ['{db}\\..*']
transport:
  type: local
  topic: {{partitions: 3}}
{transport}format:
  type: json
""")


def tail(config, topic, extra, timeout=30):
    out = subprocess.run([vimur_binary(), "tail", "--config", config, "--topic", topic] + extra,
                         capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-3000:]
    return [json.loads(line) for line in out.stdout.splitlines()]


def make_changes(mariadb, db):
    mariadb.execute(
        f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
        f"CREATE TABLE {db}.items (id INT PRIMARY KEY, note VARCHAR(20))",
        f"CREATE TABLE {db}.logs (line VARCHAR(20))")  # no primary key: null keys
    conn = mariadb.connect(db=db)
    conn.autocommit(True)
    with conn.cursor() as cur:
        for i in range(1, 31):
            cur.execute("INSERT INTO items VALUES (%s, %s)", (i, f"n{i}"))
        for i in range(1, 11):
            cur.execute("UPDATE items SET note = %s WHERE id = %s", (f"u{i}", i))
        for i in range(21, 26):
            cur.execute("DELETE FROM items WHERE id = %s", (i,))  # delete + tombstone
        for i in range(5):
            cur.execute("INSERT INTO logs VALUES (%s)", (f"l{i}",))
    conn.close()
    # 30 inserts, 10 updates, 5 deletes with 5 tombstones, 5 keyless inserts.
    return 55


def test_tail_prints_the_local_log_events_and_follows_new_ones(mariadb, tmp_path):
    config = str(tmp_path / "vimur.yaml")
    write_small_config(config, mariadb, "tl", "tlshop", 5978)
    mariadb.execute("DROP DATABASE IF EXISTS tlshop", "CREATE DATABASE tlshop",
                    "CREATE TABLE tlshop.items (id INT PRIMARY KEY, note VARCHAR(20))")
    run = Run(config, str(tmp_path))
    follower = None
    try:
        run.start()
        run.wait_log(["streaming from"])
        # Started before the rows exist (and before their topic): follows new records.
        follower = subprocess.Popen(
            [vimur_binary(), "tail", "--config", config, "--topic", r"tl\.tlshop\..*",
             "--max", "3"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
        mariadb.execute("INSERT INTO tlshop.items VALUES (1, 'a'), (2, 'b')",
                        "UPDATE tlshop.items SET note = 'c' WHERE id = 1")
        out, err = follower.communicate(timeout=30)
        assert follower.returncode == 0, err[-3000:]
        followed = [json.loads(line) for line in out.splitlines()]
        assert sorted((e["value"]["op"], e["key"]["id"]) for e in followed) == \
            [("c", 1), ("c", 2), ("u", 1)], followed
        # From the beginning: the same events, with topic, partition and offset; the
        # partitions are Kafka's partitioner's and per key in order.
        events = tail(config, r"tl\.tlshop\.items", ["--from-beginning", "--max", "3"])
        assert sorted((e["value"]["op"], e["key"]["id"]) for e in events) == \
            [("c", 1), ("c", 2), ("u", 1)]
        for e in events:
            assert e["topic"] == "tl.tlshop.items"
            assert isinstance(e["offset"], int) and isinstance(e["timestamp"], int)
        ones = [e for e in events if e["key"]["id"] == 1]
        assert [e["value"]["op"] for e in ones] == ["c", "u"]  # one key: one partition, in order
        assert ones[0]["partition"] == ones[1]["partition"]
        assert ones[0]["offset"] < ones[1]["offset"]
        assert ones[1]["value"]["after"] == {"id": 1, "note": "c"}
        run.stop()
    finally:
        if follower is not None and follower.poll() is None:
            follower.kill()
        run.close()


def test_export_to_kafka_keeps_keys_partitions_order_and_tombstones(mariadb, kafka, tmp_path):
    config = str(tmp_path / "vimur.yaml")
    write_small_config(config, mariadb, "ex", "exshop", 5979)
    run = Run(config, str(tmp_path))
    try:
        run.start()
        run.wait_log(["streaming from"])
        changes = make_changes(mariadb, "exshop")
        # Wait until the log holds every change (tail reads what is committed).
        deadline = time.time() + 30
        while True:
            events = tail(config, r"ex\.exshop\..*", ["--from-beginning", "--max", str(changes)])
            if len(events) >= changes or time.time() > deadline:
                break
        assert len(events) == changes
        run.stop()
    finally:
        run.close()

    out = subprocess.run([vimur_binary(), "export", "--config", config, "--to-kafka",
                          kafka.bootstrap], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    copied = {}
    for line in out.stdout.splitlines():
        topic, rest = line.split(": ", 1)
        copied[topic] = int(rest.split(" ", 1)[0])
    assert copied.get("ex.exshop.items") == 50 and copied.get("ex.exshop.logs") == 5, out.stdout
    total = sum(copied.values())

    # The local log, read with vimur tail; Kafka, read with confluent-kafka.
    local = {}
    for e in tail(config, ".*", ["--from-beginning", "--max", str(total)]):
        local.setdefault((e["topic"], e["partition"]), []).append((e["key"], e["value"]))
    remote = {}
    for r in read_topics(kafka, list(copied)):
        remote.setdefault((r.topic, r.partition), []).append((r.json_key(), r.json_value()))
    assert remote == local
    assert kafka.partitions("ex.exshop.items") == 3
    assert kafka.partitions("ex.exshop.logs") == 3
    assert kafka.topic_config("ex.exshop.items")["cleanup.policy"] == "compact"
    assert kafka.topic_config("ex.exshop.logs")["cleanup.policy"] == "delete"
    tombstones = [v for p, rows in remote.items() if p[0] == "ex.exshop.items"
                  for k, v in rows if v is None]
    assert len(tombstones) == 5

    # A second run would copy everything twice: refused, naming the topic.
    again = subprocess.run([vimur_binary(), "export", "--config", config, "--to-kafka",
                            kafka.bootstrap, "--topic", r"ex\.exshop\.items"],
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 1
    assert "ex.exshop.items" in again.stderr and "already holds records" in again.stderr


def tail_for(config, topic, seconds):
    """Everything `vimur tail --from-beginning` prints in `seconds` (then SIGINT)."""
    proc = subprocess.Popen([vimur_binary(), "tail", "--config", config, "--topic", topic,
                             "--from-beginning"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err[-3000:]
    return [json.loads(line) for line in out.splitlines()]


def test_compaction_keeps_the_latest_value_per_key_and_drops_deleted_keys(mariadb, tmp_path):
    """Small segments and a fast compaction pass: once the changes are in closed segments,
    the log holds one record per key (its latest value) and nothing of deleted keys (tombstone
    retention 0), at the offsets they had, while `vimur run` keeps writing."""
    config = str(tmp_path / "vimur.yaml")
    write_small_config(config, mariadb, "cp", "cpshop", 5980, transport="""  topic_overrides: {cp.cpshop.items: {partitions: 1}}
  segment_bytes: 4096
  compaction_interval_ms: 200
  compaction_tombstone_retention_ms: 0
""")
    mariadb.execute("DROP DATABASE IF EXISTS cpshop", "CREATE DATABASE cpshop",
                    "CREATE TABLE cpshop.items (id INT PRIMARY KEY, note VARCHAR(40))")
    run = Run(config, str(tmp_path))
    try:
        run.start()
        run.wait_log(["streaming from"])
        conn = mariadb.connect(db="cpshop")
        conn.autocommit(True)
        with conn.cursor() as cur:
            for i in range(1, 21):
                cur.execute("INSERT INTO items VALUES (%s, %s)", (i, f"v0-{i}"))
            for v in range(1, 4):
                for i in range(1, 21):
                    cur.execute("UPDATE items SET note = %s WHERE id = %s", (f"v{v}-{i}", i))
            for i in range(16, 21):
                cur.execute("DELETE FROM items WHERE id = %s", (i,))
            # Filler on another key, so that the changes above end up in closed segments.
            cur.execute("INSERT INTO items VALUES (1000, 'f')")
            for v in range(80):
                cur.execute("UPDATE items SET note = %s WHERE id = 1000", (f"filler-{v}",))
        conn.close()
        want = {row[0]: row[1] for row in
                mariadb.query("SELECT id, note FROM cpshop.items WHERE id < 1000")}
        assert sorted(want) == list(range(1, 16))
        deadline = time.time() + 25
        while True:
            events = tail_for(config, r"cp\.cpshop\.items", 1.5)
            by_key = {}
            for e in events:
                by_key.setdefault(e["key"]["id"], []).append(e)
            others = {k: v for k, v in by_key.items() if k != 1000}
            done = (sorted(others) == list(range(1, 16)) and
                    all(len(v) == 1 for v in others.values()))
            if done or time.time() > deadline:
                break
            time.sleep(0.5)
        assert done, (f"not compacted: {[(k, len(v)) for k, v in sorted(by_key.items())]}\n"
                      f"{run.log()[-3000:]}")
        assert "compacted" in run.log()
        for key, (e,) in others.items():
            assert e["value"]["after"] == {"id": key, "note": want[key]}, e
        # Offsets stay: increasing, with gaps where records were removed; the latest filler
        # record is the last one.
        offsets = [e["offset"] for e in events]
        assert offsets == sorted(offsets) and len(set(offsets)) == len(offsets)
        # Every change had its own offset: 20 inserts, 60 updates, 5 deletes and their 5
        # tombstones, 1 + 80 filler changes; the last is at 170 still.
        assert offsets[-1] == 20 + 60 + 10 + 81 - 1
        assert len(events) < 100
        assert by_key[1000][-1]["value"]["after"]["note"] == "filler-79"
        run.stop()
    finally:
        run.close()


def test_a_slow_consumer_group_holds_the_source_until_released(mariadb, tmp_path):
    """slow_consumer: wait. A consumer group that committed offset 0 (its sink is not running)
    keeps retention from deleting what it has not read; once more than
    slow_consumer_max_bytes are unread the source waits (the log says which group holds it),
    and removing the group's offsets file releases it."""
    config = str(tmp_path / "vimur.yaml")
    write_small_config(config, mariadb, "sl", "slshop", 5981, transport="""  topic_overrides: {sl.slshop.items: {partitions: 1}}
  segment_bytes: 4096
  retention_bytes: 4096
  slow_consumer_max_bytes: 8192
""")
    mariadb.execute("DROP DATABASE IF EXISTS slshop", "CREATE DATABASE slshop",
                    "CREATE TABLE slshop.items (id INT PRIMARY KEY, note VARCHAR(40))")
    group = tmp_path / "state" / "sl" / "consumers" / "late-sink.json"
    group.parent.mkdir(parents=True)
    group.write_text('{"sl.slshop.items": {"0": 0}}\n')
    run = Run(config, str(tmp_path))
    try:
        run.start()
        run.wait_log(["streaming from"])
        conn = mariadb.connect(db="slshop")
        conn.autocommit(True)
        with conn.cursor() as cur:
            for i in range(1, 101):
                cur.execute("INSERT INTO items VALUES (%s, %s)", (i, "x" * 30))
        # Retention runs every 5 s: it finds the group behind and holds the topic.
        run.wait_log(["wait for consumer group late-sink at sl.slshop.items[0]@0"], timeout=30)
        with conn.cursor() as cur:
            for i in range(101, 201):
                cur.execute("INSERT INTO items VALUES (%s, %s)", (i, "x" * 30))
        conn.close()
        held = tail_for(config, r"sl\.slshop\.items", 2)
        assert held and held[0]["offset"] == 0  # retention deleted nothing the group needs
        assert max(e["key"]["id"] for e in held) <= 100  # the source waits
        group.unlink()  # releases it
        deadline = time.time() + 20
        while True:
            after = tail_for(config, r"sl\.slshop\.items", 1.5)
            # Everything captured, and retention went on (the oldest segments are gone).
            if (after and max(e["key"]["id"] for e in after) == 200 and after[0]["offset"] > 0
                    or time.time() > deadline):
                break
        assert after and max(e["key"]["id"] for e in after) == 200, run.log()[-3000:]
        assert after[0]["offset"] > 0, run.log()[-3000:]
        run.stop()
    finally:
        run.close()
