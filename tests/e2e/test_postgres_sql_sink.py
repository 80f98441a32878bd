"""End to end: PostgreSQL -> `vimur run` (kafka, JSON with schemas) -> the `sql` sink into
PostgreSQL, for the types Vimur represents as Debezium's PostgreSQL connector does: money (a
Decimal without a declared precision), numeric without precision (VariableScaleDecimal) and
arrays (created as the element type's array).
The target table is created from the event schemas and ends equal to the source, snapshot rows
and streamed inserts, updates and deletes alike."""
import os
import pty
import random
import signal
import subprocess
import tempfile
import time

import pytest

from conftest import vimur_binary
from kafka_fixtures import kafka  # noqa: F401 (fixture)
from test_registry import Registry


def on_terminal(args):
    """Runs `args` with stderr on a pseudo-terminal; returns what it wrote there."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=120) == 0, out
    return out.decode(errors="replace")


@pytest.mark.parametrize("fmt", ["json", "avro"])
def test_money_numeric_arrays_into_postgres(postgres_server, kafka, tmp_path, fmt):  # noqa: F811
    """The same through JSON with schemas and through Avro (the sink reads the registry)."""
    pg = postgres_server
    suffix = "" if fmt == "json" else "_avro"
    registry = None
    if fmt == "avro":
        registry = Registry(kafka.bootstrap,
                            tempfile.mkdtemp(prefix="vimur-e2e-pgsink-registry."))
        registry.start()
        format_section = f"format:\n  type: avro\n  registry_url: {registry.url}\n"
    else:
        format_section = "format:\n  type: json\n  schemas: true\n"
    # Stored out of line (TOASTed): updates of other columns do not send it, the event carries
    # Debezium's placeholder, and the sink keeps the target's value.
    big_text = "'" + "".join("%016x" % random.getrandbits(64) for _ in range(1500)) + "'"
    pg.execute("DROP SCHEMA IF EXISTS pgsink CASCADE", "CREATE SCHEMA pgsink",
               "CREATE TABLE pgsink.prices (id int PRIMARY KEY, m money, n numeric, "
               "tiers int[], tags text[], steps numeric(6,2)[], seen timestamptz[], "
               "blobs bytea[], iv interval, doc text)",
               "INSERT INTO pgsink.prices VALUES (1, '$1,234.50', 12.500, '{1,NULL,3}', "
               "ARRAY['a b', NULL, '', 'q\"u\\o', 'NULL'], '{1.5,-0.07}', "
               "'{\"2024-05-01 12:30:00.5+02\"}', ARRAY['\\x00ff'::bytea, NULL], "
               "'1 year 2 mons 3 days 04:05:06.789', %s), "
               "(2, '-$0.07', -0.000100, '{}', '{}', '{}', '{}', '{}', '-1 days +02:00:00', ''), "
               "(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), "
               "(4, '$92,233,720,368,547,758.07', 123456789012345678901234567890.123456789, "
               "'{-2147483648}', '{x}', '{9999.99}', NULL, NULL, '0', 'short')" % big_text,
               # Enough rows for one batch to go through COPY (tabs, newlines and backslashes
               # in text and arrays, bytes, NULLs).
               "INSERT INTO pgsink.prices SELECT 100 + g, (g || '.25')::money, g / 7.0, "
               "ARRAY[g, NULL], ARRAY[E'tab\\there', E'line\\nbreak', 'back\\slash', NULL], "
               "ARRAY[g / 3.0]::numeric(6,2)[], "
               "ARRAY['2024-05-01 12:30:00+00'::timestamptz + g * interval '1 second'], "
               "ARRAY[decode(lpad(to_hex(g), 2, '0'), 'hex'), NULL], g * interval '1 minute', "
               "E'doc\\t\\\\' || g FROM generate_series(1, 40) g")
    pg.execute("DROP TABLE IF EXISTS prices_copy")
    workdir = str(tmp_path)
    config = os.path.join(workdir, "vimur.yaml")
    with open(config, "w") as f:
        f.write(f"""name: pgsql{suffix}
state_dir: {workdir}/state
sources:
  - name: db
    type: postgresql
    host: 127.0.0.1
    port: {pg.port}
    user: vimur
    password: vimur
    database: vimur
    slot: vimur_pgsink{suffix}
    publication: vimur_pgsink{suffix}
    snapshot: initial
    heartbeat_interval_ms: 500
    include_tables: ['pgsink\\.prices']
