#!/usr/bin/env python3
"""Captures what Debezium's own MariaDB connector emits for the wide table of
tests/e2e/debezium_wide.py, as reference data for tests/e2e/test_debezium_sink.py.

Starts a private MariaDB (scripts/mariadb), Kafka (scripts/kafka) and a Kafka Connect worker
(scripts/connect, JSON converter with schemas.enable=true) running two Debezium MariaDB
connectors with Debezium's defaults written out (decimal.handling.mode=precise,
bigint.unsigned.handling.mode=precise, time.precision.mode=adaptive_time_microseconds,
binary.handling.mode=bytes):
  - `ref`:  the plain capture;
  - `refp`: the same with column.propagate.source.type=.* .
Then runs the statements of debezium_wide.PHASES and writes into this directory:
  wide.key.schema.json, wide.value.schema.json        Connect schemas before the ADD COLUMN
  wide_added.value.schema.json                         ... and after it
  wide_propagate.key.schema.json, wide_propagate.value.schema.json,
  wide_propagate_added.value.schema.json               the same with propagated source types
  wide.events.jsonl                                    every `ref` record of the wide table by
                                                       phase: payloads, and their schemas' files
  time_edge.events.jsonl                               TIME values outside one day
  versions.json                                        what produced them

Run from the repository root:  .cache/venv/bin/python tests/data/debezium/capture.py
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pymysql
from confluent_kafka import Consumer, KafkaError, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import debezium_wide as W  # noqa: E402

MARIADB_CONNECTOR_VERSION = os.environ.get("VIMUR_DEBEZIUM_MARIADB_VERSION", "3.5.0.Final")


def script(*args, env=None):
    out = subprocess.run([os.path.join(ROOT, "scripts", args[0]), *args[1:]], check=True,
                         capture_output=True, text=True, env=env)
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def connector_properties(path, name, prefix, server_id, port, history, extra=""):
    with open(path, "w") as f:
        f.write(f"""name={name}
connector.class=io.debezium.connector.mariadb.MariaDbConnector
tasks.max=1
database.hostname=127.0.0.1
database.port={port}
database.user=vimur
database.password=vimur
database.server.id={server_id}
topic.prefix={prefix}
database.include.list={W.DB}
table.include.list={W.DB}\\.{W.TABLE},{W.DB}\\.{W.TIME_TABLE}
snapshot.mode=no_data
include.schema.changes=false
decimal.handling.mode=precise
bigint.unsigned.handling.mode=precise
time.precision.mode=adaptive_time_microseconds
binary.handling.mode=bytes
schema.history.internal=io.debezium.storage.file.history.FileSchemaHistory
schema.history.internal.file.filename={history}
{extra}
""")


class Reader:
    def __init__(self, bootstrap, topics):
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "capture",
                                  "log_level": 2,
                                  "enable.auto.commit": False, "enable.partition.eof": False,
                                  "auto.offset.reset": "earliest"})
        self.consumer.assign([TopicPartition(t, 0, 0) for t in topics])

    def read_until_quiet(self, at_least, quiet_s=4.0, timeout=120):
        """Records until `at_least` arrived and none came for quiet_s seconds."""
        out, last, deadline = [], time.time(), time.time() + timeout
        while time.time() < deadline:
            msg = self.consumer.poll(0.2)
            if msg is None:
                if len(out) >= at_least and time.time() - last > quiet_s:
                    return out
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise RuntimeError(msg.error())
            last = time.time()
            out.append(msg)
        raise RuntimeError(f"only {len(out)} records within {timeout}s (wanted {at_least})")


def record_json(phase, msg):
    return {"phase": phase, "topic": msg.topic(),
            "key": None if msg.key() is None else msg.key().decode(),
            "value": None if msg.value() is None else msg.value().decode()}


def strip_schemas(record, schemas):
    """The record with {"schema", "payload"} replaced by the payload and the schema's file."""
    out = {"phase": record["phase"], "topic": record["topic"]}
    for part in ("key", "value"):
        if record[part] is None:
            out[part] = None
            out[part + "_schema"] = None
            continue
        doc = json.loads(record[part])
        name = next((n for n, s in schemas.items() if s == doc["schema"]), None)
        if name is None:
            raise RuntimeError(f"a {part} schema of {record['topic']} matches no schema file")
        out[part] = doc["payload"]
        out[part + "_schema"] = name
    return out


def write_schema(name, text):
    with open(os.path.join(HERE, name), "w") as f:
        json.dump(json.loads(text)["schema"], f, indent=1, ensure_ascii=False)
        f.write("\n")


