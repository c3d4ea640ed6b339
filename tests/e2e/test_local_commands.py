"""waxctl local start|status|stop manage a background waxd per data directory."""

import json
import subprocess

from conftest import BIN, pid_alive


def waxctl(data_dir, *args):
    return subprocess.run([str(BIN / "waxctl"), "--data-dir", str(data_dir), *args],
                          capture_output=True, text=True, timeout=120)


def test_start_status_stop(tmp_path):
    data_dir = tmp_path / "wax"
    stopped = waxctl(data_dir, "local", "status")
    assert stopped.returncode == 1 and "not running" in stopped.stdout

    started = waxctl(data_dir, "local", "start")
    assert started.returncode == 0, started.stderr
    try:
        status = json.loads(waxctl(data_dir, "local", "status", "-o", "json").stdout)
        assert status["running"] and status["dataDir"] == str(data_dir)
        assert status["url"].startswith("http://127.0.0.1:")
        text = waxctl(data_dir, "local", "status").stdout
        assert str(status["pid"]) in text and status["url"] in text

        again = waxctl(data_dir, "local", "start")
        assert again.returncode == 0 and "already running" in again.stdout
        listing = waxctl(data_dir, "dataflow", "list")
        assert listing.returncode == 0 and "No dataflows found" in listing.stdout
        token = (data_dir / "token").read_text().strip()
        assert token not in (data_dir / "waxd.log").read_text()
        assert (data_dir / "token").stat().st_mode & 0o777 == 0o600
    finally:
        result = waxctl(data_dir, "local", "stop")
    assert result.returncode == 0 and "stopped" in result.stdout
    assert not pid_alive(status["pid"])
    assert waxctl(data_dir, "local", "status").returncode == 1


def test_commands_without_waxd_say_how_to_start_it(tmp_path):
    result = waxctl(tmp_path / "nowhere", "dataflow", "list")
    assert result.returncode == 1
    assert "waxctl local start" in result.stderr
