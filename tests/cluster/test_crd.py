"""The Dataflow CRD on a real kube-apiserver: Bytewax Platform manifests apply unchanged,
defaults are filled, invalid manifests are refused with the field named, and kubectl shows
the printer columns and explains the fields."""

import copy
import json
from pathlib import Path

import pytest
import yaml

TESTDATA = Path(__file__).resolve().parents[1] / "unit" / "core" / "testdata"


def platform_manifest(namespace):
    """The full Bytewax Platform manifest of the model's tests, as a user would apply it."""
    manifest = yaml.safe_load((TESTDATA / "full-manifest.yaml").read_text())
    metadata = manifest["metadata"]
    for server_field in ("uid", "resourceVersion", "generation", "creationTimestamp",
                         "finalizers"):
        metadata.pop(server_field)
    metadata["namespace"] = namespace
    manifest.pop("status")
    return manifest


def minimal(name, **spec):
    return {"apiVersion": "bytewax.io/v1alpha1", "kind": "Dataflow",
            "metadata": {"name": name},
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py", **spec}}


def get(cluster, namespace, name):
    result = cluster.kubectl("get", "dataflow", name, "-n", namespace, "-o", "json")
    return json.loads(result.stdout)


def test_platform_manifest_applies_unchanged(cluster, namespace):
    manifest = platform_manifest(namespace)
    cluster.apply(manifest)
    stored = get(cluster, namespace, manifest["metadata"]["name"])
    assert stored["spec"] == manifest["spec"]
    assert stored["metadata"]["labels"] == manifest["metadata"]["labels"]


def test_defaults_are_the_documented_ones(cluster, namespace):
    cluster.apply(minimal("defaults", recovery={"enabled": True}), namespace)
    spec = get(cluster, namespace, "defaults")["spec"]
    assert spec["image"] == {"tag": "0.21.1", "pullPolicy": "Always",
                             "pullSecret": "default-credentials"}
    assert (spec["processesCount"], spec["workersPerProcess"]) == (1, 1)
    assert (spec["jobMode"], spec["keepAlive"], spec["suspend"]) == (False, False, False)
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["recovery"] == {
        "enabled": True, "partsCount": 1, "snapshotInterval": 1, "backupInterval": 1,
        "singleVolume": False, "persistence": {"size": "10Gi"},
        "cloudBackup": {"enabled": False}}


INVALID = [
    ({"processesCount": 0}, "spec.processesCount"),
    ({"workersPerProcess": 2000}, "spec.workersPerProcess"),
    ({"image": {"tag": "1", "pullPolicy": "Sometimes"}}, "spec.image.pullPolicy"),
    ({"image": {"repository": "bytewax/bytewax"}}, "spec.image.tag"),
    ({"env": [{"name": "1BAD", "value": "x"}]}, "spec.env[0].name"),
    ({"env": [{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]}, "spec.env[1]"),
    ({"pythonFileName": "../outside.py"}, "spec.pythonFileName"),
    ({"pythonFileName": "my flow.py"}, "spec.pythonFileName"),
    ({"tarName": "code.zip"}, "spec.tarName"),
    ({"configMapName": "Not_A_Name"}, "spec.configMapName"),
    ({"concurrencyPolicy": "Sometimes"}, "spec.concurrencyPolicy"),
    ({"recovery": {"enabled": True, "partsCount": 0}}, "spec.recovery.partsCount"),
    ({"recovery": {"cloudBackup": {"enabled": True, "s3": {"url": "s3://bucket/x"}}}},
     "spec.recovery"),
    ({"recovery": {"enabled": True, "cloudBackup": {
        "enabled": True, "s3": {"url": "s3://bucket/x", "accessKeyId": "AKIA"}}}},
     "spec.recovery.cloudBackup.s3"),
    ({"recovery": {"enabled": True, "persistence": {"size": "lots"}}},
     "spec.recovery.persistence.size"),
    ({"artifactsDownload": {"url": "ftp://example.com/x.tar"}}, "spec.artifactsDownload.url"),
    ({"artifactsDownload": {"url": "https://example.com/x.tar", "token": "t",
                            "secretName": "s"}}, "spec.artifactsDownload"),
]


@pytest.mark.parametrize("spec, field", INVALID, ids=[field for _, field in INVALID])
def test_invalid_manifest_is_refused_naming_the_field(cluster, namespace, spec, field):
    manifest = minimal("invalid", **spec)
    if "image" in spec:
        manifest["spec"]["image"] = spec["image"]
    result = cluster.apply(manifest, namespace, check=False)
    assert result.returncode != 0
    assert field in result.stderr, result.stderr
    assert cluster.kubectl("get", "dataflow", "invalid", "-n", namespace,
                           check=False).returncode != 0


def test_names_leave_room_for_pod_names(cluster, namespace):
    result = cluster.apply(minimal("a" * 53), namespace, check=False)
    assert "metadata.name" in result.stderr and "52" in result.stderr, result.stderr
    result = cluster.apply(minimal("s" * 51, schedule="@daily"), namespace, check=False)
    assert "at most 50 characters for a scheduled dataflow" in result.stderr, result.stderr
    cluster.apply(minimal("a" * 52), namespace)
    for name in ("my.flow", "1flow"):  # names Services could not take
        result = cluster.apply(minimal(name), namespace, check=False)
        assert result.returncode != 0 and "metadata.name" in result.stderr, result.stderr


def test_rescale_with_a_volume_per_process_is_refused(cluster, namespace):
    recovery = {"enabled": True, "partsCount": 4}
    cluster.apply(minimal("stateful", processesCount=2, recovery=recovery), namespace)
    result = cluster.apply(minimal("stateful", processesCount=3, recovery=recovery), namespace,
                           check=False)
    assert "processesCount cannot change" in result.stderr, result.stderr
    shared = {**recovery, "singleVolume": True}
    cluster.apply(minimal("shared", processesCount=2, recovery=shared), namespace)
    cluster.apply(minimal("shared", processesCount=3, recovery=shared), namespace)


def test_status_is_a_subresource(cluster, namespace, custom):
    cluster.apply(minimal("status"), namespace)
    body = copy.deepcopy(get(cluster, namespace, "status"))
    body["status"] = {"phase": "Running", "processesReady": 1}
    body["spec"]["processesCount"] = 5
    custom.replace_namespaced_custom_object_status(
        "bytewax.io", "v1alpha1", namespace, "dataflows", "status", body)
    stored = get(cluster, namespace, "status")
    assert stored["status"]["phase"] == "Running"
    assert stored["spec"]["processesCount"] == 1  # the status endpoint ignores spec


def test_printer_columns_and_short_name(cluster, namespace):
    cluster.apply(minimal("columns", processesCount=3), namespace)
    table = cluster.kubectl("get", "df", "-n", namespace).stdout.splitlines()
    assert table[0].split() == ["NAME", "PROCESSES", "READY", "PHASE", "AGE"]
    assert table[1].split()[:2] == ["columns", "3"]


def test_kubectl_explain_describes_recovery(cluster):
    text = cluster.kubectl("explain", "dataflow.spec.recovery").stdout
    for field in ("partsCount", "snapshotInterval", "backupInterval", "singleVolume",
                  "persistence", "cloudBackup"):
        assert field in text
    assert "Durable state on volumes" in text
