"""End to end in Avro: MariaDB -> `vimur run` (kafka transport, avro format) -> Kafka, with
`vimur registry` as the schema registry. Every topic is read back with confluent-kafka's
AvroDeserializer (Confluent's own client) and with fastavro, and every value is compared with
the source rows across all column types, before and after DDL."""
import base64
import decimal
import io
import json
import random
import shutil
import struct
import subprocess
import tempfile
import time

import fastavro
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext
from conftest import vimur_binary

from debezium_values import b64_decimal, expected, same
from kafka_fixtures import TopicReader, kafka, kafka_vimur  # noqa: F401 (fixtures)
from test_mysql_capture import column_types, insert_sql, rand_row, setup_schema
from test_registry import Registry


def as_json_like(column_type, value):
    """Avro decodes decimals to Decimal and bytes to bytes; map to the JSON representation
    that `expected()` describes so one comparison serves both formats."""
    if isinstance(value, decimal.Decimal):
        return b64_decimal(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if isinstance(value, dict) and "wkb" in value:
        return {"wkb": base64.b64encode(value["wkb"]).decode(), "srid": value["srid"]}
    return value


def fastavro_decode(registry_client, payload):
    magic, schema_id = struct.unpack(">bI", payload[:5])
    assert magic == 0
    schema = fastavro.parse_schema(json.loads(registry_client.get_schema(schema_id).schema_str))
    return fastavro.schemaless_reader(io.BytesIO(payload[5:]), schema)


def test_avro_values_match_select_across_ddl(mariadb, kafka, kafka_vimur):
    setup_schema(mariadb)
    mariadb.execute("CREATE TABLE e2e.evolve (id INT PRIMARY KEY, a VARCHAR(10), b INT)")
    workdir = tempfile.mkdtemp(prefix="vimur-e2e-avro-registry.")
    registry = Registry(kafka.bootstrap, workdir)
    registry.start()
    try:
        vimur = kafka_vimur(mariadb, kafka, "avro", [r"e2e\..*"])
        with open(vimur.config) as f:
            text = f.read()
        with open(vimur.config, "w") as f:
            f.write(text.replace("format:\n  type: json\n",
                                 f"format:\n  type: avro\n  registry_url: {registry.url}\n"
                                 "  on_incompatible_schema: continue\n"))
        vimur.start()
        rng = random.Random(4)
        conn = mariadb.connect()
        with conn.cursor() as cur:
            for i in range(1, 401):
                values = rand_row(rng, i)
                if i % 10 == 0:
                    values["t_geom"] = "POINT(1.5 -2.25)"
                sql, args = insert_sql(values)
                cur.execute(sql, args)
            for i in range(1, 401, 7):
                values = rand_row(rng, i)
                del values["id"], values["t_geom"]
                cur.execute("UPDATE e2e.all_types SET " + ", ".join(f"{k} = %s" for k in values)
                            + " WHERE id = %s", list(values.values()) + [i])
            cur.execute("DELETE FROM e2e.all_types WHERE id % 11 = 0")
        conn.close()
        mariadb.execute(
            "INSERT INTO e2e.evolve VALUES (1, 'one', 1)",
            "ALTER TABLE e2e.evolve ADD COLUMN c DECIMAL(5,2) NULL",
            "INSERT INTO e2e.evolve VALUES (2, 'two', 2, 2.50)",
            "ALTER TABLE e2e.evolve ADD COLUMN d ENUM('x','y') NULL",
            "INSERT INTO e2e.evolve VALUES (3, 'three', 3, 3.75, 'y')",
            "ALTER TABLE e2e.evolve MODIFY COLUMN b BIGINT NULL",  # widening: int -> long
            "INSERT INTO e2e.evolve VALUES (4, 'four', 5000000000, NULL, 'x')",
            "ALTER TABLE e2e.evolve MODIFY COLUMN d ENUM('x','y','z') NULL",  # a new ENUM value
            "INSERT INTO e2e.evolve VALUES (5, 'five', 5, NULL, 'z')",
            "ALTER TABLE e2e.evolve RENAME COLUMN a TO name",
            "INSERT INTO e2e.evolve VALUES (6, 'six', 6, NULL, NULL)",
            "ALTER TABLE e2e.evolve DROP COLUMN b",
            "INSERT INTO e2e.evolve VALUES (7, 'seven', NULL, 'x')",
            # A changed primary key: the key gains a required field, which BACKWARD refuses;
            # this pipeline is configured to continue under a new subject version.
            "ALTER TABLE e2e.evolve MODIFY COLUMN name VARCHAR(10) NOT NULL, "
            "DROP PRIMARY KEY, ADD PRIMARY KEY (id, name)",
            "INSERT INTO e2e.evolve VALUES (8, 'eight', 8.00, 'y')",
            "INSERT INTO e2e.marker (tag) VALUES ('avro-done')")
        topics = ["avro.e2e.all_types", "avro.e2e.evolve", "avro.e2e.marker"]
        reader = TopicReader(kafka, topics)
        client = SchemaRegistryClient({"url": registry.url})
        deserialize = AvroDeserializer(client)

        def decoded(rec, field=MessageField.VALUE):
            if rec.value is None and field == MessageField.VALUE:
                return None
            payload = rec.value if field == MessageField.VALUE else rec.key
            out = deserialize(payload, SerializationContext(rec.topic, field))
            assert out == fastavro_decode(client, payload)  # two independent decoders agree
            return out

        deadline = time.time() + 120
        while True:
            reader.read()
            done = any(r.topic == "avro.e2e.marker" and r.value is not None and
                       decoded(r)["after"]["tag"] == "avro-done" for r in reader.records)
            if done:
                break
            assert time.time() < deadline, vimur.log()
            time.sleep(0.5)
        vimur.stop()
        reader.close()

        # all_types: the final state from events equals SELECT, column by column.
        state = {}
        for rec in reader.records:
            if rec.topic != "avro.e2e.all_types":
                continue
            key = decoded(rec, MessageField.KEY)
            value = decoded(rec)
            if value is None:
                continue  # tombstone
            assert value["op"] in ("c", "u", "d")
            assert value["source"]["table"] == "all_types"
            if value["op"] == "d":
                state.pop(key["id"], None)
            else:
                state[key["id"]] = value["after"]
        types = column_types(mariadb, "e2e", "all_types")
        rows = mariadb.query(f"SELECT {', '.join(n for n, _ in types)} FROM e2e.all_types")
        assert len(rows) == len(state) and len(rows) > 300
        mismatches = []
        for row in rows:
            got = state[row[0]]
            for (name, ctype), value in zip(types, row):
                want = expected(ctype, value)
                have = as_json_like(ctype, got[name])
                if not same(ctype, want, have):
                    mismatches.append(f"id={row[0]} {name} {ctype}: want={want!r} got={have!r}")
        assert not mismatches, "\n".join(mismatches[:20])

        # evolve: each DDL gives the next schema version, and rows decode with their own.
        evolve = [decoded(r) for r in reader.records if r.topic == "avro.e2e.evolve" and r.value]
        # Partitions interleave keys; each key's row was written once.
        afters = sorted((e["after"] for e in evolve), key=lambda a: a["id"])
        D = decimal.Decimal
        assert afters == [
            {"id": 1, "a": "one", "b": 1},
            {"id": 2, "a": "two", "b": 2, "c": D("2.50")},
            {"id": 3, "a": "three", "b": 3, "c": D("3.75"), "d": "y"},
            {"id": 4, "a": "four", "b": 5000000000, "c": None, "d": "x"},
            {"id": 5, "a": "five", "b": 5, "c": None, "d": "z"},
            {"id": 6, "name": "six", "b": 6, "c": None, "d": None},
            {"id": 7, "name": "seven", "c": None, "d": "x"},
            {"id": 8, "name": "eight", "c": D("8.00"), "d": "y"},
        ]
        keys = {json.dumps(decoded(r, MessageField.KEY), sort_keys=True)
                for r in reader.records if r.topic == "avro.e2e.evolve"}
        assert '{"id": 8, "name": "eight"}' in keys and '{"id": 1}' in keys
        # One value version per shape: the first and one after each of the 7 DDLs.
        assert len(client.get_versions("avro.e2e.evolve-value")) == 8
        assert len(client.get_versions("avro.e2e.evolve-key")) == 2
        assert client.get_compatibility("avro.e2e.evolve-key") == "NONE"

        # vimur tail prints the Avro events as Connect JSON through the same registry.
        out = subprocess.run([vimur_binary(), "tail", "--config", vimur.config, "--topic",
                              r"avro\.e2e\.evolve", "--from-beginning", "--max", "8"],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        tailed = [json.loads(line) for line in out.stdout.splitlines()]
        assert sorted(t["value"]["payload"]["after"]["id"] for t in tailed) == list(range(1, 9))
        assert {t["key"]["payload"]["id"] for t in tailed} == set(range(1, 9))
        eight = next(t for t in tailed if t["value"]["payload"]["after"]["id"] == 8)
        assert eight["value"]["payload"]["after"]["name"] == "eight"
        assert eight["value"]["schema"]["name"] == "avro.e2e.evolve.Envelope"
    finally:
        registry.close()
        shutil.rmtree(workdir, ignore_errors=True)
