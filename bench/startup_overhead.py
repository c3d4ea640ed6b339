"""Start-up overhead: time from `waxctl dataflow deploy` to the dataflow's first output record,
divided by the time from starting `python -m bytewax.run` by hand to the same record. Both are
measured here, in the same run, alternating, and the medians are compared. Goal: <= 1.10."""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "bin"
FLOW = ROOT / "bench" / "first_record.py"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "15"))


def wait_for_file(path: Path, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size > 0:
            return time.monotonic()
        time.sleep(0.002)
    raise RuntimeError(f"no first record in {path}")


def by_hand(workdir: Path, mark: Path) -> float:
    env = dict(os.environ, BENCH_MARK_FILE=str(mark))
    start = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "bytewax.run", "first_record.py"],
                               cwd=workdir, env=env, stdout=subprocess.DEVNULL)
    end = wait_for_file(mark)
    process.wait()
    return end - start


def through_waxd(data_dir: Path, mark: Path, round_: int, deploys: list) -> float:
    waxctl = [str(BIN / "waxctl"), "--data-dir", str(data_dir)]
    name = f"bench-{round_}"
    start = time.monotonic()
    subprocess.run([*waxctl, "dataflow", "deploy", str(FLOW), "--name", name,
                    "-e", f"BENCH_MARK_FILE={mark}", "--yes"], check=True,
                   stdout=subprocess.DEVNULL)
    deploys.append(time.monotonic() - start)
    end = wait_for_file(mark)
    subprocess.run([*waxctl, "dataflow", "delete", name, "--yes"], check=True,
                   stdout=subprocess.DEVNULL)
    return end - start


def main():
    scratch = Path(tempfile.mkdtemp(prefix="wax-bench-"))
    data_dir = scratch / "data"
    workdir = scratch / "work"
    workdir.mkdir()
    shutil.copy(FLOW, workdir / "first_record.py")
    waxd = subprocess.Popen([str(BIN / "waxd"), "--data-dir", str(data_dir), "--python",
                             sys.executable, "--log-level", "warn"])
    try:
        while not (data_dir / "waxd.json").exists():
            time.sleep(0.05)
        hand, platform, deploys = [], [], []
        for round_ in range(ROUNDS + 1):
            h = by_hand(workdir, scratch / f"hand-{round_}")
            p = through_waxd(data_dir, scratch / f"waxd-{round_}", round_, deploys)
            if round_ > 0:  # the first round warms caches for both
                hand.append(h)
                platform.append(p)
        ratio = statistics.median(platform) / statistics.median(hand)
        print(f"startup by hand:      median {statistics.median(hand):.3f} s over {ROUNDS}")
        print(f"startup through waxd: median {statistics.median(platform):.3f} s over {ROUNDS}")
        print(f"  of which the waxctl deploy command: median {statistics.median(deploys):.3f} s")
        print(f"startup overhead ratio: {ratio:.3f} (goal <= 1.10)")
    finally:
        waxd.terminate()
        waxd.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
