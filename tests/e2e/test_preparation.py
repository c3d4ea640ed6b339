"""What happens before processes start: dependencies, code from a tarball, recovery partitions."""

import io
import sqlite3
import tarfile

from conftest import DATAFLOWS, condition, phase


def test_dependencies_are_installed_into_a_shared_cached_environment(waxd, tmp_path):
    flow = tmp_path / "uses_six.py"
    flow.write_text((DATAFLOWS / "fast.py").read_text().replace(
        "import", "import six  # noqa: F401  (must come from spec.dependencies)\nimport", 1))
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("six==1.16.0\n")
    for name in ("first", "second"):
        waxd.waxctl("dataflow", "deploy", flow, "--name", name, "-r", requirements)
        waxd.waxctl("dataflow", "wait", name, "--for=condition=Completed", "--timeout=300s")
    venvs = list((waxd.data_dir / "venvs").iterdir())
    assert len(venvs) == 1, "one environment per requirement set"
    assert list(venvs[0].glob("lib/python*/site-packages/six.py"))


def test_a_requirement_that_cannot_be_installed_is_reported(waxd, tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("wax-no-such-package-exists==9.9.9\n")
    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py", "-r", requirements)
    failed = waxd.wait_until("fast", lambda d: phase(d) == "Failed", timeout=300, what="Failed")
    assert "spec.dependencies" in failed["status"]["lastError"]
    assert condition(failed, "Degraded") == "True"
    assert not (waxd.data_dir / "venvs").exists() or not any(
        (venv / ".wax-ready").exists() for venv in (waxd.data_dir / "venvs").iterdir())


def test_code_from_a_tarball(waxd, tmp_path):
    archive = tmp_path / "code.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(DATAFLOWS / "fast.py", arcname="pkg/fast.py")
    waxd.waxctl("dataflow", "deploy", archive, "--name", "tarred", "-f", "pkg/fast.py")
    waxd.waxctl("dataflow", "wait", "tarred", "--for=condition=Completed", "--timeout=120s")
    assert "fast: item 5" in waxd.waxctl("dataflow", "logs", "tarred").stdout

    waxd.waxctl("dataflow", "deploy", archive, "--name", "wrong", "-f", "missing.py")
    failed = waxd.wait_until("wrong", lambda d: phase(d) == "Failed", what="Failed")
    assert "spec.pythonFileName" in failed["status"]["lastError"]


def test_a_tarball_cannot_write_outside_the_working_directory(waxd, tmp_path):
    archive = tmp_path / "evil.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(DATAFLOWS / "fast.py", arcname="fast.py")
        payload = b"owned\n"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    waxd.waxctl("dataflow", "deploy", archive, "--name", "evil", "-f", "fast.py")
    waxd.wait_until("evil", lambda d: phase(d) in ("Completed", "Failed"), what="an outcome")
    root = waxd.dataflow_dir("evil")
    assert not (root / "escaped.txt").exists() and not (root.parent / "escaped.txt").exists()


def part_count(path):
    with sqlite3.connect(path) as db:
        return db.execute("SELECT part_count FROM parts").fetchone()[0]


def test_every_recovery_partition_is_checked_not_only_part_0(waxd):
    args = ["dataflow", "deploy", DATAFLOWS / "fast.py", "--name", "parts", "--recovery",
            "--recovery-parts", 3, "--yes"]
    waxd.waxctl(*args)
    waxd.waxctl("dataflow", "wait", "parts", "--for=condition=Completed", "--timeout=120s")
    recovery = waxd.dataflow_dir("parts") / "recovery"
    parts = sorted(p.name for p in recovery.glob("part-*.sqlite3"))
    assert parts == ["part-0.sqlite3", "part-1.sqlite3", "part-2.sqlite3"]

    (recovery / "part-2.sqlite3").unlink()  # lost, as a volume might be
    waxd.waxctl(*args, "-e", "RUN=2")       # a new run
    waxd.waxctl("dataflow", "wait", "parts", "--for=condition=Completed", "--timeout=120s")
    assert part_count(recovery / "part-2.sqlite3") == 3

    waxd.waxctl("dataflow", "deploy", DATAFLOWS / "fast.py", "--name", "parts", "--recovery",
                "--recovery-parts", 4, "--yes")
    failed = waxd.wait_until("parts", lambda d: phase(d) == "Failed", what="Failed")
    assert "spec.recovery.partsCount" in failed["status"]["lastError"]
    assert "3" in failed["status"]["lastError"]
