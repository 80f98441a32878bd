"""End-to-end regressions of capture faults (issue 9) against a real MariaDB through `vimur run`
(stdout transport): what the schema-change topic carries (never a password), XA transactions
(published at commit, across restarts), CRC32 mismatches (re-read, not fatal) and memory across
many table shapes (VIMUR_TEST_LONG=1: 2,000 tables)."""
import os
import time

CAPTURED = [r"e2e\.orders", r"e2e\.marker"]


def setup(mariadb):
    mariadb.execute(
        "DROP DATABASE IF EXISTS e2e", "DROP DATABASE IF EXISTS e2e_other",
        "DROP USER IF EXISTS 'bob'@'%'", "DROP ROLE IF EXISTS auditor",
        "CREATE DATABASE e2e",
        "CREATE TABLE e2e.marker (id INT AUTO_INCREMENT PRIMARY KEY, tag VARCHAR(50))",
        "CREATE TABLE e2e.orders (id INT PRIMARY KEY, amount INT)")


def wait_for_marker(vimur, mariadb, tag):
    mariadb.execute(f"INSERT INTO e2e.marker (tag) VALUES ('{tag}')")
    return vimur.wait_for(
        lambda recs: any(r["topic"] == "shop.e2e.marker" and r["value"] and
                         r["value"]["after"] and r["value"]["after"]["tag"] == tag
                         for r in recs), what=f"marker {tag}")


def everything_written(vimur):
    """Every byte vimur wrote: the records of every run (stdout) and every log (stderr)."""
    text = b""
    for run in range(1, vimur.runs + 1):
        for name in (f"events.{run}.jsonl", f"vimur.{run}.log"):
            with open(os.path.join(vimur.workdir, name), "rb") as f:
                text += f.read()
    return text


def order_ids(records):
    return [r["value"]["after"]["id"] for r in records
            if r["topic"] == "shop.e2e.orders" and r["value"] and r["value"]["after"]]


def test_01_schema_topic_carries_captured_ddl_only_and_never_accounts(mariadb, vimur_factory):
    setup(mariadb)
    vimur = vimur_factory(mariadb, CAPTURED)
    vimur.start()
    mariadb.execute(
        # Account statements: never published, never logged (they carry passwords).
        "CREATE USER 'bob'@'%' IDENTIFIED BY 'hunter2'",
        "ALTER USER 'bob'@'%' IDENTIFIED BY 'hunter2-altered'",
        "SET PASSWORD FOR 'bob'@'%' = PASSWORD('hunter2-set')",
        "GRANT SELECT ON e2e.* TO 'bob'@'%'",
        "REVOKE SELECT ON e2e.* FROM 'bob'@'%'",
        "CREATE ROLE auditor",
        "GRANT auditor TO 'bob'@'%'",
        "/* leading comment */ CREATE OR REPLACE USER 'bob'@'%' IDENTIFIED BY 'hunter2-replaced'",
        "DROP ROLE auditor",
        "DROP USER 'bob'@'%'",
        # DDL of a database no include_tables pattern names: not published.
        "CREATE DATABASE e2e_other",
        "CREATE TABLE e2e_other.secret_plans (id INT PRIMARY KEY)",
        "ALTER TABLE e2e_other.secret_plans ADD COLUMN x INT",
        "DROP DATABASE e2e_other",
        # A table of a captured database that is not captured itself: not published.
        "CREATE TABLE e2e.not_captured (id INT PRIMARY KEY)",
        # DDL of a captured table: published.
        "ALTER TABLE e2e.orders ADD COLUMN note VARCHAR(20) NULL",
        "INSERT INTO e2e.orders VALUES (1, 10, 'after-ddl')",
    )
    records = wait_for_marker(vimur, mariadb, "ddl-filter")
    vimur.stop()
    ddl = [r["value"]["ddl"] for r in records if r["topic"] == "shop" and r["value"]]
    assert any("ADD COLUMN note" in d for d in ddl), ddl
    assert not [d for d in ddl if "e2e_other" in d or "not_captured" in d], ddl
    assert not [d for d in ddl if "USER" in d.upper() or "GRANT" in d.upper()], ddl
    written = everything_written(vimur)
    assert b"hunter2" not in written, "a password left vimur"
    assert b"'bob'" not in written and b"auditor" not in written
    assert b"secret_plans" not in written
    assert order_ids(records) == [1]


