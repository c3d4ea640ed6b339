"""wax-operator through faults: killed with SIGKILL in the middle of its work and started
again, the API server restarted under its watches, and two replicas electing one leader."""

import re
import subprocess
import time
import urllib.error
import urllib.request

import pytest
from kubernetes import client

from conftest import BIN
from operator_process import Operator, wait_until
from test_operator import deploy, phase_is, GROUP, VERSION, PLURAL


@pytest.fixture()
def k8s(api):
    return {"core": client.CoreV1Api(api), "apps": client.AppsV1Api(api),
            "custom": client.CustomObjectsApi(api),
            "coordination": client.CoordinationV1Api(api)}


@pytest.fixture()
def operators(cluster, tmp_path):
    started = []

    def start(*extra, identity="wax-operator-test"):
        started.append(Operator(cluster, tmp_path, *extra, identity=identity).start())
        return started[-1]
    yield start
    for running in started:
        running.kill()
        print(f"--- {running.log_path.name}\n{running.log()[-8000:]}")


def children(k8s, namespace):
    return (k8s["apps"].list_namespaced_stateful_set(namespace).items,
            k8s["core"].list_namespaced_service(namespace).items)


def test_killed_mid_reconcile_then_restarted_converges_without_duplicates(operators, k8s,
                                                                          namespace):
    names = [f"flow-{i}" for i in range(8)]
    first = operators()
    for name in names:
        deploy(k8s, namespace, name, processesCount=2)
    time.sleep(0.5)
    first.kill()
    operators()

    def converged():
        items = k8s["custom"].list_namespaced_custom_object(GROUP, VERSION, namespace,
                                                            PLURAL)["items"]
        done = [item for item in items if item.get("status", {}).get("observedGeneration")]
        return len(done) == len(names)
    wait_until(converged, timeout=90, what="every dataflow reconciled")
    statefulsets, services = children(k8s, namespace)
    assert sorted(s.metadata.name for s in statefulsets) == names
    assert sorted(s.metadata.name for s in services) == sorted(
        [*names, *[f"{name}-api" for name in names]])
    for sts in statefulsets:
        assert len(sts.metadata.owner_references) == 1


def test_a_restarted_api_server_does_not_stop_reconciling(cluster, operators, k8s, namespace):
    operators()
    deploy(k8s, namespace, "before", processesCount=1)
    wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("before", namespace),
               what="the first StatefulSet")
    cluster.restart_apiserver()
    deploy(k8s, namespace, "after", processesCount=1)
    wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("after", namespace),
               timeout=90, what="a StatefulSet made after the restart")
    # The watch that broke resumes too: a change to the first dataflow is acted on.
    k8s["custom"].patch_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "before",
                                                 {"spec": {"processesCount": 3}})
    wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("before", namespace)
               .spec.replicas == 3, timeout=60, what="the rescale after the restart")


def holder(k8s, lease):
    return k8s["coordination"].read_namespaced_lease(lease, "default").spec.holder_identity


def test_two_replicas_one_leader_and_failover(operators, k8s, namespace):
    lease = f"wax-{namespace}"
    election = ["--leader-elect", "--lease-namespace", "default", "--lease-name", lease,
                "--lease-duration", "6s"]
    replicas = {name: operators(*election, identity=name) for name in ("replica-a", "replica-b")}
    leader = wait_until(lambda: holder(k8s, lease), what="a lease holder")
    standby = next(name for name in replicas if name != leader)
    deploy(k8s, namespace, "led", processesCount=1)
    wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("led", namespace),
               what="the leader's reconcile")
    assert "leading" not in replicas[standby].log()

    replicas[leader].kill()
    started = time.monotonic()
    wait_until(lambda: holder(k8s, lease) == standby, timeout=30, what="the standby leading")
    assert time.monotonic() - started < 6 + 6  # the lease duration and one retry period
    deploy(k8s, namespace, "failover", processesCount=1)
    wait_until(lambda: k8s["apps"].read_namespaced_stateful_set("failover", namespace),
               what="the new leader's reconcile")


def test_a_clean_stop_hands_the_lease_over_at_once(operators, k8s, namespace):
    lease = f"wax-{namespace}"
    election = ["--leader-elect", "--lease-namespace", "default", "--lease-name", lease,
                "--lease-duration", "60s"]
    first = operators(*election, identity="first")
    wait_until(lambda: holder(k8s, lease) == "first", what="the first replica leading")
    operators(*election, identity="second")
    assert first.stop() == 0
    wait_until(lambda: holder(k8s, lease) == "second", timeout=20,
               what="the second replica leading well before the 60 s lease ran out")


def probe(operator, path):
    port = wait_until(lambda: re.search(r"serving probes address=127\.0\.0\.1:(\d+)",
                                        operator.log()), what="the probes' port").group(1)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_without_rights_it_is_not_ready_and_stops_saying_which(operators):
    # alice, in the test bed's kubeconfig, is a user whom no RBAC rule grants anything.
    unprivileged = operators("--context", "alice")
    status, body = probe(unprivileged, "/readyz")
    assert status == 503 and "caches" in body
    assert probe(unprivileged, "/healthz")[0] == 200
    unprivileged.process.wait(60)
    assert unprivileged.process.returncode == 1
    log = unprivileged.log()
    assert "forbidden" in log.lower() and "service account" in log


def test_ready_once_reconciling(operators):
    running = operators()
    wait_until(lambda: probe(running, "/readyz")[0] == 200, what="ready")


@pytest.mark.parametrize("flags, named", [
    (["--namespaces", "ok,Bad_NS"], '--namespaces: "Bad_NS" is not a namespace name'),
    (["--workers", "0"], "--workers"),
    (["--resync-seconds", "1"], "--resync-seconds"),
    (["--orphaned-code-seconds", "0"], "--orphaned-code-seconds"),
    (["--cluster-domain", "bad domain!"], "--cluster-domain"),
    (["--otlp-url", "not a url"], "--otlp-url"),
    (["--metrics-address", ":99999"], "--metrics-address"),
    (["--metrics-address", "nonsense"], "--metrics-address"),
    (["--lease-duration", "0s"], "--lease-duration"),
    (["--lease-duration", "15"], "--lease-duration"),
    (["--lease-namespace", "Bad_NS"], "--lease-namespace"),
    (["--namespaces", ",,"], "--namespaces"),
])
def test_a_bad_flag_exits_2_naming_it(flags, named):
    result = subprocess.run([str(BIN / "wax-operator"), *flags], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2, result
    assert named in result.stderr
