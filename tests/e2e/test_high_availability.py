"""End to end: high availability of `vimur run` through Kafka's own group membership.

Three `vimur run` processes with the same configuration (high_availability enabled,
exactly_once: true, each its own state_dir and metrics port) join one consumer group on the
control topic; the group runs the sources in one of them. While a writer commits TXNS source
transactions, whichever process owns the sources is killed with kill -9, KILLS times (each
killed process is started again, as a new standby, once another took over). At the end a
read_committed consumer must hold every change exactly once, per key in commit order, and the
test prints the time from each kill to the new owner's takeover (its log) and to its first
event (the envelope's ts_ms: when Vimur made the event; the killed process made nothing
after the kill). Last, the owner is stopped gracefully (SIGINT) while the writer still writes:
another process takes over at once, not after the session timeout.

A second test freezes the owner (SIGSTOP) past the session timeout: a standby takes over and
fences it; thawed, the old owner stops publishing, says why and waits as a standby.

Sizes: CI writes 3,000 transactions with 2 kills; VIMUR_TEST_LONG=1 the issue's size, 30,000
transactions with 3 kills."""
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from conftest import vimur_binary
from kafka_fixtures import kafka, kafka_vimur  # noqa: F401
from test_kafka_pipeline import Writer, check_delivery, setup_counter_schema, wait_for_all

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
TXNS = 30_000 if LONG else 3_000
KILLS = 3 if LONG else 2
WRITE_S = 75.0 if LONG else 45.0
CHUNK = 100 if LONG else 25  # transactions per writer call: a few calls a second
SESSION_MS = 6000  # the broker's group.min.session.timeout.ms


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError:
        return None, ""


def ha_state(member):
    """"owner", "standby" or None from the current run's log: its last word on the sources."""
    try:
        text = open(member.log_path(), errors="replace").read()
    except OSError:
        return None
    marks = {"took over sources of": "owner", "gave up the sources": "standby",
             "standby: ": "standby"}
    last, where = None, -1
    for mark, state in marks.items():
        at = text.rfind(mark)
        if at > where:
            last, where = state, at
    return last


def streaming(member):
    """The owner has read its start position and streams."""
    text = open(member.log_path(), errors="replace").read()
    took = text.rfind("took over sources of")
    return took >= 0 and ("streaming from" in text[took:] or "resuming from" in text[took:])


def owners(members):
    return [m for m in members if m.alive() and ha_state(m) == "owner"]


def wait_for_owner(members, timeout, streaming_too=True):
    deadline = time.time() + timeout
    while True:
        found = owners(members)
        if len(found) == 1 and (not streaming_too or streaming(found[0])):
            return found[0]
        assert len(found) <= 1, "two processes own the sources:\n" + "\n".join(
            m.log() for m in found)
        assert time.time() < deadline, "no process took over the sources:\n" + "\n".join(
            m.log() for m in members)
        for m in members:
            assert m.proc is None or m.alive(), f"a member exited:\n{m.log()}"
        time.sleep(0.02)


