"""End to end: table sync with the `sql` sink and `vimur verify`, against real servers.

A small monolith `shop` (users, orders, order_items) in MariaDB is written to by concurrent
clients (inserts, updates including changes of the sharding column `user_id`, deletes).
`vimur run --only sources` captures it to Kafka (JSON with schemas, and again in Avro through
`vimur registry`, which the sql sink reads directly); `vimur run --only sinks`
runs two sinks: `orders-split` splits `orders` into `orders_0..3` across two target databases
by `user_id`, and `orders-pg` copies `orders` and `order_items` into PostgreSQL. The sinks
process is killed with kill -9 mid-run and restarted. Once writes stop and the sinks caught up,
`vimur verify` exits 0 for both sinks; a target row changed by hand makes it exit 1 naming the
key; `--repair` brings it back to 0.

Sizes: CI runs a few hundred transactions; VIMUR_TEST_LONG=1 runs the issue-sized variant
(about 300 transactions/s for 60 s, two kill -9). Vimur has no initial snapshot yet, so
capture starts before any row is written."""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pymysql
import pytest

from conftest import ROOT, vimur_binary
from kafka_fixtures import kafka  # noqa: F401
from test_registry import Registry

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
WRITERS = 4
SECONDS = 60 if LONG else 12
RATE = 300 if LONG else 60           # transactions per second over all writers
KILLS = 2 if LONG else 1


class Postgres:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vimur-e2e-pg.", dir="/tmp")
        env = dict(os.environ, VIMUR_POSTGRES_OWNER_PID=str(os.getpid()))
        out = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start", self.dir],
                             check=True, capture_output=True, text=True, env=env).stdout
        self.port = int(out.strip().splitlines()[-1].split("=", 1)[1])

    def psql(self, sql):
        env = dict(os.environ, PGPASSWORD="vimur")
        out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                              "-h", "127.0.0.1", "-p", str(self.port), "-U", "vimur",
                              "-d", "vimur", "-c", sql],
                             check=True, capture_output=True, text=True, env=env).stdout
        return [line.split("|") for line in out.splitlines() if line]

    def stop_server(self):
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", self.dir],
                       check=True, capture_output=True, text=True)

    def start_server(self):
        out = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start", self.dir],
                             check=True, capture_output=True, text=True).stdout
        assert int(out.strip().splitlines()[-1].split("=", 1)[1]) == self.port

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", self.dir],
                       capture_output=True, text=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    yield server
    server.stop()


class Run:
    """One `vimur run --only ...` process and its logs."""

    def __init__(self, config, workdir, only):
        self.config, self.workdir, self.only = config, workdir, only
        self.proc, self.runs = None, 0

    def log_path(self, run=None):
        return os.path.join(self.workdir, f"{self.only}.{run or self.runs}.log")

    def log(self, run=None):
        try:
            return open(self.log_path(run), errors="replace").read()[-5000:]
        except OSError:
            return ""

    def start(self):
        self.runs += 1
        err = open(self.log_path(), "wb")
        self.proc = subprocess.Popen([vimur_binary(), "run", "--config", self.config,
                                      "--only", self.only], stdout=subprocess.DEVNULL,
                                     stderr=err)
        err.close()

    def wait_log(self, text, timeout=60):
        deadline = time.time() + timeout
        while text not in self.log():
            assert self.proc.poll() is None, f"vimur exited {self.proc.returncode}:\n{self.log()}"
            assert time.time() < deadline, f"no '{text}' in the log:\n{self.log()}"
            time.sleep(0.1)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=90)
        assert rc == 0, f"vimur --only {self.only} exited {rc}:\n{self.log()}"

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def verify(config, sink, *extra):
    # Small chunks, so that every table takes several (keyset pagination is exercised); the
    # issue-sized run reads larger ones.
    return subprocess.run([vimur_binary(), "verify", "--config", config, "--sink", sink,
                           "--recheck-s", "0", "--chunk-rows", "500" if LONG else "7", *extra],
                          capture_output=True, text=True, timeout=300)


def wait_identical(config, sink, timeout=180):
    deadline = time.time() + timeout
    while True:
        r = verify(config, sink)
        if r.returncode == 0:
            return r
        assert r.returncode == 1, f"verify failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
        assert time.time() < deadline, f"{sink} never caught up:\n{r.stdout}\n{r.stderr}"
        time.sleep(2)


