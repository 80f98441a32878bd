"""Vimur as a drop-in for Debezium, proven by Debezium's own JDBC sink (issue 10).

Vimur (`transport: kafka`, `format: {type: json, schemas: true}`) captures the wide table of
debezium_wide.py from MariaDB; Debezium's JDBC sink connector, in Kafka Connect standalone
workers (scripts/connect, one per target database), applies Vimur's topic into MariaDB (table
`wide_vimur` of database `sink` on the source server) and into PostgreSQL (scripts/postgres).
Beside it, the same sink applies the events Debezium's own MariaDB connector emitted for the
same statements (tests/data/debezium/wide.events.jsonl, replayed to a topic of their own) into
`wide_dbz` tables. After each phase (inserts with edge values, NULLs and unicode; updates, a
primary-key change and deletes; ADD COLUMN with a default) every column of every target row
is compared with the source by meaning:
  - Debezium's copy must equal the source, except for the columns of SINK_LIMITS (left out of
    the sink, each shown to fail the sink with Debezium's events) and VALUE_LIMITS (where
    Vimur's copy must equal Debezium's); docs/event-format.md lists them;
  - Vimur's copy must equal the source everywhere else, and the sink must make the same column
    types from Vimur's schemas as from Debezium's.
The schema tests compare Vimur's Connect schemas (from its Kafka records) with the reference
schemas captured from Debezium, and its registered Avro schemas with what Confluent's AvroData
makes of them (connect_avro.py), field by field.

Costs: one Kafka broker, one PostgreSQL cluster, `vimur registry`, three Vimur pipelines and
two Connect workers for the module (the workers start in parallel); about 80 s in all on a
busy two-core machine, plus the one-off Maven fetch of Kafka Connect and Debezium's plugins.
VIMUR_E2E_KEEP=1 keeps the Connect workers' directories (logs) for a look afterwards."""
import copy
import datetime
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

import psycopg
import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

import connect_avro
import debezium_wide as W
from conftest import ROOT, mariadb  # noqa: F401
from kafka_fixtures import KafkaVimur, kafka, quiet, read_topics  # noqa: F401
from test_registry import Registry

DATA = os.path.join(ROOT, "tests", "data", "debezium")
VIMUR_TOPIC = f"{W.PREFIX}.{W.DB}.{W.TABLE}"
VIMUR_TIME_TOPIC = f"{W.PREFIX}.{W.DB}.{W.TIME_TABLE}"
DBZ_TOPIC = f"dbzref.{W.DB}.{W.TABLE}"             # Debezium's recorded events, replayed
DBZ_TIME_TOPIC = f"dbzref.{W.DB}.{W.TIME_TABLE}"
AVRO_PREFIX = "refa"                               # Vimur's Avro pipeline
TARGETS = ("mariadb", "postgresql")

# (target, column) -> (why the sink or the target cannot hold the source's column, what the
# sink's error says). The main sinks leave these columns out (field.exclude.list);
# test_sink_limits_are_shown_with_debeziums_events_too runs a sink with the column kept over
# Debezium's recorded events and over Vimur's, and both must fail alike. docs/event-format.md
# lists them.
SINK_LIMITS = {
    ("mariadb", "c_ts_default"): (
        "Debezium declares the default of TIMESTAMP ... DEFAULT CURRENT_TIMESTAMP as"
        " 1970-01-01T00:00:00Z; the sink's CREATE TABLE carries it and MariaDB refuses it",
        "Could not find table"),  # the log has MariaDB's "Invalid default value"
    ("mariadb", "c_decimal_wide"): (
        "the sink creates DECIMAL(p,s) with p capped at 38: DECIMAL(65,30) becomes"
        " DECIMAL(38,30), too small for 35 integer digits",
        "Out of range value"),
    ("postgresql", "c_decimal_wide"): (
        "the sink creates numeric(p,s) with p capped at 38: DECIMAL(65,30) becomes"
        " numeric(38,30), too small for 35 integer digits",
        "numeric field overflow"),
    ("postgresql", "c_geometry"): (
        "the sink writes GEOMETRY into PostgreSQL only with PostGIS, which the test cluster"
        " lacks", "geometry"),
}
EXCLUDED = {t: {c for (tt, c) in SINK_LIMITS if tt == t} for t in ("mariadb", "postgresql")}
# (target, column) -> why the sink writes a value other than the source's; there Vimur's copy
# must equal Debezium's copy instead of the source.
VALUE_LIMITS = {
    ("mariadb", "c_added"): (
        "the sink's MariaDB dialect adds a string column without a length as LONGTEXT NOT NULL"
        " and drops its default: rows that existed before ADD COLUMN ... DEFAULT 'dflt' get ''"),
}


