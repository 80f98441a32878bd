"""End-to-end metrics: `vimur run` with metrics_listen serves /metrics (checked with
prometheus_client's own text parser) and /health; `vimur status` prints the running pipeline's
figures, and the stored positions once it has stopped."""
import html.parser
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from conftest import vimur_binary

N = 300


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read().decode(), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("Content-Type")


def scrape(port):
    """{(sample name, frozenset(labels)): value}, parsed by prometheus_client."""
    status, body, content_type = get(f"http://127.0.0.1:{port}/metrics")
    assert status == 200, body
    assert content_type.startswith("text/plain; version=0.0.4"), content_type
    samples = {}
    types = {}
    for family in text_string_to_metric_families(body):
        types[family.name] = family.type
        for s in family.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, types


def status_output(config):
    env = dict(os.environ, VIMUR_E2E_PASSWORD="vimur")
    r = subprocess.run([vimur_binary(), "status", "--config", config], capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def wait_until(predicate, what, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_snapshot_progress(mariadb, vimur_factory):
    """The initial snapshot's progress per table: rows read, the estimate, what is left, and
    whether it runs; then an incremental snapshot of one table counts on the same series."""
    rows = {"a": 3000, "b": 1200}
    mariadb.execute("DROP DATABASE IF EXISTS msnap", "CREATE DATABASE msnap",
                    *[f"CREATE TABLE msnap.{t} (id INT PRIMARY KEY, v VARCHAR(20))" for t in rows],
                    *[f"INSERT INTO msnap.{t} SELECT seq, CONCAT('v', seq) FROM "
                      f"msnap.seq_1_to_{n}" for t, n in rows.items()],
                    *[f"ANALYZE TABLE msnap.{t}" for t in rows])
    vimur = vimur_factory(mariadb, [r"msnap\..*"],
                          extra_source="    snapshot: initial\n    snapshot_chunk_rows: 500")
    port = free_port()
    with open(vimur.config, "a") as f:
        f.write(f"metrics_listen: 127.0.0.1:{port}\n")
    vimur.start()

    def labels(table):
        return frozenset({("source", "db"), ("table", f"msnap.{table}")})

    def snapshot_done():
        samples, _ = scrape(port)
        done = all(samples.get(("vimur_snapshot_rows_total", labels(t))) == n
                   for t, n in rows.items())
        return samples if done else None
    samples = wait_until(snapshot_done, "vimur_snapshot_rows_total of both tables")
    for t, n in rows.items():
        assert samples[("vimur_snapshot_running", labels(t))] == 0
        assert samples[("vimur_snapshot_rows_remaining", labels(t))] == 0
        # InnoDB's estimate after ANALYZE is near the real count, not exact.
        assert 0.5 * n <= samples[("vimur_snapshot_rows_estimate", labels(t))] <= 2 * n

    env = dict(os.environ, VIMUR_E2E_PASSWORD="vimur")
    r = subprocess.run([vimur_binary(), "snapshot", "--config", vimur.config, "--table", "msnap.b",
                        "--wait", "--timeout", "120"],
                       capture_output=True, text=True, env=env, timeout=180)
    assert r.returncode == 0, r.stdout + r.stderr
    samples = wait_until(
        lambda: (lambda s: s if s.get(("vimur_snapshot_rows_total", labels("b"))) == 2 * rows["b"]
                 else None)(scrape(port)[0]), "the incremental snapshot's rows")
    assert samples[("vimur_snapshot_running", labels("b"))] == 0
    assert samples[("vimur_snapshot_rows_total", labels("a"))] == rows["a"]
    vimur.stop()


def test_metrics_over_tls_with_basic_auth_and_secrets_in_files(mariadb, vimur_factory, tmp_path):
    """metrics_access: HTTPS with basic auth (401 without it), `vimur status` through it; the
    source password and the listener's password come from files, never show in the log, and
    `vimur check` warns about secret files that others can read."""
    import ssl
    mariadb.execute("CREATE DATABASE IF NOT EXISTS metrics",
                    "CREATE TABLE IF NOT EXISTS metrics.t (id INT PRIMARY KEY, v VARCHAR(20))")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    source_pw, ops_pw = tmp_path / "db.pw", tmp_path / "ops.pw"
    source_pw.write_text("vimur\n")
    ops_pw.write_text("0ps-S3cret-metrics\n")
    for path in (source_pw, ops_pw, key):
        os.chmod(path, 0o600)
    vimur = vimur_factory(mariadb, [r"metrics\.t"])
    with open(vimur.config) as f:
        text = f.read()
    assert "password: ${VIMUR_E2E_PASSWORD}" in text
    port = free_port()
    with open(vimur.config, "w") as f:
        f.write(text.replace("password: ${VIMUR_E2E_PASSWORD}", f"password_file: {source_pw}"))
        f.write(f"metrics_listen: 127.0.0.1:{port}\n"
                f"metrics_access: {{tls_cert: {cert}, tls_key: {key}, username: ops, "
                f"password_file: {ops_pw}}}\n")
    vimur.start()
    base = f"https://127.0.0.1:{port}"
    context = ssl.create_default_context(cafile=cert)

    def fetch(path, user=None, password=None):
        request = urllib.request.Request(base + path)
        if user is not None:
            import base64
            token = base64.b64encode(f"{user}:{password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    assert fetch("/metrics")[0] == 401
    assert fetch("/health", "ops", "wrong")[0] == 401
    status, body = fetch("/metrics", "ops", "0ps-S3cret-metrics")
    assert status == 200 and "vimur_source_up" in body, body
    assert fetch("/health", "ops", "0ps-S3cret-metrics") == (200, "ok\n")
    # Plain HTTP to the HTTPS port gets no metrics.
    try:
        plain = get(f"http://127.0.0.1:{port}/metrics")
    except (urllib.error.URLError, ConnectionError, OSError):
        plain = None
    assert plain is None or plain[0] != 200, plain

    out = status_output(vimur.config)
    assert out.startswith("pipeline shop: running"), out

    def check():
        r = subprocess.run([vimur_binary(), "check", "--config", vimur.config],
                           capture_output=True, text=True, timeout=60)
        return r.stdout + r.stderr
    os.chmod(vimur.config, 0o600)
    assert "warn" not in check()
    os.chmod(vimur.config, 0o644)
    os.chmod(ops_pw, 0o644)
    out = check()
    assert f"warn  configuration {vimur.config} can be read by other users (mode 644)" in out, out
    assert f"warn  metrics_access.password_file {ops_pw} can be read" in out, out
    vimur.stop()
    with open(os.path.join(vimur.workdir, f"vimur.{vimur.runs}.log")) as f:
        log = f.read()
    assert "serving https" in log and "(basic auth)" in log, log
    assert "0ps-S3cret-metrics" not in log + out


def chromium(*args, user_data_dir):
    """Headless Chromium from Debian's package with the flags this closed network needs."""
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-dev-shm-usage", f"--user-data-dir={user_data_dir}", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    return r.stdout


class PageCells(html.parser.HTMLParser):
    """{(data-kind, data-name): {data-field: text}} and {data-chart: polyline point count}."""

    def __init__(self):
        super().__init__()
        self.rows, self.charts = {}, {}
        self.row = self.field = self.chart = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-kind" in a:
            self.row = self.rows.setdefault((a["data-kind"], a["data-name"]), {})
        elif tag == "td" and "data-field" in a and self.row is not None:
            self.field = a["data-field"]
            self.row[self.field] = ""
        elif tag == "figure" and "data-chart" in a:
            self.chart = a["data-chart"]
            self.charts[self.chart] = 0
        elif tag == "polyline" and self.chart is not None:
            self.charts[self.chart] = len(a.get("points", "").split())

    def handle_endtag(self, tag):
        if tag == "td":
            self.field = None
        elif tag == "tr":
            self.row = None
        elif tag == "figure":
            self.chart = None

    def handle_data(self, data):
        if self.field is not None:
            self.row[self.field] += data


def test_status_page_in_headless_chromium(mariadb, vimur_factory, tmp_path):
    """The page at / shows the figures /metrics has, and charts the last samples; a screenshot
    is taken (kept in the test's directory)."""
    mariadb.execute("DROP DATABASE IF EXISTS mpage", "CREATE DATABASE mpage",
                    "CREATE TABLE mpage.t (id INT PRIMARY KEY, v VARCHAR(20))",
                    "INSERT INTO mpage.t SELECT seq, CONCAT('v', seq) FROM mpage.seq_1_to_500")
    vimur = vimur_factory(mariadb, [r"mpage\.t"], extra_source="    snapshot: initial")
    port = free_port()
    with open(vimur.config, "a") as f:
        f.write(f"metrics_listen: 127.0.0.1:{port}\nmetrics_history_interval_s: 1\n")
    vimur.start()
    conn = mariadb.connect()
    with conn.cursor() as cur:
        for i in range(501, 701):
            cur.execute("INSERT INTO mpage.t VALUES (%s, %s)", (i, f"v{i}"))
    conn.close()
    src = frozenset({("source", "db")})
    samples = wait_until(lambda: (lambda s: s if s.get(("vimur_source_events_total", src), 0)
                                  >= 700 else None)(scrape(port)[0]), "700 events acknowledged")
    time.sleep(3)  # a few history samples after the writes
    samples, _ = scrape(port)

    dom = chromium("--virtual-time-budget=8000", "--dump-dom", f"http://127.0.0.1:{port}/",
                   user_data_dir=str(tmp_path / "chromium"))
    page = PageCells()
    page.feed(dom)
    assert 'data-updated="yes"' in dom, dom[:3000]
    source = page.rows[("source", "db")]
    assert source["state"] == "running", source
    assert int(source["events"]) == samples[("vimur_source_events_total", src)], source
    position = [dict(k[1])["position"] for k in samples if k[0] == "vimur_source_position_info"]
    assert source["position"] == position[0], (source, position)
    snapshot = page.rows[("snapshot", "db/mpage.t")]
    table = src | {("table", "mpage.t")}
    assert int(snapshot["rows"]) == samples[("vimur_snapshot_rows_total", table)] == 500, snapshot
    assert snapshot["state"] == "done", snapshot
    assert page.charts.get("source/db/events", 0) >= 2, page.charts
    assert page.charts.get("process/rss_bytes", 0) >= 2, page.charts

    shot = tmp_path / "status-page.png"
    chromium("--virtual-time-budget=8000", f"--screenshot={shot}", "--window-size=1280,1200",
             f"http://127.0.0.1:{port}/", user_data_dir=str(tmp_path / "chromium"))
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000, len(data)
    print(f"\nstatus page screenshot: {shot} ({len(data)} bytes)")
    vimur.stop()


def test_metrics_health_and_status(mariadb, vimur_factory):
    mariadb.execute("DROP DATABASE IF EXISTS metrics", "CREATE DATABASE metrics",
                    "CREATE TABLE metrics.t (id INT PRIMARY KEY, v VARCHAR(20))")
    vimur = vimur_factory(mariadb, [r"metrics\.t"])
    port = free_port()
    with open(vimur.config, "a") as f:
        f.write(f"metrics_listen: 127.0.0.1:{port}\n")
    vimur.start()
    src = frozenset({("source", "db")})

    conn = mariadb.connect()
    with conn.cursor() as cur:
        for i in range(N):
            cur.execute("INSERT INTO metrics.t VALUES (%s, %s)", (i, f"v{i}"))
    conn.close()
    vimur.wait_for(lambda recs: sum(1 for r in recs if r["topic"] == "shop.metrics.t") >= N)

    def acknowledged():
        samples, types = scrape(port)
        if samples.get(("vimur_source_events_total", src)) == N:
            return samples, types
        return None
    samples, types = wait_until(acknowledged, f"vimur_source_events_total == {N}")
    assert types["vimur_source_events"] == "counter"
    assert samples[("vimur_source_transactions_total", src)] == N
    assert types["vimur_source_ack_lag_ms"] == "histogram"
    assert samples[("vimur_source_ack_lag_ms_count", src)] == N
    assert samples[("vimur_source_ack_lag_ms_bucket", src | {("le", "+Inf")})] == N
    lag = samples[("vimur_source_lag_ms", src)]
    # Commit times are whole seconds: the lag is at most a little over one second here.
    assert 0 <= lag < 30000, lag
    assert samples[("vimur_source_up", src)] == 1
    # Measured when streaming starts: the binlog from the start position to the newest file.
    assert samples[("vimur_source_retained_binlog_files", src)] >= 1
    assert samples[("vimur_source_retained_bytes", src)] >= 0
    positions = [dict(k[1])["position"] for k in samples if k[0] == "vimur_source_position_info"]
    assert len(positions) == 1 and positions[0], positions
    assert samples[("process_resident_memory_bytes", frozenset())] > 1 << 20
    assert samples[("process_cpu_seconds_total", frozenset())] > 0

    status, body, _ = get(f"http://127.0.0.1:{port}/health")
    assert (status, body) == (200, "ok\n")

    out = status_output(vimur.config)
    assert out.startswith("pipeline shop: running"), out
    line = next(l for l in out.splitlines() if l.startswith("source"))
    assert line.split()[1:4] == ["db", "running", str(N)], out

    # The database goes away: the source reconnects with backoff, and /health says which.
    mariadb.script("stop")
    status, body = wait_until(
        lambda: (lambda r: r[:2] if r[0] == 503 else None)(
            get(f"http://127.0.0.1:{port}/health")), "/health 503")
    assert body == "source db is not running\n", body
    samples, _ = scrape(port)
    assert samples[("vimur_source_up", src)] == 0
    assert samples[("vimur_source_reconnects_total", src)] >= 1
    line = next(l for l in status_output(vimur.config).splitlines() if l.startswith("source"))
    assert line.split()[1:4] == ["db", "down", str(N)], line

    vimur.stop()
    out = status_output(vimur.config)
    assert out.startswith("pipeline shop: not running"), out
    line = next(l for l in out.splitlines() if l.startswith("source"))
    assert line.split()[1:4] == ["db", "not", "running"], out
    # The stored position is the one /metrics showed (its GTID set; heartbeats may move the
    # file:pos on).
    assert positions[0].split(" (")[0] in line, (positions[0], line)


def test_a_remote_metrics_address_needs_consent(mariadb, vimur_factory, tmp_path):
    vimur = vimur_factory(mariadb, [r"metrics\.t"])
    with open(vimur.config, "a") as f:
        f.write(f"metrics_listen: 0.0.0.0:{free_port()}\n")
    env = dict(os.environ, VIMUR_E2E_PASSWORD="vimur")
    r = subprocess.run([vimur_binary(), "run", "--config", vimur.config], capture_output=True,
                       text=True, env=env, timeout=60)
    assert r.returncode == 2, r.stderr
    assert "metrics_allow_remote: true" in r.stderr, r.stderr

