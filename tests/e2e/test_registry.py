"""End-to-end: `vimur registry` backed by a real Kafka, driven with Confluent's own Python
SchemaRegistryClient; restarting it shows that subjects, versions, ids and config survive."""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from conftest import ROOT, vimur_binary


@pytest.fixture(scope="module")
def kafka():
    directory = tempfile.mkdtemp(prefix="vimur-e2e-kafka.")
    out = subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "start", directory],
                         check=True, capture_output=True, text=True).stdout
    bootstrap = out.strip().splitlines()[-1].split("=", 1)[1]
    yield bootstrap
    subprocess.run([os.path.join(ROOT, "scripts", "kafka"), "stop", directory],
                   capture_output=True, text=True)
    shutil.rmtree(directory, ignore_errors=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    """One `vimur registry` process over a private _schemas topic."""

    def __init__(self, bootstrap, workdir):
        self.bootstrap = bootstrap
        self.workdir = workdir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.topic = "_schemas_e2e_" + uuid.uuid4().hex[:8]
        self.config = os.path.join(workdir, "vimur.yaml")
        with open(self.config, "w") as f:
            f.write(f"""name: shop
sources:
  - {{name: db, type: mysql, user: vimur}}
transport:
  type: kafka
  bootstrap_servers: {bootstrap}
registry:
  listen: 127.0.0.1:{self.port}
  topic: {self.topic}
""")
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        self.log_path = os.path.join(self.workdir, f"registry.{self.runs}.log")
        with open(self.log_path, "wb") as err:
            self.proc = subprocess.Popen([vimur_binary(), "registry", "--config", self.config],
                                         stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.time() + 60
        while True:
            assert self.proc.poll() is None, f"registry exited:\n{self.log()}"
            try:
                with urllib.request.urlopen(self.url + "/subjects", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            assert time.time() < deadline, f"registry did not answer:\n{self.log()}"
            time.sleep(0.2)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=30)
        assert rc == 0, f"registry exited {rc}:\n{self.log()}"
        self.proc = None

    def log(self):
        with open(self.log_path) as f:
            return f.read()[-4000:]

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def registry(kafka, tmp_path):
    r = Registry(kafka, str(tmp_path))
    r.start()
    yield r
    r.close()


def read_topic(bootstrap, topic):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "e2e-" + uuid.uuid4().hex,
                         "enable.auto.commit": False, "enable.partition.eof": True})
    consumer.assign([TopicPartition(topic, 0, 0)])
    out = []
    deadline = time.time() + 30
    while time.time() < deadline:
        m = consumer.poll(1.0)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                break
            raise AssertionError(str(m.error()))
        out.append((json.loads(m.key()), json.loads(m.value()) if m.value() else None))
    consumer.close()
    return out


def record(fields, name="Value", namespace="shop.shop.orders"):
    return json.dumps({"type": "record", "name": name, "namespace": namespace, "fields": fields})


V1 = record([{"name": "id", "type": "long"}, {"name": "note", "type": "string"}])
V2 = record([{"name": "id", "type": "long"}, {"name": "note", "type": "string"},
             {"name": "qty", "type": ["null", "int"], "default": None}])
BREAKING = record([{"name": "id", "type": "string"}, {"name": "note", "type": "string"}])
SUBJECT = "shop.shop.orders-value"