def load_schema(name):
    with open(os.path.join(DATA, name)) as f:
        return json.load(f)


def recorded_events():
    with open(os.path.join(DATA, "wide.events.jsonl")) as f:
        return [json.loads(line) for line in f]


def with_schema(payload, schema_file):
    if payload is None:
        return None
    return json.dumps({"schema": load_schema(schema_file), "payload": payload}).encode()


# --- services ---

class Postgres:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vimur-e2e-pg.")
        os.chmod(self.dir, 0o755)  # the cluster runs as the postgres user when we are root
        env = dict(os.environ, VIMUR_POSTGRES_OWNER_PID=str(os.getpid()))
        out = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start", self.dir],
                             check=True, capture_output=True, text=True, env=env).stdout
        self.port = int(out.strip().splitlines()[-1].split("=", 1)[1])

    def connect(self):
        return psycopg.connect(host="127.0.0.1", port=self.port, user="vimur",
                               password="vimur", dbname="vimur", autocommit=True)

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", self.dir],
                       capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


class ConnectWorker:
    """One standalone worker (scripts/connect) with its connectors, and its REST API."""

    def __init__(self, kafka, name, connectors):
        self.dir = tempfile.mkdtemp(prefix=f"vimur-e2e-connect-{name}.")
        self.kafka = kafka
        self.url = None
        self.error = None
        files = []
        for cname, props in connectors.items():
            path = os.path.join(self.dir, f"{cname}.properties")
            with open(path, "w") as f:
                f.write("".join(f"{k}={v}\n" for k, v in dict(props, name=cname).items()))
            files.append(path)
        self.files = files

    def start(self):
        env = dict(os.environ, VIMUR_CONNECT_WATCH_PID=str(os.getpid()))
        proc = subprocess.run([os.path.join(ROOT, "scripts", "connect"), "start",
                               os.path.join(self.dir, "worker"), self.kafka.bootstrap,
                               *self.files], capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            self.error = proc.stderr[-4000:]
            return
        self.url = proc.stdout.strip().splitlines()[-1].split("=", 1)[1]

    def status(self, connector):
        with urllib.request.urlopen(f"{self.url}/connectors/{connector}/status",
                                    timeout=10) as r:
            return json.load(r)

    def failure(self, connector):
        """The trace of a FAILED connector or task, else None."""
        try:
            s = self.status(connector)
        except urllib.error.HTTPError:
            return None
        for part in [s["connector"]] + s.get("tasks", []):
            if part["state"] == "FAILED":
                return part.get("trace", "FAILED without a trace")
        return None

    def add(self, connector, props):
        req = urllib.request.Request(f"{self.url}/connectors/{connector}/config",
                                     data=json.dumps(props).encode(), method="PUT",
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()

    def log(self):
        try:
            return open(os.path.join(self.dir, "worker", "connect.log"),
                        errors="replace").read()[-6000:]
        except OSError:
            return ""

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "connect"), "stop",
                        os.path.join(self.dir, "worker")], capture_output=True)
        if os.environ.get("VIMUR_E2E_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


def causes(trace):
    """The first line and every `Caused by` of a Java stack trace."""
    lines = trace.splitlines()
    return "\n".join([lines[0][:600]] + [l[:600] for l in lines[1:]
                                          if l.startswith("Caused by")])


def sink_props(topic, table, url, user, password, excluded=()):
    props = {
        "connector.class": "io.debezium.connector.jdbc.JdbcSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "connection.url": url,
        "connection.username": user,
        "connection.password": password,
        "insert.mode": "upsert",
        "delete.enabled": "true",
        "primary.key.mode": "record_key",
        "schema.evolution": "basic",
        "collection.name.format": table,
        "consumer.override.auto.offset.reset": "earliest",
        "consumer.override.max.poll.records": "50",
    }
    if excluded:
        props["field.exclude.list"] = ",".join(f"{topic}:{c}" for c in sorted(excluded))
    return props


# --- the module's pipeline ---

class Proof:
    def __init__(self, mariadb, kafka, postgres, workdir):
        try:
            self._start(mariadb, kafka, postgres, workdir)
        except BaseException:
            self.close()
            raise

    def _start(self, mariadb, kafka, postgres, workdir):
        self.mariadb = mariadb
        self.kafka = kafka
        self.postgres = postgres
        self.events = recorded_events()
        self.replayed = set()
        mariadb.execute(*W.setup_statements(), "DROP DATABASE IF EXISTS sink",
                        "CREATE DATABASE sink DEFAULT CHARSET utf8mb4")
        admin = AdminClient(quiet({"bootstrap.servers": kafka.bootstrap}))
        # Vimur creates its topics on their first record; the sinks subscribe before that.
        topics = (DBZ_TOPIC, DBZ_TIME_TOPIC, VIMUR_TOPIC, VIMUR_TIME_TOPIC,
                  f"{W.PROPAGATE_PREFIX}.{W.DB}.{W.TABLE}", f"{AVRO_PREFIX}.{W.DB}.{W.TABLE}")
        for f in admin.create_topics([NewTopic(t, 1, 1, config={"cleanup.policy": "compact"})
                                      for t in topics]).values():
            f.result()
        self.producer = Producer(quiet({"bootstrap.servers": kafka.bootstrap}))

        self.vimur = KafkaVimur(mariadb, kafka, os.path.join(workdir, "vimur"), W.PREFIX,
                                [rf"{W.DB}\.{W.TABLE}", rf"{W.DB}\.{W.TIME_TABLE}"],
                                extra_transport="  topic: {partitions: 1, replication_factor: 1}")
        with open(self.vimur.config, "a") as f:
            f.write("  schemas: true\n")
        # A second pipeline with column_propagate_source_type: ['.*'] (topic prefix refp) for
        # the schema test; streaming starts at the binlog's end, so it starts now too.
        self.vimur_p = KafkaVimur(mariadb, kafka, os.path.join(workdir, "vimur-p"),
                                  W.PROPAGATE_PREFIX, [rf"{W.DB}\.{W.TABLE}"],
                                  extra_source="    column_propagate_source_type: ['.*']",
                                  extra_transport="  topic: {partitions: 1, replication_factor: 1}")
        with open(self.vimur_p.config, "a") as f:
            f.write("  schemas: true\n")
        # A third in Avro with `vimur registry` (topic prefix refa) for the Avro schema test.
        self.registry = Registry(kafka.bootstrap, workdir)
        self.registry.start()
        self.vimur_a = KafkaVimur(mariadb, kafka, os.path.join(workdir, "vimur-a"),
                                  AVRO_PREFIX, [rf"{W.DB}\.{W.TABLE}"],
                                  extra_transport="  topic: {partitions: 1, replication_factor: 1}")
        with open(self.vimur_a.config) as f:
            text = f.read()
        with open(self.vimur_a.config, "w") as f:
            f.write(text.replace("format:\n  type: json\n",
                                 f"format:\n  type: avro\n  registry_url: {self.registry.url}\n"))

        mdb_url = f"jdbc:mariadb://127.0.0.1:{mariadb.port}/sink"
        pg_url = f"jdbc:postgresql://127.0.0.1:{postgres.port}/vimur"
        self.workers = {
            "mariadb": ConnectWorker(kafka, "mariadb", {
                "vimur-mariadb": sink_props(VIMUR_TOPIC, "wide_vimur", mdb_url, "root", "root",
                                            EXCLUDED["mariadb"]),
                "debezium-mariadb": sink_props(DBZ_TOPIC, "wide_dbz", mdb_url, "root", "root",
                                               EXCLUDED["mariadb"]),
            }),
            "postgresql": ConnectWorker(kafka, "postgresql", {
                "vimur-postgresql": sink_props(VIMUR_TOPIC, "wide_vimur", pg_url, "vimur", "vimur",
                                               EXCLUDED["postgresql"]),
                "debezium-postgresql": sink_props(DBZ_TOPIC, "wide_dbz", pg_url, "vimur",
                                                  "vimur", EXCLUDED["postgresql"]),
            }),
        }
        self.urls = {"mariadb": mdb_url, "postgresql": pg_url}
        self.vimur.start()
        self.vimur_a.start()
        self.vimur_p_error = None
        try:
            self.vimur_p.start()
        except AssertionError as e:
            self.vimur_p_error = str(e)
        threads = [threading.Thread(target=w.start) for w in self.workers.values()]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for name, w in self.workers.items():
            assert w.error is None, f"the {name} Connect worker did not start:\n{w.error}"

    def close(self):
        """Stops whatever started, also after a failed start."""
        for name in ("vimur", "vimur_p", "vimur_a"):
            if getattr(self, name, None) is not None:
                getattr(self, name).close()
        registry = getattr(self, "registry", None)
        if registry is not None and registry.proc is not None:
            registry.proc.kill()
            registry.proc.wait()
        for w in getattr(self, "workers", {}).values():
            w.stop()
        if getattr(self, "producer", None) is not None:
            self.producer.flush(10)

    # Runs one phase on the source and replays Debezium's events of that phase.
    def run_phase(self, phase):
        conn = self.mariadb.connect()
        try:
            W.run_phase(conn, phase)
        finally:
            conn.close()
        for e in self.events:
            if e["phase"] == phase:
                self.producer.produce(DBZ_TOPIC, key=with_schema(e["key"], e["key_schema"]),
                                      value=with_schema(e["value"], e["value_schema"]))
        self.producer.flush(30)

    def expected_count(self, up_to_phase):
        names = [p for p, _ in W.PHASES]
        phases = set(names[:names.index(up_to_phase) + 1])
        return sum(1 for e in self.events if e["phase"] in phases)

    def end_offset(self, topic):
        c = Consumer(quiet({"bootstrap.servers": self.kafka.bootstrap, "group.id": "probe"}))
        try:
            return c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        finally:
            c.close()

    def committed(self, connector, topic):
        c = Consumer(quiet({"bootstrap.servers": self.kafka.bootstrap,
                            "group.id": f"connect-{connector}"}))
        try:
            tp = c.committed([TopicPartition(topic, 0)], timeout=10)[0]
            return max(tp.offset, 0)
        finally:
            c.close()

    def wait_applied(self, phase, timeout=90):
        """Waits until Vimur published as many records as Debezium did up to `phase` and every
        sink committed the end of its topic. Returns problems (a connector that FAILED, a
        count that differs) as text for the assertion messages."""
        problems = []
        want = self.expected_count(phase)
        deadline = time.time() + timeout
        while self.end_offset(VIMUR_TOPIC) < want and time.time() < deadline:
            time.sleep(0.3)
        got = self.end_offset(VIMUR_TOPIC)
        if got != want:
            problems.append(f"Vimur wrote {got} records to {VIMUR_TOPIC} up to phase {phase},"
                            f" Debezium {want} for the same statements")
        ends = {VIMUR_TOPIC: got, DBZ_TOPIC: self.end_offset(DBZ_TOPIC)}
        pending = {(f"{who}-{target}", topic) for target in TARGETS
                   for who, topic in (("vimur", VIMUR_TOPIC), ("debezium", DBZ_TOPIC))}
        while pending and time.time() < deadline:
            for connector, topic in sorted(pending):
                target = connector.split("-", 1)[1]
                trace = self.workers[target].failure(connector)
                if trace is not None:
                    problems.append(f"the sink connector {connector} FAILED:\n{causes(trace)}")
                    pending.discard((connector, topic))
                elif self.committed(connector, topic) >= ends[topic]:
                    pending.discard((connector, topic))
            time.sleep(0.5)
        for connector, topic in sorted(pending):
            problems.append(f"{connector} did not apply {topic} to its end within {timeout}s")
        return problems


@pytest.fixture(scope="module")
def postgres():
    server = Postgres()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def proof(mariadb, kafka, postgres):  # noqa: F811
    workdir = tempfile.mkdtemp(prefix="vimur-e2e-dbz.")
    os.makedirs(os.path.join(workdir, "vimur"))
    os.makedirs(os.path.join(workdir, "vimur-p"))
    os.makedirs(os.path.join(workdir, "vimur-a"))
    started = time.time()
    p = Proof(mariadb, kafka, postgres, workdir)
    print(f"\nservices, Vimur and the Connect workers started in {time.time() - started:.1f}s")
    yield p
    p.close()
    shutil.rmtree(workdir, ignore_errors=True)


# --- reading and comparing rows ---

def source_columns(proof):
    declared = dict(W.COLUMNS + [W.ADDED_COLUMN])
    rows = proof.mariadb.query(
        f"SELECT column_name FROM information_schema.columns WHERE table_schema ="
        f" '{W.DB}' AND table_name = '{W.TABLE}' ORDER BY ordinal_position")
    return [(n, W.column_kind(declared[n])) for (n,) in rows]


def read_mariadb(proof, db, table, columns):
    types = dict(proof.mariadb.query(
        f"SELECT column_name, data_type FROM information_schema.columns WHERE table_schema ="
        f" '{db}' AND table_name = '{table}'"))
    if not types:
        return {}, set()
    exprs = []
    for name, _ in columns:
        if name not in types:
            exprs.append("NULL")
        elif types[name] in ("geometry", "point", "linestring", "polygon"):
            exprs.append(f"ST_AsWKB({name})")
        else:
            exprs.append(name)
    rows = proof.mariadb.query(f"SELECT {', '.join(exprs)} FROM {db}.{table} ORDER BY id")
    return {r[0]: dict(zip([n for n, _ in columns], r)) for r in rows}, set(types)


def read_postgres(proof, table, columns):
    with proof.postgres.connect() as conn:
        cur = conn.execute("SELECT column_name FROM information_schema.columns WHERE"
                           " table_name = %s", (table,))
        present = {r[0] for r in cur.fetchall()}
        if not present:
            return {}, set()
        exprs = [n if n in present else "NULL" for n, _ in columns]
        cur = conn.execute(f"SELECT {', '.join(exprs)} FROM {table} ORDER BY id")
        rows = cur.fetchall()
    return {r[0]: dict(zip([n for n, _ in columns], r)) for r in rows}, present


def read_target(proof, target, table, columns):
    if target == "mariadb":
        return read_mariadb(proof, "sink", table, columns)
    return read_postgres(proof, table, columns)


def column_types(proof, target, table):
    if target == "mariadb":
        rows = proof.mariadb.query(
            "SELECT column_name, column_type, is_nullable, column_default FROM"
            f" information_schema.columns WHERE table_schema = 'sink' AND table_name ="
            f" '{table}' ORDER BY column_name")
    else:
        with proof.postgres.connect() as conn:
            rows = conn.execute(
                "SELECT column_name, data_type, character_maximum_length, numeric_precision,"
                " numeric_scale, datetime_precision, is_nullable, column_default FROM"
                " information_schema.columns WHERE table_name = %s ORDER BY column_name",
                (table,)).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows}


