"""waxctl against a real cluster, through its kubeconfig: it picks the cluster as its target,
deploys (the code ConfigMap and the Dataflow), lists, waits, suspends, resumes and deletes, with
wax-operator and the test kubelet doing the rest."""

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from conftest import BIN
from kubelet import Kubelet, KubeletLoop, LogServer
from operator_process import Operator, wait_until

FLOW = """from bytewax.dataflow import Dataflow
import bytewax.operators as op
from bytewax.testing import TestingSource

flow = Dataflow("tiny")
op.inspect("out", op.input("inp", flow, TestingSource(range(3))))
"""


@pytest.fixture(scope="module")
def operator(cluster, tmp_path_factory):
    running = Operator(cluster, tmp_path_factory.mktemp("operator")).start()
    kubelet = KubeletLoop(Kubelet(cluster.api_client()))
    yield kubelet
    kubelet.stop()
    running.stop()


@pytest.fixture()
def waxctl(cluster, tmp_path):
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith("WAX_")}
    environment.update(KUBECONFIG=str(cluster.kubeconfig), HOME=str(tmp_path),
                       WAX_DATA_DIR=str(tmp_path / "no-waxd"))

    def run(*args, check=True):
        result = subprocess.run([str(BIN / "waxctl"), *map(str, args)], env=environment,
                                capture_output=True, text=True, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"waxctl {' '.join(map(str, args))} exited "
                                 f"{result.returncode}:\n{result.stdout}\n{result.stderr}")
        return result
    run.environment = environment
    return run


@pytest.fixture()
def flow_file(tmp_path):
    path = tmp_path / "tiny_flow.py"
    path.write_text(FLOW)
    return path


def test_kubeconfig_makes_the_cluster_the_target(cluster, waxctl):
    described = json.loads(waxctl("target", "-o", "json").stdout)
    assert described["target"] == "cluster"
    assert described["why"] == "KUBECONFIG names a cluster"
    assert described["server"].startswith("https://127.0.0.1:")
    assert described["namespace"] == "default"


def test_deploy_list_wait_suspend_resume_delete(operator, waxctl, flow_file, namespace, api):
    operator.state[namespace] = {"phase": "Running"}
    result = waxctl("dataflow", "deploy", flow_file, "-n", namespace, "-p", "2")
    assert f"dataflow {namespace}/tiny-flow created" in result.stdout

    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    code = core.read_namespaced_config_map("tiny-flow", namespace)
    assert code.data["tiny_flow.py"] == FLOW
    waxctl("dataflow", "wait", "tiny-flow", "-n", namespace, "--for=condition=Ready",
           "--timeout", "90s")

    listed = waxctl("dataflow", "list", "-A").stdout
    row = next(line for line in listed.splitlines() if "tiny-flow" in line)
    assert namespace in row and "2/2" in row and "Running" in row
    got = json.loads(waxctl("dataflow", "get", "tiny-flow", "-n", namespace, "-o", "json").stdout)
    assert got["status"]["processesReady"] == 2

    waxctl("dataflow", "suspend", "tiny-flow", "-n", namespace)
    wait_until(lambda: apps.read_namespaced_stateful_set("tiny-flow", namespace).spec.replicas
               == 0, what="zero replicas")
    waxctl("dataflow", "resume", "tiny-flow", "-n", namespace)
    wait_until(lambda: apps.read_namespaced_stateful_set("tiny-flow", namespace).spec.replicas
               == 2, what="two replicas again")

    waxctl("dataflow", "delete", "tiny-flow", "-n", namespace, "--yes")
    assert waxctl("dataflow", "get", "tiny-flow", "-n", namespace,
                  check=False).returncode == 1
    wait_until(lambda: not apps.list_namespaced_stateful_set(namespace).items,
               what="the StatefulSet gone")
    assert not core.list_namespaced_config_map(
        namespace, label_selector="bytewax.io/dataflow=tiny-flow").items


