"""End to end: the `redis` sink keeps Redis equal to a MariaDB table, against real servers.

A `users` table is written to by concurrent clients (inserts, updates, deletes) while
`vimur run --only sources` captures it to Kafka (JSON with schemas, and again in Avro read
directly by the sinks) and `vimur run --only sinks` runs three redis
sinks into a Redis that requires AUTH: `cache` (the row as a JSON string at `user:${id}`, with
a TTL), `cache-hash` (a hash at `uh:${id}`) and `inval` (invalidate: DEL `inv:${id}` on every
change). The sinks process is killed with kill -9 mid-run and restarted, and Redis is down for a
moment. After writes stop, Redis holds exactly the table's rows in both forms; stale keys planted
for every row are all gone once the rows change.

Sizes: CI writes for a few seconds; VIMUR_TEST_LONG=1 runs longer and faster, with more kills."""
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import threading
import time

import pytest

from conftest import ROOT, vimur_binary
from kafka_fixtures import kafka  # noqa: F401
from sink_run import Run, write_config
from test_registry import Registry

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
WRITERS = 3
SECONDS = 60 if LONG else 8
RATE = 400 if LONG else 80  # transactions per second over all writers
KILLS = 3 if LONG else 1
PASSWORD = "r3dis-pw"


class Redis:
    """A private redis-server (scripts/redis) and a minimal RESP client."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="vimur-e2e-redis.", dir="/tmp")
        self.port = self._script("start")

    def _script(self, action):
        env = dict(os.environ, VIMUR_REDIS_OWNER_PID=str(os.getpid()),
                   VIMUR_REDIS_PASSWORD=PASSWORD)
        out = subprocess.run([os.path.join(ROOT, "scripts", "redis"), action, self.dir],
                             check=True, capture_output=True, text=True, env=env).stdout
        lines = out.strip().splitlines()
        return int(lines[-1].split("=", 1)[1]) if lines else None

    def restart(self, down_s):
        """Stopped for `down_s` seconds, then an empty server on the same port."""
        self._script("stop")
        time.sleep(down_s)
        assert self._script("restart") == self.port

    def command(self, *args):
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as s:
            f = s.makefile("rb")
            for cmd in (("AUTH", PASSWORD), args):
                out = b"*%d\r\n" % len(cmd)
                for a in cmd:
                    a = a if isinstance(a, bytes) else str(a).encode()
                    out += b"$%d\r\n%s\r\n" % (len(a), a)
                s.sendall(out)
                reply = self._read(f)
            return reply

    def _read(self, f):
        line = f.readline()
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RuntimeError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = f.read(n + 2)[:-2]
            return data.decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._read(f) for _ in range(n)]
        raise RuntimeError(f"bad reply {line!r}")

    def keys(self, pattern):
        keys, cursor = set(), "0"
        while True:
            cursor, batch = self.command("SCAN", cursor, "MATCH", pattern, "COUNT", 1000)
            keys.update(batch)
            if cursor == "0":
                return keys

    def close(self):
        subprocess.run([os.path.join(ROOT, "scripts", "redis"), "stop", self.dir],
                       capture_output=True, text=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def redis():
    server = Redis()
    yield server
    server.close()


def workload(mariadb, db, stop, seed, counts):
    rng = random.Random(seed)
    conn = mariadb.connect(db=db)
    conn.autocommit(False)
    interval = WRITERS / RATE
    first = next_id = seed * 1_000_000
    while not stop.is_set():
        t0 = time.time()
        with conn.cursor() as cur:
            for _ in range(rng.randint(1, 4)):
                roll = rng.random()
                if roll < 0.5 or next_id == first:
                    next_id += 1
                    cur.execute("INSERT INTO users VALUES (%s, %s, %s, %s, %s)",
                                (next_id, rng.choice(["ann", "bö", "日本", "it's"]) + str(next_id),
                                 rng.randint(0, 100), f"{rng.randint(0, 9999)}.{rng.randint(0, 99):02d}",
                                 rng.choice([None, "x"])))
                elif roll < 0.85:
                    cur.execute("UPDATE users SET score = score + 1, balance = balance + 0.25,"
                                " note = %s WHERE id = %s",
                                (rng.choice([None, "y", "ü"]), rng.randint(first + 1, next_id)))
                else:
                    cur.execute("DELETE FROM users WHERE id = %s", (rng.randint(first + 1, next_id),))
        conn.commit()
        counts[seed] = counts.get(seed, 0) + 1
        time.sleep(max(0.0, interval - (time.time() - t0)))
    conn.close()


def expected_rows(mariadb, db):
    rows = mariadb.query(f"SELECT id, name, score, balance, note FROM {db}.users")
    return {r[0]: {"id": r[0], "name": r[1], "score": r[2], "balance": str(r[3]), "note": r[4]}
            for r in rows}


def redis_state(redis):
    json_keys = redis.keys("user:*")
    hash_keys = redis.keys("uh:*")
    as_json, as_hash = {}, {}
    for k in json_keys:
        value = redis.command("GET", k)
        if value is not None:  # not deleted since the SCAN
            as_json[int(k.split(":")[1])] = json.loads(value)
    for k in hash_keys:
        flat = redis.command("HGETALL", k)
        if flat:
            as_hash[int(k.split(":")[1])] = dict(zip(flat[::2], flat[1::2]))
    return as_json, as_hash


def hash_form(row):
    return {k: str(v) for k, v in row.items() if v is not None}


def wait_equal(mariadb, db, redis, sinks, timeout=120):
    deadline = time.time() + timeout
    while True:
        want = expected_rows(mariadb, db)
        as_json, as_hash = redis_state(redis)
        if as_json == want and as_hash == {k: hash_form(v) for k, v in want.items()}:
            return want
        sinks.alive()
        if time.time() > deadline:
            missing = set(want) - set(as_json)
            extra = set(as_json) - set(want)
            differ = [k for k in set(want) & set(as_json) if want[k] != as_json[k]][:3]
            pytest.fail(f"redis never equal to the table: {len(missing)} missing, {len(extra)}"
                        f" extra, differing e.g. {[(want[k], as_json[k]) for k in differ]}\n"
                        f"{sinks.log()}")
        time.sleep(0.5)


@pytest.mark.parametrize("fmt", ["json", "avro"])
def test_redis_equals_table_after_writes_kill9_and_redis_restart(
        mariadb, kafka, redis, tmp_path, fmt):  # noqa: F811
    db = "rcache"
    mariadb.execute(
        f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
        f"CREATE TABLE {db}.users (id BIGINT PRIMARY KEY, name VARCHAR(40) NOT NULL,"
        " score INT NOT NULL, balance DECIMAL(10,2) NOT NULL, note VARCHAR(10) NULL)"
        " DEFAULT CHARSET=utf8mb4")
    name = f"redise2e{random.randint(0, 10**6)}"
    url = f"redis://:{PASSWORD}@127.0.0.1:{redis.port}"
    topic = f"{name}\\.{db}\\.users"
    config = str(tmp_path / "vimur.yaml")
    registry = None
    if fmt == "avro":  # read directly by the sinks, schemas from the registry
        os.mkdir(tmp_path / "registry")
        registry = Registry(kafka.bootstrap, str(tmp_path / "registry"))
        registry.start()
    write_config(config, name, db, mariadb, kafka, f"""
  - name: cache
    type: redis
    topics: ['{topic}']
    url: '{url}'
    key: 'user:${{id}}'
    ttl_seconds: 3600
    batch_max_ms: 50
    retry_max_backoff_ms: 500
    lag_log_interval_s: 2
  - name: cache-hash
    type: redis
    topics: ['{topic}']
    url: '{url}'
    key: 'uh:${{id}}'
    value: hash
    batch_max_ms: 50
    retry_max_backoff_ms: 500
  - name: inval
    type: redis
    topics: ['{topic}']
    url: '{url}'
    key: 'inv:${{id}}'
    mode: invalidate
    batch_max_ms: 50
    retry_max_backoff_ms: 500