def show(v):
    text = repr(v)
    return text if len(text) <= 80 else text[:77] + "..."


def compare_phase(proof, phase):
    problems = proof.wait_applied(phase)
    columns = source_columns(proof)
    kinds = dict(columns)
    source, _ = read_mariadb(proof, W.DB, W.TABLE, columns)
    for target in TARGETS:
        vimur, vimur_cols = read_target(proof, target, "wide_vimur", columns)
        dbz, dbz_cols = read_target(proof, target, "wide_dbz", columns)
        for name, rows in (("Vimur's", vimur), ("Debezium's", dbz)):
            if set(rows) != set(source):
                problems.append(f"{target}: {name} copy has rows {sorted(rows)}, the source"
                                f" {sorted(source)}")
        expected_cols = {n for n, _ in columns} - EXCLUDED[target]
        for name, present in (("Vimur's", vimur_cols), ("Debezium's", dbz_cols)):
            missing = expected_cols - present
            if missing:
                problems.append(f"{target}: {name} copy lacks columns {sorted(missing)}")
        for row_id in sorted(source):
            for col, kind in columns:
                if col in EXCLUDED[target]:
                    continue
                want = W.normalize(kind, source[row_id][col])
                got_v = W.normalize(kind, vimur.get(row_id, {}).get(col))
                got_d = W.normalize(kind, dbz.get(row_id, {}).get(col))
                where = f"{target} id={row_id} {col}"
                if row_id not in dbz or row_id not in vimur:
                    continue  # reported above
                if (target, col) in VALUE_LIMITS:
                    if got_v != got_d:
                        problems.append(f"{where}: Vimur's copy {show(got_v)} != Debezium's"
                                        f" {show(got_d)} (source {show(want)}; limit:"
                                        f" {VALUE_LIMITS[(target, col)]})")
                    continue
                if got_d != want:
                    problems.append(f"{where}: Debezium's copy {show(got_d)} != source"
                                    f" {show(want)} (a sink limit missing in SINK_LIMITS?)")
                if got_v != want:
                    problems.append(f"{where}: Vimur's copy {show(got_v)} != source"
                                    f" {show(want)} (Debezium's copy: {show(got_d)})")
        types_v = column_types(proof, target, "wide_vimur")
        types_d = column_types(proof, target, "wide_dbz")
        for col in sorted(set(types_v) | set(types_d)):
            if types_v.get(col) != types_d.get(col):
                problems.append(f"{target}: the sink made column {col} as {types_v.get(col)}"
                                f" from Vimur's schema, {types_d.get(col)} from Debezium's")
    assert not problems, f"after phase {phase}:\n" + "\n".join(problems)
    assert kinds  # the source has columns


