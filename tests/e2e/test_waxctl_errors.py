"""waxctl's answers to mistakes: usage errors exit 2 and name the argument, errors exit 1 and
say what to do, and nothing is signalled, waited for or echoed that should not be."""

import http.server
import json
import signal
import subprocess
import threading
import time

import pytest

from conftest import BIN, DATAFLOWS, pid_alive


def waxctl(*args, timeout=120):
    return subprocess.run([str(BIN / "waxctl"), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


# --- local mode -------------------------------------------------------------------------------

def test_stop_with_a_stale_state_file_leaves_the_process_of_a_reused_pid_alone(tmp_path):
    data_dir = tmp_path / "wax"
    data_dir.mkdir()
    sleeper = subprocess.Popen(["sleep", "1000"])
    try:
        (data_dir / "waxd.json").write_text(
            json.dumps({"url": "http://127.0.0.1:1", "pid": sleeper.pid}))
        result = waxctl("--data-dir", data_dir, "local", "stop", "--timeout", "1")
        assert result.returncode == 0, result.stderr
        assert "waxd is not running" in result.stdout
        assert "stopped" not in result.stdout
        time.sleep(0.2)
        assert sleeper.poll() is None, "an unrelated process was signalled"
        assert not (data_dir / "waxd.json").exists()
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.parametrize("timeout", ["0", "-1", "abc", "nan"])
def test_stop_timeout_must_be_a_positive_number(tmp_path, timeout):
    result = waxctl("--data-dir", tmp_path, "local", "stop", f"--timeout={timeout}")
    assert result.returncode == 2, result
    assert "--timeout" in result.stderr


def test_status_tells_a_waxd_that_does_not_answer_from_one_that_does_not_run(waxd):
    pid = waxd.process.pid
    waxd.process.send_signal(signal.SIGSTOP)
    try:
        text = waxd.waxctl("local", "status", check=False)
        assert text.returncode == 1
        assert f"waxd is running but not answering (pid {pid})" in text.stdout
        assert "waxd is not running" not in text.stdout
        body = json.loads(waxd.waxctl("local", "status", "-o", "json", check=False).stdout)
        assert body["running"] is True and body["answering"] is False and body["pid"] == pid
    finally:
        waxd.process.send_signal(signal.SIGCONT)
    body = json.loads(waxd.waxctl("local", "status", "-o", "json").stdout)
    assert body["answering"] is True
    assert body["log"] == str(waxd.data_dir / "waxd.log")


def test_status_json_names_the_log_when_not_running(tmp_path):
    result = waxctl("--data-dir", tmp_path, "local", "status", "-o", "json")
    assert result.returncode == 1
    body = json.loads(result.stdout)
    assert body["running"] is False and body["log"] == str(tmp_path / "waxd.log")


def test_start_fails_at_once_with_the_log_when_waxd_exits(tmp_path):
    data_dir = tmp_path / "wax"
    began = time.monotonic()
    result = waxctl("--data-dir", data_dir, "local", "start", "--waxd-arg=--bogus")
    assert time.monotonic() - began < 10
    assert result.returncode == 1
    assert "waxd exited before it was ready" in result.stderr
    assert "--bogus" in result.stderr


def test_global_flags_are_accepted_after_subcommands(tmp_path, waxd):
    elsewhere = tmp_path / "elsewhere"
    result = waxctl("local", "status", "--data-dir", elsewhere)
    assert result.returncode == 1 and str(elsewhere) in result.stdout, result
    listing = waxctl("dataflow", "list", "--data-dir", waxd.data_dir)
    assert listing.returncode == 0 and "No dataflows found" in listing.stdout, listing
    remote = waxctl("df", "ls", "-A", "--server", waxd.url, "--token", waxd.token)
    assert remote.returncode == 0, remote


# --- deploy -----------------------------------------------------------------------------------

def test_concurrent_deploys_of_one_name_all_succeed(waxd):
    flow = DATAFLOWS / "fast.py"
    deploys = [subprocess.Popen(
        [str(BIN / "waxctl"), "--data-dir", str(waxd.data_dir), "df", "deploy", str(flow), "-N",
         "same", "--yes"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(10)]
    results = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in deploys]
    for code, out, err in results:
        assert code == 0, err
        assert "dataflow default/same" in out
    assert sum("created" in out for _, out, _ in results) <= 1


def usage(tmp_path, *args):
    result = waxctl("--data-dir", tmp_path, *args)
    assert result.returncode == 2, result
    return result.stderr


def test_deploy_usage_mistakes_exit_2_and_name_the_argument(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_text("x = 1\n")
    (tmp_path / "code.tar").write_bytes(b"\0")
    assert "PATH or -F" in usage(tmp_path, "df", "deploy")
    assert "-f/--python-file-name" in usage(tmp_path, "df", "deploy", tmp_path / "code.tar")
    assert "-e/--env \"NOEQUALS\"" in usage(tmp_path, "df", "deploy", flow, "-e", "NOEQUALS")
    assert (f"PATH: {tmp_path} is a directory; give a .py file or a tarball"
            in usage(tmp_path, "df", "deploy", tmp_path))
    assert "does not exist" in usage(tmp_path, "df", "deploy", tmp_path / "missing.py")
    for name in ["_.py", "ÄÖ.py"]:
        (tmp_path / name).write_text("x = 1\n")
        assert (f"cannot make a dataflow name from {name}; pass -N NAME"
                in usage(tmp_path, "df", "deploy", tmp_path / name))


def test_an_invalid_dataflow_stays_exit_1(tmp_path):
    flow = tmp_path / "flow.py"
    flow.write_text("x = 1\n")
    result = waxctl("--data-dir", tmp_path, "df", "deploy", flow, "-p", "0", "--dry-run")
    assert result.returncode == 1 and "spec.processesCount" in result.stderr


@pytest.mark.parametrize("content,message", [
    ("- a\n- b\n", "the manifest is a list"),
    ("hello\n", "the manifest is a scalar"),
    ("metadata: [1]\nspec: {}\n", "metadata is a list"),
    ("metadata: {name: x}\nspec: [1]\n", "spec is a list"),
])
def test_a_manifest_that_is_not_a_mapping_names_the_field(tmp_path, content, message):
    manifest = tmp_path / "df.yaml"
    manifest.write_text(content)
    result = waxctl("--data-dir", tmp_path, "df", "deploy", "-F", manifest, "--dry-run")
    assert result.returncode == 1
    assert message in result.stderr and "json.exception" not in result.stderr


# --- the other dataflow commands --------------------------------------------------------------

@pytest.mark.parametrize("args,named", [
    (["df", "get", ""], "NAME \"\""),
    (["df", "get", "My-Flow"], "NAME \"My-Flow\""),
    (["df", "get", "x", "-n", ""], "-n/--namespace \"\""),
    (["df", "logs", "x-"], "NAME \"x-\""),
    (["df", "suspend", "a_b"], "NAME"),
    (["df", "resume", "x", "-n", "Prod"], "-n/--namespace"),
    (["df", "delete", "UP", "--yes"], "NAME"),
    (["df", "wait", "UP", "--for=delete"], "NAME"),
    (["df", "list", "-n", "Bad"], "-n/--namespace"),
    (["df", "logs", "x", "--process", "-1"], "--process -1"),
    (["df", "logs", "x", "--tail", "-1"], "--tail -1"),
    (["df", "wait", "x", "--for=condition=ready"], "condition=Ready"),
    (["df", "wait", "x", "--for=condition=Ready", "--timeout", "99999999999999999999"],
     "--timeout"),
    (["df", "wait", "x", "--for=condition=Ready", "--timeout", "10000000000s"], "--timeout"),
    (["df", "wait", "x", "--for=condition=Ready", "--timeout", "soon"], "--timeout"),
])
def test_bad_arguments_are_rejected_before_any_request(tmp_path, args, named):
    # No waxd runs for tmp_path: a request would fail with exit 1 instead.
    stderr = usage(tmp_path, *args)
    assert named in stderr
    assert "stoll" not in stderr


# --- --server answers -------------------------------------------------------------------------

class NotWax(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 401 if self.path.startswith("/api/v1/namespaces/locked") else 404
        body = ("<html>\n<head><title>Not Found</title></head>\n<body>" + "x" * 500
                + "</body></html>").encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def not_wax():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotWax)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_a_server_that_is_not_wax_is_named_briefly(tmp_path, not_wax):
    result = waxctl("--data-dir", tmp_path, "--server", not_wax, "df", "get", "x")
    assert result.returncode == 1
    message = result.stderr.strip()
    assert f"the server at {not_wax} answered 404 and does not look like a Wax API" in message
    assert "\n" not in message and len(message) < 400


def test_unauthorized_says_how_to_give_a_token_and_never_echoes_credentials(tmp_path, not_wax):
    url = not_wax.replace("http://", "http://alice:hunter2@")
    result = waxctl("--data-dir", tmp_path, "--server", not_wax, "df", "get", "x", "-n", "locked")
    assert result.returncode == 1
    assert "pass --token or set WAX_TOKEN" in result.stderr
    redacted = waxctl("--data-dir", tmp_path, "--server", url, "df", "get", "x")
    assert redacted.returncode == 1
    assert "hunter2" not in redacted.stderr and "alice" not in redacted.stderr, redacted.stderr


def test_unauthorized_locally_points_at_the_token_file(waxd):
    (waxd.data_dir / "token").write_text("not-the-token-4711\n")
    result = waxd.waxctl("df", "list", check=False)
    assert result.returncode == 1
    assert str(waxd.data_dir / "token") in result.stderr
    assert "4711" not in result.stderr
    assert pid_alive(waxd.process.pid)