def test_dry_run_prints_the_manifests_and_creates_nothing(waxctl, flow_file, namespace, api):
    result = waxctl("dataflow", "deploy", flow_file, "-n", namespace, "--dry-run", "-o", "json")
    assert '"kind": "ConfigMap"' in result.stdout and '"kind": "Dataflow"' in result.stdout
    custom = client.CustomObjectsApi(api)
    assert not custom.list_namespaced_custom_object("bytewax.io", "v1alpha1", namespace,
                                                    "dataflows")["items"]


def test_an_invalid_dataflow_is_refused_with_the_field_named(waxctl, flow_file, namespace):
    result = waxctl("dataflow", "deploy", flow_file, "-n", namespace, "-p", "0", check=False)
    assert result.returncode == 1
    assert "processesCount" in result.stderr


def test_logs_of_a_process_that_does_not_exist_say_which_do(waxctl, flow_file, namespace):
    waxctl("dataflow", "deploy", flow_file, "-n", namespace, "--yes")
    result = waxctl("dataflow", "logs", "tiny-flow", "-n", namespace, "--process", "5",
                    check=False)
    assert result.returncode == 1
    assert "has 1 process: choose a process from 0 to 0" in result.stderr


def test_a_broken_kubeconfig_is_named(waxctl, tmp_path):
    broken = tmp_path / "broken-kubeconfig"
    broken.write_text("apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n")
    result = waxctl("--kubeconfig", broken, "dataflow", "list", check=False)
    assert result.returncode == 1
    assert str(broken) in result.stderr or "nowhere" in result.stderr, result.stderr


CRD = Path(__file__).resolve().parents[2] / "deploy" / "crd" / "dataflows.bytewax.io.yaml"


def test_list_reads_the_servers_table_and_falls_back_on_an_older_crd(
        cluster, operator, waxctl, flow_file, namespace):
    operator.state[namespace] = {"phase": "Running"}
    waxctl("dataflow", "deploy", flow_file, "-n", namespace, "-p", "2")
    waxctl("dataflow", "wait", "tiny-flow", "-n", namespace, "--for=condition=Ready",
           "--timeout", "90s")
    waxctl("dataflow", "suspend", "tiny-flow", "-n", namespace)
    wait_until(lambda: "0/0" in waxctl("dataflow", "list", "-n", namespace).stdout,
               what="the suspended dataflow listed as 0/0")

    def rows(*args):  # without AGE, which one side rounds as it prints
        lines = waxctl("dataflow", "list", *args).stdout.splitlines()
        return [line.split()[:-1] for line in lines if "tiny-flow" in line or "NAME" in line]
    from_table = rows("-n", namespace), rows("-A")
    assert from_table[0] == [["NAME", "PHASE", "READY", "RESTARTS"],
                             ["tiny-flow", "Suspended", "0/0", "0"]]
    assert [namespace, "tiny-flow", "Suspended", "0/0", "0"] in from_table[1]

    older = yaml.safe_load(CRD.read_text())
    version = older["spec"]["versions"][0]
    version["additionalPrinterColumns"] = [
        column for column in version["additionalPrinterColumns"]
        if column["name"] not in ("Desired", "Restarts", "Namespace")]
    try:
        cluster.apply(older)
        wait_until(lambda: "DESIRED" not in cluster.kubectl(
            "get", "dataflows", "-n", namespace, "-o", "wide").stdout, what="the older CRD")
        assert (rows("-n", namespace), rows("-A")) == from_table
    finally:
        cluster.kubectl("apply", "-f", CRD)


@pytest.fixture()
def kubelet_logs(cluster, tmp_path):
    server = LogServer(tmp_path)
    Kubelet(cluster.api_client()).serve_logs(server)
    yield server
    server.stop()


