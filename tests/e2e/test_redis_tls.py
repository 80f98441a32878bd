"""End to end: the `redis` sink over TLS (`rediss://`) to a real redis-server that listens only on
its tls-port (scripts/redis with VIMUR_REDIS_TLS=1: a private CA and a certificate for
127.0.0.1) and requires a password; read back with redis-cli --tls, a client Vimur did not write.

- Two redis sinks with `url: rediss://:PASSWORD@127.0.0.1:PORT` and `tls_ca` (one `SET`s JSON,
  one writes hashes through MULTI/EXEC) apply inserts, an update and a delete of MariaDB rows,
  and a bulk insert whose pipeline spans many TLS records: Redis holds exactly the rows. Redis
  restarts: the sinks connect again over TLS and write the next change.
- `vimur check` says what is wrong: without `tls_ca` the certificate problem and `tls_ca`; a
  wrong password the refused AUTH (the password never shows); a server whose certificate names
  another IP address the mismatch; a `tls_ca` on a redis:// url is a configuration error;
  `tls_verify: false` passes. A Redis with `tls-auth-clients yes` refuses the sink without a
  client certificate (naming tls_cert and tls_key) and takes it with `tls_cert`/`tls_key`."""
import json
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import ROOT, vimur_binary
from sink_run import Run, write_config

PASSWORD = "tls-r3dis-Secret"
BULK = 1500


