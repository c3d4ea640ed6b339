"""waxd's resident memory holding 50 deployed, suspended dataflows, against the same waxd
holding none (the baseline, measured in this run). Goal: <= 30 MiB with 50."""

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "bin"
FLOW = ROOT / "tests" / "e2e" / "dataflows" / "fast.py"
COUNT = 50


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def main():
    scratch = Path(tempfile.mkdtemp(prefix="wax-bench-mem-"))
    data_dir = scratch / "data"
    manifest = scratch / "suspended.yaml"
    manifest.write_text("apiVersion: bytewax.io/v1alpha1\nkind: Dataflow\nmetadata: {}\n"
                        "spec:\n  image: {repository: bytewax/bytewax, tag: 0.21.1}\n"
                        "  suspend: true\n")
    waxd = subprocess.Popen([str(BIN / "waxd"), "--data-dir", str(data_dir), "--python",
                             sys.executable, "--log-level", "warn"])
    waxctl = [str(BIN / "waxctl"), "--data-dir", str(data_dir)]
    try:
        while not (data_dir / "waxd.json").exists():
            time.sleep(0.05)
        time.sleep(1)
        baseline = rss_mib(waxd.pid)
        for i in range(COUNT):
            subprocess.run([*waxctl, "dataflow", "deploy", str(FLOW), "-F", str(manifest),
                            "--name", f"idle-{i:02d}", "--yes"], check=True,
                           stdout=subprocess.DEVNULL)
        time.sleep(3)  # let every reconcile and status write settle
        loaded = rss_mib(waxd.pid)
        print(f"waxd RSS with no dataflows: {baseline:.1f} MiB")
        print(f"waxd RSS with {COUNT} suspended dataflows: {loaded:.1f} MiB (goal <= 30 MiB)")
        print(f"memory ratio {COUNT} dataflows / none: {loaded / baseline:.3f}")
    finally:
        waxd.terminate()
        waxd.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
