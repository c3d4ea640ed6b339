"""Fixtures for end-to-end tests: a real waxd with its own data directory, real bytewax
processes, and waxctl driven as a user would."""

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("WAX_BIN_DIR", ROOT / "build" / "bin"))
DATAFLOWS = Path(__file__).resolve().parent / "dataflows"


class Waxd:
    """A waxd process on a temporary data directory, with helpers to talk to it."""

    def __init__(self, data_dir: Path, extra_args=()):
        self.data_dir = data_dir
        self.extra_args = list(extra_args)
        self.process = None

    def start(self):
        log = open(self.data_dir / "waxd-test.log", "ab")
        self.process = subprocess.Popen(
            [str(BIN / "waxd"), "--data-dir", str(self.data_dir), "--log-level", "debug",
             "--restart-backoff-ms", "300", "--grace-period-ms", "5000", *self.extra_args],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"waxd exited with {self.process.returncode}")
            try:
                state = json.loads((self.data_dir / "waxd.json").read_text())
                if state["pid"] == self.process.pid:
                    urllib.request.urlopen(state["url"] + "/healthz", timeout=2)
                    self.url = state["url"]
                    self.token = (self.data_dir / "token").read_text().strip()
                    return self
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.1)
        raise RuntimeError("waxd did not become ready")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill9(self):
        self.process.kill()
        self.process.wait()

    def waxctl(self, *args, check=True, timeout=300, input=None):
        result = subprocess.run(
            [str(BIN / "waxctl"), "--data-dir", str(self.data_dir), *map(str, args)],
            capture_output=True, text=True, timeout=timeout, input=input)
        if check and result.returncode != 0:
            raise AssertionError(
                f"waxctl {' '.join(map(str, args))} exited {result.returncode}:\n"
                f"stdout: {result.stdout}\nstderr: {result.stderr}")
        return result

    def api(self, method, path, body=None, token=True):
        """Calls the API; returns (status, parsed JSON or text)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read().decode()
        try:
            return status, json.loads(raw)
        except ValueError:
            return status, raw

    def get(self, name, namespace="default"):
        status, body = self.api("GET", f"/api/v1/namespaces/{namespace}/dataflows/{name}")
        return body if status == 200 else None

    def wait_until(self, name, predicate, timeout=120, what="condition"):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            last = self.get(name)
            if last is not None and predicate(last):
                return last
            time.sleep(0.2)
        raise AssertionError(f"timed out waiting for {what} on {name}; last: "
                             f"{json.dumps((last or {}).get('status'), indent=1)}\n"
                             f"waxd log tail:\n{self.log_tail()}")

    def dataflow_dir(self, name, namespace="default"):
        return self.data_dir / "dataflows" / namespace / name

    def log_tail(self, lines=40):
        path = self.data_dir / "waxd-test.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def waxd(tmp_path):
    daemon = Waxd(tmp_path / "data")
    daemon.data_dir.mkdir()
    daemon.start()
    yield daemon
    daemon.stop()


def phase(dataflow):
    return (dataflow.get("status") or {}).get("phase")


def condition(dataflow, type_):
    status = dataflow.get("status") or {}
    if status.get("observedGeneration") != dataflow["metadata"].get("generation"):
        return None
    for entry in status.get("conditions", []):
        if entry["type"] == type_:
            return entry["status"]
    return None


def read_jsonl(path: Path):
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line:
            records.append(json.loads(line))
    return records


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
        return state != "Z"
    except OSError:
        return False
