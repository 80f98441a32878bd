"""PostgreSQL in Avro: `vimur run` (postgresql source, kafka transport, avro format) with
`vimur registry`, read back with confluent-kafka's AvroDeserializer and fastavro; the types
Vimur represents as Debezium's PostgreSQL connector does (money as a Decimal without a declared
precision, numeric without precision as VariableScaleDecimal) compared with SELECT, for rows of
the snapshot and of the stream; arrays as Connect arrays of optional elements; and the whole
type matrix of test_postgres_capture with the types that have a Debezium name of their own."""
import decimal
import math
import os
import tempfile
import time

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import kafka_avro_config
from kafka_fixtures import TopicReader, kafka  # noqa: F401 (fixture)
from test_avro_pipeline import fastavro_decode
from test_postgres_capture import TYPE_ROWS, TYPES_DDL, PgVimur, expected_value, same
from test_registry import Registry


def variable_scale(value):
    """A decimal.Decimal as the VariableScaleDecimal record AvroDeserializer gives."""
    sign, digits, exponent = value.as_tuple()
    unscaled = int("".join(map(str, digits)) or "0") * (10 ** max(exponent, 0))
    unscaled = -unscaled if sign else unscaled
    return {"scale": max(-exponent, 0),
            "value": unscaled.to_bytes(
                (unscaled.bit_length() if unscaled >= 0 else (~unscaled).bit_length()) // 8 + 1,
                "big", signed=True)}


def test_money_and_numeric_in_avro_snapshot_and_stream(postgres_server, kafka,  # noqa: F811
                                                       tmp_path):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS avrocash",
               "CREATE TABLE avrocash.t (id int PRIMARY KEY, m money, n numeric, ia int[], "
               "na numeric(6,2)[], ta text[])",
               "INSERT INTO avrocash.t VALUES (1, '$1,234.50', 12.500, '{1,NULL,3}', "
               "'{1.5,-0.07}', ARRAY['a b', NULL, '']), (2, '-$0.07', -0.0001, '{}', '{}', "
               "'{}'), (3, NULL, NULL, NULL, NULL, NULL)")
    registry = Registry(kafka.bootstrap, tempfile.mkdtemp(prefix="vimur-e2e-pgavro-registry."))
    registry.start()
    workdir = str(tmp_path / "pgavro")
    os.makedirs(workdir)
    vimur = PgVimur(pg, workdir, "avrocash", [r"avrocash\.t"], "    snapshot: initial\n")
    try:
        kafka_avro_config(vimur.config, kafka.bootstrap, registry.url)
        vimur.start(wait_for_offsets=False)  # with Kafka the offsets are kept there
        topic = "pgavrocash.avrocash.t"
        reader = TopicReader(kafka, [topic])
        client = SchemaRegistryClient({"url": registry.url})
        deserialize = AvroDeserializer(client)

        def read_until(n):
            deadline = time.time() + 60
            while len(reader.records) < n:
                assert time.time() < deadline, vimur.log()
                reader.read()
                time.sleep(0.3)

        read_until(3)  # the snapshot's rows
        pg.execute("INSERT INTO avrocash.t VALUES (101, '-$92,233,720,368,547,758.08', "
                   "123456789012345678901234567890.123456789, '{-2147483648}', '{NULL}', "
                   "'{\"q\\\"\"}'), (102, '$0.00', 0, NULL, NULL, NULL), "
                   "(103, '$12.30', -7, '{7,8}', '{9999.99}', '{x,y}')")
        read_until(6)
        vimur.stop()
        reader.close()
        got = {}
        arrays = {}
        for rec in reader.records:
            value = deserialize(rec.value, SerializationContext(topic, MessageField.VALUE))
            assert value == fastavro_decode(client, rec.value)
            after = value["after"]
            got[after["id"]] = (value["op"], after["m"], after["n"])
            arrays[after["id"]] = (after["ia"], after["na"], after["ta"])
        selected = pg.query("SELECT id, m::numeric, n FROM avrocash.t")
        assert got == {i: ("r" if i < 100 else "c",
                           None if m is None else m.quantize(decimal.Decimal("0.01")),
                           None if n is None else variable_scale(n))
                       for i, m, n in selected}
        # Arrays: Confluent's deserializer gives lists, numeric(6,2) elements as Decimals.
        cents = decimal.Decimal("0.01")
        assert arrays == {i: (ia, None if na is None else
                              [None if x is None else x.quantize(cents) for x in na], ta)
                          for i, ia, na, ta in pg.query("SELECT id, ia, na, ta FROM avrocash.t")}
        assert arrays[1] == ([1, None, 3], [decimal.Decimal("1.50"), decimal.Decimal("-0.07")],
                             ["a b", None, ""]) and arrays[2] == ([], [], [])
        schema = client.get_latest_version(topic + "-value").schema.schema_str
        assert '"connect.parameters":{"scale":"2"}' in schema.replace(" ", ""), schema
        assert '"precision":64' in schema.replace(" ", ""), schema
        assert '"connect.name":"io.debezium.data.VariableScaleDecimal"' in \
            schema.replace(" ", ""), schema
    finally:
        vimur.close()
        registry.close()


def avro_expected(column, value):
    """What Confluent's AvroDeserializer gives for a SELECTed value: the JSON converter's
    representation (test_postgres_capture.expected_value), with decimals as Decimal and bytes
    as bytes."""
    if value is not None and column in ("t_num", "t_num0"):
        return ("decimal", value)
    if value is not None and column == "t_bytea":
        return ("bytes", bytes(value))
    return expected_value(column, value)