transport:
  type: kafka
  bootstrap_servers: {kafka.bootstrap}
{format_section}sinks:
  - name: prices-pg
    type: sql
    topics: ['pgsql{suffix}\\.pgsink\\.prices']
    targets: {{pg: 'postgresql://vimur:vimur@127.0.0.1:{pg.port}/vimur'}}
    table: prices_copy
    create_tables: true
    batch_max_ms: 100
""")
    log_path = os.path.join(workdir, "vimur.log")
    with open(log_path, "wb") as err:
        proc = subprocess.Popen([vimur_binary(), "run", "--config", config],
                                stdout=subprocess.DEVNULL, stderr=err)
    try:
        def log():
            return open(log_path, errors="replace").read()[-5000:]

        columns = ("id, m::numeric::text, n::text, tiers::text, tags::text, steps::text, "
                   "seen::text, blobs::text, md5(doc)")

        def target_equals_source():
            try:
                target = pg.query(f"SELECT {columns} FROM prices_copy ORDER BY id")
            except Exception:  # noqa: BLE001 (the table is not created yet)
                return False
            # The target's money column is numeric(65,2): the same digits.
            source = pg.query(f"SELECT {columns} FROM pgsink.prices ORDER BY id")
            return target == source

        def wait(what, timeout=60):
            deadline = time.time() + timeout
            while not target_equals_source():
                assert proc.poll() is None, f"vimur exited {proc.returncode}:\n{log()}"
                assert time.time() < deadline, f"{what}: target never equal:\n{log()}"
                time.sleep(0.3)

        wait("snapshot")
        # The 44 rows of the snapshot went through a COPY stage (a temporary table).
        assert pg.query("SELECT count(*) FROM pg_class WHERE relname LIKE 'vimur_stage_%%' "
                        "AND relpersistence = 't'")[0][0] >= 1, log()
        pg.execute("INSERT INTO pgsink.prices VALUES (5, '-$3.10', -7), (6, '$0.00', 0)",
                   "UPDATE pgsink.prices SET m = m + '$1.01', n = n * 10 WHERE id = 1",
                   "UPDATE pgsink.prices SET m = '$5.00', n = 0.5, tiers = '{5}', "
                   "tags = '{\"\"}' WHERE id = 3",
                   "UPDATE pgsink.prices SET tiers = tiers || 4, steps = '{}' WHERE id = 1",
                   "DELETE FROM pgsink.prices WHERE id = 2")
        wait("stream")
        assert pg.query("SELECT n::text FROM prices_copy WHERE id = 1") == [("125.000",)]
        types = dict(pg.query("SELECT attname, format_type(atttypid, atttypmod) FROM "
                              "pg_attribute WHERE attrelid = 'prices_copy'::regclass AND "
                              "attnum > 0"))
        assert types["m"] == "numeric(65,2)" and types["n"] == "numeric", types
        assert types["tiers"] == "integer[]" and types["tags"] == "text[]", types
        assert types["steps"] == "numeric(6,2)[]" and types["seen"] == "timestamp(6) with " \
            "time zone[]" and types["blobs"] == "bytea[]", types
        # interval as Debezium's MicroDuration (a month is 30.4375 days): bigint microseconds.
        assert types["iv"] == "bigint", types
        assert pg.query("SELECT iv FROM prices_copy WHERE id = 1") == [
            (round((((14 * 30.4375 + 3) * 24 + 4) * 3600 + 5 * 60 + 6.789) * 1e6),)]
        assert pg.query("SELECT tiers, tags FROM prices_copy WHERE id = 1") == [
            ([1, None, 3, 4], ["a b", None, "", 'q"u\\o', "NULL"])]
        # `vimur verify` compares the arrays too: equal now, and a changed element is found.
        def verify():
            return subprocess.run([vimur_binary(), "verify", "--config", config, "--sink",
                                   "prices-pg", "--recheck-s", "0"], capture_output=True,
                                  text=True, timeout=120)
        r = verify()
        assert r.returncode == 0, r.stdout + r.stderr
        # On a terminal: a progress line with the time left (from the server's row estimate).
        pg.execute("ANALYZE pgsink.prices")
        progress = on_terminal([vimur_binary(), "verify", "--config", config, "--sink",
                                "prices-pg", "--recheck-s", "0", "--chunk-rows", "1"])
        assert "verify prices-pg: tables 1" in progress and "s left" in progress, progress
        pg.execute("UPDATE prices_copy SET tiers[2] = 7 WHERE id = 1")
        r = verify()
        assert r.returncode == 1 and "tiers" in r.stdout, r.stdout + r.stderr
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0, log()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        pg.execute("DROP TABLE IF EXISTS prices_copy")
        if registry is not None:
            registry.close()
