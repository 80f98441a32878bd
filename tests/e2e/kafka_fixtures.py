"""Fixtures for end-to-end tests with the Kafka transport: a private single-node Kafka
started by scripts/kafka, `vimur run` as a real process publishing to it, and readers built on
confluent-kafka (librdkafka's Python client), i.e. clients Vimur did not write.

With the Kafka transport the source positions live in the offsets topic, not in state_dir, so
a run counts as started once its log says where it streams from."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
import zlib

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from conftest import ROOT, vimur_binary


# --- Java's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), written from its spec ---

def murmur2(data: bytes) -> int:
    """Kafka's murmur2 of `data` as a signed 32-bit Java int (seed 0x9747b28c)."""
    m, r = 0x5BD1E995, 24
    mask = 0xFFFFFFFF
    length = len(data)
    h = (0x9747B28C ^ length) & mask
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & mask
        k ^= k >> r
        k = (k * m) & mask
        h = (h * m) & mask
        h ^= k
    tail = length & ~3
    rest = length % 4
    if rest == 3:
        h ^= data[tail + 2] << 16
    if rest >= 2:
        h ^= data[tail + 1] << 8
    if rest >= 1:
        h ^= data[tail]
        h = (h * m) & mask
    h ^= h >> 13
    h = (h * m) & mask
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def java_partition(key: bytes, partitions: int) -> int:
    """The partition the Java client's default partitioner picks for a non-null key."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


# --- the broker ---

def quiet(config):
    """librdkafka logs connection failures to stderr; the broker stop tests cause them."""
    config["log_level"] = 2
    return config


class Kafka:
    def __init__(self, directory):
        self.dir = directory
        self.bootstrap = None
        self.start()
        self.admin = AdminClient(quiet({"bootstrap.servers": self.bootstrap}))

    def start(self):
        env = dict(os.environ, VIMUR_KAFKA_WATCH_PID=str(os.getpid()))
        out = subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "start", self.dir],
                             check=True, capture_output=True, text=True, env=env).stdout
        bootstrap = out.strip().splitlines()[-1].split("=", 1)[1]
        assert self.bootstrap in (None, bootstrap), "the broker came back on another port"
        self.bootstrap = bootstrap

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "stop", self.dir],
                       capture_output=True, text=True)

    def partitions(self, topic):
        md = self.admin.list_topics(topic=topic, timeout=10)
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return 0
        return len(t.partitions)

    def topics(self):
        return set(self.admin.list_topics(timeout=10).topics)

    def wait_for_topics(self, topics, timeout=60):
        deadline = time.time() + timeout
        while True:
            missing = [t for t in topics if self.partitions(t) == 0]
            if not missing:
                return
            assert time.time() < deadline, f"topics never created: {missing}"
            time.sleep(0.2)

    def topic_config(self, topic):
        res = ConfigResource(ConfigResource.Type.TOPIC, topic)
        configs = self.admin.describe_configs([res])[res].result(timeout=30)
        return {name: entry.value for name, entry in configs.items()}

    def alter_topic_config(self, topic, settings):
        """Incremental alter (only the given keys change)."""
        self._alter(ConfigResource.Type.TOPIC, topic, settings)

    def alter_broker_config(self, settings):
        """Dynamic settings of the broker (node.id 1, as scripts/kafka configures it)."""
        self._alter(ConfigResource.Type.BROKER, "1", settings)

    def _alter(self, kind, name, settings):
        from confluent_kafka.admin import AlterConfigOpType, ConfigEntry
        res = ConfigResource(kind, name, incremental_configs=[
            ConfigEntry(k, str(v), incremental_operation=AlterConfigOpType.SET)
            for k, v in settings.items()])
        for f in self.admin.incremental_alter_configs([res]).values():
            f.result(timeout=30)


@pytest.fixture(scope="module")
def kafka():
    directory = tempfile.mkdtemp(prefix="vimur-e2e-kafka.")
    broker = Kafka(directory)
    yield broker
    broker.stop()
    shutil.rmtree(directory, ignore_errors=True)


# --- reading topics back ---

class Record:
    __slots__ = ("topic", "partition", "offset", "key", "value", "timestamp", "headers")

    def __init__(self, msg):
        self.topic = msg.topic()
        self.partition = msg.partition()
        self.offset = msg.offset()
        self.key = msg.key()
        self.value = msg.value()
        self.timestamp = msg.timestamp()[1]
        self.headers = dict(msg.headers() or [])

    def json_key(self):
        return None if self.key is None else json.loads(self.key)

    def json_value(self):
        return None if self.value is None else json.loads(self.value)

    def __repr__(self):
        return f"{self.topic}[{self.partition}]@{self.offset} {self.key!r} -> {self.value!r:.200}"


class TopicReader:
    """Reads whole topics from the beginning with a plain confluent-kafka Consumer and keeps
    what it read; `read()` continues from where the previous call stopped, so a caller can
    poll for more cheaply. isolation is read_committed or read_uncommitted."""

    def __init__(self, kafka, topics, isolation="read_committed"):
        self.kafka = kafka
        self.topics = list(topics)
        self.records = []
        kafka.wait_for_topics(self.topics)
        self.consumer = Consumer(quiet({
            "bootstrap.servers": kafka.bootstrap,
            "group.id": "vimur-e2e-reader-" + uuid.uuid4().hex,
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "isolation.level": isolation,
            "auto.offset.reset": "earliest",
        }))
        # Where to continue, per partition.
        self.next = {(t, p): OFFSET_BEGINNING for t in self.topics
                     for p in range(kafka.partitions(t))}

    def read(self, timeout=60):
        """Reads until every partition is at its end (as seen now); returns the new records."""
        # A new assignment makes librdkafka report the end of each partition again.
        self.consumer.assign([TopicPartition(t, p, o) for (t, p), o in self.next.items()])
        at_end = set()
        new = []
        deadline = time.time() + timeout
        want = set(self.next)
        while at_end != want:
            assert time.time() < deadline, f"could not read to the end of {self.topics}"
            for msg in self.consumer.consume(num_messages=10000, timeout=0.5):
                err = msg.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        at_end.add((msg.topic(), msg.partition()))
                        continue
                    if err.retriable():
                        continue
                    raise AssertionError(f"consumer error: {err}")
                at_end.discard((msg.topic(), msg.partition()))
                self.next[(msg.topic(), msg.partition())] = msg.offset() + 1
                new.append(Record(msg))
        self.records.extend(new)
        return new

    def close(self):
        self.consumer.close()


def read_topics(kafka, topics, isolation="read_committed"):
    reader = TopicReader(kafka, topics, isolation)
    try:
        reader.read()
        return reader.records
    finally:
        reader.close()


# --- vimur with the Kafka transport ---

class KafkaVimur:
    """One pipeline publishing to Kafka: its config, every run's log, and the process."""

    def __init__(self, mariadb, kafka, workdir, name, include_tables, extra_source="",
                 extra_transport="", extra_top=""):
        self.workdir = workdir
        self.name = name
        self.kafka = kafka
        self.config = os.path.join(workdir, "vimur.yaml")
        include = ", ".join("'" + t + "'" for t in include_tables)
        with open(self.config, "w") as f:
            f.write(f"""name: {name}
state_dir: {os.path.join(workdir, "state")}
{extra_top}
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: {5500 + zlib.crc32(name.encode()) % 1000}
    heartbeat_interval_ms: 500
    include_tables: [{include}]
{extra_source}
transport:
  type: kafka
  bootstrap_servers: {kafka.bootstrap}
{extra_transport}
format:
  type: json
""")
        self.proc = None
        self.runs = 0
        self.peak_rss_kb = 0  # highest VmHWM seen over all runs
        self._watch = None

    def log_path(self, run=None):
        return os.path.join(self.workdir, f"vimur.{run or self.runs}.log")

    def log(self, run=None):
        try:
            return open(self.log_path(run), errors="replace").read()[-6000:]
        except OSError:
            return ""

    def start(self, wait=True, timeout=60):
        self.runs += 1
        err = open(self.log_path(), "wb")
        self.proc = subprocess.Popen([vimur_binary(), "run", "--config", self.config],
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        self._start_watch()
        if wait:
            self.wait_started(timeout)

    def started(self):
        return "streaming from" in open(self.log_path(), errors="replace").read()

    def wait_started(self, timeout=60):
        deadline = time.time() + timeout
        while not self.started():
            assert self.proc.poll() is None, f"vimur exited {self.proc.returncode}:\n{self.log()}"
            assert time.time() < deadline, f"vimur did not start streaming:\n{self.log()}"
            time.sleep(0.05)

    def _start_watch(self):
        """Samples VmHWM (peak resident memory) of the running process until it ends."""
        proc = self.proc

        def watch():
            while proc.poll() is None:
                self.sample_memory(proc)
                time.sleep(0.2)

        self._watch = threading.Thread(target=watch, daemon=True)
        self._watch.start()

    def sample_memory(self, proc=None):
        proc = proc or self.proc
        if proc is None:
            return
        try:
            with open(f"/proc/{proc.pid}/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        self.peak_rss_kb = max(self.peak_rss_kb, int(line.split()[1]))
        except OSError:
            pass

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=90):
        self.sample_memory()
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=timeout)
        assert rc == 0, f"vimur exited {rc}:\n{self.log()}"
        self.proc = None

    def kill9(self):
        self.sample_memory()
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def kafka_vimur(tmp_path):
    made = []

    def make(mariadb, kafka, name, include_tables, **kwargs):
        workdir = tempfile.mkdtemp(prefix=f"vimur-e2e-{name}.", dir=str(tmp_path))
        v = KafkaVimur(mariadb, kafka, workdir, name, include_tables, **kwargs)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()
