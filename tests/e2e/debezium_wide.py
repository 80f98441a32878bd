"""The wide table of the Debezium drop-in proof: one column per type of DESIGN.md's capture type
matrix, edge values, and the sequence of changes made to it (inserts, updates, a primary-key
change, deletes, ADD COLUMN with a default).

Shared by tests/e2e/test_debezium_sink.py and tests/data/debezium/capture.py, which records what
Debezium's MariaDB connector emits for exactly these statements (tests/data/debezium/): the
statements are deterministic (the session's clock is fixed), so Debezium's recorded events and
Vimur's events describe the same rows."""
import datetime
import decimal
import json
import struct

DB = "dbz"
TABLE = "wide"
TIME_TABLE = "time_edge"
PREFIX = "ref"                 # topic prefix of the plain capture
PROPAGATE_PREFIX = "refp"      # topic prefix of the capture with column.propagate.source.type=.*
FIXED_CLOCK = 1700000000       # SET timestamp: CURRENT_TIMESTAMP defaults are reproducible

# (column, type) in table order; `id` is the primary key.
COLUMNS = [
    ("id", "INT NOT NULL"),
    ("c_tinyint", "TINYINT"),
    ("c_tinyint_u", "TINYINT UNSIGNED"),
    ("c_smallint", "SMALLINT"),
    ("c_smallint_u", "SMALLINT UNSIGNED"),
    ("c_mediumint", "MEDIUMINT"),
    ("c_mediumint_u", "MEDIUMINT UNSIGNED"),
    ("c_int", "INT"),
    ("c_int_u", "INT UNSIGNED"),
    ("c_bigint", "BIGINT"),
    ("c_bigint_u", "BIGINT UNSIGNED"),
    ("c_bool", "BOOLEAN"),
    ("c_year", "YEAR"),
    ("c_float", "FLOAT"),
    ("c_double", "DOUBLE"),
    ("c_decimal", "DECIMAL(10,2)"),
    ("c_decimal_wide", "DECIMAL(65,30)"),
    ("c_decimal38", "DECIMAL(38,10)"),
    ("c_bit1", "BIT(1)"),
    ("c_bit", "BIT(10)"),
    ("c_date", "DATE"),
    ("c_datetime", "DATETIME"),
    ("c_datetime3", "DATETIME(3)"),
    ("c_datetime6", "DATETIME(6)"),
    ("c_timestamp", "TIMESTAMP NULL DEFAULT NULL"),
    ("c_timestamp6", "TIMESTAMP(6) NULL DEFAULT NULL"),
    ("c_time", "TIME"),
    ("c_time6", "TIME(6)"),
    ("c_char", "CHAR(10)"),
    ("c_varchar", "VARCHAR(255)"),
    ("c_text", "TEXT"),
    ("c_binary", "BINARY(4)"),
    ("c_varbinary", "VARBINARY(16)"),
    ("c_blob", "BLOB"),
    ("c_enum", "ENUM('a','b','c')"),
    ("c_set", "SET('x','y','z')"),
    ("c_json", "JSON"),
    ("c_geometry", "GEOMETRY"),
    ("c_str_default", "VARCHAR(20) NOT NULL DEFAULT 'abc'"),
    ("c_int_default", "INT NOT NULL DEFAULT 42"),
    ("c_decimal_default", "DECIMAL(5,2) DEFAULT 1.50"),
    ("c_ts_default", "TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP"),
]
ADDED_COLUMN = ("c_added", "VARCHAR(20) NOT NULL DEFAULT 'dflt'")

CREATE_TABLE = (f"CREATE TABLE {DB}.{TABLE} (\n  "
                + ",\n  ".join(f"{n} {t}" for n, t in COLUMNS)
                + ",\n  PRIMARY KEY (id)\n) DEFAULT CHARSET=utf8mb4")
CREATE_TIME_TABLE = f"CREATE TABLE {DB}.{TIME_TABLE} (id INT PRIMARY KEY, t TIME(6))"

