"""Fixtures for tests against a real Kubernetes control plane: etcd, kube-apiserver and
kube-controller-manager built from source by scripts/testbed/ and started on loopback, once per
test session. There is no kubelet; tests that need running pods use the Kubelet helper."""

import os
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client, config

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(os.environ.get("WAX_BIN_DIR", ROOT / "build" / "bin"))
CLUSTER_SCRIPT = ROOT / "scripts" / "testbed" / "cluster.sh"
CRD = ROOT / "deploy" / "crd" / "dataflows.bytewax.io.yaml"


class Cluster:
    """A running control plane and the tools to talk to it."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.kubeconfig = directory / "kubeconfig"
        bins = subprocess.run([str(ROOT / "scripts" / "testbed" / "build-kube.sh")],
                              check=True, capture_output=True, text=True).stdout.split()
        self.kubectl_path = Path(bins[0]) / "kubectl"

    def up(self):
        subprocess.run([str(CLUSTER_SCRIPT), "up", str(self.directory), "--controller-manager"],
                       check=True, stdout=subprocess.DEVNULL)
        return self

    def down(self):
        subprocess.run([str(CLUSTER_SCRIPT), "down", str(self.directory)], check=False)

    def restart_apiserver(self):
        subprocess.run([str(CLUSTER_SCRIPT), "restart-apiserver", str(self.directory)],
                       check=True, stdout=subprocess.DEVNULL)

    def kubectl(self, *args, check=True, input=None, context=None):
        command = [str(self.kubectl_path), "--kubeconfig", str(self.kubeconfig)]
        if context:
            command += ["--context", context]
        result = subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                                input=input, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(map(str, args))} exited "
                                 f"{result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result

    def apply(self, manifest: dict, namespace=None, check=True):
        args = ["apply", "-f", "-"] + (["-n", namespace] if namespace else [])
        return self.kubectl(*args, input=yaml.safe_dump(manifest), check=check)

    def api_client(self, context=None):
        return config.new_client_from_config(str(self.kubeconfig), context=context)


@pytest.fixture(scope="session")
def cluster():
    directory = Path(tempfile.mkdtemp(prefix="wax-cluster-"))
    running = Cluster(directory).up()
    running.kubectl("apply", "-f", CRD)
    running.kubectl("wait", "--for=condition=Established", "crd/dataflows.bytewax.io",
                    "--timeout=60s")
    yield running
    running.down()


@pytest.fixture()
def namespace(cluster):
    """A fresh namespace per test, so tests cannot see each other's objects."""
    name = "t-" + uuid.uuid4().hex[:10]
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


@pytest.fixture()
def api(cluster):
    return cluster.api_client()


@pytest.fixture()
def custom(api):
    return client.CustomObjectsApi(api)
