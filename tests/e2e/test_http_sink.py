"""End to end: the `http` sink delivers every event at least once, in per-key order, to a
receiver that fails about 30 % of requests and is down for a while; and `vimur tail`.

A receiver in this process (http.server) checks the HMAC-SHA256 signature of every request
(401 when wrong, which would stop the sink), answers 500 to ~30 % of the requests, and records
the flattened events of the others. Writers change rows of `items`, each row's `v` counting its
changes; `vimur run --only sinks` is killed with kill -9 mid-run, the receiver is down (port
closed) for a few seconds. In the end, for every key, the first arrivals of its events are all
its events in the order they were written. A second sink whose receiver path answers 422 writes
the records to its dead-letter topic. `vimur tail` prints the topic's events as JSON lines.

Sizes: CI writes for a few seconds with the receiver down 3 s; VIMUR_TEST_LONG=1 writes for 60 s,
is down 10 s and kills three times."""
import hashlib
import hmac
import json
import os
import random
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import vimur_binary
from kafka_fixtures import kafka  # noqa: F401
from sink_run import Run, write_config

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
WRITERS = 3
SECONDS = 60 if LONG else 8
RATE = 300 if LONG else 60
KILLS = 3 if LONG else 1
DOWN_S = 10 if LONG else 3
SECRET = "s3cret-hmac"


class Receiver:
    """Records events; fails ~30 % of requests; can be down (port closed)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events = []         # (key, v, op) in arrival order
        self.requests = self.failed = self.bad_signatures = self.rejected = 0
        self.in_flight = self.max_in_flight = 0
        self.rng = random.Random(7)
        self.server = None
        self.port = None
        self.up()

    def up(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests += 1
                    receiver.in_flight += 1
                    receiver.max_in_flight = max(receiver.max_in_flight, receiver.in_flight)
                try:
                    self.handle_body(body)
                finally:
                    with receiver.lock:
                        receiver.in_flight -= 1

            def handle_body(self, body):
                want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if self.headers.get("X-Vimur-Signature") != want:
                    with receiver.lock:
                        receiver.bad_signatures += 1
                    return self.answer(401)
                if self.path == "/reject":
                    with receiver.lock:
                        receiver.rejected += 1
                    return self.answer(422)
                time.sleep(0.005)  # requests overlap
                with receiver.lock:
                    fail = receiver.rng.random() < 0.3
                    if fail:
                        receiver.failed += 1
                    else:
                        events = json.loads(body)
                        assert int(self.headers["X-Vimur-Events"]) == len(events)
                        for e in events:
                            receiver.events.append((e["id"], e["v"], e["__op"]))
                self.answer(500 if fail else 200)

            def answer(self, code):
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port or 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def down(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.down()


def workload(mariadb, db, stop, seed, expected, lock):
    """Each writer owns its keys; `expected[key]` lists the (v, op) events in written order."""
    rng = random.Random(seed)
    conn = mariadb.connect(db=db)
    conn.autocommit(False)
    interval = WRITERS / RATE
    live, next_id = {}, seed * 1_000_000
    while not stop.is_set():
        t0 = time.time()
        done = []
        with conn.cursor() as cur:
            for _ in range(rng.randint(1, 3)):
                roll = rng.random()
                if roll < 0.4 or not live:
                    next_id += 1
                    cur.execute("INSERT INTO items VALUES (%s, 0, %s)", (next_id, f"n{next_id}"))
                    live[next_id] = 0
                    done.append((next_id, 0, "c"))
                elif roll < 0.9:
                    key = rng.choice(list(live))
                    cur.execute("UPDATE items SET v = v + 1 WHERE id = %s", (key,))
                    live[key] += 1
                    done.append((key, live[key], "u"))
                else:
                    key = rng.choice(list(live))
                    cur.execute("DELETE FROM items WHERE id = %s", (key,))
                    done.append((key, live.pop(key), "d"))
        conn.commit()
        with lock:
            for key, v, op in done:
                expected.setdefault(key, []).append((v, op))
        time.sleep(max(0.0, interval - (time.time() - t0)))
    conn.close()


def first_arrivals(events):
    seen, out = set(), {}
    for key, v, op in events:
        if (key, v, op) not in seen:
            seen.add((key, v, op))
            out.setdefault(key, []).append((v, op))
    return out


def test_every_event_at_least_once_in_key_order_with_failures_kill9_and_downtime(
        mariadb, kafka, receiver, tmp_path):  # noqa: F811
    from confluent_kafka import Consumer
    db = "hook"
    mariadb.execute(f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
                    f"CREATE TABLE {db}.items (id BIGINT PRIMARY KEY, v INT NOT NULL,"
                    " name VARCHAR(20) NOT NULL)")
    name = f"httpe2e{random.randint(0, 10**6)}"
    topic = f"{name}\\.{db}\\.items"
    config = str(tmp_path / "vimur.yaml")
    write_config(config, name, db, mariadb, kafka, f"""
  - name: hook
    type: http
    topics: ['{topic}']
    url: http://127.0.0.1:{receiver.port}/events
    flatten: true
    hmac_secret: {SECRET}
    max_in_flight: 4
    max_attempts: 0
    timeout_ms: 5000
    batch_max_records: 200
    batch_max_ms: 50
    retry_max_backoff_ms: 1000
    lag_log_interval_s: 2
  - name: reject
    type: http
    topics: ['{topic}']
    url: http://127.0.0.1:{receiver.port}/reject
    hmac_secret: {SECRET}
    on_error: dead_letter
    batch_max_ms: 50
