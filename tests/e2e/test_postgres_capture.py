"""End-to-end capture from a real PostgreSQL 15 through `vimur run` (type: postgresql, stdout
transport): insert/update/delete/truncate, a type matrix compared with SELECT, and kill -9 with
nothing lost. VIMUR_TEST_LONG=1 runs the issue-sized kill -9 loop (20,000 transactions, repeated
kills) and a 1-million-row transaction (100,000 rows otherwise)."""
import base64
import datetime
import decimal
import json
import math
import os
import random
import threading
import time
import uuid

import subprocess

import pytest

from conftest import Vimur, edit_config, vimur_binary
from debezium_values import b64, b64_decimal, b64_unscaled

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class PgVimur(Vimur):
    """A pipeline with one postgresql source named `db`, its own slot and publication."""

    def __init__(self, pg, workdir, tag, include_tables, extra_source=""):
        self.workdir = workdir
        self.name = "pg" + tag
        self.config = os.path.join(workdir, "vimur.yaml")
        self.state_dir = os.path.join(workdir, "state")
        include = ", ".join("'" + t + "'" for t in include_tables)
        with open(self.config, "w") as f:
            f.write(f"""name: {self.name}
state_dir: {self.state_dir}
sources:
  - name: db
    type: postgres
    host: 127.0.0.1
    port: {pg.port}
    user: vimur
    password: ${{VIMUR_E2E_PASSWORD}}
    database: vimur
    slot: vimur_{tag}
    publication: vimur_{tag}
    heartbeat_interval_ms: 500
    include_tables: [{include}]
{extra_source}
transport:
  type: stdout
format:
  type: json
""")
        self.proc = None
        self.runs = 0
        self.outputs = []


@pytest.fixture
def pg_vimur(tmp_path):
    made = []

    def make(pg, tag, include_tables, extra_source=""):
        workdir = str(tmp_path / tag)
        os.makedirs(workdir)
        v = PgVimur(pg, workdir, tag, include_tables, extra_source)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()


def values(records, topic):
    return [r["value"] for r in records if r["topic"] == topic and r["value"] is not None]