def main():
    work = tempfile.mkdtemp(prefix="vimur-capture.")
    os.chmod(work, 0o755)
    dirs = {k: os.path.join(work, k) for k in ("mariadb", "kafka", "connect")}
    started = []
    try:
        port = int(script("mariadb", "start", dirs["mariadb"]).split("=", 1)[1])
        started.append(("mariadb", dirs["mariadb"]))
        bootstrap = script("kafka", "start", dirs["kafka"]).split("=", 1)[1]
        started.append(("kafka", dirs["kafka"]))
        conn = pymysql.connect(host="127.0.0.1", port=port, user="root", password="root",
                               autocommit=True, charset="utf8mb4")
        with conn.cursor() as cur:
            for s in W.setup_statements():
                cur.execute(s)
        topics = [f"{p}.{W.DB}.{t}" for p in (W.PREFIX, W.PROPAGATE_PREFIX)
                  for t in (W.TABLE, W.TIME_TABLE)]
        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 2})
        for f in admin.create_topics([NewTopic(t, 1, 1) for t in topics]).values():
            f.result()
        plain = os.path.join(work, "ref.properties")
        propagate = os.path.join(work, "refp.properties")
        connector_properties(plain, "ref", W.PREFIX, 6401, port, os.path.join(work, "h1.dat"))
        connector_properties(propagate, "refp", W.PROPAGATE_PREFIX, 6402, port,
                             os.path.join(work, "h2.dat"), "column.propagate.source.type=.*")
        script("connect", "start", dirs["connect"], bootstrap, plain, propagate)
        started.append(("connect", dirs["connect"]))

        readers = {p: Reader(bootstrap, [f"{p}.{W.DB}.{W.TABLE}", f"{p}.{W.DB}.{W.TIME_TABLE}"])
                   for p in (W.PREFIX, W.PROPAGATE_PREFIX)}
        # The TIME rows first: once both connectors deliver them, both stream.
        with conn.cursor() as cur:
            for s in W.time_edge_statements():
                cur.execute(s)
        captured = {p: [] for p in readers}
        for p, r in readers.items():
            captured[p] += [record_json("time_edge", m)
                            for m in r.read_until_quiet(len(W.TIME_EDGE_ROWS))]
        for phase, transactions in W.PHASES:
            W.run_phase(conn, phase)
            for p, r in readers.items():
                captured[p] += [record_json(phase, m) for m in r.read_until_quiet(1)]

        wide = [r for r in captured[W.PREFIX] if r["topic"].endswith("." + W.TABLE)]
        with open(os.path.join(HERE, "time_edge.events.jsonl"), "w") as f:
            for r in captured[W.PREFIX]:
                if r["topic"].endswith("." + W.TIME_TABLE):
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
        for p, stem in ((W.PREFIX, "wide"), (W.PROPAGATE_PREFIX, "wide_propagate")):
            recs = [r for r in captured[p] if r["topic"].endswith("." + W.TABLE)
                    and r["value"] is not None]
            first = next(r for r in recs if r["phase"] == "insert")
            last = [r for r in recs if r["phase"] == "add_column"][-1]
            write_schema(f"{stem}.key.schema.json", first["key"])
            write_schema(f"{stem}.value.schema.json", first["value"])
            write_schema(f"{stem}_added.value.schema.json", last["value"])
        # The events without their schemas (which are the files above), to keep them small.
        schemas = {}
        for name in ("wide.key.schema.json", "wide.value.schema.json",
                     "wide_added.value.schema.json"):
            with open(os.path.join(HERE, name)) as f:
                schemas[name] = json.load(f)
        with open(os.path.join(HERE, "wide.events.jsonl"), "w") as f:
            for r in wide:
                f.write(json.dumps(strip_schemas(r, schemas), ensure_ascii=False) + "\n")
        with open(os.path.join(HERE, "versions.json"), "w") as f:
            version = conn.get_server_info()
            json.dump({"debezium-connector-mariadb": MARIADB_CONNECTOR_VERSION,
                       "kafka-connect": os.environ.get("VIMUR_CONNECT_VERSION", "4.3.1"),
                       "mariadb-server": version}, f, indent=1)
            f.write("\n")
        for r in readers.values():
            r.consumer.close()
        print(f"captured {len(wide)} records of {W.DB}.{W.TABLE} into {HERE}")
    finally:
        for kind, d in reversed(started):
            subprocess.run([os.path.join(ROOT, "scripts", kind), "stop", d],
                           capture_output=True)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
