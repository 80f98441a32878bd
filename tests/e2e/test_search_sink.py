"""End to end: the `search` sink keeps an OpenSearch 2.x index of `orders` documents equal to the
join computed from MariaDB, against real servers (scripts/opensearch, scripts/mariadb).

Writers insert, update and delete users, orders and order items in MariaDB (items move between
orders, orders change users, rows of any table go) while `vimur run --only sources` captures
them into the local log and `vimur run --only sinks` runs a search sink: one document per
order with its `order_items` array (by order_id) and its `user` (by user_id, the name only).
The sinks process is killed with kill -9 mid-run and restarted. After writes stop, every
document equals the join computed from MariaDB and there is no other document; deleting a
user and an item updates the documents that held them. Finally the join store is removed while
the sink is stopped: the restarted sink rebuilds it from the topics, so a later change of a user
still re-indexes that user's orders with all their items.

It runs in JSON with schemas and in Avro (the sink reads the records directly, schemas from a
`vimur registry`), each into indexes of its own.

Sizes: CI writes for a few seconds; VIMUR_TEST_LONG=1 runs longer, with more kills."""
import os
import random
import shutil
import subprocess
import threading
import time

import pytest

from conftest import vimur_binary
from kafka_fixtures import kafka  # noqa: F401
from opensearch_fixtures import opensearch  # noqa: F401
from sink_run import Run
from test_registry import Registry

LONG = os.environ.get("VIMUR_TEST_LONG") == "1"
WRITERS = 3
SECONDS = 40 if LONG else 6
RATE = 200 if LONG else 60  # transactions per second over all writers
KILLS = 3 if LONG else 1


def write_config(path, name, db, mariadb, kafka, opensearch_url, index, index_bq,  # noqa: F811
                 registry_url=None):
    """`index_bq`: the same documents, related rows by back-query (values as text)."""
    fmt = (f"type: avro\n  registry_url: {registry_url}" if registry_url
           else "type: json\n  schemas: true")
    with open(path, "w") as f:
        f.write(f"""name: {name}
state_dir: {os.path.dirname(path)}/state
sources:
  - name: db
    type: mysql
    port: {mariadb.port}
    user: vimur
    password: vimur
    server_id: 5961
    heartbeat_interval_ms: 500
    include_tables: ['{db}\\..*']
transport:
  type: kafka
  bootstrap_servers: {kafka.bootstrap}
  topic: {{partitions: 2}}
format:
  {fmt}
sinks:
  - name: docs
    type: search
    topics: ['{name}\\.{db}\\.(orders|order_items|users)']
    url: {opensearch_url}
    index: {index}
    root: '{name}\\.{db}\\.orders'
    mappings: '{{"properties": {{"status": {{"type": "keyword"}}}}}}'
    relations:
      - name: order_items
        topic: '{name}\\.{db}\\.order_items'
        key: order_id
        fields: [id, sku, qty]
      - name: user
        topic: '{name}\\.{db}\\.users'
        on: user_id
        fields: [name]
    batch_max_ms: 50
    retry_max_backoff_ms: 500
    lag_log_interval_s: 2
  - name: docs-bq
    type: search
    topics: ['{name}\\.{db}\\.(orders|order_items|users)']
    url: {opensearch_url}
    index: {index_bq}
    root: '{name}\\.{db}\\.orders'
    relations:
      - name: order_items
        topic: '{name}\\.{db}\\.order_items'
        key: order_id
        query: 'SELECT id, sku, qty FROM {db}.order_items WHERE order_id = ${{id}} ORDER BY id'
        url: 'mariadb://root:root@127.0.0.1:{mariadb.port}/{db}'
        fields: [id, sku, qty]
        ttl_ms: 600000
      - name: user
        topic: '{name}\\.{db}\\.users'
        on: user_id
        query: 'SELECT name FROM {db}.users WHERE id = ${{user_id}}'
        url: 'mariadb://root:root@127.0.0.1:{mariadb.port}/{db}'
        fields: [name]
        ttl_ms: 600000
    batch_max_ms: 50
    retry_max_backoff_ms: 500
""")


