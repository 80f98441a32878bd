"""End to end: `enrich:` adds columns to a sink's events, by a cached back-query and by a
stream join, against a real MariaDB and the embedded log.

`orders` rows of a `shop` are copied by two `sql` sinks in one `vimur run`: `bq` adds the user's
name and tier from `SELECT ... FROM users WHERE id = ${user_id}` (cached for ten minutes, so only
the invalidation by the `users` topic can refresh it), `sj` adds the user's name from a join
against the latest `users` rows kept in the sink's LMDB store. After a user is renamed or
deleted, the next change of one of their orders carries the new name (or NULL) in both copies.
Removing the join store makes the sink rebuild it from the start of the topics."""
import os
import shutil
import signal
import subprocess
import time
from decimal import Decimal

from conftest import vimur_binary


def write_config(path, mariadb):
    with open(path, "w") as f:
        f.write(f"""name: enr
state_dir: {os.path.dirname(path)}/state
sources:
  - name: db
    type: mysql
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: 6121
    heartbeat_interval_ms: 500
    include_tables: ['eshop\\.(users|orders)']
    snapshot: initial
transport:
  type: local
format:
  type: json
  schemas: true
sinks:
  - name: bq
    type: sql
    topics: ['enr\\.eshop\\.orders']
    targets: {{t: 'mariadb://root:root@127.0.0.1:{mariadb.port}/etarget'}}
    table: orders_bq
    create_tables: true
    batch_max_ms: 50
    enrich:
      - name: user
        query: 'SELECT name, tier FROM eshop.users WHERE id = ${{user_id}}'
        url: 'mariadb://root:root@127.0.0.1:{mariadb.port}/eshop'
        columns: [user_name, user_tier]
        ttl_ms: 600000
        invalidate: 'enr\\.eshop\\.users'
  - name: sj
    type: sql
    topics: ['enr\\.eshop\\.orders']
    targets: {{t: 'mariadb://root:root@127.0.0.1:{mariadb.port}/etarget'}}
    table: orders_sj
    create_tables: true
    batch_max_ms: 50
    enrich:
      - name: user
        join: 'enr\\.eshop\\.users'
        on: user_id
        columns: [name]
        prefix: u_
""")


def wait_for(what, check, timeout=60, nudge=None):
    """Polls `check` until it returns a true value; `nudge` runs between tries."""
    deadline = time.time() + timeout
    while True:
        got = check()
        if got:
            return got
        assert time.time() < deadline, f"timed out waiting for {what}"
        if nudge:
            nudge()
        time.sleep(0.3)


def target(mariadb, table):
    return {r[0]: r[1:] for r in mariadb.query(
        f"SELECT id, amount, user_id, {'user_name, user_tier' if table == 'orders_bq' else 'u_name'}"
        f" FROM etarget.{table} ORDER BY id")}


def test_back_query_and_stream_join_enrich_and_follow_the_related_rows(mariadb, tmp_path):
    mariadb.execute(
        "DROP DATABASE IF EXISTS eshop", "DROP DATABASE IF EXISTS etarget",
        "CREATE DATABASE eshop", "CREATE DATABASE etarget",
        "CREATE TABLE eshop.users (id INT PRIMARY KEY, name VARCHAR(40), tier INT)",
        "CREATE TABLE eshop.orders (id INT PRIMARY KEY, user_id INT, amount DECIMAL(10,2))",
        "INSERT INTO eshop.users VALUES (1, 'Ada', 3), (2, 'Bö ☃', 1), (3, 'Cy', NULL)",
        "INSERT INTO eshop.orders VALUES (1, 1, 10.50), (2, 2, 7.00), (3, 3, 1.25), "
        "(4, 1, 2.00), (5, NULL, 9.99), (6, 42, 3.00)")
    config = str(tmp_path / "vimur.yaml")
    write_config(config, mariadb)
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen([vimur_binary(), "run", "--config", config],
                            stdout=subprocess.DEVNULL, stderr=log)
    users = {1: ("Ada", "3"), 2: ("Bö ☃", "1"), 3: ("Cy", None)}
    try:
        def copied(table):
            rows = target(mariadb, table) if _exists(mariadb, table) else {}
            return rows if len(rows) == 6 else None

        bq = wait_for("the back-query copy", lambda: copied("orders_bq"))
        for oid, (amount, uid, name, tier) in bq.items():
            want = users.get(uid, (None, None))
            assert (name, tier) == want, (oid, name, tier)  # the tier as text: a string column
        assert bq[1][0] == Decimal("10.50")

        # The stream join sees a user once its row reached the store: a change of every order
        # until each carries its user's name (5 has no user, 6 a user that does not exist).
        def joined():
            rows = copied("orders_sj")
            if rows and all(r[2] == users.get(r[1], (None,))[0] for r in rows.values()):
                return rows
            return None
        bump = lambda: mariadb.execute("UPDATE eshop.orders SET amount = amount + 1")
        wait_for("the stream-join copy", joined, nudge=bump)

        # A renamed and a deleted user: the next change of their orders carries the new name or
        # NULL, in both copies (the back-query's ten-minute cache is dropped by the users topic).
        mariadb.execute("UPDATE eshop.users SET name = 'Ada L.', tier = 4 WHERE id = 1",
                        "DELETE FROM eshop.users WHERE id = 3")
        users = {1: ("Ada L.", "4"), 2: ("Bö ☃", "1")}

        def followed():
            bq, sj = target(mariadb, "orders_bq"), target(mariadb, "orders_sj")
            return (all((r[2], r[3]) == users.get(r[1], (None, None)) for r in bq.values()) and
                    all(r[2] == users.get(r[1], (None,))[0] for r in sj.values()))
        wait_for("the renamed and deleted user in both copies", followed, nudge=bump)

        # Without its store the join sink rebuilds it from the start of the topics.
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
        store = tmp_path / "state" / "enr" / "sinks" / "sj" / "enrich"
        assert (store / "data.mdb").exists()
        shutil.rmtree(store)
        mariadb.execute("UPDATE eshop.users SET name = 'Bo' WHERE id = 2")
        users[2] = ("Bo", "1")
        proc = subprocess.Popen([vimur_binary(), "run", "--config", config],
                                stdout=subprocess.DEVNULL, stderr=log)
        wait_for("the rebuilt join store", followed, nudge=bump)
        text = open(tmp_path / "run.log", errors="replace").read()
        assert "reading the topics from their start" in text, text[-3000:]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()


def _exists(mariadb, table):
    return mariadb.query("SELECT COUNT(*) FROM information_schema.tables WHERE "
                         f"table_schema = 'etarget' AND table_name = '{table}'")[0][0] == 1