class TlsRedis:
    """A private TLS-only redis-server (scripts/redis, VIMUR_REDIS_TLS=1) and redis-cli."""

    def __init__(self, auth_clients="no"):
        self.dir = tempfile.mkdtemp(prefix="vimur-e2e-redis-tls.", dir="/tmp")
        self.env = dict(os.environ, VIMUR_REDIS_OWNER_PID=str(os.getpid()), VIMUR_REDIS_TLS="1",
                        VIMUR_REDIS_TLS_AUTH_CLIENTS=auth_clients, VIMUR_REDIS_PASSWORD=PASSWORD)
        lines = self._script("start")
        assert lines[-1].startswith("PORT="), lines
        values = dict(line.split("=", 1) for line in lines)
        self.port = int(values["PORT"])
        self.ca, self.cert, self.key = (values["REDIS_CA"], values["REDIS_CLIENT_CERT"],
                                        values["REDIS_CLIENT_KEY"])

    def _script(self, action):
        out = subprocess.run([os.path.join(ROOT, "scripts", "redis"), action, self.dir],
                             check=True, capture_output=True, text=True, env=self.env).stdout
        return out.strip().splitlines()

    def restart(self):
        """Stopped, then an empty server on the same port with the same certificates."""
        lines = self._script("restart")
        assert lines[-1] == f"PORT={self.port}" and f"REDIS_CA={self.ca}" in lines, lines

    def cli(self, *args):
        r = subprocess.run(["redis-cli", "--tls", "--cacert", self.ca, "--cert", self.cert,
                            "--key", self.key, "-h", "127.0.0.1", "-p", str(self.port),
                            "-a", PASSWORD, "--no-auth-warning", "--raw", *map(str, args)],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and not r.stdout.startswith("ERR"), r.stdout + r.stderr
        return r.stdout

    def keys(self, pattern):
        return set(self.cli("--scan", "--pattern", pattern).split())

    def json_values(self, pattern):
        keys = sorted(self.keys(pattern))
        values = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            for k, v in zip(chunk, self.cli("MGET", *chunk).split("\n")):
                if v:
                    values[k] = json.loads(v)
        return values

    def hash(self, key):
        flat = self.cli("HGETALL", key).split("\n")[:-1]
        return dict(zip(flat[::2], flat[1::2]))

    def close(self):
        subprocess.run([os.path.join(ROOT, "scripts", "redis"), "stop", self.dir],
                       capture_output=True, text=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def redis():
    server = TlsRedis()
    yield server
    server.close()


def redis_sink(name, topics, url, access, extra=""):
    return f"""  - name: {name}
    type: redis
    topics: ['{topics}']
    url: '{url}'
    batch_max_ms: 50
    retry_max_backoff_ms: 500
{extra}{access}"""


def check(config):
    return subprocess.run([vimur_binary(), "check", "--config", config],
                          capture_output=True, text=True, timeout=60)


def test_redis_sink_writes_rows_over_tls(mariadb, redis, tmp_path):
    db = "rtls"
    mariadb.execute(
        f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
        f"CREATE TABLE {db}.users (id BIGINT PRIMARY KEY, name VARCHAR(20) NOT NULL,"
        " score INT NOT NULL, note VARCHAR(10) NULL) DEFAULT CHARSET=utf8mb4",
        f"CREATE TABLE {db}.bulk (id BIGINT PRIMARY KEY, body VARCHAR(200) NOT NULL)")
    name = f"rtls{random.randint(0, 10**6)}"
    url = f"rediss://:{PASSWORD}@127.0.0.1:{redis.port}"
    access = f"    tls_ca: {redis.ca}\n"
    sinks = (redis_sink("cache", f"{name}\\.{db}\\.(users|bulk)", url, access,
                        "    key: '${table}:${id}'\n") +
             redis_sink("cache-hash", f"{name}\\.{db}\\.users", url, access,
                        "    key: 'uh:${id}'\n    value: hash\n"))
    config = str(tmp_path / "vimur.yaml")
    write_config(config, name, db, mariadb, None, sinks, 5981)
    r = check(config)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ok    sink cache: redis (rediss://:***@127.0.0.1:{redis.port}/0)" in r.stdout, r.stdout
    run = Run(config, str(tmp_path), None)
    try:
        run.start()
        run.wait_log("streaming from")
        mariadb.execute(*[f"INSERT INTO {db}.users VALUES ({i}, 'u{i}', {i * 10}, NULL)"
                          for i in range(1, 7)])
        mariadb.execute(f"UPDATE {db}.users SET name = 'bö', score = 99, note = 'x' WHERE id = 2",
                        f"DELETE FROM {db}.users WHERE id = 5")
        # One transaction, one batch: a pipeline of hundreds of KiB, answered in many records.
        mariadb.execute(f"INSERT INTO {db}.bulk VALUES " +
                        ", ".join(f"({i}, '{'b' * 150}{i}')" for i in range(1, BULK + 1)))
        want_users = {f"users:{i}": {"id": i, "name": "bö" if i == 2 else f"u{i}",
                                     "score": 99 if i == 2 else i * 10,
                                     "note": "x" if i == 2 else None} for i in (1, 2, 3, 4, 6)}
        want_bulk = {f"bulk:{i}": {"id": i, "body": "b" * 150 + str(i)}
                     for i in range(1, BULK + 1)}
        deadline = time.time() + 30
        while True:
            run.alive()
            users, bulk = redis.json_values("users:*"), redis.json_values("bulk:*")
            if users == want_users and bulk == want_bulk:
                break
            assert time.time() < deadline, (
                f"redis never equal to the tables: users {users}, {len(bulk)} bulk rows\n"
                f"{run.log()}")
            time.sleep(0.3)
        deadline = time.time() + 10
        while redis.keys("uh:*") != {f"uh:{i}" for i in (1, 2, 3, 4, 6)}:
            assert time.time() < deadline, (redis.keys("uh:*"), run.log())
            time.sleep(0.2)
        assert redis.hash("uh:2") == {"id": "2", "name": "bö", "score": "99", "note": "x"}
        assert redis.hash("uh:3") == {"id": "3", "name": "u3", "score": "30"}

        # Redis restarts (empty): the sinks connect again over TLS and write the next change.
        redis.restart()
        mariadb.execute(f"INSERT INTO {db}.users VALUES (7, 'u7', 70, NULL)")
        deadline = time.time() + 30
        while redis.json_values("users:*") != {"users:7": {"id": 7, "name": "u7", "score": 70,
                                                           "note": None}}:
            run.alive()
            assert time.time() < deadline, (redis.json_values("users:*"), run.log())
            time.sleep(0.3)
        run.stop()
    finally:
        run.close()
    log = run.log(tail=None)
    assert "writing to rediss://:***@127.0.0.1" in log, log
    assert "retry 1" in log, log  # the batch after the restart
    assert PASSWORD not in log


def other_ip_server(redis, workdir):
    """An `openssl s_server` whose certificate, signed by the same CA, names 10.1.2.3 only."""
    key, csr, ext, pem = (os.path.join(workdir, f"other.{x}") for x in ("key", "csr", "ext", "pem"))
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", csr,
                    "-subj", "/CN=other"], check=True, capture_output=True)
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:10.1.2.3\nextendedKeyUsage=serverAuth\n")
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", redis.ca,
                    "-CAkey", os.path.join(redis.dir, "ca.key"), "-CAcreateserial",
                    "-CAserial", os.path.join(workdir, "ca.srl"), "-out", pem, "-days", "1",
                    "-extfile", ext], check=True, capture_output=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", pem,
                             "-key", key, "-quiet"], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            assert proc.poll() is None and time.time() < deadline, "openssl s_server did not start"
            time.sleep(0.05)