def workload(mariadb, db, stop, seed, counts):
    rng = random.Random(seed)
    conn = mariadb.connect(db=db)
    conn.autocommit(False)
    interval = WRITERS / RATE
    base = seed * 1_000_000
    users, orders, items = [], [], []
    n = 0
    while not stop.is_set():
        t0 = time.time()
        with conn.cursor() as cur:
            for _ in range(rng.randint(1, 4)):
                n += 1
                roll = rng.random()
                if roll < 0.15 or not users:
                    users.append(base + n)
                    cur.execute("INSERT INTO users VALUES (%s, %s)",
                                (base + n, rng.choice(["ann", "bö", "日本", "it's"]) + str(n)))
                elif roll < 0.35 or not orders:
                    orders.append(base + n)
                    # Some orders name a user that does not exist (yet): `user` is null.
                    user = rng.choice(users) if rng.random() < 0.9 else base + n + 7
                    cur.execute("INSERT INTO orders VALUES (%s, %s, %s)",
                                (base + n, user, rng.choice(["new", "paid"])))
                elif roll < 0.65:
                    items.append(base + n)
                    cur.execute("INSERT INTO order_items VALUES (%s, %s, %s, %s)",
                                (base + n, rng.choice(orders), f"sku-{rng.randint(1, 99)}",
                                 rng.randint(1, 5)))
                elif roll < 0.72:
                    cur.execute("UPDATE users SET name = CONCAT(name, 'x') WHERE id = %s",
                                (rng.choice(users),))
                elif roll < 0.80:
                    cur.execute("UPDATE orders SET status = %s, user_id = %s WHERE id = %s",
                                (rng.choice(["paid", "sent"]), rng.choice(users),
                                 rng.choice(orders)))
                elif roll < 0.88 and items:
                    # An item changes quantity or moves to another order.
                    cur.execute("UPDATE order_items SET qty = qty + 1, order_id = %s WHERE id = %s",
                                (rng.choice(orders), rng.choice(items)))
                elif roll < 0.93 and items:
                    cur.execute("DELETE FROM order_items WHERE id = %s", (rng.choice(items),))
                elif roll < 0.97:
                    cur.execute("DELETE FROM orders WHERE id = %s", (rng.choice(orders),))
                else:
                    cur.execute("DELETE FROM users WHERE id = %s", (rng.choice(users),))
        conn.commit()
        counts[seed] = counts.get(seed, 0) + 1
        time.sleep(max(0.0, interval - (time.time() - t0)))
    conn.close()


def expected_documents(mariadb, db, as_text=False):
    """The join computed from MariaDB: {order id as text: document}; `as_text`: the items'
    numbers as text, as a back-query reads them."""
    users = {r[0]: r[1] for r in mariadb.query(f"SELECT id, name FROM {db}.users")}
    docs = {}
    for oid, uid, status in mariadb.query(f"SELECT id, user_id, status FROM {db}.orders"):
        docs[str(oid)] = {"id": oid, "user_id": uid, "status": status, "order_items": [],
                          "user": {"name": users[uid]} if uid in users else None}
    for iid, oid, sku, qty in mariadb.query(
            f"SELECT id, order_id, sku, qty FROM {db}.order_items"):
        if str(oid) in docs:
            item = {"id": iid, "sku": sku, "qty": qty}
            docs[str(oid)]["order_items"].append(
                {k: str(v) for k, v in item.items()} if as_text else item)
    for d in docs.values():
        d["order_items"].sort(key=lambda i: int(i["id"]))
    return docs


def indexed_documents(opensearch, index):  # noqa: F811
    docs = opensearch.documents(index)
    for d in docs.values():
        d["order_items"] = sorted(d.get("order_items", []), key=lambda i: int(i["id"]))
    return docs


def wait_equal(mariadb, db, opensearch, sinks, index, as_text=False, timeout=120):  # noqa: F811
    """Waits until `index` holds the join and returns it; `as_text`: the back-query index."""
    deadline = time.time() + timeout
    while True:
        want = expected_documents(mariadb, db, as_text=as_text)
        have = indexed_documents(opensearch, index)
        if have == want:
            return want
        sinks.alive()
        if time.time() > deadline:
            missing = set(want) - set(have)
            extra = set(have) - set(want)
            differ = [k for k in set(want) & set(have) if want[k] != have[k]][:3]
            pytest.fail(f"index {index} never equalled the join: {len(missing)} missing, {len(extra)}"
                        f" extra, differing e.g. {[(want[k], have[k]) for k in differ]}\n"
                        f"{sinks.log()}")
        time.sleep(0.5)