_MIN = {
    "id": 1, "c_tinyint": -128, "c_tinyint_u": 0, "c_smallint": -32768, "c_smallint_u": 0,
    "c_mediumint": -8388608, "c_mediumint_u": 0, "c_int": -2147483648, "c_int_u": 0,
    "c_bigint": -9223372036854775808, "c_bigint_u": 0, "c_bool": 0, "c_year": 1901,
    "c_float": -3.4e38, "c_double": -1.7976931348623157e308,
    "c_decimal": "-99999999.99",
    "c_decimal_wide": "-" + "9" * 35 + "." + "9" * 30,
    "c_decimal38": "-" + "9" * 28 + "." + "9" * 10,
    "c_bit1": "b'0'", "c_bit": "b'0000000000'", "c_date": "1000-01-01",
    "c_datetime": "1000-01-01 00:00:00", "c_datetime3": "1000-01-01 00:00:00.000",
    "c_datetime6": "1000-01-01 00:00:00.000000", "c_timestamp": "1970-01-01 00:00:01",
    "c_timestamp6": "1970-01-01 00:00:01.000000", "c_time": "00:00:00",
    "c_time6": "00:00:00.000000", "c_char": "", "c_varchar": "", "c_text": "",
    "c_binary": "x'00000000'", "c_varbinary": "x''", "c_blob": "x''", "c_enum": "a",
    "c_set": "", "c_json": "{}", "c_geometry": "ST_GeomFromText('POINT(0 0)')",
    "c_str_default": "", "c_int_default": -2147483648, "c_decimal_default": "-999.99",
    "c_ts_default": "1970-01-01 00:00:01",
}
_MAX = {
    "id": 2, "c_tinyint": 127, "c_tinyint_u": 255, "c_smallint": 32767, "c_smallint_u": 65535,
    "c_mediumint": 8388607, "c_mediumint_u": 16777215, "c_int": 2147483647,
    "c_int_u": 4294967295, "c_bigint": 9223372036854775807,
    "c_bigint_u": 18446744073709551615, "c_bool": 1, "c_year": 2155,
    "c_float": 3.4e38, "c_double": 1.7976931348623157e308,
    "c_decimal": "99999999.99",
    "c_decimal_wide": "9" * 35 + "." + "9" * 30,
    "c_decimal38": "9" * 28 + "." + "9" * 10,
    "c_bit1": "b'1'", "c_bit": "b'1111111111'", "c_date": "9999-12-31",
    "c_datetime": "9999-12-31 23:59:59", "c_datetime3": "9999-12-31 23:59:59.999",
    "c_datetime6": "9999-12-31 23:59:59.999999", "c_timestamp": "2038-01-19 03:14:07",
    "c_timestamp6": "2038-01-19 03:14:07.999999", "c_time": "23:59:59",
    "c_time6": "23:59:59.999999", "c_char": "abcdefghij", "c_varchar": "z" * 255,
    "c_text": "t" * 3000, "c_binary": "x'ffffffff'", "c_varbinary": "x'" + "ff" * 16 + "'",
    "c_blob": "x'" + "00ff" * 300 + "'", "c_enum": "c", "c_set": "x,y,z",
    "c_json": '{"a": [1, 2.5, "x"], "b": {"c": null, "d": true}}',
    "c_geometry": "ST_GeomFromText('LINESTRING(0 0, 1.5 2.25, -3 4)')",
    "c_str_default": "z" * 20, "c_int_default": 2147483647, "c_decimal_default": "999.99",
    "c_ts_default": "2038-01-19 03:14:07",
}
_TYPICAL = {
    "id": 4, "c_tinyint": 1, "c_tinyint_u": 200, "c_smallint": -2, "c_smallint_u": 40000,
    "c_mediumint": 3, "c_mediumint_u": 9000000, "c_int": -4, "c_int_u": 3000000000,
    "c_bigint": -5, "c_bigint_u": 9223372036854775808, "c_bool": 1, "c_year": 2024,
    "c_float": 1.5, "c_double": 0.1, "c_decimal": "-0.50",
    "c_decimal_wide": "0.000000000000000000000000000001",
    "c_decimal38": "0.0000000001",
    "c_bit1": "b'1'", "c_bit": "b'1000000001'", "c_date": "2024-02-29",
    "c_datetime": "2024-05-01 10:00:00", "c_datetime3": "2024-05-01 10:00:00.120",
    "c_datetime6": "2024-05-01 10:00:00.123456", "c_timestamp": "2024-05-01 10:00:00",
    "c_timestamp6": "2024-05-01 10:00:00.000001", "c_time": "12:34:56",
    "c_time6": "00:00:00.000001", "c_char": "ü日",
    "c_varchar": "ünïcödé 日本語 😀 'quoted' \\\\ \"dq\"", "c_text": "line1\nline2\ttab 😀",
    "c_binary": "x'01020300'", "c_varbinary": "x'00'", "c_blob": "x'deadbeef'",
    "c_enum": "b", "c_set": "y,z", "c_json": '{"ü": "日本", "n": -1.25e-7, "list": []}',
    "c_geometry": "ST_GeomFromText('POLYGON((0 0, 4 0, 4 4, 0 0))', 4326)",
    "c_str_default": "ü", "c_int_default": 0, "c_decimal_default": "0.01",
    "c_ts_default": "2024-05-01 10:00:00",
}
_ZERO = {
    "id": 5, "c_tinyint": 0, "c_tinyint_u": 0, "c_smallint": 0, "c_smallint_u": 0,
    "c_mediumint": 0, "c_mediumint_u": 0, "c_int": 0, "c_int_u": 0, "c_bigint": 0,
    "c_bigint_u": 0, "c_bool": 0, "c_year": 2000, "c_float": 0.0, "c_double": -0.0,
    "c_decimal": "0.00", "c_decimal_wide": "0", "c_decimal38": "-0.0000000000", "c_bit1": "b'0'", "c_bit": "b'1'",
    "c_date": "1970-01-01", "c_datetime": "1970-01-01 00:00:00",
    "c_datetime3": "1969-12-31 23:59:59.999", "c_datetime6": "1969-12-31 23:59:59.999999",
    "c_time": "00:00:00", "c_char": " ", "c_varchar": " lead and trail ", "c_text": "0",
    "c_binary": "x'00'", "c_varbinary": "x'0000'", "c_blob": "x'00'", "c_json": "[]",
}