def xa(mariadb_conn, xid, statements, end):
    with mariadb_conn.cursor() as cur:
        cur.execute(f"XA START '{xid}'")
        for s in statements:
            cur.execute(s)
        cur.execute(f"XA END '{xid}'")
        if end == "one phase":
            cur.execute(f"XA COMMIT '{xid}' ONE PHASE")
        else:
            cur.execute(f"XA PREPARE '{xid}'")


def test_02_xa_rows_published_when_and_only_when_committed(mariadb, vimur_factory):
    setup(mariadb)
    vimur = vimur_factory(mariadb, CAPTURED)
    vimur.start()
    a = mariadb.connect()
    b = mariadb.connect()
    xa(a, "xa-commit", ["INSERT INTO e2e.orders VALUES (1, 10)",
                        "INSERT INTO e2e.orders VALUES (2, 20)"], "prepare")
    xa(b, "xa-rollback", ["INSERT INTO e2e.orders VALUES (3, 30)"], "prepare")
    # A plain transaction commits while both are prepared.
    mariadb.execute("INSERT INTO e2e.orders VALUES (4, 40)")
    records = wait_for_marker(vimur, mariadb, "prepared")
    assert order_ids(records) == [4], "rows of a prepared XA published before its commit"
    with a.cursor() as cur:
        cur.execute("XA COMMIT 'xa-commit'")
    with b.cursor() as cur:
        cur.execute("XA ROLLBACK 'xa-rollback'")
    xa(a, "xa-one-phase", ["INSERT INTO e2e.orders VALUES (5, 50)"], "one phase")
    a.close()
    b.close()
    records = wait_for_marker(vimur, mariadb, "xa-done")
    vimur.stop()
    assert order_ids(records) == [4, 1, 2, 5]
    commit = [r for r in records if r["topic"] == "shop.e2e.orders" and r["value"]][1]
    assert commit["value"]["op"] == "c"
    assert commit["value"]["source"]["gtid"], commit


def test_03_xa_restart_between_prepare_and_commit(mariadb, vimur_factory):
    setup(mariadb)
    vimur = vimur_factory(mariadb, CAPTURED)
    vimur.start()
    a = mariadb.connect()
    xa(a, "xa-across-stop", ["INSERT INTO e2e.orders VALUES (1, 10)"], "prepare")
    mariadb.execute("INSERT INTO e2e.orders VALUES (2, 20)")
    wait_for_marker(vimur, mariadb, "before-stop")
    vimur.stop()  # the XA is prepared, and the position stored is past later transactions
    vimur.start()
    wait_for_marker(vimur, mariadb, "still-prepared")
    with a.cursor() as cur:
        cur.execute("XA COMMIT 'xa-across-stop'")  # committed while vimur runs again
    b = mariadb.connect()
    xa(b, "xa-across-kill", ["INSERT INTO e2e.orders VALUES (3, 30)"], "prepare")
    c = mariadb.connect()
    xa(c, "xa-rolled-back", ["INSERT INTO e2e.orders VALUES (4, 40)"], "prepare")
    mariadb.execute("INSERT INTO e2e.orders VALUES (5, 50)")
    wait_for_marker(vimur, mariadb, "before-kill")
    vimur.kill9()
    with b.cursor() as cur:
        cur.execute("XA COMMIT 'xa-across-kill'")  # committed while vimur is down
    with c.cursor() as cur:
        cur.execute("XA ROLLBACK 'xa-rolled-back'")
    mariadb.execute("INSERT INTO e2e.orders VALUES (6, 60)")
    for conn in (a, b, c):
        conn.close()
    vimur.start(wait_for_offsets=False)
    records = wait_for_marker(vimur, mariadb, "after-restarts")
    vimur.stop()
    ids = order_ids(records)
    assert set(ids) == {1, 2, 3, 5, 6}, ids
    # Each committed XA is published after the prepare's later transactions, at its commit.
    assert ids.index(1) > ids.index(2) and ids.index(3) > ids.index(5), ids