def avro_same(want, got):
    if isinstance(want, tuple) and want[0] in ("decimal", "bytes"):
        return got == want[1]
    if isinstance(want, float):
        if math.isnan(want):
            return isinstance(got, float) and math.isnan(got)
        if math.isinf(want):
            return got == want
    return same(want, got)


def test_type_matrix_in_avro_equals_select(postgres_server, kafka, tmp_path):  # noqa: F811
    """The JSON type matrix's table and rows (test_postgres_capture), and the types with a
    Debezium logical name of their own (timetz, bits, enum, domain, xml, arrays, text for
    geometric types), through Avro and `vimur registry`, read with Confluent's deserializer:
    every value equals what SELECT returns."""
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS avrotypes",
               TYPES_DDL.replace("types.all_types", "avrotypes.all_types"),
               "INSERT INTO avrotypes.all_types VALUES " + ", ".join(TYPE_ROWS),
               "CREATE TYPE avrotypes.mood AS ENUM ('sad', 'ok', 'happy')",
               "CREATE DOMAIN avrotypes.posint AS integer CHECK (VALUE > 0)",
               "CREATE TABLE avrotypes.more (id int PRIMARY KEY, tz timetz, b1 bit(1), "
               "b12 bit(12), vb varbit, m avrotypes.mood, p avrotypes.posint, x xml, ia int[], "
               "ta text[], ma avrotypes.mood[], pt point)",
               "INSERT INTO avrotypes.more VALUES (1, '12:34:56.789+05:30', B'1', "
               "B'100000000001', B'101', 'happy', 7, '<a b=\"1\">t</a>', '{1,NULL}', "
               "'{\"a b\",\"\"}', '{ok,sad}', '(1,2)'), (2, NULL, NULL, NULL, NULL, NULL, NULL, "
               "NULL, NULL, NULL, NULL, NULL)")
    registry = Registry(kafka.bootstrap, tempfile.mkdtemp(prefix="vimur-e2e-pgtypes-registry."))
    registry.start()
    workdir = str(tmp_path / "pgavrotypes")
    os.makedirs(workdir)
    vimur = PgVimur(pg, workdir, "avrotypes", [r"avrotypes\.(all_types|more)"],
                    "    snapshot: initial\n")
    try:
        kafka_avro_config(vimur.config, kafka.bootstrap, registry.url)
        vimur.start(wait_for_offsets=False)
        topics = ["pgavrotypes.avrotypes.all_types", "pgavrotypes.avrotypes.more"]
        reader = TopicReader(kafka, topics)
        deadline = time.time() + 60
        while len(reader.records) < len(TYPE_ROWS) + 2:
            assert time.time() < deadline, vimur.log()
            reader.read()
            time.sleep(0.3)
        # The stream too: the same rows again under other keys.
        pg.execute("INSERT INTO avrotypes.all_types SELECT id + 100, t_small, t_int, t_big, "
                   "t_num, t_num0, t_real, t_double, t_bool, t_text, t_varchar, t_char, t_bytea, "
                   "t_date, t_time, t_time3, t_ts, t_ts3, t_tstz, t_tstz0, t_uuid, t_json, "
                   "t_jsonb, t_interval, t_inet FROM avrotypes.all_types")
        while len(reader.records) < 2 * len(TYPE_ROWS) + 2:
            assert time.time() < deadline, vimur.log()
            reader.read()
            time.sleep(0.3)
        vimur.stop()
        reader.close()
        client = SchemaRegistryClient({"url": registry.url})
        deserialize = AvroDeserializer(client)
        rows = {}
        for rec in reader.records:
            value = deserialize(rec.value, SerializationContext(rec.topic, MessageField.VALUE))
            rows[(rec.topic, value["after"]["id"])] = value["after"]
        with pg.connect() as conn:
            cur = conn.execute("SELECT * FROM avrotypes.all_types ORDER BY id")
            names = [d.name for d in cur.description]
            selected = cur.fetchall()
        assert len(selected) == 2 * len(TYPE_ROWS)
        mismatches = []
        for row in selected:
            got = rows[(topics[0], row[0])]
            for name, value in zip(names, row):
                if not avro_same(avro_expected(name, value), got[name]):
                    mismatches.append((row[0], name, value, got[name]))
        assert not mismatches, mismatches[:10]
        more = rows[(topics[1], 1)]
        assert more == {"id": 1, "tz": "07:04:56.789Z", "b1": True, "b12": b"\x01\x08",
                        "vb": b"\x05", "m": "happy", "p": 7, "x": '<a b="1">t</a>',
                        "ia": [1, None], "ta": ["a b", ""], "ma": ["ok", "sad"], "pt": "(1,2)"}
        assert set(rows[(topics[1], 2)].values()) == {2, None}
        schema = client.get_latest_version(topics[1] + "-value").schema.schema_str.replace(" ", "")
        for name in ("io.debezium.time.ZonedTime", "io.debezium.data.Bits",
                     "io.debezium.data.Enum", "io.debezium.data.Xml"):
            assert f'"connect.name":"{name}"' in schema, (name, schema)
        assert '"items":["null",{"type":"string","connect.version":1,"connect.parameters":' \
            '{"allowed":"sad,ok,happy"},"connect.name":"io.debezium.data.Enum"}]' in schema, schema
    finally:
        vimur.close()
        registry.close()