def test_register_lookup_compatibility_config_delete_and_restart(registry):
    client = SchemaRegistryClient({"url": registry.url})
    id1 = client.register_schema(SUBJECT, Schema(V1, "AVRO"))
    id2 = client.register_schema(SUBJECT, Schema(V2, "AVRO"))
    assert id1 != id2
    # A fresh client (no cache) gets the same id for the same schema.
    assert SchemaRegistryClient({"url": registry.url}).register_schema(
        SUBJECT, Schema(V1, "AVRO")) == id1

    found = client.lookup_schema(SUBJECT, Schema(V1, "AVRO"))
    assert (found.schema_id, found.version, found.subject) == (id1, 1, SUBJECT)
    assert json.loads(client.get_schema(id2).schema_str) == json.loads(V2)
    assert client.get_subjects() == [SUBJECT]
    assert client.get_versions(SUBJECT) == [1, 2]
    latest = client.get_latest_version(SUBJECT)
    assert (latest.version, latest.schema_id) == (2, id2)
    assert client.get_version(SUBJECT, 1).schema_id == id1

    # BACKWARD by default: the optional field is fine, a type change is not.
    assert client.test_compatibility(SUBJECT, Schema(V2, "AVRO")) is True
    assert client.test_compatibility(SUBJECT, Schema(BREAKING, "AVRO")) is False
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema(SUBJECT, Schema(BREAKING, "AVRO"))
    assert err.value.http_status_code == 409
    with pytest.raises(SchemaRegistryError) as err:
        client.register_schema(SUBJECT, Schema('{"type": "record"}', "AVRO"))
    assert err.value.error_code == 42201
    with pytest.raises(SchemaRegistryError) as err:
        client.lookup_schema("no-such-subject", Schema(V1, "AVRO"))
    assert err.value.error_code == 40401

    assert client.get_compatibility() == "BACKWARD"
    client.set_compatibility(level="FULL")
    assert client.get_compatibility() == "FULL"
    client.set_compatibility(SUBJECT, "NONE")
    assert client.get_compatibility(SUBJECT) == "NONE"
    id3 = client.register_schema(SUBJECT, Schema(BREAKING, "AVRO"))
    assert client.get_versions(SUBJECT) == [1, 2, 3]

    other = "shop.shop.items-value"
    client.register_schema(other, Schema(V1, "AVRO"))
    assert client.delete_version(other, 1) == 1
    with pytest.raises(SchemaRegistryError) as err:
        client.delete_subject(other)  # already soft-deleted
    assert err.value.error_code == 40404
    with pytest.raises(SchemaRegistryError):
        client.get_versions(other)

    # Restart: everything comes back from the Kafka topic, with the same ids.
    registry.stop()
    registry.start()
    fresh = SchemaRegistryClient({"url": registry.url})
    assert fresh.get_subjects() == [SUBJECT]
    assert fresh.get_versions(SUBJECT) == [1, 2, 3]
    assert fresh.get_version(SUBJECT, 1).schema_id == id1
    assert fresh.get_version(SUBJECT, 2).schema_id == id2
    assert fresh.get_latest_version(SUBJECT).schema_id == id3
    assert json.loads(fresh.get_schema(id1).schema_str) == json.loads(V1)
    assert fresh.get_compatibility() == "FULL"
    assert fresh.get_compatibility(SUBJECT) == "NONE"
    # New ids continue after the old ones.
    id4 = fresh.register_schema("another-value", Schema('"string"', "AVRO"))
    assert id4 > max(id1, id2, id3)

    # The topic holds Confluent-style records and is compacted.
    records = read_topic(registry.bootstrap, registry.topic)
    first_key, first_value = records[0]
    assert first_key == {"keytype": "SCHEMA", "subject": SUBJECT, "version": 1, "magic": 1}
    assert first_value["id"] == id1 and first_value["deleted"] is False
    assert json.loads(first_value["schema"]) == json.loads(V1)
    assert {"keytype": "CONFIG", "subject": None, "magic": 0} in [k for k, _ in records]
    admin = AdminClient({"bootstrap.servers": registry.bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, registry.topic)
    configs = admin.describe_configs([resource])[resource].result()
    assert configs["cleanup.policy"].value == "compact"

    # Soft delete, then permanent delete of the subject.
    assert fresh.delete_subject(SUBJECT) == [1, 2, 3]
    assert fresh.get_subjects() == ["another-value"]
    assert sorted(fresh.delete_subject(SUBJECT, permanent=True)) == [1, 2, 3]
    registry.stop()
    registry.start()
    assert SchemaRegistryClient({"url": registry.url}).get_subjects() == ["another-value"]


def test_a_second_registry_follows_the_topic_without_a_restart(registry, kafka, tmp_path):
    """Two registries on one `_schemas` topic (as at a second site where MirrorMaker copies it):
    what the first registers, the second serves without a restart: an unknown id at once, new
    versions within `follow_interval_ms`."""
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    follower = Registry(kafka, str(second_dir))
    with open(follower.config) as f:
        text = f.read().replace(follower.topic, registry.topic)
    with open(follower.config, "w") as f:
        f.write(text + "  follow_interval_ms: 200\n")
    follower.start()
    try:
        writer = SchemaRegistryClient({"url": registry.url})
        id1 = writer.register_schema(SUBJECT, Schema(V1, "AVRO"))
        # An id the follower has not seen is looked for in the topic at once.
        got = SchemaRegistryClient({"url": follower.url}).get_schema(id1)
        assert json.loads(got.schema_str) == json.loads(V1)
        id2 = writer.register_schema(SUBJECT, Schema(V2, "AVRO"))
        deadline = time.time() + 30
        while True:
            try:
                if SchemaRegistryClient({"url": follower.url}).get_versions(SUBJECT) == [1, 2]:
                    break
            except SchemaRegistryError:
                pass
            assert time.time() < deadline, follower.log()
            time.sleep(0.1)
        latest = SchemaRegistryClient({"url": follower.url}).get_latest_version(SUBJECT)
        assert (latest.version, latest.schema_id) == (2, id2)
        assert "new records from the log" in follower.log()
    finally:
        follower.close()