def test_logs_print_and_follow_the_pods_log(operator, waxctl, flow_file, namespace,
                                            kubelet_logs):
    operator.state[namespace] = {"phase": "Running"}
    waxctl("dataflow", "deploy", flow_file, "-n", namespace, "-p", "2")
    waxctl("dataflow", "wait", "tiny-flow", "-n", namespace, "--for=condition=Ready",
           "--timeout", "90s")
    kubelet_logs.write(namespace, "tiny-flow-1", "one\ntwo\nthree\n")
    printed = waxctl("dataflow", "logs", "tiny-flow", "-n", namespace, "--process", "1",
                     "--tail", "2").stdout
    assert printed == "two\nthree\n"
    path, query = kubelet_logs.requests[-1]
    assert path == f"/containerLogs/{namespace}/tiny-flow-1/process"
    assert query["tailLines"] == ["2"]
    waxctl("dataflow", "logs", "tiny-flow", "-n", namespace, "--process", "1", "--since", "2h")
    assert kubelet_logs.requests[-1][1]["sinceSeconds"] == ["7200"]

    follower = subprocess.Popen(
        [str(BIN / "waxctl"), "dataflow", "logs", "tiny-flow", "-n", namespace,
         "--process", "1", "-f"], env=waxctl.environment, stdout=subprocess.PIPE, text=True)
    try:
        lines = iter(follower.stdout.readline, "")
        assert [next(lines) for _ in range(3)] == ["one\n", "two\n", "three\n"]
        kubelet_logs.write(namespace, "tiny-flow-1", "four\n")
        assert next(lines) == "four\n", "a line written later arrives while following"
        assert follower.poll() is None
    finally:
        follower.terminate()
        follower.wait(10)


def test_logs_of_a_process_not_yet_scheduled_say_so(operator, waxctl, flow_file, namespace,
                                                    api):
    # The test kubelet is given no state for this namespace: the pod stays unscheduled.
    waxctl("dataflow", "deploy", flow_file, "-n", namespace, "-p", "1")
    wait_until(lambda: client.CoreV1Api(api).list_namespaced_pod(
        namespace, label_selector="bytewax.io/dataflow=tiny-flow").items, what="a pod")
    result = waxctl("dataflow", "logs", "tiny-flow", "-n", namespace, check=False)
    assert result.returncode != 0
    assert "has not started" in result.stderr and "tiny-flow-0" in result.stderr, result.stderr


def test_a_delete_that_waits_for_a_cleanup_says_what_it_waits_for(cluster, waxctl, namespace):
    held = {"apiVersion": "bytewax.io/v1alpha1", "kind": "Dataflow",
            "metadata": {"name": "held", "finalizers": ["example.com/hold"]},
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py"}}
    cluster.apply(held, namespace)
    with pytest.raises(subprocess.TimeoutExpired) as waited:
        subprocess.run([str(BIN / "waxctl"), "dataflow", "delete", "held", "-n", namespace,
                        "--yes"], env=waxctl.environment, capture_output=True, text=True,
                       timeout=8)
    assert "waiting for the cleanup of dataflow" in waited.value.stderr.decode()
    # Without waiting it says only what it did: the dataflow is still there.
    result = waxctl("dataflow", "delete", "held", "-n", namespace, "--yes", "--no-wait")
    assert result.stdout == f"dataflow {namespace}/held deletion requested\n"
    cluster.kubectl("patch", "dataflow", "held", "-n", namespace, "--type=merge",
                    "-p", '{"metadata":{"finalizers":null}}')


def test_a_refused_deploy_leaves_no_code_behind(cluster, waxctl, flow_file, namespace, api):
    # The test bed's user alice may write ConfigMaps here but not Dataflows.
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": {"name": "code-only", "namespace": namespace},
                   "rules": [{"apiGroups": [""], "resources": ["configmaps"],
                              "verbs": ["get", "create", "update", "delete"]},
                             {"apiGroups": ["bytewax.io"], "resources": ["dataflows"],
                              "verbs": ["get"]}]})
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": "alice-code-only", "namespace": namespace},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                               "name": "code-only"},
                   "subjects": [{"kind": "User", "name": "alice",
                                 "apiGroup": "rbac.authorization.k8s.io"}]})
    result = waxctl("--context", "alice", "dataflow", "deploy", flow_file, "-n", namespace,
                    "--yes", check=False)
    assert result.returncode == 1 and "forbidden" in result.stderr.lower(), result.stderr
    names = [item.metadata.name for item in
             client.CoreV1Api(api).list_namespaced_config_map(namespace).items]
    assert "tiny-flow" not in names