# --- the sink tests (in phase order; each phase builds on the previous ones) ---

def test_sink_after_inserts_of_edge_values_nulls_and_unicode(proof):
    proof.run_phase("insert")
    compare_phase(proof, "insert")


def test_sink_after_updates_primary_key_change_and_deletes(proof):
    proof.run_phase("update")
    compare_phase(proof, "update")


def test_sink_after_add_column_with_default(proof):
    proof.run_phase("add_column")
    compare_phase(proof, "add_column")


# --- Vimur's Connect schemas against Debezium's ---

def schema_diff(want, got, path="schema"):
    """Every difference between two Connect schemas (JSON converter form), field by field."""
    out = []
    if isinstance(want, dict) and isinstance(got, dict):
        for k in sorted(set(want) | set(got)):
            if k == "fields":
                continue
            if k not in got:
                out.append(f"{path}: missing {k!r} (Debezium: {show(want[k])})")
            elif k not in want:
                out.append(f"{path}: extra {k!r} = {show(got[k])}")
            elif isinstance(want[k], dict):
                out += schema_diff(want[k], got[k], f"{path}.{k}")
            elif want[k] != got[k]:
                out.append(f"{path}: {k} is {show(got[k])}, Debezium: {show(want[k])}")
        if "fields" in want or "fields" in got:
            wf = [f["field"] for f in want.get("fields", [])]
            gf = [f["field"] for f in got.get("fields", [])]
            if wf != gf:
                out.append(f"{path}: fields {gf}, Debezium: {wf}")
            by_name = {f["field"]: f for f in got.get("fields", [])}
            for f in want.get("fields", []):
                if f["field"] in by_name:
                    out += schema_diff(f, by_name[f["field"]], f"{path}.{f['field']}")
    elif want != got:
        out.append(f"{path}: {show(got)}, Debezium: {show(want)}")
    return out