""", server_id=5941, registry_url=registry.url if registry else None)
    r = subprocess.run([vimur_binary(), "check", "--config", config],
                       capture_output=True, text=True, timeout=60)
    assert f"ok    sink cache: redis (redis://:***@127.0.0.1:{redis.port}/0)" in r.stdout, r.stdout
    sources = Run(config, str(tmp_path), "sources")
    sinks = Run(config, str(tmp_path), "sinks")
    try:
        sources.start()
        sources.wait_log("streaming from")
        sinks.start()
        sinks.wait_log("subscribed")
        stop = threading.Event()
        counts = {}
        writers = [threading.Thread(target=workload, args=(mariadb, db, stop, s + 1, counts))
                   for s in range(WRITERS)]
        for w in writers:
            w.start()
        # Redis down for a moment (a fresh, empty server comes back): batches are retried.
        time.sleep(SECONDS / (KILLS + 2))
        redis.restart(1.5)
        for _ in range(KILLS):
            time.sleep(SECONDS / (KILLS + 2))
            sinks.kill9()
            sinks.start()
        time.sleep(SECONDS / (KILLS + 2))
        stop.set()
        for w in writers:
            w.join()
        total = sum(counts.values())
        assert total >= SECONDS * RATE * 0.3, counts
        # Redis came back empty: rows written before it went down are only there again if
        # they changed since. Rewrite every row once so that the comparison covers all of them
        # (a cache is refilled by changes, not by a snapshot).
        mariadb.execute(f"UPDATE {db}.users SET score = score + 0")  # no change: no event
        mariadb.execute(f"UPDATE {db}.users SET score = score + 1")
        t0 = time.time()
        want = wait_equal(mariadb, db, redis, sinks)
        print(f"\n{total} transactions in {SECONDS} s, {KILLS} kill -9; redis equal to the"
              f" table ({len(want)} rows) {time.time() - t0:.1f} s after writes stopped")
        assert len(want) > 20
        assert redis.command("TTL", f"user:{next(iter(want))}") > 3000
        assert redis.command("TTL", f"uh:{next(iter(want))}") == -1
        assert not redis.keys("inv:*"), "the invalidate sink wrote keys"
        log = sinks.log(run=1, tail=None)
        assert "retry" in log and "Redis" in log, sinks.log(run=1)
        # The lag is logged every lag_log_interval_s (2 s) once records were applied; the last
        # run may be younger than that when Redis became equal.
        deadline = time.time() + 15
        while "lag" not in sinks.log(tail=None) and time.time() < deadline:
            time.sleep(0.2)
        assert "lag" in sinks.log(tail=None), sinks.log()

        # Invalidate: stale entries of every row are deleted once the rows change; deleted rows
        # leave no key behind in the other sinks either.
        for i in want:
            redis.command("SET", f"inv:{i}", "stale")
        victims = sorted(want)[:5]
        mariadb.execute(f"UPDATE {db}.users SET score = score + 1",
                        f"DELETE FROM {db}.users WHERE id IN ({','.join(map(str, victims))})")
        deadline = time.time() + 60
        while redis.keys("inv:*"):
            sinks.alive()
            assert time.time() < deadline, f"stale keys left: {sorted(redis.keys('inv:*'))[:5]}"
            time.sleep(0.3)
        want = wait_equal(mariadb, db, redis, sinks)
        assert not set(victims) & set(want)
        sinks.stop()
        sources.stop()
    finally:
        sources.close()
        sinks.close()
        if registry:
            registry.close()
