"""End to end: the `search` and `http` sinks reach their servers over https with a private CA
and HTTP basic authentication, through a real nginx (scripts/nginx: TLS termination, a CA it
makes itself, basic auth) in front of a real OpenSearch node (scripts/opensearch) and of a
receiver in this process; and the errors a wrong setup gives say what is wrong.

- A `search` sink with `url: https://127.0.0.1:PORT`, `tls_ca` and `username`/`password`
  indexes a few rows of MariaDB (inserts, an update, a delete): the documents read back from
  OpenSearch itself (plain http, not through the proxy) equal the rows, and nginx's access log
  shows the sink's requests, authenticated as the user.
- `vimur check` of the same sink without `tls_ca` fails naming the certificate problem and
  `tls_ca`; with a wrong password it fails with the 401 and the hint to check the credentials
  (the password itself never shows); a `tls_ca` file that does not exist is a configuration
  error naming the key and the file; the proxy's port that requires a client certificate takes
  the sink with `tls_cert`/`tls_key` and refuses it without them; `tls_verify: false` passes.
- An `http` sink posts through a second nginx (in front of the receiver) with `tls_ca` and
  basic auth; the receiver gets every event and the proxied Authorization of the user."""
import base64
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from conftest import ROOT, vimur_binary
from opensearch_fixtures import opensearch  # noqa: F401
from sink_run import write_config

USER = "vimur-tls"
PASSWORD = "pr0xy-Secret"
INDEX = "tls_orders"


class Nginx:
    """scripts/nginx in front of `upstream`: NGINX_URL, NGINX_CA and NGINX_MTLS_URL."""

    def __init__(self, upstream):
        self.dir = tempfile.mkdtemp(prefix="vimur-e2e-nginx.")
        env = dict(os.environ, VIMUR_NGINX_OWNER_PID=str(os.getpid()))
        out = subprocess.run([os.path.join(ROOT, "scripts", "nginx"), "start", self.dir,
                              upstream, USER, PASSWORD],
                             check=True, capture_output=True, text=True, env=env).stdout
        lines = out.strip().splitlines()
        assert lines[-1].startswith("NGINX_URL=https://127.0.0.1:"), out
        values = dict(line.split("=", 1) for line in lines if "=" in line)
        self.url, self.ca, self.mtls_url = (values["NGINX_URL"], values["NGINX_CA"],
                                            values["NGINX_MTLS_URL"])
        self.client_cert = os.path.join(self.dir, "client.pem")
        self.client_key = os.path.join(self.dir, "client.key")

    def access_log(self):
        with open(os.path.join(self.dir, "access.log"), errors="replace") as f:
            return f.read()

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "nginx"), "stop", self.dir],
                       capture_output=True, text=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def proxy(opensearch):  # noqa: F811
    server = Nginx(opensearch.url)
    yield server
    server.stop()


def search_sink(name, db, url, access):
    return f"""  - name: docs
    type: search
    topics: ['{name}\\.{db}\\.orders']
    url: {url}
    index: {INDEX}
    root: '{name}\\.{db}\\.orders'
    batch_max_ms: 50
    retry_max_backoff_ms: 500
{access}"""


def check(config):
    return subprocess.run([vimur_binary(), "check", "--config", config],
                          capture_output=True, text=True, timeout=60)


class VimurRun:
    """`vimur run` (sources and sinks in one process, the local log between them)."""

    def __init__(self, config, workdir):
        self.log_path = os.path.join(workdir, "run.log")
        with open(self.log_path, "wb") as err:
            self.proc = subprocess.Popen([vimur_binary(), "run", "--config", config],
                                         stdout=subprocess.DEVNULL, stderr=err)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, text, timeout=30):
        deadline = time.time() + timeout
        while text not in self.log():
            assert self.proc.poll() is None, f"vimur exited {self.proc.returncode}:\n{self.log()}"
            assert time.time() < deadline, f"no '{text}' in the log:\n{self.log()}"
            time.sleep(0.1)

    def alive(self):
        assert self.proc.poll() is None, f"vimur exited {self.proc.returncode}:\n{self.log()}"

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=60)
        assert rc == 0, f"vimur exited {rc}:\n{self.log()}"

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def shop(mariadb, db):
    mariadb.execute(f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
                    f"CREATE TABLE {db}.orders (id BIGINT PRIMARY KEY, status VARCHAR(10) NOT NULL,"
                    " amount INT NOT NULL)")


def change_rows(mariadb, db):
    mariadb.execute(*[f"INSERT INTO {db}.orders VALUES ({i}, 'new', {i * 10})"
                      for i in range(1, 7)])
    mariadb.execute(f"UPDATE {db}.orders SET status = 'paid', amount = 99 WHERE id = 2",
                    f"DELETE FROM {db}.orders WHERE id = 5")


