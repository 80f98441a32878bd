"""End to end: `vimur verify` reading a source table and its copy by key range (no Kafka: verify
reads the databases only, the copies are made here by hand). MariaDB -> MariaDB and PostgreSQL ->
PostgreSQL compare checksums per key range inside the databases and rows only where they differ;
MariaDB -> PostgreSQL merges the rows of both in key order. Each finds a single changed value, a
NULL against '', a missing and an extra row, and `--repair` brings the copy back."""
import subprocess

from conftest import vimur_binary

ROWS = 3000
CHUNK = 50  # rows per page; a checksum covers 16 pages (800 rows)


def config(path, source, target_url):
    with open(path, "w") as f:
        f.write(f"""name: ranges
state_dir: {path}.state
sources:
{source}transport:
  type: kafka
  bootstrap_servers: 127.0.0.1:9
format: {{type: json, schemas: true}}
sinks:
  - name: copy
    type: sql
    topics: ['ranges\\.vr\\.t']
    targets: {{copy: '{target_url}'}}
""")
    return path


def maria_source(mariadb):
    return f"""  - name: db
    type: mysql
    host: 127.0.0.1
    port: {mariadb.port}
    user: root
    password: root
    topic_prefix: ranges
    include_tables: ['vr\\.t']
"""


def pg_source(pg):
    return f"""  - name: db
    type: postgresql
    host: 127.0.0.1
    port: {pg.port}
    user: vimur
    password: vimur
    database: vimur
    topic_prefix: ranges
    include_tables: ['vr\\.t']
"""


def verify(path, *extra):
    return subprocess.run([vimur_binary(), "verify", "--config", path, "--sink", "copy",
                           "--recheck-s", "0", "--chunk-rows", str(CHUNK), *extra],
                          capture_output=True, text=True, timeout=120)


def checksummed(out):
    # "...; 123 chunk(s), 4 key range(s) equal by checksum"
    return int(out.split(" key range(s) equal by checksum")[0].rsplit(" ", 1)[1])