def vimur_schemas(kafka, topic):  # noqa: F811
    """(key schema, value schema, phase marker) of every non-tombstone record of `topic`."""
    out = []
    for r in read_topics(kafka, [topic]):
        if r.value is None:
            continue
        out.append((json.loads(r.key)["schema"], json.loads(r.value)["schema"],
                    json.loads(r.value)["payload"]))
    return out


def check_schemas(records, key_file, value_file, added_file):
    key_ref, value_ref, added_ref = (load_schema(key_file), load_schema(value_file),
                                     load_schema(added_file))
    assert records, "Vimur wrote no records"
    problems = []
    seen_added = False
    for key, value, payload in records:
        after = payload.get("after") or payload.get("before") or {}
        ref = added_ref if W.ADDED_COLUMN[0] in after else value_ref
        seen_added |= ref is added_ref
        for d in schema_diff(key_ref, key, "key") + schema_diff(ref, value, "value"):
            if d not in problems:
                problems.append(d)
    assert seen_added, "no record after the ADD COLUMN"
    assert not problems, "Vimur's Connect schema differs from Debezium's:\n" + "\n".join(
        problems)


def test_connect_schema_equals_debeziums(proof):
    proof.wait_applied("add_column", timeout=30)
    check_schemas(vimur_schemas(proof.kafka, VIMUR_TOPIC), "wide.key.schema.json",
                  "wide.value.schema.json", "wide_added.value.schema.json")


