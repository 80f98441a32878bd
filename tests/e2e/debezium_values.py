"""What Debezium's MySQL connector emits (JSON converter, DESIGN.md's type mapping) for a value
as the server returns it to a client (pymysql), so tests can compare Vimur's events with
SELECT results."""
import base64
import datetime
import re

EPOCH_DATE = datetime.date(1970, 1, 1)
EPOCH = datetime.datetime(1970, 1, 1)
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def b64(data):
    return base64.b64encode(bytes(data)).decode()


def b64_unscaled(unscaled):
    """Kafka Connect's Decimal in JSON: base64 of the unscaled value's minimal big-endian
    two's-complement bytes (Java's BigInteger.toByteArray)."""
    # Java's bitLength: of the value, or of its complement when negative (-2^63 takes 8 bytes).
    bits = unscaled.bit_length() if unscaled >= 0 else (~unscaled).bit_length()
    return b64(unscaled.to_bytes(bits // 8 + 1, "big", signed=True))


def b64_decimal(value):
    """A decimal.Decimal (its exponent is the column's scale) as a precise Connect Decimal."""
    sign, digits, _ = value.as_tuple()
    unscaled = int("".join(map(str, digits)) or "0")
    return b64_unscaled(-unscaled if sign else unscaled)


def expected(column_type, value):
    """column_type: the lower-case COLUMN_TYPE from information_schema."""
    if value is None:
        return None
    t = column_type
    if t.startswith("bit("):
        bits = int(t[4:-1])
        if bits == 1:
            return value != b"\x00" if isinstance(value, bytes) else bool(value)
        nbytes = (bits + 7) // 8
        raw = value.rjust(nbytes, b"\x00")
        return b64(raw[::-1])  # Debezium: little-endian
    if t.startswith("decimal"):
        # decimal.handling.mode=precise (Debezium's default); the server returns exactly
        # `scale` digits after the point, so the Decimal's exponent is the scale.
        return b64_decimal(value)
    if t.startswith("bigint") and "unsigned" in t:
        return b64_unscaled(int(value))  # bigint.unsigned.handling.mode=precise: Decimal(20,0)
    if t == "date":
        return (value - EPOCH_DATE).days
    if t.startswith("datetime"):
        fsp = int(t[9:-1]) if "(" in t else 0
        delta = value - EPOCH
        micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
        return micros // 1000 if fsp <= 3 else micros
    if t.startswith("timestamp"):
        return ("ts", value)
    if t.startswith("time"):
        return (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    if t.startswith("year"):
        return int(value)
    if t.startswith(("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob")):
        return b64(value)
    if t in ("geometry", "point", "linestring", "polygon"):
        srid = int.from_bytes(value[:4], "little")
        return {"wkb": b64(value[4:]), "srid": srid}
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8")
    if isinstance(value, set):
        return ",".join(sorted(value))
    return value


def parse_iso_utc(text):
    assert ISO_UTC.match(text), f"not an ISO-8601 UTC timestamp: {text!r}"
    main, _, frac = text[:-1].partition(".")
    dt = datetime.datetime.strptime(main, "%Y-%m-%dT%H:%M:%S")
    micros = int((frac + "000000")[:6]) if frac else 0
    return dt.replace(microsecond=micros)


def same(column_type, want, got):
    """True when Vimur's `got` matches the expectation `want` for this column type."""
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, tuple) and want[0] == "ts":
        return parse_iso_utc(got) == want[1]
    if column_type.startswith("float"):
        return abs(float(got) - float(want)) <= 1e-5 * max(1.0, abs(float(want)))
    if column_type.startswith("double"):
        return abs(float(got) - float(want)) <= 1e-12 * max(1.0, abs(float(want)))
    return want == got
