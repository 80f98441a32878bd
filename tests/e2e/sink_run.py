"""Helpers of the redis and http sink tests: one `vimur run --only ...` process with its logs,
and the configuration of a `shop` source captured to Kafka with the sinks given."""
import os
import signal
import subprocess
import time

from conftest import vimur_binary


class Run:
    """One `vimur run --only ...` process (only=None: sources and sinks in one process) and its
    logs (one log file per start)."""

    def __init__(self, config, workdir, only):
        self.config, self.workdir, self.only = config, workdir, only
        self.proc, self.runs = None, 0

    def log_path(self, run=None):
        return os.path.join(self.workdir, f"{self.only or 'all'}.{run or self.runs}.log")

    def log(self, run=None, tail=6000):
        """The end of a run's log (all of it with tail=None)."""
        try:
            text = open(self.log_path(run), errors="replace").read()
            return text if tail is None else text[-tail:]
        except OSError:
            return ""

    def start(self):
        self.runs += 1
        err = open(self.log_path(), "wb")
        only = ["--only", self.only] if self.only else []
        self.proc = subprocess.Popen([vimur_binary(), "run", "--config", self.config, *only],
                                     stdout=subprocess.DEVNULL, stderr=err)
        err.close()

    def wait_log(self, text, timeout=60):
        deadline = time.time() + timeout
        while text not in self.log():
            assert self.proc.poll() is None, f"vimur exited {self.proc.returncode}:\n{self.log()}"
            assert time.time() < deadline, f"no '{text}' in the log:\n{self.log()}"
            time.sleep(0.1)

    def alive(self):
        assert self.proc.poll() is None, f"vimur exited {self.proc.returncode}:\n{self.log()}"

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


def write_config(path, name, db, mariadb, kafka, sinks, server_id, registry_url=None):
    """A pipeline capturing `db` into Kafka (or, when `kafka` is None, the local log) with
    `sinks` (YAML list items), in JSON with schemas or, with `registry_url`, in Avro."""
    fmt = (f"format:\n  type: avro\n  registry_url: {registry_url}\n" if registry_url
           else "format:\n  type: json\n  schemas: true\n")
    transport = "" if kafka is None else f"""transport:
  type: kafka
  bootstrap_servers: {kafka.bootstrap}
"""
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
    include_tables: ['{db}\\..*']
{transport}{fmt}sinks:
{sinks}
""")
