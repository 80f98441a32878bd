"""End to end: the outbox pattern (Debezium's outbox event router) from MariaDB through `vimur
run` to Kafka with exactly-once: a service writes its order and an outbox row in one
transaction and deletes the outbox row; a plain read_committed consumer sees each event once
on `outbox.event.{aggregatetype}`, keyed by the aggregate id, the payload as the value and the
event id in the `id` header, in per-aggregate order; the delete and the outbox table's own
change events are not published; the topic keeps records by time. The same in Avro, read with
Confluent's deserializer through `vimur registry`."""
import json
import tempfile
import time

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import avro_format
from kafka_fixtures import TopicReader, kafka, kafka_vimur  # noqa: F401 (fixtures)
from test_registry import Registry

OUTBOX_DDL = ("CREATE TABLE {db}.outbox (id VARCHAR(36) PRIMARY KEY, aggregatetype "
              "VARCHAR(64) NOT NULL, aggregateid VARCHAR(64) NOT NULL, type VARCHAR(64) NOT NULL, "
              "payload JSON)")


def place_orders(mariadb, db, n):
    """Each order: the business row and its outbox event in one transaction, then the outbox
    row's delete (as services using the pattern do); every third event is about a customer."""
    conn = mariadb.connect()
    conn.autocommit(False)
    with conn.cursor() as cur:
        for i in range(n):
            order = i % 7
            cur.execute(f"INSERT INTO {db}.orders VALUES ({i}, {order}) ON DUPLICATE KEY UPDATE "
                        f"customer = VALUES(customer)")
            aggregate = "Customer" if i % 3 == 0 else "Order"
            payload = json.dumps({"seq": i, "order": order})
            cur.execute(f"INSERT INTO {db}.outbox VALUES (%s, %s, %s, %s, %s)",
                        (f"e-{i}", aggregate, str(order), "Placed", payload))
            conn.commit()
            cur.execute(f"DELETE FROM {db}.outbox WHERE id = %s", (f"e-{i}",))
            conn.commit()
    conn.close()


def read_until(reader, n, vimur, timeout=60):
    deadline = time.time() + timeout
    while len(reader.records) < n:
        assert time.time() < deadline, (len(reader.records), vimur.log())
        reader.read()
        time.sleep(0.3)


def test_outbox_rows_become_events_exactly_once(mariadb, kafka, kafka_vimur):  # noqa: F811
    db = "obx"
    mariadb.execute(f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
                    f"CREATE TABLE {db}.orders (id INT PRIMARY KEY, customer INT)",
                    OUTBOX_DDL.format(db=db))
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"],
                        extra_source=f"    outbox:\n      tables: ['{db}\\.outbox']\n"
                                     f"      topic: '{db}.event.${{routedByValue}}'",
                        extra_transport="  exactly_once: true")
    vimur.start()
    n = 60
    place_orders(mariadb, db, n)
    topics = [f"{db}.event.Order", f"{db}.event.Customer"]
    kafka.wait_for_topics(topics + [f"{db}.{db}.orders"])
    reader = TopicReader(kafka, topics)
    read_until(reader, n, vimur)
    time.sleep(1)
    reader.read()
    vimur.stop()
    reader.close()
    events = reader.records
    assert len(events) == n  # once each: the deletes published nothing
    by_id = {}
    for r in events:
        payload = json.loads(json.loads(r.value))  # a JSON string holding the payload
        seq = payload["seq"]
        assert r.headers == {"id": f"e-{seq}".encode()}, r.headers
        assert r.topic == topics[1 if seq % 3 == 0 else 0]
        assert json.loads(r.key) == str(payload["order"])
        by_id[seq] = r
    assert sorted(by_id) == list(range(n))
    # Per aggregate, in the order the service wrote them.
    for topic in topics:
        for order in range(7):
            seqs = [json.loads(json.loads(r.value))["seq"] for r in events
                    if r.topic == topic and json.loads(r.key) == str(order)]
            assert seqs == sorted(seqs), (topic, order, seqs)
    # The outbox table has no change-event topic; the business table's events flow as usual.
    assert kafka.partitions(f"{db}.{db}.outbox") == 0
    assert kafka.topic_config(topics[0])["cleanup.policy"] == "delete"


def test_outbox_events_in_avro(mariadb, kafka, kafka_vimur, tmp_path):  # noqa: F811
    db = "obxavro"
    mariadb.execute(f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
                    f"CREATE TABLE {db}.orders (id INT PRIMARY KEY, customer INT)",
                    OUTBOX_DDL.format(db=db))
    registry = Registry(kafka.bootstrap, tempfile.mkdtemp(prefix="vimur-e2e-outbox-registry."))
    registry.start()
    vimur = kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"],
                        extra_source=f"    outbox:\n      tables: ['{db}\\.outbox']\n"
                                     f"      topic: '{db}.event.${{routedByValue}}'")
    avro_format(vimur.config, registry.url)
    try:
        vimur.start()
        place_orders(mariadb, db, 6)
        topics = [f"{db}.event.Order", f"{db}.event.Customer"]
        kafka.wait_for_topics(topics)
        reader = TopicReader(kafka, topics)
        read_until(reader, 6, vimur)
        vimur.stop()
        reader.close()
        client = SchemaRegistryClient({"url": registry.url})
        deserialize = AvroDeserializer(client)
        got = {}
        for r in reader.records:
            key = deserialize(r.key, SerializationContext(r.topic, MessageField.KEY))
            value = deserialize(r.value, SerializationContext(r.topic, MessageField.VALUE))
            payload = json.loads(value)
            assert key == str(payload["order"]) and r.headers["id"] == f"e-{payload['seq']}".encode()
            got[payload["seq"]] = r.topic
        assert got == {i: topics[1 if i % 3 == 0 else 0] for i in range(6)}
        assert client.get_latest_version(topics[0] + "-value").schema.schema_str.strip('"') \
            == "string"
    finally:
        vimur.close()
        registry.close()
