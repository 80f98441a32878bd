"""Fixtures for end-to-end tests: a private MariaDB started by scripts/mariadb, a private
PostgreSQL (one per test session) started by scripts/postgres, and the vimur release binary run
as a real process with the stdout transport."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

import pymysql
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def vimur_binary():
    path = os.environ.get("VIMUR_BIN")
    if not path:
        path = subprocess.run([os.path.join(ROOT, "scripts", "build")], check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return path


def edit_config(path, old, new):
    """Replaces `old`, which must be in it, by `new` in the configuration file at `path`."""
    with open(path) as f:
        text = f.read()
    assert old in text, (old, text)
    with open(path, "w") as f:
        f.write(text.replace(old, new))


def kafka_avro_config(path, bootstrap, registry_url):
    """Turns a stdout/JSON configuration into one publishing Avro to Kafka."""
    edit_config(path, "transport:\n  type: stdout\n",
                f"transport:\n  type: kafka\n  bootstrap_servers: {bootstrap}\n")
    avro_format(path, registry_url)


def avro_format(path, registry_url):
    edit_config(path, "format:\n  type: json\n",
                f"format:\n  type: avro\n  registry_url: {registry_url}\n")


class MariaDb:
    def __init__(self, directory):
        self.dir = directory
        started = subprocess.run([os.path.join(ROOT, "scripts", "mariadb"), "start", directory],
                                 capture_output=True, text=True)
        if started.returncode != 0:
            raise RuntimeError(f"scripts/mariadb start {directory} failed "
                               f"(exit {started.returncode}):\n{started.stderr}")
        self.port = int(started.stdout.strip().splitlines()[-1].split("=", 1)[1])

    def connect(self, db=None, user="root", password="root"):
        return pymysql.connect(host="127.0.0.1", port=self.port, user=user, password=password,
                               database=db, autocommit=True, charset="utf8mb4",
                               init_command="SET time_zone = '+00:00'")

    def execute(self, *statements):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                for s in statements:
                    cur.execute(s)
        finally:
            conn.close()

    def query(self, sql):
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
                return cur.fetchall()
        finally:
            conn.close()

    def script(self, action):
        subprocess.run([os.path.join(ROOT, "scripts", "mariadb"), action, self.dir], check=True,
                       capture_output=True, text=True)

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "mariadb"), "stop", self.dir],
                       capture_output=True, text=True)


@pytest.fixture(scope="module")
def mariadb():
    directory = tempfile.mkdtemp(prefix="vimur-e2e-mariadb.")
    server = MariaDb(directory)
    yield server
    server.stop()
    shutil.rmtree(directory, ignore_errors=True)


class PostgresServer:
    """A private PostgreSQL 15 (wal_level=logical) from scripts/postgres. Users: postgres/postgres
    (superuser) and vimur/vimur (LOGIN REPLICATION, owns database vimur)."""

    def __init__(self):
        # The server runs as the `postgres` user when we are root: its directory must be
        # reachable by it, so it lives directly under /tmp.
        self.dir = tempfile.mkdtemp(prefix="vimur-e2e-pg.", dir="/tmp")
        env = dict(os.environ, VIMUR_POSTGRES_OWNER_PID=str(os.getpid()))
        out = subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "start", self.dir],
                             check=True, capture_output=True, text=True, env=env).stdout
        self.port = int(out.strip().splitlines()[-1].split("=", 1)[1])

    def connect(self, user="vimur", password="vimur", dbname="vimur"):
        import psycopg
        return psycopg.connect(host="127.0.0.1", port=self.port, user=user, password=password,
                               dbname=dbname, autocommit=True, options="-c TimeZone=UTC")

    def execute(self, *statements, user="vimur", password="vimur"):
        with self.connect(user=user, password=password) as conn:
            for s in statements:
                conn.execute(s)

    def query(self, sql, params=None):
        with self.connect() as conn:
            return conn.execute(sql, params).fetchall()

    def script(self, action):
        """restart (same port and data), kill (kill -9 of the server) or start."""
        env = dict(os.environ, VIMUR_POSTGRES_OWNER_PID=str(os.getpid()))
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), action, self.dir], check=True,
                       capture_output=True, text=True, env=env)

    def stop(self):
        subprocess.run([os.path.join(ROOT, "scripts", "postgres"), "stop", self.dir],
                       capture_output=True, text=True)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    yield server
    server.stop()


class Vimur:
    """One pipeline: its config file, state directory and every run's output."""

    def __init__(self, mariadb, workdir, include_tables, extra_source="", name="shop",
                 extra_format=""):
        self.workdir = workdir
        self.name = name
        self.config = os.path.join(workdir, "vimur.yaml")
        self.state_dir = os.path.join(workdir, "state")
        include = ", ".join("'" + t + "'" for t in include_tables)
        with open(self.config, "w") as f:
            f.write(f"""name: {name}
state_dir: {self.state_dir}
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: {mariadb.port}
    user: vimur
    password: ${{VIMUR_E2E_PASSWORD}}
    server_id: 5401
    heartbeat_interval_ms: 500
    include_tables: [{include}]
{extra_source}
transport:
  type: stdout
format:
  type: json
{extra_format}
""")
        self.proc = None
        self.pump = None  # the thread copying a piped stdout to the events file
        self.runs = 0
        self.outputs = []

    def start(self, wait_for_offsets=True, hold_output=None, output_bytes_per_s=None):
        """Vimur writes its events into a pipe read by the test, and blocks on it when full:
        with `hold_output` (a threading.Event), only while the event is set; with
        `output_bytes_per_s`, at most that fast (a snapshot then lasts long enough to act
        during it)."""
        self.runs += 1
        out = open(os.path.join(self.workdir, f"events.{self.runs}.jsonl"), "wb")
        err = open(os.path.join(self.workdir, f"vimur.{self.runs}.log"), "wb")
        self.outputs.append(out.name)
        env = dict(os.environ, VIMUR_E2E_PASSWORD="vimur")
        piped = hold_output is not None or output_bytes_per_s is not None
        self.proc = subprocess.Popen([vimur_binary(), "run", "--config", self.config],
                                     stdout=out if not piped else subprocess.PIPE,
                                     stderr=err, env=env)
        err.close()
        self.pump = None
        if piped:
            def pump(source, sink):
                with sink:
                    while (hold_output is None or hold_output.wait()) and \
                            (chunk := source.read1(1 << 16)):
                        sink.write(chunk)
                        sink.flush()
                        if output_bytes_per_s:
                            time.sleep(len(chunk) / output_bytes_per_s)
            self.pump = threading.Thread(target=pump, args=(self.proc.stdout, out), daemon=True)
            self.pump.start()
        else:
            out.close()
        if wait_for_offsets:
            path = self.offset_path()
            deadline = time.time() + 30
            while not os.path.exists(path):
                assert self.proc.poll() is None, self.log()
                assert time.time() < deadline, "vimur did not store its start position"
                time.sleep(0.05)

    def offset_path(self):
        return os.path.join(self.state_dir, self.name, "offsets", "db.json")

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        rc = self.proc.wait(timeout=60)
        assert rc == 0, f"vimur exited {rc}:\n{self.log()}"
        self.proc = None
        self._join_pump()

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        self.proc = None
        self._join_pump()

    def _join_pump(self):
        if self.pump is not None:
            self.pump.join(timeout=30)
            self.pump = None

    def log(self):
        return open(os.path.join(self.workdir, f"vimur.{self.runs}.log")).read()[-4000:]

    def records(self):
        out = []
        for path in self.outputs:
            with open(path, "rb") as f:
                data = f.read()
            for line in data.split(b"\n"):
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        # A kill -9 may cut the last line of a run short; it was not acknowledged.
                        pass
        return out

    def wait_for(self, predicate, timeout=120, what="events"):
        deadline = time.time() + timeout
        while time.time() < deadline:
            recs = self.records()
            if predicate(recs):
                return recs
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"vimur exited {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; vimur log:\n{self.log()}")

    def close(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def vimur_factory(tmp_path):
    made = []

    def make(mariadb, include_tables, extra_source="", name="shop", extra_format=""):
        workdir = tempfile.mkdtemp(prefix="vimur-e2e.", dir=str(tmp_path))
        v = Vimur(mariadb, workdir, include_tables, extra_source, name, extra_format)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()