def test_kill9_of_the_owner_hands_the_sources_over_losing_and_duplicating_nothing(
        mariadb, kafka, kafka_vimur):
    db = "ha"
    setup_counter_schema(mariadb, db)
    members, ports = [], []
    for _ in range(3):
        port = free_port()
        ports.append(port)
        members.append(kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"], extra_top=f"""
metrics_listen: 127.0.0.1:{port}
high_availability:
  enabled: true
  session_timeout_ms: {SESSION_MS}
  heartbeat_interval_ms: 1000""", extra_transport="""
  exactly_once: true
  topic: {partitions: 3}"""))
    for m in members:
        m.start(wait=False)
    owner = wait_for_owner(members, 90)
    # The standbys say so in their log, /health (200) and /metrics.
    deadline = time.time() + 30
    while any(ha_state(m) != "standby" for m in members if m is not owner):
        assert time.time() < deadline, "\n".join(m.log() for m in members)
        time.sleep(0.05)
    for m, port in zip(members, ports):
        status, body = get(f"http://127.0.0.1:{port}/health")
        _, metrics = get(f"http://127.0.0.1:{port}/metrics")
        gauge = 'vimur_ha_owner{unit="sources"} ' + ("1" if m is owner else "0")
        assert gauge in metrics, metrics
        if m is not owner:
            assert status == 200 and "standby" in body, (status, body)
        shown = subprocess.run([vimur_binary(), "status", "--config", m.config],
                               capture_output=True, text=True, timeout=30)
        assert shown.returncode == 0, shown.stderr
        row = next(line for line in shown.stdout.splitlines() if line.startswith("source"))
        assert ("standby" in row) == (m is not owner), shown.stdout

    writer = Writer(mariadb, db, TXNS, duration=WRITE_S, chunk=CHUNK)
    writer.start()
    kills = []  # (kill time, seconds until another process logged its takeover)
    for k in range(KILLS):
        time.sleep(4.0)
        owner = wait_for_owner(members, 60)
        assert writer.is_alive(), "the writer finished before every kill: raise WRITE_S"
        killed_at = time.time()
        owner.kill9()
        successor = wait_for_owner(members, SESSION_MS / 1000 + 60, streaming_too=False)
        took = time.time() - killed_at
        assert successor is not owner
        kills.append((killed_at, took))
        owner.start(wait=False)  # back as a standby
        deadline = time.time() + 30
        while ha_state(owner) != "standby":
            assert owner.alive(), owner.log()
            assert time.time() < deadline, owner.log()
            time.sleep(0.05)
    # A graceful stop (SIGINT) of the owner drains, commits and leaves the group: another
    # process takes over without waiting for the session timeout.
    time.sleep(3.0)
    owner = wait_for_owner(members, 60)
    assert writer.is_alive(), "the writer finished before the graceful stop: raise WRITE_S"
    stopped_at = time.time()
    owner.stop()
    stop_took = time.time() - stopped_at
    wait_for_owner(members, 60, streaming_too=False)
    handover = time.time() - stopped_at
    owner.start(wait=False)
    writer.finish()
    owner = wait_for_owner(members, 60)
    records = wait_for_all(kafka, owner, db, TXNS, "read_committed", 240)
    # Standbys first: stopping the owner hands the sources to one of them at once.
    for m in sorted(members, key=lambda m: m is owner):
        m.stop()
    check_delivery(mariadb, db, records, TXNS, exactly_once=True)

    made = sorted(json.loads(r.value)["ts_ms"] for r in records if r.value is not None)
    print(f"\n{TXNS} transactions, {KILLS} kill -9 of the owner, 3 processes, "
          f"session_timeout_ms {SESSION_MS}: nothing lost, nothing duplicated")
    for k, (killed_at, took) in enumerate(kills):
        killed_ms = killed_at * 1000
        first = next((t for t in made if t >= killed_ms), None)
        assert first is not None, f"no event after kill {k + 1}"
        print(f"kill {k + 1}: takeover logged after {took:.2f} s, first event from the new "
              f"owner {(first - killed_ms) / 1000:.2f} s after the kill")
        assert took < SESSION_MS / 1000 + 30
    print(f"graceful stop of the owner: it exited after {stop_took:.2f} s, another process "
          f"took over {handover:.2f} s after the signal")
    assert handover < stop_took + SESSION_MS / 1000 / 2


def test_a_stalled_owner_is_fenced_and_becomes_a_standby(mariadb, kafka, kafka_vimur):
    """The owner is frozen (SIGSTOP) longer than session_timeout_ms: a standby takes over and
    fences its producer. Thawed (SIGCONT), the old owner must stop publishing at once, say
    why, and wait as a standby (not exit, not restart its pipeline), and a read_committed
    consumer must still see every change exactly once."""
    db = "hz"
    setup_counter_schema(mariadb, db)
    members = [kafka_vimur(mariadb, kafka, db, [rf"{db}\..*"], extra_top=f"""
high_availability:
  enabled: true
  session_timeout_ms: {SESSION_MS}
  heartbeat_interval_ms: 1000""", extra_transport="""
  exactly_once: true
  topic: {partitions: 3}""") for _ in range(2)]
    for m in members:
        m.start(wait=False)
    zombie = wait_for_owner(members, 90)
    other = next(m for m in members if m is not zombie)
    total = 1000
    writer = Writer(mariadb, db, total, duration=15.0, chunk=10)
    writer.start()
    time.sleep(3.0)
    zombie.proc.send_signal(signal.SIGSTOP)
    deadline = time.time() + SESSION_MS / 1000 + 60
    while not (ha_state(other) == "owner" and streaming(other)):
        assert other.alive() and time.time() < deadline, other.log()
        time.sleep(0.05)
    time.sleep(2.0)  # the new owner publishes meanwhile
    zombie.proc.send_signal(signal.SIGCONT)
    deadline = time.time() + 60
    while ha_state(zombie) != "standby":
        assert zombie.alive(), f"the fenced process exited:\n{zombie.log()}"
        assert time.time() < deadline, zombie.log()
        time.sleep(0.05)
    log = open(zombie.log_path(), errors="replace").read()
    assert "fenced" in log or "session of" in log, log[-3000:]
    writer.finish()
    records = wait_for_all(kafka, other, db, total, "read_committed", 120)
    assert zombie.alive(), zombie.log()
    assert ha_state(zombie) == "standby", zombie.log()
    assert open(zombie.log_path(), errors="replace").read().count("took over sources of") == 1
    zombie.stop()
    other.stop()
    check_delivery(mariadb, db, records, total, exactly_once=True)
    why = "fenced" if "fenced:" in log else "session lost"
    print(f"\nstalled owner: gave up the sources ({why}) and waits as a standby; "
          f"{total} transactions exactly once")
