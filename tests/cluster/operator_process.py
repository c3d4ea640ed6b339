"""Runs build/bin/wax-operator against the test control plane, as a test would run any other
process: with its own log file, stopped (or killed) on request."""

import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import BIN


class Operator:
    def __init__(self, cluster, log_dir: Path, *extra, identity="wax-operator-test",
                 resync_seconds=10, log_level="debug"):
        self.cluster = cluster
        self.log_path = log_dir / f"{identity}.log"
        self.args = [str(BIN / "wax-operator"), "--kubeconfig", str(cluster.kubeconfig),
                     "--metrics-address", "127.0.0.1:0", "--identity", identity,
                     "--resync-seconds", str(resync_seconds), "--log-level", log_level,
                     *map(str, extra)]
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.args, stdout=log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        return self

    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=30):
        if self.running():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode if self.process else None

    def kill(self):
        if self.running():
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def wait_until(predicate, timeout=60, interval=0.3, what="the condition"):
    """Polls `predicate` until it returns a truthy value, which is returned."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as error:  # the object may not exist yet
            last = error
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {last!r}")