def test_connect_schema_with_propagated_source_types_equals_debeziums(proof):
    """The second pipeline (topic prefix refp, column_propagate_source_type: ['.*'])."""
    assert proof.vimur_p_error is None, proof.vimur_p_error
    topic = f"{W.PROPAGATE_PREFIX}.{W.DB}.{W.TABLE}"
    want = proof.expected_count("add_column")
    deadline = time.time() + 60
    while topic not in proof.kafka.topics() or proof.end_offset(topic) < want:
        assert time.time() < deadline, f"Vimur did not publish {want} records to {topic}"
        assert proof.vimur_p.alive(), f"vimur exited:\n{proof.vimur_p.log()}"
        time.sleep(0.3)
    check_schemas(vimur_schemas(proof.kafka, topic), "wide_propagate.key.schema.json",
                  "wide_propagate.value.schema.json", "wide_propagate_added.value.schema.json")


def registered(proof, subject):
    """Every version of `subject` in Vimur's registry, oldest first, as Avro JSON."""
    def get(path):
        with urllib.request.urlopen(proof.registry.url + path, timeout=10) as r:
            return json.load(r)
    return [json.loads(get(f"/subjects/{subject}/versions/{v}")["schema"])
            for v in sorted(get(f"/subjects/{subject}/versions"))]