def _literal(column, value):
    if isinstance(value, str) and (value.startswith(("b'", "x'", "ST_"))):
        return value
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
    return repr(value)


def _insert(row):
    names = ", ".join(row)
    values = ", ".join(_literal(c, v) for c, v in row.items())
    return f"INSERT INTO {DB}.{TABLE} ({names}) VALUES ({values})"


# Phases: (name, [transactions]); each transaction is a list of statements, committed at once.
PHASES = [
    ("insert", [
        [_insert(_MIN)],
        [_insert(_MAX)],
        [f"INSERT INTO {DB}.{TABLE} (id) VALUES (3)"],          # NULLs and defaults
        [_insert(_TYPICAL), _insert(_ZERO)],
    ]),
    ("update", [
        [f"UPDATE {DB}.{TABLE} SET c_varchar = NULL, c_int = 7, c_bigint_u = 1 WHERE id = 1"],
        [f"UPDATE {DB}.{TABLE} SET c_json = '{{\"k\": \"v\"}}', c_enum = NULL, c_set = 'x',"
         f" c_datetime6 = '2001-02-03 04:05:06.7', c_decimal_wide = '12345.678'"
         f" WHERE id = 4"],
        [f"UPDATE {DB}.{TABLE} SET id = 20 WHERE id = 2"],       # primary-key change
        [f"DELETE FROM {DB}.{TABLE} WHERE id = 5"],
        [f"INSERT INTO {DB}.{TABLE} (id, c_varchar) VALUES (5, 'reinserted')"],
        [f"DELETE FROM {DB}.{TABLE} WHERE id = 5"],
    ]),
    ("add_column", [
        [f"ALTER TABLE {DB}.{TABLE} ADD COLUMN {ADDED_COLUMN[0]} {ADDED_COLUMN[1]}"],
        [f"UPDATE {DB}.{TABLE} SET c_int = 1 WHERE id = 1"],
        [f"INSERT INTO {DB}.{TABLE} (id, c_added, c_varchar) VALUES (6, 'given', 'after')"],
    ]),
]

