"""WaxAPI over HTTP against a real waxd: the Bytewax Platform's logsv2 options (tail_lines,
limit_bytes, follow), the resource API's watch stream, and --io-timeout on a client that stops
half-way through its request."""

import json
import re
import socket
import subprocess
import threading
import time
from urllib.parse import urlparse

import pytest
import requests

from conftest import BIN, DATAFLOWS, Waxd, condition


def headers(waxd):
    return {"Authorization": f"Bearer {waxd.token}"}


def logsv2(waxd, name, **query):
    answer = requests.get(f"{waxd.url}/dataflows/{name}/logsv2", headers=headers(waxd),
                          params={"namespace": "default", "pod_name": f"{name}-0", **query},
                          timeout=30)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_logsv2_tail_lines_and_limit_bytes_cut_the_log(waxd):
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py")
    waxd.waxctl("dataflow", "wait", "fast", "--for=condition=Completed", "--timeout=120s")
    whole = logsv2(waxd, "fast")
    lines = whole.splitlines(keepends=True)
    assert "fast: item 5\n" in lines and len(lines) > 3, whole

    assert logsv2(waxd, "fast", tail_lines=3) == "".join(lines[-3:])
    assert logsv2(waxd, "fast", limit_bytes=10) == whole[:10]
    assert logsv2(waxd, "fast", tail_lines=2, limit_bytes=5) == "".join(lines[-2:])[:5]
    assert logsv2(waxd, "fast", tail_lines=0) == ""


def deploy_slow_counter(waxd, name):
    """A counter that prints `counter: emitted N` about every 0.5 s, for a long time."""
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "counter.py", "--name", name, "-p", 1,
                "-e", "COUNTER_TOTAL=1000000", "-e", "COUNTER_DELAY=0.05",
                "-e", "COUNTER_PARTITIONS=1",
                "-e", f"COUNTER_OUTPUT={waxd.data_dir / (name + '.jsonl')}")
    waxd.wait_until(name, lambda d: condition(d, "Ready") == "True", what="Ready")


def emitted(text):
    return [int(n) for n in re.findall(r"counter: emitted (\d+)", text)]


def test_logsv2_follow_streams_lines_written_after_the_request(waxd):
    deploy_slow_counter(waxd, "follow")
    with requests.get(f"{waxd.url}/dataflows/follow/logsv2", headers=headers(waxd),
                      params={"namespace": "default", "pod_name": "follow-0", "follow": "true",
                              "tail_lines": 1},
                      stream=True, timeout=30) as answer:
        assert answer.status_code == 200
        assert answer.headers.get("Transfer-Encoding") == "chunked"
        started = time.monotonic()
        numbers = []
        # chunk_size=1: urllib3 would otherwise wait for 512 bytes before yielding any.
        for line in answer.iter_lines(chunk_size=1, decode_unicode=True):
            numbers += emitted(line)
            if len(numbers) >= 4 or time.monotonic() - started > 60:
                break
    # The first line is the tail of the log as it was; three more were written after it.
    assert len(numbers) >= 4 and numbers == sorted(set(numbers)), numbers
    assert time.monotonic() - started >= 1.0, "the lines came as they were written, not at once"


def test_logsv2_follow_ends_at_limit_bytes(waxd):
    deploy_slow_counter(waxd, "limited")
    started = time.monotonic()
    text = logsv2(waxd, "limited", follow="true", tail_lines=0, limit_bytes=60)
    assert len(text.encode()) == 60, text
    assert emitted(text), "it waited for new lines rather than ending empty"
    assert time.monotonic() - started < 30


def manifest(name, env_value):
    return {"apiVersion": "bytewax.io/v1alpha1", "kind": "Dataflow",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py", "suspend": True,
                     "env": [{"name": "MARK", "value": env_value}]}}