def test_04_crc_mismatch_rereads_instead_of_exiting(mariadb, vimur_factory):
    setup(mariadb)
    vimur = vimur_factory(mariadb, CAPTURED)
    vimur.start()
    vimur.stop()
    mariadb.execute("INSERT INTO e2e.orders VALUES (7, 70)",
                    "INSERT INTO e2e.marker (tag) VALUES ('CRC-PAYLOAD-0123456789')")
    # Damage one byte of the row event on the server's disk, as a bad read or a proxy would.
    binlog_dir = os.path.join(mariadb.dir, "binlog")
    newest = sorted(f for f in os.listdir(binlog_dir) if f[-6:].isdigit())[-1]
    path = os.path.join(binlog_dir, newest)
    with open(path, "rb") as f:
        data = f.read()
    at = data.rindex(b"CRC-PAYLOAD-0123456789") + 12
    with open(path, "r+b") as f:
        f.seek(at)
        f.write(b"X")
    try:
        vimur.start()
        log = os.path.join(vimur.workdir, f"vimur.{vimur.runs}.log")
        deadline = time.time() + 30
        while b"CRC32 mismatch" not in open(log, "rb").read():
            assert vimur.proc.poll() is None, "vimur exited at a CRC32 mismatch:\n" + vimur.log()
            assert time.time() < deadline, "no CRC32 mismatch seen:\n" + vimur.log()
            time.sleep(0.02)
    finally:
        with open(path, "r+b") as f:
            f.seek(at)
            f.write(b"0")
    assert vimur.proc.poll() is None, vimur.log()
    records = wait_for_marker(vimur, mariadb, "after-crc")
    vimur.stop()
    assert "re-reading" in vimur.log()
    tags = [r["value"]["after"]["tag"] for r in records
            if r["topic"] == "shop.e2e.marker" and r["value"]]
    assert tags == ["CRC-PAYLOAD-0123456789", "after-crc"], tags
    assert order_ids(records) == [7]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def test_05_memory_stays_bounded_across_many_table_shapes(mariadb, vimur_factory):
    # Issue-sized (VIMUR_TEST_LONG=1): 2,000 tables; CI: 60. Each table, of its own shape, gets
    # one transaction of about 2.5 MB: the serializers' per-table caches must not keep any
    # transaction's row storage alive.
    long_run = os.environ.get("VIMUR_TEST_LONG") == "1"
    tables = 2000 if long_run else 60
    rows = 2000 if long_run else 10000
    setup(mariadb)
    ddl = []
    for t in range(tables):
        extra = "".join(f", c{k} INT DEFAULT {k}" for k in range(t % 9))
        ddl.append(f"CREATE TABLE e2e.shape_{t} (id INT PRIMARY KEY, pad VARCHAR(255){extra})")
    mariadb.execute(*ddl)
    vimur = vimur_factory(mariadb, [r"e2e\..*"])
    with open(vimur.config) as f:
        text = f.read()
    with open(vimur.config, "w") as f:
        f.write(text.replace("state_dir:", "queue_max_bytes: 8388608\nstate_dir:"))
    vimur.start()
    conn = mariadb.connect()
    with conn.cursor() as cur:
        cur.execute("SET SESSION max_recursive_iterations = 1000000")
        for t in range(tables):
            cur.execute(f"INSERT INTO e2e.shape_{t} (id, pad) WITH RECURSIVE n(i) AS "
                        f"(SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
                        "SELECT i, REPEAT('m', 240) FROM n")
    conn.close()
    deadline = time.time() + (3600 if long_run else 600)
    mariadb.execute("INSERT INTO e2e.marker (tag) VALUES ('shapes-done')")
    out = os.path.join(vimur.workdir, f"events.{vimur.runs}.jsonl")
    while b"shapes-done" not in open(out, "rb").read()[-4096:]:
        assert vimur.proc.poll() is None, vimur.log()
        assert time.time() < deadline, "vimur did not catch up:\n" + vimur.log()
        time.sleep(0.5)
    time.sleep(1)
    rss = rss_mb(vimur.proc.pid)
    print(f"RSS after {tables} tables x {rows} rows: {rss:.0f} MB")
    vimur.stop()
    with open(out, "rb") as f:
        published = sum(1 for line in f if b'"topic":"shop.e2e.shape_' in line)
    assert published == tables * rows
    assert rss < 80, f"RSS {rss:.0f} MB after {tables} table shapes with an 8 MiB queue"
