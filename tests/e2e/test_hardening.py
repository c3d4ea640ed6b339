"""Faults found by attacking waxd: each test pins one down."""

import http.client
import json
import subprocess
import threading
import time
from urllib.parse import urlparse

from conftest import BIN, DATAFLOWS, Waxd, condition, phase, pid_alive
from test_lifecycle import deploy_counter


def process_pids(waxd, name):
    status, body = waxd.api("GET", f"/api/v1/namespaces/default/dataflows/{name}/processes")
    return [p["pid"] for p in body["items"]] if status == 200 else []


def test_a_second_waxd_cannot_take_a_port_in_use(waxd, tmp_path):
    port = urlparse(waxd.url).port
    other = tmp_path / "other"
    result = subprocess.run([str(BIN / "waxd"), "--data-dir", str(other), "--port", str(port)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "in use" in result.stderr


def test_a_failed_update_stops_the_old_processes(waxd):
    deploy_counter(waxd, "update", total=100000, delay=0.1, parts=2)
    waxd.wait_until("update", lambda d: condition(d, "Ready") == "True", what="Ready")
    old = process_pids(waxd, "update")
    deploy_counter(waxd, "update", total=100000, delay=0.1, parts=3)  # parts are fixed
    failed = waxd.wait_until("update", lambda d: phase(d) == "Failed", what="Failed")
    assert "spec.recovery.partsCount" in failed["status"]["lastError"]
    assert failed["status"]["processesReady"] == 0
    assert not any(pid_alive(pid) for pid in old), "status says Failed: nothing may run"


def test_open_streams_do_not_block_a_graceful_stop(tmp_path):
    daemon = Waxd(tmp_path / "data")
    daemon.data_dir.mkdir()
    daemon.start()
    waxctl = [str(BIN / "waxctl"), "--data-dir", str(daemon.data_dir)]
    subprocess.run([*waxctl, "dataflow", "deploy", str(DATAFLOWS / "counter.py"), "-e",
                    "COUNTER_TOTAL=100000"], check=True, capture_output=True)
    daemon.wait_until("counter", lambda d: condition(d, "Ready") == "True", what="Ready")
    follower = subprocess.Popen([*waxctl, "dataflow", "logs", "counter", "-f"],
                                stdout=subprocess.DEVNULL)
    time.sleep(1)
    started = time.time()
    daemon.stop()
    assert daemon.process.returncode == 0
    assert time.time() - started < 20, "waxd must not wait for open streams"
    follower.wait(timeout=20)


def test_streams_are_limited_and_the_api_stays_usable(waxd):
    url = urlparse(waxd.url)
    connections, refused = [], 0
    try:
        for _ in range(30):
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
            connection.request("GET", "/api/v1/dataflows?watch=true",
                               headers={"Authorization": f"Bearer {waxd.token}"})
            response = connection.getresponse()
            if response.status == 503:
                refused += 1
                assert "too many open streams" in json.loads(response.read())["message"]
                connection.close()
            else:
                assert response.status == 200
                connections.append(connection)
        assert refused > 0 and len(connections) >= 16
        status, body = waxd.api("GET", "/api/v1/dataflows")
        assert status == 200
    finally:
        for connection in connections:
            connection.close()
    time.sleep(2)  # closed streams give their places back
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    connection.request("GET", "/api/v1/dataflows?watch=true",
                       headers={"Authorization": f"Bearer {waxd.token}"})
    assert connection.getresponse().status == 200
    connection.close()


def test_a_dataflow_being_deleted_is_terminating_and_cannot_be_replaced(waxd):
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "stubborn.py")
    waxd.wait_until("stubborn", lambda d: condition(d, "Ready") == "True", what="Ready")
    waxd.waxctl("dataflow", "delete", "stubborn", "--yes", "--no-wait")
    terminating = waxd.wait_until("stubborn", lambda d: phase(d) == "Terminating",
                                  what="Terminating")
    replaced = waxd.api("PUT", "/api/v1/namespaces/default/dataflows/stubborn", terminating)
    assert replaced[0] == 409 and "being deleted" in replaced[1]["message"]
    waxd.waxctl("dataflow", "wait", "stubborn", "--for=delete", "--timeout=60s")


def test_forced_reset_stops_wipes_and_starts_again(waxd):
    deploy_counter(waxd, "reset", total=100000, delay=0.05, parts=2)
    waxd.wait_until("reset", lambda d: condition(d, "Ready") == "True", what="Ready")
    old = process_pids(waxd, "reset")
    body = {"name": "reset", "namespace": "default"}
    refused = waxd.api("PUT", "/dataflows/reset/reset-state", body)
    assert refused[0] == 409 and "suspend it first" in refused[1]["message"]
    assert waxd.api("PUT", "/dataflows/reset/reset-state", {**body, "force": True}) == (200, "ok")
    assert not any(pid_alive(pid) for pid in old)
    waxd.wait_until("reset", lambda d: condition(d, "Ready") == "True"
                    and set(process_pids(waxd, "reset")).isdisjoint(old), what="Ready again")


def test_bad_paths_and_bodies_get_clear_errors_not_500(waxd):
    status, body = waxd.api("GET", "/api/v1/namespaces/default/dataflows/%ff%fe")
    assert status == 404 and body["reason"] == "NotFound"
    status, body = waxd.api("GET", "/api/v1/namespaces/%00/dataflows")
    assert status == 400 and "namespace" in body["message"]
    code = {"metadata": {"name": "evil"}, "data": {"../../x.py": "print(1)"}}
    status, body = waxd.api("POST", "/api/v1/namespaces/default/configmaps", code)
    assert status == 422 and "relative file path" in body["message"]
    for dto, field in (({"name": "x", "fileUrl": 5}, "fileUrl"),
                       ({"name": "x", "namespace": 7}, "namespace"),
                       ({"name": "x", "fileContent": ["x"]}, "fileContent"),
                       ({"name": "x", "spec": []}, "spec")):
        status, body = waxd.api("POST", "/dataflows", dto)
        assert status == 400 and body["message"].startswith(field), body
    status, body = waxd.api("PUT", "/dataflows/x/reset-state", {"force": "yes"})
    assert status == 400 and body["message"].startswith("force")
    assert waxd.api("GET", "/api/v1/dataflows")[1]["items"] == []


def test_logs_of_a_process_that_does_not_exist(waxd):
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py")
    waxd.waxctl("dataflow", "wait", "fast", "--for=condition=Completed", "--timeout=120s")
    status, body = waxd.api("GET", "/api/v1/namespaces/default/dataflows/fast/log?process=99")
    assert status == 404 and "from 0 to 0" in body["message"]
    status, body = waxd.api("GET", "/api/v1/namespaces/default/dataflows/fast/log?previous=true")
    assert status == 404 and "no earlier log" in body["message"]
    status, body = waxd.api("GET", "/dataflows/fast/logs?pod_name=fast-0abc")
    assert status == 400 and "pod_name" in body["message"]


def test_data_directory_is_private(waxd):
    assert (waxd.data_dir / "store.db").stat().st_mode & 0o077 == 0


def test_local_start_makes_a_private_data_directory_and_log(tmp_path):
    data_dir = tmp_path / "new-data"
    waxctl = [str(BIN / "waxctl"), "--data-dir", str(data_dir)]
    subprocess.run([*waxctl, "local", "start"], check=True, capture_output=True, timeout=60)
    try:
        assert data_dir.stat().st_mode & 0o077 == 0
        assert (data_dir / "waxd.log").stat().st_mode & 0o077 == 0
    finally:
        subprocess.run([*waxctl, "local", "stop"], check=True, capture_output=True, timeout=60)


def test_waxd_refuses_a_python_that_does_not_exist(tmp_path):
    result = subprocess.run([str(BIN / "waxd"), "--data-dir", str(tmp_path), "--python",
                             "/nonexistent/python"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "--python" in result.stderr


def rss_mib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def send_chunked(waxd, megabytes, token=None):
    """POSTs `megabytes` of a chunked body; returns the status and the parsed answer."""
    url = urlparse(waxd.url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Transfer-Encoding": "chunked", "Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    chunk = b" " * (1024 * 1024)
    try:
        connection.putrequest("POST", "/api/v1/namespaces/default/configmaps")
        for name, value in headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        for _ in range(megabytes):
            connection.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        connection.send(b"0\r\n\r\n")
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered and closed before the whole body was sent
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, json.loads(body)


def test_chunked_bodies_are_limited_and_need_the_token_first(waxd):
    before = rss_mib(waxd.process.pid)
    status, body = send_chunked(waxd, 200)
    assert status == 401
    status, body = send_chunked(waxd, 40, waxd.token)
    assert status == 413
    assert "over 16 MiB" in body["message"]
    assert rss_mib(waxd.process.pid) - before < 64, "the refused bodies were kept in memory"
    status, _ = waxd.api("GET", "/api/v1/dataflows")
    assert status == 200