# TIME values outside 00:00-24:00 (MariaDB allows -838:59:59..838:59:59): the JDBC sink
# refuses them, with Debezium's events too.
TIME_EDGE_ROWS = [(1, "-00:00:01"), (2, "24:00:00"), (3, "838:59:59.000000"),
                  (4, "-838:59:59.000000")]


def time_edge_statements():
    return [f"INSERT INTO {DB}.{TIME_TABLE} VALUES ({i}, '{t}')" for i, t in TIME_EDGE_ROWS]


def setup_statements():
    return [f"DROP DATABASE IF EXISTS {DB}", f"CREATE DATABASE {DB}", CREATE_TABLE,
            CREATE_TIME_TABLE]


def run_phase(conn, phase):
    """Runs one phase's transactions on a pymysql connection (autocommit off inside)."""
    _, transactions = next(p for p in PHASES if p[0] == phase)
    with conn.cursor() as cur:
        cur.execute("SET time_zone = '+00:00'")
        cur.execute(f"SET timestamp = {FIXED_CLOCK}")
        for statements in transactions:
            cur.execute("BEGIN")
            for s in statements:
                cur.execute(s)
            cur.execute("COMMIT")


# --- comparing rows by meaning ---

SELECT_EXPR = {"c_geometry": "ST_AsWKB(c_geometry)"}  # MariaDB: the geometry as WKB


def column_kind(sql_type):
    t = sql_type.lower()
    for prefix, kind in (("bigint unsigned", "int"), ("boolean", "int"), ("bit(1)", "bit"),
                         ("bit", "bit"), ("float", "float"), ("double", "double"),
                         ("decimal", "decimal"), ("datetime", "datetime"),
                         ("timestamp", "timestamp"), ("time", "time"), ("date", "date"),
                         ("year", "int"), ("char", "char"), ("varchar", "str"),
                         ("text", "str"), ("binary", "bytes"), ("varbinary", "bytes"),
                         ("blob", "bytes"), ("enum", "str"), ("set", "set"),
                         ("json", "json"), ("geometry", "geometry")):
        if t.startswith(prefix):
            return kind
    if "int" in t:
        return "int"
    raise AssertionError(f"no kind for {sql_type}")


def normalize(kind, value):
    """A canonical Python value for comparing a source and a target column by meaning."""
    if value is None:
        return None
    if kind == "int":
        return int(value)
    if kind == "bit":
        if isinstance(value, (bytes, bytearray, memoryview)):
            return int.from_bytes(bytes(value), "big")
        if isinstance(value, str):  # PostgreSQL bit(n) as text
            return int(value, 2)
        return int(value)
    if kind == "float":
        return struct.unpack("f", struct.pack("f", float(value)))[0]
    if kind == "double":
        return float(value)
    if kind == "decimal":
        return decimal.Decimal(value).normalize() if not isinstance(value, float) else value
    if kind in ("datetime", "timestamp"):
        if isinstance(value, datetime.datetime) and value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value
    if kind == "date":
        return value
    if kind == "time":
        if isinstance(value, datetime.timedelta):
            return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
        if isinstance(value, datetime.time):
            return ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 \
                + value.microsecond
        return value
    if kind == "char":
        return value.rstrip(" ") if isinstance(value, str) else bytes(value).decode().rstrip(" ")
    if kind == "str":
        return value if isinstance(value, str) else bytes(value).decode()
    if kind == "set":
        if isinstance(value, (set, frozenset)):
            return ",".join(sorted(value))
        return ",".join(sorted(v for v in str(value).split(",") if v))
    if kind == "json":
        return json.loads(value) if isinstance(value, (str, bytes)) else value
    if kind in ("bytes", "geometry"):
        return bytes(value)
    return value