def write_config(path, name, mariadb, kafka, postgres, extra_sink="", server_id=5931,  # noqa: F811
                 registry_url=None):
    format_section = (f"format:\n  type: avro\n  registry_url: {registry_url}" if registry_url
                      else "format:\n  type: json\n  schemas: true")
    with open(path, "w") as f:
        f.write(f"""name: {name}
state_dir: {os.path.dirname(path)}/state
sources:
  - name: db
    type: mysql
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: {server_id}
    heartbeat_interval_ms: 500
    include_tables: ['shop\\..*']
transport:
  type: kafka
  bootstrap_servers: {kafka.bootstrap}
{format_section}
sinks:
  - name: orders-split
    type: sql
    topics: ['{name}\\.shop\\.orders']
    targets:
      db0: mariadb://root:root@127.0.0.1:{mariadb.port}/split0
      db1: mariadb://root:root@127.0.0.1:{mariadb.port}/split1
    target: 'db${{mod(user_id, 2)}}'
    table: 'orders_${{mod(user_id, 4)}}'
    create_tables: true
    batch_max_ms: 100
    lag_log_interval_s: 2
  - name: orders-pg
    type: sql
    topics: ['{name}\\.shop\\.(orders|order_items)']
    targets: {{pg: 'postgresql://vimur:vimur@127.0.0.1:{postgres.port}/vimur'}}
    create_tables: true
    batch_max_ms: 100
{extra_sink}
""")


def workload(mariadb, stop, seed, counts):
    """Random transactions until `stop`: inserts, updates (also of user_id), deletes."""
    rng = random.Random(seed)
    conn = mariadb.connect(db="shop")
    conn.autocommit(False)
    interval = WRITERS / RATE
    next_id = seed * 1_000_000
    while not stop.is_set():
        t0 = time.time()
        with conn.cursor() as cur:
            for _ in range(rng.randint(1, 4)):
                roll = rng.random()
                if roll < 0.45:
                    next_id += 1
                    cur.execute(
                        "INSERT INTO orders (id, user_id, amount, status, note, created, meta, tag)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        (next_id, rng.randint(1, 50), f"{rng.randint(0, 99999)}.{rng.randint(0, 99):02d}",
                         rng.choice(["new", "paid", "sent"]), rng.choice(["x", "ünï", "日本", None, "it's"]),
                         f"2024-05-0{rng.randint(1, 9)} 10:00:00.{rng.randint(0, 999999):06d}",
                         '{"b": %d, "a": [1, 2]}' % rng.randint(0, 9), bytes([rng.randint(0, 255), 0, 7])))
                    for line in range(rng.randint(0, 2)):
                        cur.execute("INSERT INTO order_items VALUES (%s, %s, %s, %s)",
                                    (next_id, line, f"sku-{rng.randint(1, 99)}", rng.randint(1, 5)))
                elif roll < 0.65:
                    cur.execute("UPDATE orders SET user_id = %s WHERE id = %s",
                                (rng.randint(1, 50), rng.randint(seed * 1_000_000, next_id)))
                elif roll < 0.85:
                    cur.execute("UPDATE orders SET amount = amount + 1.25, status = 'paid', note = %s"
                                " WHERE id = %s", (rng.choice(["y", None]), rng.randint(seed * 1_000_000, next_id)))
                else:
                    victim = rng.randint(seed * 1_000_000, next_id)
                    cur.execute("DELETE FROM order_items WHERE order_id = %s", (victim,))
                    cur.execute("DELETE FROM orders WHERE id = %s", (victim,))
        conn.commit()
        counts[seed] = counts.get(seed, 0) + 1
        time.sleep(max(0.0, interval - (time.time() - t0)))
    conn.close()