""", server_id=5951)
    sources = Run(config, str(tmp_path), "sources")
    sinks = Run(config, str(tmp_path), "sinks")
    try:
        sources.start()
        sources.wait_log("streaming from")
        sinks.start()
        sinks.wait_log("subscribed")
        stop, lock, expected = threading.Event(), threading.Lock(), {}
        writers = [threading.Thread(target=workload, args=(mariadb, db, stop, s + 1, expected, lock))
                   for s in range(WRITERS)]
        for w in writers:
            w.start()
        time.sleep(SECONDS / (KILLS + 2))
        receiver.down()
        time.sleep(DOWN_S)
        receiver.up()
        for _ in range(KILLS):
            time.sleep(SECONDS / (KILLS + 2))
            sinks.kill9()
            sinks.start()
        time.sleep(SECONDS / (KILLS + 2))
        stop.set()
        for w in writers:
            w.join()
        total = sum(len(v) for v in expected.values())
        assert total >= SECONDS * RATE * 0.3, total

        deadline = time.time() + 120
        while True:
            with lock, receiver.lock:
                got = first_arrivals(receiver.events)
            if all(len(got.get(k, [])) >= len(v) for k, v in expected.items()):
                break
            sinks.alive()
            missing = sum(len(v) - len(got.get(k, [])) for k, v in expected.items())
            assert time.time() < deadline, f"{missing} events never arrived:\n{sinks.log()}"
            time.sleep(0.5)
        for key, events in expected.items():
            assert got[key] == events, (key, got[key], events)
        assert receiver.bad_signatures == 0
        assert receiver.failed > 0 and receiver.requests > 0
        duplicates = len(receiver.events) - total
        print(f"\n{total} events, {receiver.requests} requests ({receiver.failed} answered 500),"
              f" {duplicates} delivered again, max {receiver.max_in_flight} requests at once")
        first = sinks.log(run=1, tail=None)
        assert "retry" in first and "HTTP 500" in first, sinks.log(run=1)
        assert "lag" in sinks.log(tail=None)

        # The rejecting sink dead-lettered records with the answer in vimur.error.
        consumer = Consumer({"bootstrap.servers": kafka.bootstrap, "group.id": f"dlq-{name}",
                             "auto.offset.reset": "earliest"})
        consumer.subscribe(["vimur-dead-letter.reject"])
        deadline, msg = time.time() + 60, None
        while msg is None and time.time() < deadline:
            m = consumer.poll(1.0)
            if m is not None and not m.error():
                msg = m
        consumer.close()
        assert msg is not None, sinks.log()
        assert b"HTTP 422" in dict(msg.headers())["vimur.error"], msg.headers()
        assert receiver.rejected > 0

        # vimur tail: the topic's first events, as JSON lines.
        r = subprocess.run([vimur_binary(), "tail", "--config", config, "--topic",
                            f"{name}.{db}.items", "--from-beginning", "--max", "5"],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        lines = [json.loads(line) for line in r.stdout.splitlines()]
        assert len(lines) == 5, r.stdout
        for line in lines:
            assert line["topic"] == f"{name}.{db}.items"
            assert "id" in line["key"]["payload"]
            # A delete's tombstone (value null) can be among the first records of a partition.
            if line["value"] is not None:
                assert line["value"]["payload"]["source"]["table"] == "items"
        assert any(line["value"] is not None for line in lines), r.stdout
        assert [x["offset"] for x in lines if x["partition"] == lines[0]["partition"]] == sorted(
            x["offset"] for x in lines if x["partition"] == lines[0]["partition"])
        sinks.stop()
        sources.stop()
    finally:
        sources.close()
        sinks.close()
