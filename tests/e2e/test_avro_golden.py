"""Decodes the Avro bytes Vimur's encoder produced (tests/data/avro, checked by the C++ unit test
AvroGoldenTest) with fastavro, an independent Avro implementation, as a Debezium consumer would."""
import decimal
import io
import json
import os

import fastavro

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "avro")


def load(name):
    with open(os.path.join(DATA, name + ".avsc")) as f:
        schema = fastavro.parse_schema(json.load(f))
    with open(os.path.join(DATA, name + ".bin"), "rb") as f:
        data = f.read()
    buf = io.BytesIO(data)
    record = fastavro.schemaless_reader(buf, schema)
    assert buf.tell() == len(data), "trailing bytes after the record"
    return record


def test_key_decodes():
    assert load("all_types.key") == {"id": 42}


def test_envelope_decodes_with_every_type():
    v = load("all_types.value")
    after = v["after"]
    assert v["before"] == after
    assert after["id"] == 42
    assert after["flag"] is True
    assert after["small"] == -7
    assert after["qty"] == 100000
    assert after["big_u"] == decimal.Decimal("18446744073709551615")
    assert after["ratio"] == 1.5
    assert after["score"] == -2.25
    assert after["price"] == decimal.Decimal("-12.50")
    assert after["bits"] == b"\x01\x0f"
    assert after["day"] == 19844
    assert after["created"] == 1714557600120
    assert after["updated"] == 1714557600120456
    assert after["seen"] == "2024-05-01T10:00:00.120Z"
    assert after["dur"] == -3600000000
    assert after["yr"] == 2024
    assert after["name"] == "caf\u00e9"
    assert after["blob"] == b"\x00\xff"
    assert after["status"] == "paid"
    assert after["tags"] == "a,b"
    assert after["doc"] == '{"k":1}'
    assert after["place"] == {"wkb": b"WKB", "srid": 4326}
    assert after["area"] is None
    assert v["source"] == {
        "version": "0.0.0-golden", "connector": "mysql", "name": "shop",
        "ts_ms": 1714557600000, "snapshot": "false", "db": "shop", "sequence": None,
        "ts_us": 1714557600000000, "ts_ns": 1714557600000000000, "table": "orders",
        "server_id": 5400, "gtid": None, "file": "binlog.000003", "pos": 1234, "row": 2,
        "thread": None, "query": None,
    }
    assert list(v["source"]) == [
        "version", "connector", "name", "ts_ms", "snapshot", "db", "sequence", "ts_us", "ts_ns",
        "table", "server_id", "gtid", "file", "pos", "row", "thread", "query"]
    assert list(v) == ["before", "after", "source", "transaction", "op", "ts_ms", "ts_us",
                       "ts_ns"]
    assert v["op"] == "u"
    assert v["ts_ms"] == 1714557601000
    assert v["ts_us"] == 1714557601000000
    assert v["ts_ns"] == 1714557601000000000
    assert v["transaction"] == {"id": "binlog.000003:1234", "total_order": 3,
                                "data_collection_order": 1}


def test_schema_uses_debezium_names():
    with open(os.path.join(DATA, "all_types.value.avsc")) as f:
        schema = json.load(f)
    assert schema["name"] == "Envelope" and schema["namespace"] == "shop.shop.orders"
    fields = {f["name"]: f for f in schema["fields"]}
    assert fields["before"]["type"][1]["connect.name"] == "shop.shop.orders.Value"
    assert fields["source"]["type"]["connect.name"] == "io.debezium.connector.mysql.Source"
