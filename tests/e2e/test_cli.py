"""The command-line contract: --help, --version, configuration errors and `vimur check`."""
import os
import subprocess

from conftest import vimur_binary


def run(*args, env=None):
    return subprocess.run([vimur_binary(), *args], capture_output=True, text=True, env=env,
                          timeout=60)


def write_config(tmp_path, text):
    path = tmp_path / "vimur.yaml"
    path.write_text(text)
    return str(path)


def config_for(mariadb, password="${PW}", extra=""):
    return f"""name: shop
state_dir: ./state
sources:
  - name: db
    type: mysql
    host: 127.0.0.1
    port: {mariadb.port}
    user: vimur
    password: {password}
    server_id: 5499
{extra}
transport:
  type: stdout
"""


def test_help_and_version():
    r = run("--help")
    assert r.returncode == 0 and "vimur run --config FILE" in r.stdout
    for sub in ("run", "check"):
        r = run(sub, "--help")
        assert r.returncode == 0 and f"vimur {sub} --config FILE" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and r.stdout.startswith("vimur ")
    r = run("frobnicate")
    assert r.returncode == 2 and "unknown command" in r.stderr


def test_bad_config_names_key_and_line(tmp_path):
    path = write_config(tmp_path, "name: shop\nsources:\n  - name: db\n    type: mysql\n"
                                  "    user: u\n    prot: 3306\n")
    r = run("run", "--config", path)
    assert r.returncode == 2
    assert f"{path}:6" in r.stderr and "sources[0].prot" in r.stderr


def test_unset_variable_is_reported(tmp_path, mariadb):
    path = write_config(tmp_path, config_for(mariadb))
    env = {k: v for k, v in os.environ.items() if k != "PW"}
    r = run("check", "--config", path, env=env)
    assert r.returncode == 2 and "PW is not set" in r.stderr


def test_check_passes_on_a_well_configured_server(tmp_path, mariadb):
    path = write_config(tmp_path, config_for(mariadb))
    r = run("check", "--config", path, env=dict(os.environ, PW="vimur"))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "all checks passed" in r.stdout
    assert "vimur" not in r.stderr.replace("vimur check", "")  # the password is never printed


def test_check_reports_wrong_password_and_settings(tmp_path, mariadb):
    path = write_config(tmp_path, config_for(mariadb))
    r = run("check", "--config", path, env=dict(os.environ, PW="wrong-secret"))
    assert r.returncode == 1 and "FAIL" in r.stdout
    assert "wrong-secret" not in r.stdout + r.stderr
    mariadb.execute("SET GLOBAL binlog_row_metadata = MINIMAL")
    try:
        r = run("check", "--config", path, env=dict(os.environ, PW="vimur"))
        assert r.returncode == 1
        assert "binlog_row_metadata" in r.stdout and "FULL" in r.stdout
    finally:
        mariadb.execute("SET GLOBAL binlog_row_metadata = FULL")
