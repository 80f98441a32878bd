"""End-to-end: what a PostgreSQL source passes on besides row changes, and how it receives
transactions still in progress. Logical decoding messages (pg_logical_emit_message) reach the
`<prefix>.message` topic as Debezium's op `m` events, transactional ones only when committed."""
import base64
import os

from test_postgres_capture import PgVimur, pg_vimur  # noqa: F401 (the fixture)


def test_logical_decoding_messages_are_passed_on_as_debezium_message_events(postgres_server,
                                                                           pg_vimur):
    pg = postgres_server
    pg.execute("CREATE SCHEMA IF NOT EXISTS msg",
               "CREATE TABLE msg.orders (id int PRIMARY KEY, note text)")
    vimur = pg_vimur(pg, "msg", [r"msg\.orders"])
    vimur.start()
    with pg.connect() as conn:
        with conn.transaction():
            conn.execute("INSERT INTO msg.orders VALUES (1, 'one')")
            conn.execute("SELECT pg_logical_emit_message(true, 'outbox', 'order 1 created')")
        conn.execute("BEGIN")
        conn.execute("SELECT pg_logical_emit_message(true, 'outbox', 'rolled back')")
        conn.execute("INSERT INTO msg.orders VALUES (2, 'gone')")
        conn.execute("ROLLBACK")
        conn.execute("SELECT pg_logical_emit_message(false, 'audit', '\\x00ff01'::bytea)")
        conn.execute("INSERT INTO msg.orders VALUES (3, 'three')")
    topic = "pgmsg.message"
    recs = vimur.wait_for(
        lambda r: any(x["topic"] == "pgmsg.msg.orders" and x["key"] == {"id": 3} for x in r)
        and sum(1 for x in r if x["topic"] == topic) >= 2,
        timeout=60, what="two messages and the last insert")
    vimur.stop()
    messages = [r for r in recs if r["topic"] == topic]
    assert [m["key"] for m in messages] == [{"prefix": "outbox"}, {"prefix": "audit"}], messages
    outbox, audit = messages[0]["value"], messages[1]["value"]
    assert outbox["op"] == "m" and audit["op"] == "m"
    assert base64.b64decode(outbox["message"]["content"]) == b"order 1 created"
    assert outbox["message"]["prefix"] == "outbox"
    assert base64.b64decode(audit["message"]["content"]) == b"\x00\xff\x01"
    # The transactional message carries its transaction's id, like the row it was written with.
    insert = next(r for r in recs if r["topic"] == "pgmsg.msg.orders" and r["key"] == {"id": 1})
    assert outbox["source"]["txId"] == insert["value"]["source"]["txId"]
    assert outbox["source"]["db"] == "vimur" and outbox["source"]["connector"] == "postgresql"
    assert audit["source"]["txId"] is None
    assert outbox["source"]["lsn"] < audit["source"]["lsn"]
    # Nothing of the rolled-back transaction.
    assert not any(r["topic"] == "pgmsg.msg.orders" and r["key"] == {"id": 2} for r in recs)
    assert all(b"rolled back" not in base64.b64decode(m["value"]["message"]["content"])
               for m in messages)


def test_transactions_in_progress_are_spooled_and_handed_on_only_when_committed(
        postgres_server, pg_vimur):
    pg = postgres_server
    # A role whose walsender streams anything past 64 kB of changes (the server's minimum), so
    # a modest transaction arrives while in progress.
    pg.execute("DROP ROLE IF EXISTS vimur_stream",
               "CREATE ROLE vimur_stream LOGIN REPLICATION PASSWORD 'vimur'",
               "ALTER ROLE vimur_stream SET logical_decoding_work_mem = '64kB'",
               "GRANT CREATE ON DATABASE vimur TO vimur_stream",
               user="postgres", password="postgres")
    pg.execute("CREATE SCHEMA strm",
               "CREATE TABLE strm.items (id int PRIMARY KEY, note text)",
               user="vimur_stream", password="vimur")
    vimur = pg_vimur(pg, "strm", [r"strm\.items"])
    with open(vimur.config) as f:
        text = f.read()
    with open(vimur.config, "w") as f:
        f.write(text.replace("user: vimur\n", "user: vimur_stream\n"))
    vimur.start()
    big = pg.connect(user="vimur_stream")
    small = pg.connect(user="vimur_stream")
    big.execute("BEGIN")
    big.execute("INSERT INTO strm.items SELECT g, repeat('n', 30) FROM generate_series(1, 20000) g")
    big.execute("SAVEPOINT s")
    big.execute("INSERT INTO strm.items SELECT g, 'gone' FROM generate_series(50001, 55000) g")
    big.execute("ROLLBACK TO SAVEPOINT s")
    # Committed while the big transaction is open: it comes first.
    small.execute("INSERT INTO strm.items VALUES (99999, 'small')")
    big.execute("INSERT INTO strm.items SELECT g, 'late' FROM generate_series(20001, 20010) g")
    big.execute("COMMIT")
    big.execute("BEGIN")
    big.execute("INSERT INTO strm.items SELECT g, 'aborted' "
                "FROM generate_series(60001, 80000) g")
    big.execute("ROLLBACK")
    small.execute("INSERT INTO strm.items VALUES (100000, 'last')")
    big.close()
    small.close()
    topic = "pgstrm.strm.items"
    recs = vimur.wait_for(
        lambda r: any(x["topic"] == topic and x["key"] == {"id": 100000} for x in r),
        timeout=120, what="the last insert")
    log = open(vimur.workdir + "/vimur.1.log").read()
    vimur.stop()
    ids = [r["key"]["id"] for r in recs if r["topic"] == topic and r["value"]]
    with pg.connect(user="vimur_stream") as conn:
        table = [row[0] for row in conn.execute("SELECT id FROM strm.items ORDER BY id")]
    assert sorted(ids) == table
    assert len(ids) == len(set(ids)) == 20012
    assert ids[0] == 99999 and ids[-1] == 100000, (ids[:3], ids[-3:])
    assert "transactions in progress streamed" in log
    assert "arrived while in progress" in log, log[-3000:]
    spool = os.path.join(vimur.state_dir, vimur.name, "spool", "db")
    assert not os.path.exists(spool) or os.listdir(spool) == []