def test_avro_schema_equals_what_avrodata_makes_of_debeziums(proof):
    """Vimur's registered Avro schemas equal what Confluent's AvroConverter would register for
    Debezium's Connect schemas (connect_avro.py), names moved to the refa prefix."""
    topic = f"{AVRO_PREFIX}.{W.DB}.{W.TABLE}"
    want = proof.expected_count("add_column")
    deadline = time.time() + 60
    while proof.end_offset(topic) < want and proof.vimur_a.alive() and time.time() < deadline:
        time.sleep(0.3)

    def reference(name):
        text = json.dumps(load_schema(name)).replace(f'"{W.PREFIX}.{W.DB}.{W.TABLE}.',
                                                     f'"{topic}.')
        return connect_avro.canonical(connect_avro.from_connect(json.loads(text)))

    problems = []
    if proof.end_offset(topic) < want:
        problems.append(f"Vimur published {proof.end_offset(topic)} of {want} records to"
                        f" {topic}:\n{proof.vimur_a.log()[-1500:]}")
    keys = registered(proof, f"{topic}-key")
    values = registered(proof, f"{topic}-value")
    if len(values) != 2:
        problems.append(f"{topic}-value has {len(values)} versions, want 2 (before and after"
                        " the ADD COLUMN)")
    for label, want_schema, got in (
            ("key", reference("wide.key.schema.json"), keys[-1] if keys else None),
            ("value", reference("wide.value.schema.json"), values[0] if values else None),
            ("value after ADD COLUMN", reference("wide_added.value.schema.json"),
             values[-1] if values else None)):
        if got is None:
            problems.append(f"no {label} schema registered")
            continue
        for d in connect_avro.avro_diff(want_schema, connect_avro.canonical(got), label):
            problems.append(d)
    assert not problems, "Vimur's Avro schema differs from AvroData's of Debezium's:\n" + \
        "\n".join(problems)