@pytest.mark.parametrize("fmt", ["json", "avro"])
def test_split_and_copy_under_writes_with_kill9_then_verify_and_repair(
        mariadb, kafka, postgres, tmp_path, fmt):  # noqa: F811
    mariadb.execute(
        "DROP DATABASE IF EXISTS shop", "DROP DATABASE IF EXISTS split0",
        "DROP DATABASE IF EXISTS split1", "CREATE DATABASE shop", "CREATE DATABASE split0",
        "CREATE DATABASE split1",
        "CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, user_id INT NOT NULL,"
        " amount DECIMAL(12,2) NOT NULL, status ENUM('new','paid','sent') NOT NULL,"
        " note VARCHAR(40) NULL, created DATETIME(6) NOT NULL, meta JSON, tag VARBINARY(8))"
        " DEFAULT CHARSET=utf8mb4",
        "CREATE TABLE shop.order_items (order_id BIGINT, line INT, sku VARCHAR(20) NOT NULL,"
        " qty INT NOT NULL, PRIMARY KEY (order_id, line))")
    postgres.psql("DROP TABLE IF EXISTS orders; DROP TABLE IF EXISTS order_items")
    name = f"sinke2e{random.randint(0, 10**6)}"
    config = str(tmp_path / "vimur.yaml")
    registry = None
    if fmt == "avro":
        os.mkdir(tmp_path / "registry")
        registry = Registry(kafka.bootstrap, str(tmp_path / "registry"))
        registry.start()
    write_config(config, name, mariadb, kafka, postgres,
                 registry_url=registry.url if registry else None)
    sources = Run(config, str(tmp_path), "sources")
    sinks = Run(config, str(tmp_path), "sinks")
    try:
        sources.start()
        sources.wait_log("streaming from")
        sinks.start()
        sinks.wait_log("subscribed")

        stop = threading.Event()
        counts = {}
        writers = [threading.Thread(target=workload, args=(mariadb, stop, s + 1, counts))
                   for s in range(WRITERS)]
        for w in writers:
            w.start()
        # A target down for a while: its batches are retried with backoff, nothing is lost.
        time.sleep(SECONDS / (KILLS + 2))
        postgres.stop_server()
        time.sleep(3)
        postgres.start_server()
        for k in range(KILLS):
            time.sleep(SECONDS / (KILLS + 2))
            sinks.kill9()  # mid-batch, offsets of unapplied batches not committed
            sinks.start()
        time.sleep(SECONDS / (KILLS + 2))
        stop.set()
        for w in writers:
            w.join()
        total = sum(counts.values())
        assert total >= SECONDS * RATE * 0.3, counts
        print(f"\n{total} source transactions in {SECONDS} s, {KILLS} kill -9 of the sinks")

        caught_up = time.time()
        r = wait_identical(config, "orders-split")
        assert "identical" in r.stdout
        source_rows = mariadb.query("SELECT COUNT(*) FROM shop.orders")[0][0]
        assert source_rows > 0
        assert f"{source_rows} source row(s)" in r.stdout, r.stdout
        # The shards are where the routes say: orders_0/2 in split0, orders_1/3 in split1.
        shards = {}
        for db, tables in (("split0", (0, 2)), ("split1", (1, 3))):
            for t in tables:
                rows = mariadb.query(f"SELECT user_id FROM {db}.orders_{t}")
                assert all(u % 4 == t for (u,) in rows), (db, t)
                shards[t] = len(rows)
            other = mariadb.query("SELECT TABLE_NAME FROM information_schema.TABLES"
                                  f" WHERE TABLE_SCHEMA = '{db}'")
            assert sorted(n for (n,) in other) == [f"orders_{t}" for t in tables]
        assert sum(shards.values()) == source_rows
        r = wait_identical(config, "orders-pg")
        print(f"both sinks identical {time.time() - caught_up:.1f} s after writes stopped;"
              f" {source_rows} orders rows")
        assert postgres.psql("SELECT count(*) FROM orders")[0][0] == str(source_rows)
        # Types were mapped: exact decimals, microseconds, bytea. (MariaDB's JSON is a LONGTEXT
        # in the binlog, so its events carry a plain string and the column is text; MySQL's
        # JSON arrives as io.debezium.data.Json and becomes jsonb, see the unit tests.)
        types = dict(postgres.psql("SELECT column_name, data_type FROM information_schema.columns"
                                   " WHERE table_name = 'orders'"))
        assert types["amount"] == "numeric" and types["meta"] == "text", types
        assert types["tag"] == "bytea" and types["created"].startswith("timestamp"), types
        assert "lag" in sinks.log()
        first = sinks.log(run=1)
        assert "retry" in first and "target pg" in first, first

        # A row changed by hand in a target: verify exits 1 naming the key; --repair fixes it.
        sinks.stop()  # so that nothing rewrites the rows meanwhile
        uid, oid = mariadb.query("SELECT user_id, id FROM shop.orders ORDER BY id LIMIT 1")[0]
        shard_db = f"split{uid % 2}"
        mariadb.execute(f"UPDATE {shard_db}.orders_{uid % 4} SET amount = amount + 1000 WHERE id = {oid}")
        postgres.psql(f"UPDATE orders SET note = 'hand' WHERE id = {oid}")
        postgres.psql("INSERT INTO order_items VALUES (999999999, 1, 'extra', 1)")
        for sink, key in (("orders-split", f"id={oid}"), ("orders-pg", f"id={oid}")):
            r = verify(config, sink)
            assert r.returncode == 1, r.stdout + r.stderr
            assert key in r.stdout, r.stdout
        r = verify(config, "orders-pg")
        assert "order_id=999999999" in r.stdout and "extra" in r.stdout, r.stdout
        for sink in ("orders-split", "orders-pg"):
            r = verify(config, sink, "--repair")
            assert r.returncode == 0, r.stdout + r.stderr
            assert "repaired" in r.stdout, r.stdout
            assert verify(config, sink).returncode == 0
        sources.stop()
    finally:
        sources.close()
        sinks.close()
        if registry:
            registry.close()