def test_search_sink_indexes_through_tls_and_basic_auth(
        mariadb, opensearch, proxy, tmp_path):  # noqa: F811
    db = "stls"
    shop(mariadb, db)
    name = f"tlse2e{random.randint(0, 10**6)}"
    config = str(tmp_path / "vimur.yaml")
    access = f"    tls_ca: {proxy.ca}\n    username: {USER}\n    password: {PASSWORD}\n"
    write_config(config, name, db, mariadb, None, search_sink(name, db, proxy.url, access), 5971)
    r = check(config)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"ok    sink docs: search ({proxy.url})" in r.stdout, r.stdout
    run = VimurRun(config, str(tmp_path))
    try:
        run.wait_log("streaming from")
        change_rows(mariadb, db)
        want = {str(i): {"id": i, "status": "paid" if i == 2 else "new",
                         "amount": 99 if i == 2 else i * 10} for i in (1, 2, 3, 4, 6)}
        assert {str(r[0]): {"id": r[0], "status": r[1], "amount": r[2]}
                for r in mariadb.query(f"SELECT id, status, amount FROM {db}.orders")} == want
        deadline = time.time() + 30
        have = None
        while time.time() < deadline:
            run.alive()
            have = opensearch.documents(INDEX) if opensearch.exists(INDEX) else {}
            if have == want:
                break
            time.sleep(0.3)
        assert have == want, run.log()
        run.stop()
    finally:
        run.close()
    log = run.log()
    assert PASSWORD not in log
    # The documents went through the proxy, authenticated as USER.
    bulk = [line for line in proxy.access_log().splitlines() if f"/{INDEX}/_bulk" in line]
    assert bulk and all(f" {USER} " in line and '" 200 ' in line for line in bulk), bulk


def test_search_sink_tls_and_credential_errors_say_what_is_wrong(mariadb, proxy, tmp_path):
    db = "stls_errors"
    shop(mariadb, db)
    name = f"tlserr{random.randint(0, 10**6)}"
    config = str(tmp_path / "vimur.yaml")

    def check_with(url, access):
        write_config(config, name, db, mariadb, None, search_sink(name, db, url, access), 5972)
        return check(config)

    auth = f"    username: {USER}\n    password: {PASSWORD}\n"
    # The system's CAs do not know the proxy's private CA.
    r = check_with(proxy.url, auth)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "FAIL  sink docs: search" in r.stdout, r.stdout
    assert "SSL certificate problem" in r.stdout and "check tls_ca" in r.stdout, r.stdout

    # The right CA, a wrong password: the 401, and not the password.
    wrong = "not-" + PASSWORD
    r = check_with(proxy.url, f"    tls_ca: {proxy.ca}\n    username: {USER}\n"
                              f"    password: {wrong}\n")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "HTTP 401" in r.stdout and "check username and password" in r.stdout, r.stdout
    assert wrong not in r.stdout + r.stderr

    # A CA file that does not exist: the configuration names the key and the file.
    missing = str(tmp_path / "no-such-ca.pem")
    r = check_with(proxy.url, f"    tls_ca: {missing}\n" + auth)
    assert r.returncode == 2, r.stdout + r.stderr
    assert f"no such file '{missing}' for 'sinks[0].tls_ca'" in r.stderr, r.stderr

    # A client certificate without its key.
    r = check_with(proxy.url, f"    tls_cert: {proxy.client_cert}\n" + auth)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "only tls_cert for 'sinks[0].tls_cert'" in r.stderr, r.stderr

    # The port that requires a client certificate: refused without one, taken with it.
    r = check_with(proxy.mtls_url, f"    tls_ca: {proxy.ca}\n" + auth)
    assert r.returncode == 1 and "HTTP 400" in r.stdout, r.stdout + r.stderr
    r = check_with(proxy.mtls_url, f"    tls_ca: {proxy.ca}\n    tls_cert: {proxy.client_cert}\n"
                                   f"    tls_key: {proxy.client_key}\n" + auth)
    assert r.returncode == 0 and f"ok    sink docs: search ({proxy.mtls_url})" in r.stdout, \
        r.stdout + r.stderr

    # tls_verify: false (tests only) skips the check the system's CAs failed above.
    r = check_with(proxy.url, "    tls_verify: false\n" + auth)
    assert r.returncode == 0, r.stdout + r.stderr


class Receiver:
    """Records the events and the Authorization header of every POST."""

    def __init__(self):
        self.lock = threading.Lock()
        self.events, self.authorizations = [], set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.authorizations.add(self.headers.get("Authorization"))
                    receiver.events.extend(json.loads(body))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_http_sink_posts_through_tls_and_basic_auth(mariadb, tmp_path):
    receiver = Receiver()
    hook_proxy = Nginx(receiver.url)
    db = "htls"
    shop(mariadb, db)
    name = f"tlshttp{random.randint(0, 10**6)}"
    config = str(tmp_path / "vimur.yaml")
    sink = f"""  - name: hook
    type: http
    topics: ['{name}\\.{db}\\.orders']
    url: {hook_proxy.url}/events
    flatten: true
    tls_ca: {hook_proxy.ca}
    username: {USER}
    password: {PASSWORD}
    batch_max_ms: 50
    retry_max_backoff_ms: 500
"""
    write_config(config, name, db, mariadb, None, sink, 5973)
    run = None
    try:
        r = check(config)
        assert r.returncode == 0, r.stdout + r.stderr
        run = VimurRun(config, str(tmp_path))
        run.wait_log("streaming from")
        change_rows(mariadb, db)
        deadline = time.time() + 30
        while time.time() < deadline:
            run.alive()
            with receiver.lock:
                if len(receiver.events) >= 8:
                    break
            time.sleep(0.2)
        run.stop()
        with receiver.lock:
            ops = [(e["id"], e["__op"]) for e in receiver.events]
            authorizations = set(receiver.authorizations)
        # One request per key group, sent at once: the order across keys is not kept.
        assert sorted(ops) == sorted([(i, "c") for i in range(1, 7)] + [(2, "u"), (5, "d")]), \
            (ops, run.log())
        token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        assert authorizations == {f"Basic {token}"}, authorizations
        assert PASSWORD not in run.log()
    finally:
        if run is not None:
            run.close()
        hook_proxy.stop()
        receiver.close()