# --- limits of the sink, shown with Debezium's own events ---

def wait_failures(worker, connectors, timeout=90):
    traces = {}
    deadline = time.time() + timeout
    while len(traces) < len(connectors) and time.time() < deadline:
        for c in connectors:
            if c not in traces:
                t = worker.failure(c)
                if t is not None:
                    traces[c] = t
        time.sleep(0.5)
    return traces


def test_sink_limits_are_shown_with_debeziums_events_too(proof):
    """For each SINK_LIMITS column, a sink that keeps the column fails on Debezium's recorded
    events; over Vimur's events it must fail the same way (Vimur is a drop-in, limits
    included)."""
    proof.wait_applied("add_column", timeout=30)
    problems = {"debezium": [], "vimur": []}
    started = []
    for (target, col), (why, message) in sorted(SINK_LIMITS.items()):
        worker, url = proof.workers[target], proof.urls[target]
        user = "root" if target == "mariadb" else "vimur"
        password = user
        others = EXCLUDED[target] - {col}
        for who, topic in (("debezium", DBZ_TOPIC), ("vimur", VIMUR_TOPIC)):
            name = f"limit-{who}-{target}-{col}".replace("_", "-")
            worker.add(name, sink_props(topic, f"limit_{who}_{col}", url, user, password,
                                        others))
            started.append((target, col, who, name, message))
    for target in TARGETS:
        names = [n for t, _, _, n, _ in started if t == target]
        traces = wait_failures(proof.workers[target], names)
        for t, col, who, name, message in started:
            if t != target:
                continue
            trace = traces.get(name)
            if trace is None:
                problems[who].append(f"{target} {col}: the sink accepted {who}'s events"
                                     f" (limit: {SINK_LIMITS[(t, col)][0]})")
            elif message not in trace:
                problems[who].append(f"{target} {col}: the sink failed on {who}'s events"
                                     f" without {message!r}:\n{causes(trace)}")
    # Debezium's events first: if they pass, SINK_LIMITS (and the docs) are wrong.
    assert not problems["debezium"], "\n".join(problems["debezium"])
    assert not problems["vimur"], "\n".join(problems["vimur"])


def test_sink_refuses_time_outside_one_day_with_debeziums_events_too(proof):
    """MariaDB's TIME spans -838:59:59..838:59:59; the JDBC sink converts MicroTime to a
    LocalTime and fails the task on anything outside 00:00-24:00. Debezium's recorded events
    fail it the same way as Vimur's, so it is a limit of the sink, not of Vimur."""
    with open(os.path.join(DATA, "time_edge.events.jsonl")) as f:
        recorded = [json.loads(line) for line in f]
    for r in recorded:
        proof.producer.produce(DBZ_TIME_TOPIC, key=r["key"], value=r["value"])
    proof.producer.flush(30)
    conn = proof.mariadb.connect()
    try:
        with conn.cursor() as cur:
            for s in W.time_edge_statements():
                cur.execute(s)
    finally:
        conn.close()
    worker = proof.workers["mariadb"]
    url = proof.urls["mariadb"]
    worker.add("debezium-time", sink_props(DBZ_TIME_TOPIC, "time_dbz", url, "root", "root"))
    worker.add("vimur-time", sink_props(VIMUR_TIME_TOPIC, "time_vimur", url, "root", "root"))
    traces = wait_failures(worker, ["debezium-time", "vimur-time"])
    assert "debezium-time" in traces, "the sink accepted Debezium's TIME values outside a day"
    assert "DateTimeException" in traces["debezium-time"], causes(traces["debezium-time"])
    assert "vimur-time" in traces, "the sink accepted Vimur's TIME values outside a day"
    assert "DateTimeException" in traces["vimur-time"], causes(traces["vimur-time"])