@pytest.mark.parametrize("fmt", ["json", "avro"])
def test_search_documents_follow_the_join_through_kill9_and_a_store_rebuild(
        mariadb, kafka, opensearch, tmp_path, fmt):  # noqa: F811
    db = "ssearch"
    mariadb.execute(
        f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
        f"CREATE TABLE {db}.users (id BIGINT PRIMARY KEY, name VARCHAR(60) NOT NULL)"
        " DEFAULT CHARSET=utf8mb4",
        f"CREATE TABLE {db}.orders (id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL,"
        " status VARCHAR(10) NOT NULL)",
        f"CREATE TABLE {db}.order_items (id BIGINT PRIMARY KEY, order_id BIGINT NOT NULL,"
        " sku VARCHAR(20) NOT NULL, qty INT NOT NULL)")
    name = f"searche2e{random.randint(0, 10**6)}"
    config = str(tmp_path / "vimur.yaml")
    index, index_bq = f"orders_{fmt}", f"orders_bq_{fmt}"
    registry = None
    if fmt == "avro":  # read directly by the sinks, schemas from the registry
        os.mkdir(tmp_path / "registry")
        registry = Registry(kafka.bootstrap, str(tmp_path / "registry"))
        registry.start()
    write_config(config, name, db, mariadb, kafka, opensearch.url, index, index_bq,
                 registry.url if registry else None)
    r = subprocess.run([vimur_binary(), "check", "--config", config],
                       capture_output=True, text=True, timeout=60)
    assert f"ok    sink docs: search ({opensearch.url})" in r.stdout, r.stdout
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
        for _ in range(KILLS):
            time.sleep(SECONDS / (KILLS + 1))
            sinks.kill9()
            sinks.start()
        time.sleep(SECONDS / (KILLS + 1))
        stop.set()
        for w in writers:
            w.join()
        total = sum(counts.values())
        assert total >= SECONDS * RATE * 0.3, counts
        t0 = time.time()
        want = wait_equal(mariadb, db, opensearch, sinks, index)
        print(f"\n{total} transactions in {SECONDS} s, {KILLS} kill -9; {len(want)} documents"
              f" equal to the join {time.time() - t0:.1f} s after writes stopped")
        # Back-query mode: the same documents, the related rows read from MariaDB (cached for
        # ten minutes: only the related topics' changes refresh them).
        assert len(wait_equal(mariadb, db, opensearch, sinks, index_bq, as_text=True)) == len(want)
        assert len(want) > 20
        assert sum(1 for d in want.values() if d["order_items"]) > 5
        assert sum(1 for d in want.values() if d["user"] is None) > 0
        mapping = opensearch.mapping(index)
        assert mapping["properties"]["status"]["type"] == "keyword", mapping

        # Deleting a user and an item updates the documents that held them.
        with_user = next(d for d in want.values() if d["user"] is not None)
        with_item = next(d for d in want.values() if d["order_items"])
        mariadb.execute(f"DELETE FROM {db}.users WHERE id = {with_user['user_id']}",
                        f"DELETE FROM {db}.order_items WHERE id = "
                        f"{with_item['order_items'][0]['id']}")
        want = wait_equal(mariadb, db, opensearch, sinks, index)
        assert want[str(with_user["id"])]["user"] is None
        wait_equal(mariadb, db, opensearch, sinks, index_bq, as_text=True)
        # A root row's delete removes its document.
        gone = sorted(want)[0]
        mariadb.execute(f"DELETE FROM {db}.orders WHERE id = {gone}")
        want = wait_equal(mariadb, db, opensearch, sinks, index)
        assert gone not in want

        # The join store is lost while the sink is stopped: it is rebuilt from the topics, so a
        # user's change still finds that user's orders and their items.
        sinks.stop()
        store = os.path.join(str(tmp_path), "state", name, "sinks", "docs")
        assert os.path.exists(os.path.join(store, "data.mdb"))
        shutil.rmtree(store)
        sinks.start()
        sinks.wait_log("rebuilding it from the start of the topics")
        sinks.wait_log("the group's offsets are ignored")
        busy = max(want.values(), key=lambda d: len(d["order_items"]) if d["user"] else -1)
        mariadb.execute(f"UPDATE {db}.users SET name = 'renamed' WHERE id = {busy['user_id']}")
        want = wait_equal(mariadb, db, opensearch, sinks, index)
        assert want[str(busy["id"])]["user"] == {"name": "renamed"}
        assert "caught up" in sinks.log(tail=None)
        sinks.stop()
        sources.stop()
    finally:
        sources.close()
        sinks.close()
        if registry:
            registry.close()
