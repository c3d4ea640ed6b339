"""waxd under crashes and bad input: nothing orphaned, nothing duplicated, nothing stored."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from conftest import BIN, DATAFLOWS, condition, phase, pid_alive, read_jsonl
from test_lifecycle import deploy_counter, final_sums_are_complete


def bytewax_processes_of(marker: str):
    """Pids of live processes whose command line mentions `marker`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if "bytewax.run" in cmdline and marker.encode() in environ and pid_alive(int(entry.name)):
            pids.append(int(entry.name))
    return sorted(pids)


def test_kill9_of_waxd_leaves_no_orphans_and_restores_desired_state(waxd):
    total = 300
    output = deploy_counter(waxd, "survivor", total=total, delay=0.05)
    waxd.wait_until("survivor", lambda d: condition(d, "Ready") == "True", what="Ready")
    marker = str(waxd.dataflow_dir("survivor"))
    old = bytewax_processes_of(marker)
    assert len(old) == 2

    waxd.kill9()
    deadline = time.time() + 10
    while time.time() < deadline and any(pid_alive(pid) for pid in old):
        time.sleep(0.1)
    assert not any(pid_alive(pid) for pid in old), "processes must not outlive waxd"

    waxd.start()
    waxd.wait_until("survivor", lambda d: condition(d, "Ready") == "True", what="Ready again")
    new = bytewax_processes_of(marker)
    assert len(new) == 2 and not set(new) & set(old)
    waxd.waxctl("dataflow", "wait", "survivor", "--for=condition=Completed", "--timeout=180s")
    assert final_sums_are_complete(read_jsonl(output), total)
    assert bytewax_processes_of(marker) == []


BAD_MANIFESTS = {
    "metadata.name": {"metadata": {"name": "Bad_Name"}, "spec": {"pythonFileName": "a.py"}},
    "spec.processesCount": {"metadata": {"name": "zero"},
                            "spec": {"pythonFileName": "a.py", "processesCount": 0}},
    "spec.image.tag": {"metadata": {"name": "notag"},
                       "spec": {"pythonFileName": "a.py", "image": {"repository": "x"}}},
    "spec.schedule": {"metadata": {"name": "cron"},
                      "spec": {"pythonFileName": "a.py", "schedule": "61 * * * *"}},
    "spec.env[0].name": {"metadata": {"name": "envs"},
                         "spec": {"pythonFileName": "a.py", "env": [{"name": "1X", "value": ""}]}},
    "spec.bogus": {"metadata": {"name": "unknown"}, "spec": {"pythonFileName": "a.py", "bogus": 1}},
}


@pytest.mark.parametrize("field", sorted(BAD_MANIFESTS))
def test_bad_manifest_is_rejected_naming_the_field_and_nothing_is_stored(waxd, tmp_path, field):
    manifest = {"apiVersion": "bytewax.io/v1alpha1", "kind": "Dataflow", **BAD_MANIFESTS[field]}
    manifest["spec"].setdefault("image", {"repository": "bytewax/bytewax", "tag": "0.21.1"})
    path = tmp_path / "bad.yaml"
    path.write_text(json.dumps(manifest))

    result = waxd.waxctl("dataflow", "deploy", "-F", path, check=False)
    assert result.returncode == 1
    assert field in result.stderr

    # The server checks too, whatever the client did.
    status, body = waxd.api("POST", "/api/v1/namespaces/default/dataflows", manifest)
    assert status == 422 and field in body["message"]
    assert waxd.api("GET", "/api/v1/dataflows")[1]["items"] == []


def test_malformed_bodies_get_clear_errors(waxd):
    status, body = waxd.api("POST", "/api/v1/namespaces/default/dataflows", None)
    assert status == 400
    request_status, _ = waxd.api("GET", "/api/v1/namespaces/default/dataflows/x/log?tailLines=-3")
    assert request_status in (400, 404)
    status, body = waxd.api("POST", "/dataflows", {"namespace": "default"})
    assert status == 400 and "name" in body["message"]


def test_requests_without_the_token_are_refused(waxd):
    status, body = waxd.api("GET", "/api/v1/dataflows", token=False)
    assert status == 401 and waxd.token not in json.dumps(body)
    assert waxd.api("GET", "/healthz", token=False)[0] == 200


def test_second_waxd_on_the_same_data_dir_refuses_to_start(waxd):
    result = subprocess.run([str(BIN / "waxd"), "--data-dir", str(waxd.data_dir)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1 and "already using" in result.stderr


def test_every_binary_prints_version_and_commit():
    for binary in ("waxd", "waxctl"):
        result = subprocess.run([str(BIN / binary), "--version"], capture_output=True, text=True)
        assert result.returncode == 0
        assert "0.1.0" in result.stdout and "commit" in result.stdout


def test_usage_errors_exit_2():
    result = subprocess.run([str(BIN / "waxctl"), "dataflow", "deploy", "--processes", "x"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    result = subprocess.run([str(BIN / "waxctl"), "nonsense"], capture_output=True, text=True)
    assert result.returncode == 2


def test_platform_api_shapes(waxd):
    code = (DATAFLOWS / "fast.py").read_text()
    dto = {"name": "via-api", "namespace": "default", "fileContent": code,
           "spec": {"image": {"repository": "bytewax/bytewax", "tag": "0.21.1"},
                    "pythonFileName": "fast.py"}}
    assert waxd.api("POST", "/dataflows", dto) == (200, "ok")
    waxd.wait_until("via-api", lambda d: phase(d) == "Completed", what="Completed")
    status, listing = waxd.api("GET", "/dataflows?namespace=default")
    assert status == 200
    entry = listing["dataflows"][0]
    assert entry["name"] == "via-api" and entry["ui"]["processesReady"].endswith("/0")
    assert waxd.api("GET", "/dataflows/via-api/pods?namespace=default")[1] == {
        "pods": ["via-api-0"]}
    status, text = waxd.api("GET", "/dataflows/via-api/logs?namespace=default&pod_name=via-api-0")
    assert status == 200 and "exited with code 0" in text
    assert waxd.api("GET", "/namespaces")[1] == {"namespaces": ["default"]}
    assert waxd.api("PUT", "/dataflows/via-api/suspend",
                    {"name": "via-api", "namespace": "default", "suspend": True}) == (200, "ok")
    waxd.wait_until("via-api", lambda d: phase(d) == "Suspended", what="Suspended")
    assert waxd.api("DELETE", "/dataflows/via-api?namespace=default") == (200, "ok")