def test_check_of_targets_and_usage_errors(mariadb, kafka, postgres, tmp_path):  # noqa: F811
    config = str(tmp_path / "vimur.yaml")
    write_config(config, "sinkavro", mariadb, kafka, postgres, server_id=5933)
    # `vimur check` connects to every target too.
    r = subprocess.run([vimur_binary(), "check", "--config", config], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ok    sink orders-pg: target pg (postgresql://vimur@127.0.0.1:" in r.stdout, r.stdout
    down = str(tmp_path / "down.yaml")
    open(down, "w").write(open(config).read().replace(f":{postgres.port}/", ":1/"))
    r = subprocess.run([vimur_binary(), "check", "--config", down], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 1 and "FAIL  sink orders-pg: target pg" in r.stdout, r.stdout
    # (Avro topics are read since sinks translate them: test_postgres_sql_sink.py.)
    r = verify(config, "nope")
    assert r.returncode == 2 and "no sink named 'nope'" in r.stderr, r.stderr
    r = subprocess.run([vimur_binary(), "run", "--config", config, "--only", "everything"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "--only" in r.stderr


def legacy_config(path, name, mariadb, kafka, sinks):  # noqa: F811
    with open(path, "w") as f:
        f.write(f"""name: {name}
state_dir: {os.path.dirname(path)}/state
sources:
  - name: db
    type: mysql
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: 5932
    heartbeat_interval_ms: 500
    include_tables: ['legacy\\..*']
transport:
  type: kafka
  bootstrap_servers: {kafka.bootstrap}
format:
  type: json
  schemas: true
sinks:
{sinks}
""")


def test_aggregation_dead_letter_and_stop(mariadb, kafka, tmp_path):  # noqa: F811
    """Four tables with colliding keys aggregated into one (add_columns + key), verified; a
    row the target refuses for good goes to the dead-letter topic (and verify names it),
    or, with on_error: stop, stops the sink naming the record."""
    from confluent_kafka import Consumer
    mariadb.execute(
        "DROP DATABASE IF EXISTS legacy", "DROP DATABASE IF EXISTS agg", "CREATE DATABASE legacy",
        "CREATE DATABASE agg",
        *[f"CREATE TABLE legacy.part_{k} (id INT PRIMARY KEY, v VARCHAR(20) NOT NULL)"
          for k in range(4)],
        "CREATE TABLE agg.narrow (id INT PRIMARY KEY, v VARCHAR(5) NOT NULL)",
        "CREATE TABLE agg.narrow_stop (id INT PRIMARY KEY, v VARCHAR(5) NOT NULL)")
    name = f"sinkagg{random.randint(0, 10**6)}"
    url = f"mariadb://root:root@127.0.0.1:{mariadb.port}/agg"
    config = str(tmp_path / "vimur.yaml")
    legacy_config(config, name, mariadb, kafka, f"""
  - name: all-parts
    type: sql
    topics: ['{name}\\.legacy\\.part_\\d+']
    targets: {{agg: '{url}'}}
    table: parts_all
    add_columns: {{src_table: '${{table}}'}}
    key: [src_table, id]
    create_tables: true
    batch_max_ms: 50
  - name: narrow-dlq
    type: sql
    topics: ['{name}\\.legacy\\.part_0']
    targets: {{agg: '{url}'}}
    table: narrow
    on_error: dead_letter
    batch_max_ms: 50
""")
    run = Run(config, str(tmp_path), "all")
    run.proc = None
    try:
        # Sources and sinks in one process (no --only).
        run.runs += 1
        err = open(run.log_path(), "wb")
        run.proc = subprocess.Popen([vimur_binary(), "run", "--config", config],
                                    stdout=subprocess.DEVNULL, stderr=err)
        err.close()
        run.wait_log("streaming from")
        run.wait_log("subscribed")
        conn = mariadb.connect(db="legacy")
        with conn.cursor() as cur:
            for k in range(4):
                for i in range(1, 31):
                    cur.execute(f"INSERT INTO part_{k} VALUES (%s, %s)", (i, f"{k}-{i}"))
                cur.execute(f"UPDATE part_{k} SET v = CONCAT(v, '!') WHERE id % 3 = 0")
                cur.execute(f"DELETE FROM part_{k} WHERE id % 7 = 0")
            cur.execute("INSERT INTO part_0 VALUES (100, 'toolong')")
            # A column added at the source is added at the target (basic schema evolution).
            cur.execute("ALTER TABLE part_1 ADD COLUMN extra INT NULL")
            cur.execute("INSERT INTO part_1 VALUES (200, 'new', 42)")
        conn.close()
        r = wait_identical(config, "all-parts", timeout=120)
        assert "4 source table(s), 106 source row(s)" in r.stdout, r.stdout
        rows = mariadb.query("SELECT src_table, COUNT(*) FROM agg.parts_all GROUP BY src_table")
        assert dict(rows) == {"part_0": 27, "part_1": 27, "part_2": 26, "part_3": 26}, rows
        assert mariadb.query("SELECT extra FROM agg.parts_all WHERE src_table = 'part_1'"
                             " AND id = 200") == ((42,),)

        # The refused row is in the dead-letter topic with its error; the others were applied.
        consumer = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": "dlq-reader",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe(["vimur-dead-letter.narrow-dlq"])
        deadline, msg = time.time() + 60, None
        while msg is None and time.time() < deadline:
            m = consumer.poll(1.0)
            if m is not None and not m.error():
                msg = m
        consumer.close()
        assert msg is not None, run.log()
        headers = dict(msg.headers())
        assert b"Data too long" in headers["vimur.error"], headers
        assert headers["vimur.topic"] == f"{name}.legacy.part_0".encode()
        assert b'"id":100' in msg.key().replace(b" ", b"")
        deadline = time.time() + 60
        while mariadb.query("SELECT COUNT(*) FROM agg.narrow")[0][0] != 26:
            assert time.time() < deadline, run.log()
            time.sleep(0.5)
        r = verify(config, "narrow-dlq")
        assert r.returncode == 1 and "missing" in r.stdout and "id=100" in r.stdout, r.stdout
        run.stop()

        # on_error: stop: the sink stops, exit 1, naming the record and the error.
        stop_config = str(tmp_path / "stop.yaml")
        legacy_config(stop_config, name, mariadb, kafka, f"""
  - name: narrow-stop
    type: sql
    topics: ['{name}\\.legacy\\.part_0']
    targets: {{agg: '{url}'}}
    table: narrow_stop
""")
        stopper = Run(stop_config, str(tmp_path), "sinks")
        stopper.start()
        rc = stopper.proc.wait(timeout=120)
        assert rc == 1, stopper.log()
        log = stopper.log()
        assert "Data too long" in log and '{"id":100}' in log and "on_error: stop" in log, log
        # The records before it (in the batch's order) were applied, the refused one was not,
        # and nothing was acknowledged: a restart stops at the same record again.
        assert mariadb.query("SELECT COUNT(*) FROM agg.narrow_stop WHERE id = 100")[0][0] == 0
        assert 0 < mariadb.query("SELECT COUNT(*) FROM agg.narrow_stop")[0][0] <= 26
        again = Run(stop_config, str(tmp_path), "sinks")
        again.runs = 1
        again.start()
        assert again.proc.wait(timeout=120) == 1
        assert '{"id":100}' in again.log(), again.log()
    finally:
        run.close()


COLMAP_SINK = """
  - name: {sink}
    type: sql
    topics: ['{name}\\.colmap\\.users']
    targets: {{{target}: '{url}'}}
    table: users_copy
    create_tables: true
    columns:
      id: {{rename: user_id}}
      email: {{rename: email_address}}
      password_hash: {{drop: true}}
      balance: {{type: 'NUMERIC(20,4)'}}
      tier: {{rename: level, type: SMALLINT}}
      secret: {{drop: true}}
    add_columns: {{region: 'eu', src_table: '${{table}}'}}
    filter: "status != 'deleted' and (balance >= 10 or note is null)"
    batch_max_ms: 50
"""


def colmap_config(path, name, mariadb, kafka, sinks, server_id=5934):  # noqa: F811
    with open(path, "w") as f:
        f.write(f"""name: {name}
state_dir: {os.path.dirname(path)}/state
sources:
  - name: db
    type: mysql
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: {server_id}
    heartbeat_interval_ms: 500
    include_tables: ['colmap\\.users']
transport:
  type: kafka
  bootstrap_servers: {kafka.bootstrap}
format:
  type: json
  schemas: true
sinks:
{sinks}
""")


def colmap_expected(mariadb):
    """The source through the sinks' mapping and filter, computed here from a SELECT."""
    from decimal import Decimal
    out = {}
    for uid, email, balance, status, note, tier in mariadb.query(
            "SELECT id, email, balance, status, note, tier FROM colmap.users"):
        if status != "deleted" and (balance >= 10 or note is None):
            out[uid] = (email, Decimal(balance), status, note, tier, "eu", "users")
    return out


def colmap_targets(mariadb, postgres):
    """Both copies as {user_id: row}, values normalized like colmap_expected's."""
    from decimal import Decimal
    maria = {r[0]: (r[1], Decimal(r[2]), *r[3:]) for r in mariadb.query(
        "SELECT user_id, email_address, balance, status, note, level, region, src_table"
        " FROM colmap_copy.users_copy")}
    pg = {}
    for r in postgres.psql("SELECT user_id, email_address, balance, status,"
                           " coalesce(note, '<null>'), coalesce(level::text, '<null>'), region,"
                           " src_table FROM users_copy"):
        pg[int(r[0])] = (r[1], Decimal(r[2]), r[3], None if r[4] == "<null>" else r[4],
                         None if r[5] == "<null>" else int(r[5]), r[6], r[7])
    return maria, pg


def test_column_mapping_and_filter_into_postgres_and_mariadb_then_verify(
        mariadb, kafka, postgres, tmp_path):  # noqa: F811
    """Rename (also of the key), drop, type override, add_columns and a row filter, copied into
    PostgreSQL and MariaDB under inserts, updates that move rows into and out of the filter, a
    key change, deletes and columns added at the source (one renamed with its own type, one
    dropped: schema evolution adds only the first, under its new name); the copies equal the source's transformation computed here, and
    `vimur verify` applies the same mapping: a row changed by hand and a row outside the filter
    inserted by hand make it exit 1 naming their keys, `--repair` brings it back to 0."""
    started = time.time()
    mariadb.execute(
        "DROP DATABASE IF EXISTS colmap", "DROP DATABASE IF EXISTS colmap_copy",
        "CREATE DATABASE colmap", "CREATE DATABASE colmap_copy",
        "CREATE TABLE colmap.users (id INT PRIMARY KEY, email VARCHAR(60) NOT NULL,"
        " password_hash VARCHAR(60) NOT NULL, balance DECIMAL(12,2) NOT NULL,"
        " status VARCHAR(10) NOT NULL, note VARCHAR(20) NULL) DEFAULT CHARSET=utf8mb4")
    postgres.psql("DROP TABLE IF EXISTS users_copy")
    name = f"colmap{random.randint(0, 10**6)}"
    config = str(tmp_path / "vimur.yaml")
    pg_url = f"postgresql://vimur:vimur@127.0.0.1:{postgres.port}/vimur"
    maria_url = f"mariadb://root:root@127.0.0.1:{mariadb.port}/colmap_copy"
    sinks_text = (COLMAP_SINK.format(sink="users-pg", name=name, target="pg", url=pg_url) +
                  COLMAP_SINK.format(sink="users-maria", name=name, target="maria", url=maria_url))
    colmap_config(config, name, mariadb, kafka, sinks_text)
    sources = Run(config, str(tmp_path), "sources")
    sinks = Run(config, str(tmp_path), "sinks")
    try:
        sources.start()
        sources.wait_log("streaming from")
        sinks.start()
        sinks.wait_log("subscribed")
        statuses = ["active", "deleted", "new"]
        conn = mariadb.connect(db="colmap")
        with conn.cursor() as cur:
            for first in range(1, 25, 6):
                cur.execute("INSERT INTO users VALUES " + ", ".join(
                    f"({i}, 'u{i}@x.org', 'h{i}', {i * 1.5:.2f}, '{statuses[i % 3]}',"
                    f" {'NULL' if i % 4 == 0 else repr(f'n{i}')})" for i in range(first, first + 6)))
            # Leaving the filter: status becomes 'deleted', or the balance falls below 10.
            cur.execute("UPDATE users SET status = 'deleted' WHERE id IN (1, 4, 7)")
            cur.execute("UPDATE users SET balance = 2.00, note = 'low' WHERE id IN (10, 13, 16)")
            # Entering it: un-deleted with a balance, or a NULL note under a low balance.
            cur.execute("UPDATE users SET status = 'active', balance = balance + 20"
                        " WHERE id IN (2, 5, 11)")
            cur.execute("UPDATE users SET note = NULL WHERE id IN (3, 10)")
            # A change inside the filter, and one outside it (nothing to copy).
            cur.execute("UPDATE users SET email = 'changed@x.org', balance = 99.99 WHERE id = 9")
            cur.execute("UPDATE users SET email = 'still-out@x.org' WHERE id = 8")
            # The renamed key column changes: inside the filter, outside it, and leaving it.
            cur.execute("UPDATE users SET id = 1012 WHERE id = 12")
            cur.execute("UPDATE users SET id = 1014 WHERE id = 14")
            cur.execute("UPDATE users SET id = 1018, status = 'deleted' WHERE id = 18")
            # Deletes inside and outside the filter; a deleted key comes back inside it.
            cur.execute("DELETE FROM users WHERE id IN (20, 21, 1)")
            cur.execute("INSERT INTO users VALUES (21, 'again@x.org', 'h', 1.00, 'active', NULL)")
            # Out and back in within one transaction, and in and out within another.
            conn.begin()
            cur.execute("UPDATE users SET status = 'deleted' WHERE id = 22")
            cur.execute("UPDATE users SET status = 'active' WHERE id = 22")
            conn.commit()
            conn.begin()
            cur.execute("UPDATE users SET status = 'active' WHERE id = 23")
            cur.execute("UPDATE users SET status = 'deleted' WHERE id = 23")
            conn.commit()
            # Columns added at the source: `tier` arrives as `level` (SMALLINT), `secret` never.
            cur.execute("ALTER TABLE users ADD COLUMN tier INT NULL, ADD COLUMN secret VARCHAR(10)")
            cur.execute("UPDATE users SET tier = id % 3, secret = 's' WHERE id > 15")
            cur.execute("INSERT INTO users VALUES (30, 'new@x.org', 'h', 40.00, 'new', NULL, 2, 's')")
        conn.close()

        expected = colmap_expected(mariadb)
        assert 8 < len(expected) < 24, expected
        deadline = time.time() + 60
        while True:
            try:
                maria, pg = colmap_targets(mariadb, postgres)
            except (subprocess.CalledProcessError, pymysql.err.MySQLError):
                maria = pg = None  # the tables are not created yet
            if maria == expected and pg == expected:
                break
            assert time.time() < deadline, (
                f"expected {expected}\nmariadb {maria}\npostgresql {pg}\n{sinks.log()}")
            time.sleep(0.5)
        # The mapping shaped the tables: renamed key, no dropped column, the type given.
        pg_columns = dict(postgres.psql(
            "SELECT column_name, data_type || coalesce('(' || numeric_precision || ','"
            " || numeric_scale || ')', '') FROM information_schema.columns"
            " WHERE table_name = 'users_copy'"))
        assert pg_columns["balance"] == "numeric(20,4)", pg_columns
        assert pg_columns["level"].startswith("smallint"), pg_columns
        assert set(pg_columns) == {"user_id", "email_address", "balance", "status", "note",
                                   "region", "src_table", "level"}, pg_columns
        pk = postgres.psql("SELECT a.attname FROM pg_index i JOIN pg_attribute a ON"
                           " a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)"
                           " WHERE i.indrelid = 'users_copy'::regclass AND i.indisprimary")
        assert pk == [["user_id"]], pk
        maria_columns = dict(mariadb.query(
            "SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS"
            " WHERE TABLE_SCHEMA = 'colmap_copy' AND TABLE_NAME = 'users_copy'"))
        assert maria_columns["balance"] == "decimal(20,4)", maria_columns
        assert maria_columns["level"].startswith("smallint"), maria_columns
        assert not {"password_hash", "email", "secret", "tier"} & set(maria_columns), maria_columns
        # Columns named in `columns` that the table did not have yet were a warning.
        log = open(sinks.log_path()).read()
        assert "has no column secret, tier named in 'columns'" in log, log[-3000:]
        assert mariadb.query("SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE"
                             " WHERE TABLE_SCHEMA = 'colmap_copy' AND TABLE_NAME = 'users_copy'"
                             " AND CONSTRAINT_NAME = 'PRIMARY'") == (("user_id",),)
        source_rows = mariadb.query("SELECT COUNT(*) FROM colmap.users")[0][0]
        for sink in ("users-pg", "users-maria"):
            r = verify(config, sink)
            assert r.returncode == 0, r.stdout + r.stderr
            assert f"1 source table(s), {source_rows} source row(s)" in r.stdout, r.stdout

        # By hand: a copied row changed (an added column and a renamed one), and a source row
        # outside the filter inserted. verify names both keys; --repair fixes both.
        sinks.stop()
        changed = min(expected)
        outside = mariadb.query("SELECT id, email, balance, status, note FROM colmap.users"
                                " WHERE status = 'deleted' ORDER BY id LIMIT 1")[0]
        assert outside[0] not in expected
        oid, oemail, obalance, ostatus, onote = outside
        note_sql = "NULL" if onote is None else f"'{onote}'"
        insert = ("INSERT INTO {table} (user_id, email_address, balance, status, note, region,"
                  f" src_table) VALUES ({oid}, '{oemail}', {obalance}, '{ostatus}', {note_sql},"
                  " 'eu', 'users')")
        mariadb.execute(f"UPDATE colmap_copy.users_copy SET email_address = 'hand@x.org'"
                        f" WHERE user_id = {changed}",
                        insert.format(table="colmap_copy.users_copy"))
        postgres.psql(f"UPDATE users_copy SET region = 'us' WHERE user_id = {changed};"
                      + insert.format(table="users_copy"))
        for sink, what in (("users-maria", "email_address: source"), ("users-pg", "region: source eu")):
            r = verify(config, sink)
            assert r.returncode == 1, r.stdout + r.stderr
            assert f"user_id={changed}" in r.stdout and what in r.stdout, r.stdout
            assert f"user_id={oid}" in r.stdout and "outside the filter" in r.stdout, r.stdout
            assert "2 difference(s): 0 missing, 1 extra, 1 differing" in r.stdout, r.stdout
            r = verify(config, sink, "--repair")
            assert r.returncode == 0, r.stdout + r.stderr
            assert "repaired 2 row(s)" in r.stdout, r.stdout
            assert verify(config, sink).returncode == 0
        assert colmap_targets(mariadb, postgres) == (expected, expected)

        # A malformed filter is refused at start, naming the sink and the position.
        bad = str(tmp_path / "bad.yaml")
        colmap_config(bad, name, mariadb, kafka, sinks_text.replace(
            "status != 'deleted' and", "status != deleted and"))
        r = verify(bad, "users-pg")
        assert r.returncode == 2, r.stdout + r.stderr
        assert "sink users-pg: filter 'status != deleted and" in r.stderr, r.stderr
        assert "at character 11" in r.stderr, r.stderr
        sources.stop()
        print(f"\ncolumn mapping and filter e2e: {time.time() - started:.1f} s")
    finally:
        sources.close()
        sinks.close()