def check_differences(path, change, expect_checksums):
    """Identical first; then `change` (a function given the statements to run on the copy)
    makes one value differ, a NULL become '', a row go missing and one appear: all four are
    named; --repair fixes them."""
    r = verify(path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{ROWS} source row(s)" in r.stdout and f"{ROWS} target row(s)" in r.stdout, r.stdout
    ranges = checksummed(r.stdout)
    if expect_checksums:
        assert ranges == (ROWS + 799) // 800, r.stdout
    else:
        assert ranges == 0, r.stdout
    # One changed value in the middle of a range, and a NULL against '' (id 1500's note is NULL
    # at the source).
    change(["UPDATE {t} SET amount = amount + 0.01 WHERE id = 1234",
            "UPDATE {t} SET note = '' WHERE id = 1500"])
    r = verify(path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "2 difference(s): 0 missing, 0 extra, 2 differing" in r.stdout, r.stdout
    assert "{id=1234}" in r.stdout and "amount: source 12.34, target 12.35" in r.stdout, r.stdout
    assert "{id=1500}" in r.stdout and "note: source NULL, target " in r.stdout, r.stdout
    if expect_checksums:  # both in the range (800, 1600]: the others equal by checksum
        assert checksummed(r.stdout) == (ROWS + 799) // 800 - 1, r.stdout
    # A missing row, extra rows inside the key range, past its end and before its start.
    change(["DELETE FROM {t} WHERE id = 2222", "INSERT INTO {t} (id, amount) VALUES (-5, 1)",
            "INSERT INTO {t} (id, amount) VALUES (99999, 1)",
            "DELETE FROM {t} WHERE id = 700",
            "INSERT INTO {t} (id, amount) VALUES (700, 7.00)"])
    r = verify(path, "--show", "20")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "6 difference(s): 1 missing, 2 extra, 3 differing" in r.stdout, r.stdout
    assert "missing  copy.t {id=2222}" in r.stdout, r.stdout
    assert "extra    copy.t {id=-5}" in r.stdout and "{id=99999}" in r.stdout, r.stdout
    r = verify(path, "--repair")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "repaired 6 row(s)" in r.stdout, r.stdout
    assert verify(path).returncode == 0


def fill_mariadb(mariadb, db):
    mariadb.execute(
        f"DROP DATABASE IF EXISTS {db}", f"CREATE DATABASE {db}",
        f"CREATE TABLE {db}.t (id BIGINT PRIMARY KEY, amount DECIMAL(12,2) NOT NULL,"
        " note VARCHAR(20) NULL, created DATETIME(3) NULL, flag TINYINT NULL)"
        " DEFAULT CHARSET=utf8mb4")


def test_mariadb_copy_by_checksums(mariadb, tmp_path):
    fill_mariadb(mariadb, "vr")
    fill_mariadb(mariadb, "vr_copy")
    mariadb.execute(
        "INSERT INTO vr.t SELECT seq, seq / 100, IF(seq % 10 = 0, NULL, CONCAT('n,', seq)),"
        " '2024-01-01 00:00:00.5' + INTERVAL seq SECOND, seq % 3 FROM vr.seq_1_to_3000",
        "INSERT INTO vr_copy.t SELECT * FROM vr.t")
    path = config(str(tmp_path / "maria.yaml"), maria_source(mariadb),
                  f"mariadb://root:root@127.0.0.1:{mariadb.port}/vr_copy")

    def change(statements):
        mariadb.execute(*[s.format(t="vr_copy.t") for s in statements])
    check_differences(path, change, expect_checksums=True)


def test_postgres_copy_by_checksums(postgres_server, tmp_path):
    pg = postgres_server
    pg.execute("DROP SCHEMA IF EXISTS vr CASCADE", "DROP TABLE IF EXISTS public.t",
               "CREATE SCHEMA vr")
    for t in ("vr.t", "public.t"):
        pg.execute(f"CREATE TABLE {t} (id BIGINT PRIMARY KEY, amount NUMERIC(12,2) NOT NULL,"
                   " note VARCHAR(20) NULL, created TIMESTAMP(3) NULL, flag SMALLINT NULL)")
    pg.execute("INSERT INTO vr.t SELECT s, s / 100.0, CASE WHEN s % 10 = 0 THEN NULL"
               " ELSE 'n,' || s END, '2024-01-01 00:00:00.5'::timestamp + s * interval '1 second',"
               " s % 3 FROM generate_series(1, 3000) s",
               "INSERT INTO public.t SELECT * FROM vr.t")
    path = config(str(tmp_path / "pg.yaml"), pg_source(pg),
                  f"postgresql://vimur:vimur@127.0.0.1:{pg.port}/vimur")

    def change(statements):
        pg.execute(*[s.format(t="public.t") for s in statements])
    check_differences(path, change, expect_checksums=True)


def test_mariadb_to_postgres_merged_by_key(mariadb, postgres_server, tmp_path):
    pg = postgres_server
    fill_mariadb(mariadb, "vr")
    mariadb.execute(
        "INSERT INTO vr.t SELECT seq, seq / 100, IF(seq % 10 = 0, NULL, CONCAT('n,', seq)),"
        " '2024-01-01 00:00:00.5' + INTERVAL seq SECOND, seq % 3 FROM vr.seq_1_to_3000")
    pg.execute("DROP TABLE IF EXISTS public.t",
               "CREATE TABLE public.t (id BIGINT PRIMARY KEY, amount NUMERIC(12,2) NOT NULL,"
               " note TEXT NULL, created TIMESTAMP(3) NULL, flag SMALLINT NULL)")
    rows = mariadb.query("SELECT id, amount, note, created, flag FROM vr.t")
    with pg.connect() as conn:
        with conn.cursor().copy("COPY public.t FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    path = config(str(tmp_path / "cross.yaml"), maria_source(mariadb),
                  f"postgresql://vimur:vimur@127.0.0.1:{pg.port}/vimur")

    def change(statements):
        pg.execute(*[s.format(t="public.t") for s in statements])
    check_differences(path, change, expect_checksums=False)
