"""PostgreSQL in Avro: `vimur run` (postgresql source, kafka transport, avro format) with
`vimur registry`, read back with confluent-kafka's AvroDeserializer and fastavro; the types
Vimur represents as Debezium's PostgreSQL connector does (money as a Decimal without a declared
precision, numeric without precision as VariableScaleDecimal) compared with SELECT, for rows of
the snapshot and of the stream; arrays as Connect arrays of optional elements."""
import decimal
import os
import tempfile
import time

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from kafka_fixtures import TopicReader, kafka  # noqa: F401 (fixture)
from test_avro_pipeline import fastavro_decode
from test_postgres_capture import PgVimur
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
        with open(vimur.config) as f:
            text = f.read()
        with open(vimur.config, "w") as f:
            f.write(text.replace("transport:\n  type: stdout\n",
                                 f"transport:\n  type: kafka\n  bootstrap_servers: "
                                 f"{kafka.bootstrap}\n")
                    .replace("format:\n  type: json\n",
                             f"format:\n  type: avro\n  registry_url: {registry.url}\n"))
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