def test_00_check_prints_the_statements(postgres_server, pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS chk", "CREATE TABLE IF NOT EXISTS chk.a (id int PRIMARY KEY)")
    pg.execute("DROP ROLE IF EXISTS norepl", "CREATE ROLE norepl LOGIN PASSWORD 'vimur'",
               user="postgres", password="postgres")
    vimur = pg_vimur(pg, "chk", [r"chk\.a"])
    env = dict(os.environ, VIMUR_E2E_PASSWORD="vimur")
    ok = subprocess.run([vimur_binary(), "check", "--config", vimur.config], capture_output=True,
                        text=True, env=env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert 'CREATE PUBLICATION "vimur_chk" FOR TABLE "chk"."a";' in ok.stdout
    assert "SELECT pg_create_logical_replication_slot('vimur_chk', 'pgoutput');" in ok.stdout
    with open(vimur.config) as f:
        text = f.read()
    with open(vimur.config, "w") as f:
        f.write(text.replace("user: vimur", "user: norepl"))
    bad = subprocess.run([vimur_binary(), "check", "--config", vimur.config], capture_output=True,
                         text=True, env=env)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert 'ALTER ROLE "norepl" REPLICATION;' in bad.stdout, bad.stdout


def test_01_insert_update_delete_truncate(postgres_server, pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS crud",
               "CREATE TABLE crud.orders (id int PRIMARY KEY, note text, qty int NOT NULL)",
               "CREATE TABLE crud.audit (id bigint, what text)",  # no primary key
               "ALTER TABLE crud.audit REPLICA IDENTITY FULL")
    vimur = pg_vimur(pg, "crud", [r"crud\..*"])
    vimur.start()
    with pg.connect() as conn:
        with conn.transaction():
            conn.execute("INSERT INTO crud.orders VALUES (1, 'one', 10), (2, 'two', 20)")
            conn.execute("INSERT INTO crud.audit VALUES (1, 'created')")
        conn.execute("UPDATE crud.orders SET note = 'uno', qty = 11 WHERE id = 1")
        conn.execute("UPDATE crud.audit SET what = 'changed' WHERE id = 1")
        conn.execute("DELETE FROM crud.orders WHERE id = 2")
        conn.execute("TRUNCATE crud.audit")
    topic = "pgcrud.crud.orders"
    recs = vimur.wait_for(lambda r: any(x["value"] and x["value"]["op"] == "t" for x in r),
                          timeout=60, what="the truncate event")
    vimur.stop()
    orders = [r for r in recs if r["topic"] == topic]
    ops = [(r["value"]["op"] if r["value"] else None) for r in orders]
    assert ops == ["c", "c", "u", "d", None], ops
    ins = orders[0]
    assert ins["key"] == {"id": 1}
    assert ins["value"]["before"] is None
    assert ins["value"]["after"] == {"id": 1, "note": "one", "qty": 10}
    src = ins["value"]["source"]
    assert src["connector"] == "postgresql"
    assert src["db"] == "vimur" and src["schema"] == "crud" and src["table"] == "orders"
    assert isinstance(src["txId"], int) and src["txId"] > 0
    assert isinstance(src["lsn"], int) and src["lsn"] > 0
    assert src["name"] == "pgcrud"
    # One transaction: the same txId and lsn on both inserts; later ones are newer.
    assert orders[1]["value"]["source"]["txId"] == src["txId"]
    assert orders[2]["value"]["source"]["lsn"] > src["lsn"]
    assert orders[2]["value"]["after"] == {"id": 1, "note": "uno", "qty": 11}
    assert orders[2]["value"]["before"] is None  # REPLICA IDENTITY DEFAULT
    delete = orders[3]
    assert delete["key"] == {"id": 2}
    # Only the key is known; NOT NULL columns get Debezium's fallback, others null.
    assert delete["value"]["before"] == {"id": 2, "note": None, "qty": 0}
    assert delete["value"]["after"] is None
    assert orders[4] == {"topic": topic, "key": {"id": 2}, "value": None}  # tombstone

    audit = [r for r in recs if r["topic"] == "pgcrud.crud.audit"]
    assert [r["value"]["op"] for r in audit] == ["c", "u", "t"]
    assert all(r["key"] is None for r in audit)
    # REPLICA IDENTITY FULL: the before-image is the whole old row.
    assert audit[1]["value"]["before"] == {"id": 1, "what": "created"}
    assert audit[1]["value"]["after"] == {"id": 1, "what": "changed"}
    assert audit[2]["value"]["before"] is None and audit[2]["value"]["after"] is None
    # The publication was created for the included tables only, the slot confirmed.
    assert pg.query("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'vimur_crud'") \
        == [(2,)]
    confirmed = pg.query("SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots "
                         "WHERE slot_name = 'vimur_crud'")[0][0]
    assert confirmed >= src["lsn"]


TYPES_DDL = """
CREATE TABLE types.all_types (
  id int PRIMARY KEY,
  t_small smallint, t_int integer, t_big bigint,
  t_num numeric(12,3), t_num0 numeric(20,0), t_real real, t_double double precision,
  t_bool boolean, t_text text, t_varchar varchar(20), t_char char(4), t_bytea bytea,
  t_date date, t_time time, t_time3 time(3), t_ts timestamp, t_ts3 timestamp(3),
  t_tstz timestamptz, t_tstz0 timestamptz(0), t_uuid uuid, t_json json, t_jsonb jsonb,
  t_interval interval, t_inet inet
)"""


def micros_since_epoch(dt):
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=datetime.timezone.utc)
    delta = dt - EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def iso_utc(dt, fsp):
    dt = dt.astimezone(datetime.timezone.utc)
    text = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if fsp:
        text += "." + f"{dt.microsecond:06d}"[:fsp]
    return text + "Z"


def expected_value(column, value):
    """Debezium's PostgreSQL connector representation (JSON converter, default modes) of a
    value as psycopg returns it from SELECT."""
    if value is None:
        return None
    if column in ("t_num", "t_num0"):
        return b64_decimal(value)
    if column == "t_bytea":
        return b64(value)
    if column == "t_date":
        return (value - datetime.date(1970, 1, 1)).days
    if column in ("t_time", "t_time3"):
        return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + \
            value.microsecond
    if column == "t_ts":
        return micros_since_epoch(value)
    if column == "t_ts3":
        return micros_since_epoch(value) // 1000
    if column == "t_tstz":
        return iso_utc(value, 6)
    if column == "t_tstz0":
        return iso_utc(value, 0)
    if column == "t_uuid":
        return str(value)
    if column in ("t_json", "t_jsonb"):
        return ("json", value)
    if column == "t_interval":  # io.debezium.time.MicroDuration (no months in these rows)
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    if column == "t_inet":
        return ("text", value)
    if isinstance(value, float):
        return value
    return value


def same(want, got):
    if isinstance(want, tuple) and want[0] == "json":
        return json.loads(got) == want[1]
    if isinstance(want, tuple) and want[0] == "text":
        return isinstance(got, str)
    if isinstance(want, float):
        if math.isnan(want):
            return got == "NaN"
        if math.isinf(want):
            return got == ("Infinity" if want > 0 else "-Infinity")
        return isinstance(got, (int, float)) and (got == want or
                                                  abs(got - want) <= abs(want) * 1e-6)
    return want == got


TYPE_ROWS = [
    # id, small, int, big, num, num0, real, double, bool, text, varchar, char, bytea, date, time,
    # time3, ts, ts3, tstz, tstz0, uuid, json, jsonb, interval, inet
    "(1, -32768, -2147483648, -9223372036854775808, -123456789.123, -99999999999999999999, "
    "'-Infinity', 'NaN', false, '', 'x', 'ab', '\\x', '0001-01-01', '00:00:00', "
    "'00:00:00.001', '1900-01-01 00:00:00', '1969-12-31 23:59:59.999', "
    "'1970-01-01 00:00:00+00', '2000-02-29 12:00:00+05:30', "
    "'00000000-0000-0000-0000-000000000000', '{}', '[]', '1 day', '10.0.0.1')",
    "(2, 32767, 2147483647, 9223372036854775807, 999999999.999, 12345678901234567890, "
    "3.25, 1.7976931348623157e308, true, 'héllo 日本語 😀', 'quote '' and \\', 'abcd', "
    "'\\x00ff10', '9999-12-31', '23:59:59.999999', '23:59:59.999', '2024-05-01 10:00:00.123456', "
    "'2024-05-01 10:00:00.5', '2024-05-01 10:00:00.654321-07', '2038-01-19 03:14:07+00', "
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{\"a\": [1, 2.5, null]}', "
    "'{\"k\": \"v\", \"n\": {\"x\": true}}', '-3 hours', '::1')",
    "(3, 0, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL)",
    "(4, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
    "NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)",
]


def test_02_type_matrix_equals_select(postgres_server, pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS types", TYPES_DDL)
    vimur = pg_vimur(pg, "types", [r"types\.all_types"])
    vimur.start()
    rng = random.Random(13)
    rows = list(TYPE_ROWS)
    for i in range(5, 45):
        rows.append(f"({i}, {rng.randint(-32768, 32767)}, {rng.randint(-2**31, 2**31 - 1)}, "
                    f"{rng.randint(-2**63, 2**63 - 1)}, {rng.randint(-10**12, 10**12) / 1000}, "
                    f"{rng.randint(-10**19, 10**19)}, {rng.uniform(-1e6, 1e6)}, "
                    f"{rng.uniform(-1e300, 1e300)}, {rng.choice(['true', 'false'])}, "
                    f"'{uuid.UUID(int=rng.getrandbits(128))}', 'v{i}', 'c{i % 10}', "
                    f"'\\x{rng.getrandbits(64):016x}', "
                    f"'{datetime.date(1, 1, 1) + datetime.timedelta(days=rng.randrange(0, 3652058))}', "
                    f"'{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}."
                    f"{rng.randrange(10**6):06d}', '12:34:56.789', "
                    f"'{1900 + rng.randrange(200)}-0{1 + rng.randrange(9)}-1{rng.randrange(10)} "
                    f"0{rng.randrange(10)}:00:00.{rng.randrange(10**6):06d}', "
                    f"'2001-01-01 00:00:00.{rng.randrange(1000):03d}', "
                    f"'{1901 + rng.randrange(200)}-03-04 05:06:07.{rng.randrange(10**6):06d}"
                    f"+0{rng.randrange(10)}', '2020-06-07 08:09:10+00', "
                    f"'{uuid.UUID(int=rng.getrandbits(128))}', '{{\"i\": {i}}}', '{{\"i\": {i}}}', "
                    f"'{i} minutes', '192.168.0.{i}')")
    pg.execute("INSERT INTO types.all_types VALUES " + ", ".join(rows),
               "UPDATE types.all_types SET t_text = 'updated' WHERE id = 3")
    n = len(rows) + 1
    recs = vimur.wait_for(lambda r: len(values(r, "pgtypes.types.all_types")) >= n, timeout=60)
    vimur.stop()
    events = values(recs, "pgtypes.types.all_types")
    assert len(events) == n
    final = {}
    for e in events:
        final[e["after"]["id"]] = e["after"]
    with pg.connect() as conn:
        cur = conn.execute("SELECT * FROM types.all_types ORDER BY id")
        names = [d.name for d in cur.description]
        selected = cur.fetchall()
    assert len(selected) == len(final)
    mismatches = []
    for row in selected:
        got = final[row[0]]
        assert list(got.keys()) == names
        for name, value in zip(names, row):
            want = expected_value(name, value)
            if not same(want, got[name]):
                mismatches.append((row[0], name, value, got[name]))
    assert not mismatches, mismatches[:10]
    # Exact text forms where SELECT's Python values cannot tell.
    by_id = final
    assert by_id[1]["t_double"] == "NaN" and by_id[1]["t_real"] == "-Infinity"
    assert by_id[1]["t_interval"] == 86_400_000_000 and by_id[2]["t_inet"] == "::1"
    assert by_id[2]["t_tstz"] == "2024-05-01T17:00:00.654321Z"


def test_02b_debezium_forms_of_uuid_xml_timetz_interval_bits(postgres_server, pg_vimur):
    """uuid, xml, timetz, interval and bit strings as Debezium's PostgreSQL connector
    represents them, with its schema names (JSON with schemas)."""
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS named",
               "CREATE TYPE named.mood AS ENUM ('sad', 'ok', 'happy')",
               "CREATE DOMAIN named.posint AS integer CHECK (VALUE > 0)",
               "CREATE DOMAIN named.code AS named.posint",
               "CREATE TABLE named.t (id int PRIMARY KEY, u uuid, x xml, tz timetz, "
               "tz3 timetz(3), iv interval, b1 bit(1), b12 bit(12), vb varbit, m named.mood, "
               "p named.posint, c named.code)")
    vimur = pg_vimur(pg, "named", [r"named\.t"])
    edit_config(vimur.config, "  type: json\n", "  type: json\n  schemas: true\n")
    vimur.start()
    pg.execute("INSERT INTO named.t VALUES "
               "(1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '<a b=\"1\">t</a>', "
               "'12:34:56.789+05:30', '23:30:00-02', '1 year 2 mons 3 days 04:05:06.789', "
               "B'1', B'100000000001', B'101', 'happy', 7, 9), "
               "(2, NULL, NULL, NULL, NULL, '-1 days +02:00:00', B'0', B'000000000000', B'0', "
               "'sad', NULL, NULL), "
               "(3, NULL, NULL, '00:00:00+00', NULL, '-3 hours', NULL, NULL, NULL, NULL, NULL, "
               "NULL)")
    recs = vimur.wait_for(lambda r: len(values(r, "pgnamed.named.t")) >= 3, timeout=60)
    vimur.stop()
    events = values(recs, "pgnamed.named.t")
    fields = {f["field"]: f for f in next(
        f for f in events[0]["schema"]["fields"] if f["field"] == "after")["fields"]}
    assert {c: fields[c].get("name") for c in ("u", "x", "tz", "iv")} == {
        "u": "io.debezium.data.Uuid", "x": "io.debezium.data.Xml",
        "tz": "io.debezium.time.ZonedTime", "iv": "io.debezium.time.MicroDuration"}
    assert fields["iv"]["type"] == "int64" and fields["tz"]["type"] == "string"
    assert fields["b1"]["type"] == "boolean" and fields["b12"]["name"] == "io.debezium.data.Bits"
    assert fields["b12"]["parameters"] == {"length": "12"}, fields["b12"]
    assert fields["m"]["name"] == "io.debezium.data.Enum", fields["m"]
    assert fields["m"]["parameters"] == {"allowed": "sad,ok,happy"}, fields["m"]
    assert fields["p"]["type"] == "int32" and fields["c"]["type"] == "int32", (fields["p"],
                                                                               fields["c"])
    rows = {e["payload"]["after"]["id"]: e["payload"]["after"] for e in events}
    month = 365.25 / 12
    assert rows[1] == {"id": 1, "u": "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
                       "x": '<a b="1">t</a>', "tz": "07:04:56.789Z", "tz3": "01:30:00Z",
                       "iv": int(((((14 * month + 3) * 24 + 4) * 60 + 5) * 60 + 6.789) * 1e6),
                       "b1": True, "b12": base64.b64encode(b"\x01\x08").decode(),
                       "vb": base64.b64encode(b"\x05").decode(), "m": "happy", "p": 7, "c": 9}
    assert rows[2]["iv"] == (-86400 + 7200) * 1_000_000 and rows[2]["tz"] is None
    assert rows[2]["b1"] is False and rows[2]["b12"] == "" and rows[2]["vb"] == ""
    assert rows[3]["tz"] == "00:00:00Z" and rows[3]["iv"] == -3 * 3600 * 1_000_000


def money_rows(events):
    return {e["payload"]["after"]["id"]: e["payload"] for e in events}


def test_02c_money_as_debezium_decimal_in_snapshot_and_stream(postgres_server, pg_vimur):
    """money as Debezium's Decimal with money.fraction.digits (2), no precision parameter: the
    same schema and values for the rows the snapshot reads as for those the stream carries."""
    pg = postgres_server
    amounts = ["1234.50", "-1.00", "0", "92233720368547758.07", "-92233720368547758.08",
               "0.07", None]
    pg.execute("CREATE SCHEMA IF NOT EXISTS cash",
               "CREATE TABLE cash.t (id int PRIMARY KEY, m money)",
               # The server's own locale may group and sign otherwise; Vimur sets lc_monetary.
               "INSERT INTO cash.t SELECT i, a::numeric::money FROM unnest(%s::text[]) "
               "WITH ORDINALITY AS u(a, i)" % ("'{" + ",".join(
                   "NULL" if a is None else a for a in amounts) + "}'"))
    vimur = pg_vimur(pg, "cash", [r"cash\.t"], "    snapshot: initial\n")
    edit_config(vimur.config, "  type: json\n", "  type: json\n  schemas: true\n")
    vimur.start()
    n = len(amounts)
    recs = vimur.wait_for(lambda r: len(values(r, "pgcash.cash.t")) >= n, timeout=60)
    pg.execute("INSERT INTO cash.t SELECT id + 100, m FROM cash.t")
    recs = vimur.wait_for(lambda r: len(values(r, "pgcash.cash.t")) >= 2 * n, timeout=60)
    vimur.stop()
    events = values(recs, "pgcash.cash.t")
    assert len(events) == 2 * n
    for e in events:
        fields = {f["field"]: f for f in next(
            f for f in e["schema"]["fields"] if f["field"] == "after")["fields"]}
        assert fields["m"] == {"type": "bytes", "optional": True, "field": "m",
                               "name": "org.apache.kafka.connect.data.Decimal", "version": 1,
                               "parameters": {"scale": "2"}}, fields["m"]
    rows = money_rows(events)
    assert sorted(p["op"] for p in rows.values()) == ["c"] * n + ["r"] * n
    selected = dict(pg.query("SELECT id, m::numeric FROM cash.t"))
    assert len(selected) == 2 * n
    for i, value in selected.items():
        want = None if value is None else b64_decimal(value.quantize(decimal.Decimal("0.01")))
        assert rows[i]["after"]["m"] == want, (i, value, rows[i]["after"]["m"])


def test_02d_money_fraction_digits_and_string_mode(postgres_server, pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS cash4",
               "CREATE TABLE cash4.t (id int PRIMARY KEY, m money)")
    vimur = pg_vimur(pg, "cash4", [r"cash4\.t"],
                     "    money_fraction_digits: 1\n    decimal_handling_mode: string\n")
    vimur.start()
    pg.execute("INSERT INTO cash4.t VALUES (1, '$1,234.56'), (2, '-$0.05'), (3, '$9.95'), "
               "(4, '-$0.04')")
    recs = vimur.wait_for(lambda r: len(values(r, "pgcash4.cash4.t")) >= 4, timeout=60)
    vimur.stop()
    got = {e["after"]["id"]: e["after"]["m"] for e in values(recs, "pgcash4.cash4.t")}
    # Debezium: BigDecimal.setScale(1, HALF_UP).toPlainString().
    assert got == {1: "1234.6", 2: "-0.1", 3: "10.0", 4: "0.0"}


def variable_scale(value):
    """A decimal.Decimal as Debezium's VariableScaleDecimal struct (JSON converter)."""
    sign, digits, exponent = value.as_tuple()
    unscaled = int("".join(map(str, digits)) or "0") * (10 ** max(exponent, 0))
    return {"scale": max(-exponent, 0), "value": b64_unscaled(-unscaled if sign else unscaled)}


def test_02e_numeric_without_precision_as_variable_scale_decimal(postgres_server, pg_vimur):
    """numeric without precision (and with a negative scale) as Debezium's
    VariableScaleDecimal: the same schema and values in the snapshot as in the stream."""
    pg = postgres_server
    values_sql = ["12.500", "-0.000100", "0", "123456789012345678901234567890.123456789",
                  "-7", "1e20", "NULL"]
    pg.execute("CREATE SCHEMA IF NOT EXISTS vsd",
               "CREATE TABLE vsd.t (id int PRIMARY KEY, n numeric, h numeric(5,-2))",
               "INSERT INTO vsd.t VALUES " + ", ".join(
                   f"({i}, {v}, {'NULL' if v == 'NULL' else 12345 + i})"
                   for i, v in enumerate(values_sql, 1)))
    vimur = pg_vimur(pg, "vsd", [r"vsd\.t"], "    snapshot: initial\n")
    edit_config(vimur.config, "  type: json\n", "  type: json\n  schemas: true\n")
    vimur.start()
    n = len(values_sql)
    vimur.wait_for(lambda r: len(values(r, "pgvsd.vsd.t")) >= n, timeout=60)
    pg.execute("INSERT INTO vsd.t SELECT id + 100, n, h FROM vsd.t")
    recs = vimur.wait_for(lambda r: len(values(r, "pgvsd.vsd.t")) >= 2 * n, timeout=60)
    vimur.stop()
    events = values(recs, "pgvsd.vsd.t")
    assert len(events) == 2 * n
    want_schema = {"type": "struct", "fields": [
        {"type": "int32", "optional": False, "field": "scale"},
        {"type": "bytes", "optional": False, "field": "value"}], "optional": True,
        "name": "io.debezium.data.VariableScaleDecimal", "version": 1,
        "doc": "Variable scaled decimal"}
    for e in events:
        fields = {f["field"]: f for f in next(
            f for f in e["schema"]["fields"] if f["field"] == "after")["fields"]}
        assert fields["n"] == dict(want_schema, field="n"), fields["n"]
        assert fields["h"] == dict(want_schema, field="h"), fields["h"]
    rows = money_rows(events)
    assert sorted(p["op"] for p in rows.values()) == ["c"] * n + ["r"] * n
    selected = pg.query("SELECT id, n, h FROM vsd.t")
    assert len(selected) == 2 * n
    for i, num, h in selected:
        assert rows[i]["after"]["n"] == (None if num is None else variable_scale(num)), (i, num)
        assert rows[i]["after"]["h"] == (None if h is None else variable_scale(h)), (i, h)
    assert rows[1]["after"]["n"]["scale"] == 3 and rows[2]["after"]["n"]["scale"] == 6
    assert rows[1]["after"]["h"]["scale"] == 0  # 12346 stored as 12300


ARRAY_DDL = ("CREATE TABLE arr.t (id int PRIMARY KEY, i2 smallint[], i4 int[], i8 bigint[], "
             "t text[], v varchar(5)[], n numeric(6,2)[], nv numeric[], f4 real[], "
             "f8 float8[], b bool[], d date[], tm time[], ts timestamp[], tstz timestamptz[], "
             "u uuid[], j jsonb[], by bytea[], m money[], iv interval[], e arr.mood[], "
             "ip inet[])")
ARRAY_ROWS = [
    "(1, '{1,NULL,-32768}', '{2147483647,0}', '{-9223372036854775808}', "
    "ARRAY['a b', '', NULL, 'q\"u\\o', 'NULL', '{x,y}'], '{abcde}', '{1.50,NULL,-9999.99}', "
    "'{12.500,-0.0001,7}', '{1.5,NaN}', '{0.1,-Infinity}', '{t,f,NULL}', "
    "'{1970-01-02,1969-12-31}', '{00:00:01.5,23:59:59.999999}', "
    "'{\"2024-05-01 10:00:00.123456\",\"1960-01-01 00:00:00\"}', "
    "'{\"2024-05-01 12:30:00+02:30\"}', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', "
    "ARRAY['{\"k\": [1, 2]}'::jsonb, '\"s\"'::jsonb], ARRAY['\\x00ff'::bytea, NULL], "
    "'{1234.50,-0.07}', '{\"1 day 02:00:00\",\"-00:00:01\"}', '{happy,sad}', "
    "'{10.0.0.1,::1/128}')",
    "(2, '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}', "
    "'{}', '{}', '{}', '{}', '{}', '{}', '{}')",
    "(3" + ", NULL" * 21 + ")",
]


def expected_array(column, items):
    """A SELECTed array (psycopg's list) as Debezium's JSON converter writes it."""
    if items is None:
        return None

    def one(x):
        if x is None:
            return None
        if column in ("i2", "i4", "i8", "t", "v", "b", "e"):
            return x
        if column == "n":
            return b64_decimal(x.quantize(decimal.Decimal("0.01")))
        if column == "nv":
            return variable_scale(x)
        if column == "d":
            return (x - datetime.date(1970, 1, 1)).days
        if column == "tm":
            return x.hour * 3600_000_000 + x.minute * 60_000_000 + x.second * 1_000_000 + \
                x.microsecond
        if column == "ts":
            delta = x - datetime.datetime(1970, 1, 1)
            return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        if column == "tstz":
            return x.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        if column == "u":
            return str(x)
        if column == "j":
            return json.dumps(x, separators=(", ", ": "))
        if column == "by":
            return b64(x)
        if column == "m":  # selected as numeric[]
            return b64_decimal(x.quantize(decimal.Decimal("0.01")))
        if column == "iv":
            return int(x.total_seconds() * 1_000_000)
        if column == "ip":
            return str(x)
        return x
    return [one(x) for x in items]


def test_02f_arrays_as_connect_arrays(postgres_server, pg_vimur):
    """One-dimensional arrays of every common type as Debezium's Connect arrays of optional
    elements: NULL elements, empty arrays, quoting, and each element as its type is; the same
    in the snapshot as in the stream, equal to what SELECT returns. An unchanged TOASTed text[]
    is Debezium's placeholder."""
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS arr",
               "CREATE TYPE arr.mood AS ENUM ('sad', 'ok', 'happy')", ARRAY_DDL,
               "INSERT INTO arr.t VALUES " + ", ".join(ARRAY_ROWS))
    vimur = pg_vimur(pg, "arr", [r"arr\.t"], "    snapshot: initial\n")
    edit_config(vimur.config, "  type: json\n", "  type: json\n  schemas: true\n")
    vimur.start()
    n = len(ARRAY_ROWS)
    vimur.wait_for(lambda r: len(values(r, "pgarr.arr.t")) >= n, timeout=60)
    big = ["%064x" % random.getrandbits(256) for _ in range(400)]  # ~26 KB, TOASTed
    pg.execute("INSERT INTO arr.t SELECT id + 100, i2, i4, i8, t, v, n, nv, f4, f8, b, d, tm, "
               "ts, tstz, u, j, by, m, iv, e, ip FROM arr.t",
               "INSERT INTO arr.t (id, t) VALUES (200, ARRAY[%s])" % ",".join(
                   "'" + x + "'" for x in big),
               "UPDATE arr.t SET i4 = '{9}' WHERE id = 200")
    recs = vimur.wait_for(lambda r: len(values(r, "pgarr.arr.t")) >= 2 * n + 2, timeout=60)
    vimur.stop()
    events = values(recs, "pgarr.arr.t")
    fields = {f["field"]: f for f in next(
        f for f in events[0]["schema"]["fields"] if f["field"] == "after")["fields"]}
    assert fields["i4"] == {"type": "array", "items": {"type": "int32", "optional": True},
                            "optional": True, "field": "i4"}, fields["i4"]
    assert fields["i2"]["items"]["type"] == "int16" and fields["f4"]["items"]["type"] == "float"
    assert fields["n"]["items"] == {"type": "bytes", "optional": True,
                                    "name": "org.apache.kafka.connect.data.Decimal",
                                    "version": 1, "parameters": {
                                        "scale": "2", "connect.decimal.precision": "6"}}
    assert fields["nv"]["items"]["name"] == "io.debezium.data.VariableScaleDecimal"
    assert fields["e"]["items"]["name"] == "io.debezium.data.Enum"
    assert fields["e"]["items"]["parameters"] == {"allowed": "sad,ok,happy"}
    assert fields["tstz"]["items"]["name"] == "io.debezium.time.ZonedTimestamp"
    assert fields["ts"]["items"]["name"] == "io.debezium.time.MicroTimestamp"
    assert fields["by"]["items"]["type"] == "bytes" and fields["ip"]["items"]["type"] == "string"
    payloads = [e["payload"] for e in events]
    rows = {p["after"]["id"]: p for p in payloads if p["op"] in ("r", "c")}
    assert sorted(p["op"] for i, p in rows.items() if i < 200) == ["c"] * n + ["r"] * n
    columns = ["i2", "i4", "i8", "t", "v", "n", "nv", "f4", "f8", "b", "d", "tm", "ts", "tstz",
               "u", "j", "by", "m", "iv", "e", "ip"]
    selected = pg.query("SELECT id, " + ", ".join(
        c + "::numeric[]" if c == "m" else c + "::text[]" if c == "e" else c
        for c in columns) + " FROM arr.t WHERE id < 200")
    assert len(selected) == 2 * n
    for row in selected:
        got = rows[row[0]]["after"]
        for column, items in zip(columns, row[1:]):
            want = expected_array(column, items)
            if column in ("f4", "f8") and want is not None:
                assert len(got[column]) == len(want)
                for g, w in zip(got[column], want):
                    assert (g == "NaN" and math.isnan(w)) or (g == "-Infinity" and w < 0 and
                                                              math.isinf(w)) or \
                        math.isclose(g, w, rel_tol=1e-6), (column, got[column], want)
                continue
            assert got[column] == want, (row[0], column, got[column], want)
    assert rows[1]["after"]["t"] == ["a b", "", None, 'q"u\\o', "NULL", "{x,y}"]
    assert rows[2]["after"]["i4"] == [] and rows[3]["after"]["i4"] is None
    assert rows[200]["after"]["t"] == big
    update = next(p for p in payloads if p["op"] == "u" and p["after"]["id"] == 200)
    assert update["after"]["i4"] == [9]
    assert update["after"]["t"] == ["__debezium_unavailable_value"]


def test_03_kill9_loses_nothing(postgres_server, pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS k9",
               "CREATE TABLE k9.events (id bigint PRIMARY KEY, writer int, payload text)")
    vimur = pg_vimur(pg, "k9", [r"k9\.events"])
    vimur.start()
    total = 20_000 if LONG else 1_500
    kills = 10 if LONG else 1
    done = threading.Event()

    def write():
        with pg.connect() as conn:
            for i in range(total):
                with conn.transaction():
                    conn.execute("INSERT INTO k9.events VALUES (%s, 1, %s)", (i, "x" * (i % 50)))
                    if i % 7 == 0:
                        conn.execute("UPDATE k9.events SET payload = 'u' WHERE id = %s", (i,))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    for k in range(kills):
        # Wait for some progress in this run, then kill -9 mid-stream.
        before = len(values(vimur.records(), "pgk9.k9.events"))
        vimur.wait_for(lambda r: len(values(r, "pgk9.k9.events")) > before + 100, timeout=120)
        vimur.kill9()
        time.sleep(0.2)
        vimur.start()
    writer.join()
    assert done.is_set()
    want = total + (total + 6) // 7
    recs = vimur.wait_for(
        lambda r: {e["after"]["id"] for e in values(r, "pgk9.k9.events")} >= set(range(total)),
        timeout=300, what="every inserted row")
    vimur.stop()
    events = values(recs, "pgk9.k9.events")
    ids = {e["after"]["id"] for e in events if e["op"] == "c"}
    assert ids == set(range(total))
    updated = {e["after"]["id"] for e in events if e["op"] == "u"}
    assert updated == set(range(0, total, 7))
    print(f"kill -9 test: {total} transactions, {kills} kills, {len(events) - want} repeated events")
    # At-least-once: only what was not yet acknowledged may repeat.
    assert len(events) - want <= kills * 2000, f"{len(events) - want} repeats over {kills} kills"
    # A replay of the events equals the table.
    replay = {}
    for e in events:
        replay[e["after"]["id"]] = e["after"]["payload"]
    table = dict(pg.query("SELECT id, payload FROM k9.events"))
    assert replay == table


BIG_ROWS = 1_000_000 if LONG else 100_000  # rows of the one large transaction


def test_04_large_transaction_streams_with_bounded_memory(postgres_server, pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS big",
               "CREATE TABLE big.rows (id bigint PRIMARY KEY, payload text)")
    vimur = pg_vimur(pg, "big", [r"big\.rows"])
    vimur.start()
    pg.execute("INSERT INTO big.rows SELECT g, repeat('p', 40) "
               f"FROM generate_series(1, {BIG_ROWS}) g")
    peak = 0
    deadline = time.time() + 900
    while time.time() < deadline:
        with open(f"/proc/{vimur.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    peak = max(peak, int(line.split()[1]) // 1024)
        if os.path.exists(vimur.offset_path()):
            with open(vimur.offset_path()) as f:
                pos = json.load(f)
            if pos.get("lsn", 0) > 0 and sum(1 for _ in open(vimur.outputs[-1], "rb")) >= BIG_ROWS:
                break
        time.sleep(0.5)
    vimur.stop()
    count = sum(1 for _ in open(vimur.outputs[-1], "rb"))
    assert count == BIG_ROWS
    print(f"{BIG_ROWS}-row transaction: peak RSS {peak} MiB")
    assert peak < 200, f"peak RSS {peak} MiB"


def test_05_slot_advances_while_only_other_tables_change(postgres_server, pg_vimur):
    """Heartbeats confirm the slot on a quiet captured table, so the server does not keep WAL
    for it while other tables are written."""
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS quiet",
               "CREATE TABLE quiet.captured (id int PRIMARY KEY)",
               "CREATE TABLE quiet.busy (id int PRIMARY KEY, pad text)")
    vimur = pg_vimur(pg, "quiet", [r"quiet\.captured"])
    vimur.start()

    def retained():
        return pg.query("SELECT pg_current_wal_lsn() - restart_lsn, confirmed_flush_lsn - '0/0' "
                        "FROM pg_replication_slots WHERE slot_name = 'vimur_quiet'")[0]

    _, confirmed_before = retained()
    for i in range(30):
        pg.execute(f"INSERT INTO quiet.busy VALUES ({i}, repeat('x', 2000))")
        time.sleep(0.1)
    written_to = pg.query("SELECT pg_current_wal_lsn() - '0/0'")[0][0]
    deadline = time.time() + 20
    while time.time() < deadline:
        wal, confirmed = retained()
        if confirmed >= written_to - 1024:
            break
        time.sleep(0.2)
    vimur.stop()
    assert confirmed > confirmed_before
    assert confirmed >= written_to - 1024, (confirmed, written_to)
    assert values(vimur.records(), "pgquiet.quiet.busy") == []
    with open(vimur.offset_path()) as f:
        assert json.load(f)["lsn"] > confirmed_before


def test_06_server_restart_and_crash_are_retried(postgres_server, pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS rs", "CREATE TABLE rs.t (id int PRIMARY KEY)")
    vimur = pg_vimur(pg, "rs", [r"rs\.t"])
    vimur.start()
    pg.execute("INSERT INTO rs.t VALUES (1)")
    vimur.wait_for(lambda r: len(values(r, "pgrs.rs.t")) == 1, timeout=30)
    pg.script("restart")
    pg.execute("INSERT INTO rs.t VALUES (2)")
    vimur.wait_for(lambda r: len(values(r, "pgrs.rs.t")) == 2, timeout=60)
    pg.script("kill")
    pg.script("start")
    pg.execute("INSERT INTO rs.t VALUES (3)")
    recs = vimur.wait_for(lambda r: len(values(r, "pgrs.rs.t")) >= 3, timeout=60)
    vimur.stop()
    assert [v["after"]["id"] for v in values(recs, "pgrs.rs.t")] == [1, 2, 3]