class Watch:
    """A watch of the default namespace's Dataflows read on a thread, one event a line."""

    def __init__(self, waxd, **query):
        self.answer = requests.get(f"{waxd.url}/api/v1/namespaces/default/dataflows",
                                   headers=headers(waxd), params={"watch": "true", **query},
                                   stream=True, timeout=30)
        self.events = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for line in self.answer.iter_lines(chunk_size=1, decode_unicode=True):
                if line:
                    self.events.append(json.loads(line))
        except (requests.RequestException, ValueError, AttributeError):
            pass  # closed by close() (urllib3 then reads from a socket it has dropped)

    def of(self, name):
        return [(event["type"], event["object"]) for event in self.events
                if event["object"]["metadata"]["name"] == name]

    def wait_for(self, name, event_type, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(kind == event_type for kind, _ in self.of(name)):
                return self.of(name)
            time.sleep(0.1)
        raise AssertionError(f"no {event_type} event for {name}: {self.events}")

    def close(self):
        self.answer.close()


def mark(obj):
    return obj["spec"]["env"][0]["value"]


def replace_mark(url, waxd, value, attempts=10):
    """Read, change, replace, as a client of optimistic concurrency does: waxd writes the
    status meanwhile, and a replace of an older version gets 409 and is tried again."""
    for _ in range(attempts):
        current = requests.get(url, headers=headers(waxd), timeout=30).json()
        current["spec"]["env"][0]["value"] = value
        replaced = requests.put(url, json=current, headers=headers(waxd), timeout=30)
        if replaced.status_code != 409:
            assert replaced.status_code == 200, replaced.text
            return
    raise AssertionError(f"still 409 after {attempts} attempts: {replaced.text}")


def test_a_watch_streams_added_modified_and_deleted(waxd):
    watch = Watch(waxd)
    try:
        url = f"{waxd.url}/api/v1/namespaces/default/dataflows"
        created = requests.post(url, json=manifest("watched", "one"), headers=headers(waxd),
                                timeout=30)
        assert created.status_code == 201, created.text
        watch.wait_for("watched", "ADDED")
        replace_mark(url + "/watched", waxd, "two")
        removed = requests.delete(f"{url}/watched", headers=headers(waxd), timeout=30)
        assert removed.status_code == 200, removed.text
        events = watch.wait_for("watched", "DELETED")
    finally:
        watch.close()
    types = [kind for kind, _ in events]
    assert types[0] == "ADDED" and types[-1] == "DELETED" and types.count("DELETED") == 1, types
    assert set(types[1:-1]) == {"MODIFIED"}, types  # the change, and status written by waxd
    assert mark(events[0][1]) == "one"
    assert any(mark(obj) == "two" for kind, obj in events if kind == "MODIFIED")
    versions = [int(obj["metadata"]["resourceVersion"]) for _, obj in events]
    assert versions == sorted(versions) and len(set(versions)) == len(versions), versions


def test_a_watch_resumes_after_a_resource_version_and_410_when_it_cannot(waxd):
    url = f"{waxd.url}/api/v1/namespaces/default/dataflows"
    created = requests.post(url, json=manifest("resumed", "one"), headers=headers(waxd),
                            timeout=30)
    assert created.status_code == 201, created.text
    after = created.json()["metadata"]["resourceVersion"]
    assert requests.delete(f"{url}/resumed", headers=headers(waxd),
                           timeout=30).status_code == 200
    watch = Watch(waxd, resourceVersion=after)
    try:
        events = watch.wait_for("resumed", "DELETED")
    finally:
        watch.close()
    # What happened after `after`, and only that: never the ADDED it was the version of.
    assert "ADDED" not in [kind for kind, _ in events], events
    assert all(int(obj["metadata"]["resourceVersion"]) > int(after) for _, obj in events)

    ahead = requests.get(url, headers=headers(waxd), timeout=30,
                         params={"watch": "true", "resourceVersion": "999999999"})
    assert ahead.status_code == 410, ahead.text
    assert ahead.json()["reason"] == "Expired"  # as the Kubernetes API names a 410
    assert "list again" in ahead.json()["message"]


def test_a_watch_from_a_version_compacted_away_gets_410(waxd):
    """waxd keeps the last 10,000 changes for watches (openSqliteStore's historyLimit); a
    watch from before them must list again. Some 10,000 writes: about 30 s."""
    url = f"{waxd.url}/api/v1/namespaces/default/configmaps"
    current = requests.post(url, headers=headers(waxd), timeout=30, json={
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "churn"},
        "data": {"n": "0"}}).json()
    first = current["metadata"]["resourceVersion"]
    with requests.Session() as session:
        for n in range(1, 10_002):  # each a change: the versions after `first`, and one more
            current["data"]["n"] = str(n)
            current = session.put(f"{url}/churn", json=current, headers=headers(waxd),
                                  timeout=30).json()
    assert int(current["metadata"]["resourceVersion"]) - int(first) > 10_000
    with requests.get(f"{waxd.url}/api/v1/namespaces/default/dataflows", stream=True,
                      params={"watch": "true", "resourceVersion": first},
                      headers=headers(waxd), timeout=30) as old:
        assert old.status_code == 410, old.status_code
        assert "too old resource version" in old.json()["message"]


@pytest.fixture
def impatient_waxd(tmp_path):
    daemon = Waxd(tmp_path / "data", ["--io-timeout", "2s"])
    daemon.data_dir.mkdir()
    daemon.start()
    yield daemon
    daemon.stop()


def half_request_lifetime(waxd):
    """Sends half a request, then nothing; returns how long until the server hangs up."""
    url = urlparse(waxd.url)
    with socket.create_connection((url.hostname, url.port), timeout=30) as connection:
        connection.sendall(b"GET /api/v1/dataflows HTTP/1.1\r\nHost: x\r\n")  # no blank line
        started = time.monotonic()
        try:
            while connection.recv(4096):
                pass
        except ConnectionResetError:
            pass
        return time.monotonic() - started


def test_io_timeout_drops_a_client_that_sends_half_a_request(impatient_waxd):
    lifetime = half_request_lifetime(impatient_waxd)
    assert 1.5 <= lifetime < 10, lifetime
    status, _ = impatient_waxd.api("GET", "/api/v1/dataflows")
    assert status == 200, "the server still answers others"


def test_io_timeout_bad_values_are_refused(tmp_path):
    result = subprocess.run([str(BIN / "waxd"), "--data-dir", str(tmp_path), "--io-timeout",
                             "2"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--io-timeout" in result.stderr
