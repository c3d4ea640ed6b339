"""The platform image's Dockerfile, checked without a container engine (this machine has none,
nor the base images): every binary the image needs is copied, every shared library those
binaries load comes from a package its runtime stage installs (or the slim base has), and
every package either stage names exists in Debian."""

import re
import subprocess
from pathlib import Path

import pytest

from conftest import BIN

DOCKERFILE = Path(__file__).resolve().parents[2] / "deploy" / "docker" / "Dockerfile"
# Packages of debian:bookworm-slim that the binaries' own libraries come from.
BASE = {"libc6", "libstdc++6", "libgcc-s1"}


def stages():
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    parts = re.split(r"^FROM ", text, flags=re.M)[1:]
    return [part for part in parts]


def packages(stage):
    found = []
    for match in re.finditer(r"apt-get install -y --no-install-recommends (.*?)(?:&&|$)", stage):
        found += match.group(1).split()
    return set(found)


def copied_binaries():
    match = re.search(r"for b in ([^;]+);", DOCKERFILE.read_text())
    return match.group(1).split()


def package_of(library_path):
    # /lib is /usr/lib on bookworm; dpkg knows each file by one of the two names.
    resolved = str(Path(library_path).resolve())
    for candidate in (library_path, resolved, "/usr" + library_path, "/usr" + resolved):
        owner = subprocess.run(["dpkg", "-S", candidate], capture_output=True, text=True)
        if owner.returncode == 0:
            return owner.stdout.split(":")[0]
    raise AssertionError(f"no Debian package holds {library_path}")


def direct_libraries(binary):
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]",
                        subprocess.run(["readelf", "-d", binary], capture_output=True,
                                       text=True, check=True).stdout)
    paths = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(
        ["ldd", binary], capture_output=True, text=True, check=True).stdout, flags=re.M))
    return {name: paths[name] for name in needed}


def test_waxctl_comes_with_the_binary_it_runs_for_a_cluster():
    binaries = copied_binaries()
    assert "waxctl" in binaries and "waxctl-cluster" in binaries


@pytest.mark.parametrize("binary", copied_binaries())
def test_every_library_a_binary_loads_is_installed(binary):
    path = BIN / binary
    if not path.exists():
        pytest.skip(f"{binary} is not built yet")
    runtime = packages(stages()[-1]) | BASE
    missing = {name: package_of(lib) for name, lib in direct_libraries(path).items()
               if package_of(lib) not in runtime}
    assert not missing, f"{binary} loads libraries of packages the image lacks: {missing}"


def test_every_package_named_exists_in_debian():
    named = set().union(*(packages(stage) for stage in stages()))
    unknown = [name for name in sorted(named) if subprocess.run(
        ["apt-cache", "show", name], capture_output=True).returncode != 0]
    assert not unknown