def test_redis_tls_errors_say_what_is_wrong(mariadb, redis, tmp_path):
    db = "rtls_errors"
    mariadb.execute(f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
                    f"CREATE TABLE {db}.t (id INT PRIMARY KEY)")
    name = f"rtlserr{random.randint(0, 10**6)}"
    config = str(tmp_path / "vimur.yaml")
    url = f"rediss://:{PASSWORD}@127.0.0.1:{redis.port}"

    def check_with(url, access):
        write_config(config, name, db, mariadb, None,
                     redis_sink("cache", f"{name}\\..*", url, access), 5982)
        return check(config)

    # The system's CAs do not know the private CA.
    r = check_with(url, "")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL  sink cache: redis (rediss://:***@127.0.0.1" in r.stdout, r.stdout
    assert "certificate verify failed" in r.stdout and "check tls_ca" in r.stdout, r.stdout
    assert PASSWORD not in r.stdout + r.stderr

    # The right CA, a wrong password: AUTH refused, the password not shown.
    wrong = "not-" + PASSWORD
    r = check_with(f"rediss://:{wrong}@127.0.0.1:{redis.port}", f"    tls_ca: {redis.ca}\n")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Redis refused 'AUTH': WRONGPASS" in r.stdout, r.stdout
    assert "check the user and password of the url" in r.stdout, r.stdout
    assert wrong not in r.stdout + r.stderr

    # A certificate the CA signed for another address: the host check fails.
    server, port = other_ip_server(redis, str(tmp_path))
    try:
        r = check_with(f"rediss://:{PASSWORD}@127.0.0.1:{port}", f"    tls_ca: {redis.ca}\n")
    finally:
        server.kill()
        server.wait()
    assert r.returncode == 1, r.stdout + r.stderr
    assert "certificate verify failed (IP address mismatch)" in r.stdout, r.stdout

    # tls_* keys on a url without TLS: a configuration error naming the key.
    r = check_with(f"redis://:{PASSWORD}@127.0.0.1:{redis.port}", f"    tls_ca: {redis.ca}\n")
    assert r.returncode == 2, r.stdout + r.stderr
    assert "not rediss:// for 'sinks[0].tls_ca'" in r.stderr, r.stderr

    # tls_verify: false (tests only) skips the check the system's CAs failed above.
    r = check_with(url, "    tls_verify: false\n")
    assert r.returncode == 0, r.stdout + r.stderr


def test_redis_tls_client_certificate(mariadb, tmp_path):
    mtls = TlsRedis(auth_clients="yes")
    try:
        db = "rtls_mtls"
        mariadb.execute(f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
                        f"CREATE TABLE {db}.t (id INT PRIMARY KEY)")
        name = f"rtlsm{random.randint(0, 10**6)}"
        config = str(tmp_path / "vimur.yaml")
        url = f"rediss://:{PASSWORD}@127.0.0.1:{mtls.port}"

        def check_with(access):
            write_config(config, name, db, mariadb, None,
                         redis_sink("cache", f"{name}\\..*", url, f"    tls_ca: {mtls.ca}\n" +
                                    access), 5983)
            return check(config)

        r = check_with("")
        assert r.returncode == 1, r.stdout + r.stderr
        # The alert's reason ("tlsv13 alert certificate required") when it arrives before the
        # connection is reset; the hint either way.
        assert "FAIL  sink cache: redis" in r.stdout and "TLS" in r.stdout, r.stdout
        assert "check tls_cert and tls_key" in r.stdout, r.stdout
        r = check_with(f"    tls_cert: {mtls.cert}\n    tls_key: {mtls.key}\n")
        assert r.returncode == 0, r.stdout + r.stderr
        assert f"ok    sink cache: redis (rediss://:***@127.0.0.1:{mtls.port}/0)" in r.stdout
    finally:
        mtls.close()
