"""With the Prometheus Operator's PodMonitor CRD installed, wax-operator makes a PodMonitor for
each dataflow's metrics endpoint, and removes it with the dataflow."""

import pytest
from kubernetes import client

from operator_process import Operator, wait_until
from test_operator import deploy, GROUP, VERSION, PLURAL

# The PodMonitor CRD as far as the operator needs it: the real one's schema is long, and what
# is tested is that the operator finds the kind and makes objects of it.
PODMONITOR_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "podmonitors.monitoring.coreos.com"},
    "spec": {"group": "monitoring.coreos.com", "scope": "Namespaced",
             "names": {"plural": "podmonitors", "singular": "podmonitor", "kind": "PodMonitor",
                       "listKind": "PodMonitorList"},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                 "openAPIV3Schema": {"type": "object",
                                     "x-kubernetes-preserve-unknown-fields": True}}}]}}


@pytest.fixture(scope="module")
def operator(cluster, tmp_path_factory):
    cluster.apply(PODMONITOR_CRD)
    cluster.kubectl("wait", "--for=condition=Established",
                    "crd/podmonitors.monitoring.coreos.com", "--timeout=60s")
    running = Operator(cluster, tmp_path_factory.mktemp("operator")).start()
    yield running
    running.stop()
    cluster.kubectl("delete", "crd", "podmonitors.monitoring.coreos.com", "--wait=true")


def test_a_dataflow_gets_a_podmonitor_that_goes_with_it(operator, api, namespace):
    k8s = {"core": client.CoreV1Api(api), "custom": client.CustomObjectsApi(api)}
    deploy(k8s, namespace, "watched", processesCount=2)

    def monitor():
        return k8s["custom"].get_namespaced_custom_object(
            "monitoring.coreos.com", "v1", namespace, "podmonitors", "watched")
    found = wait_until(monitor, what="the PodMonitor")
    spec = found["spec"]
    assert spec["podMetricsEndpoints"] == [{"port": "api", "path": "/metrics"}]
    assert spec["selector"]["matchLabels"]["bytewax.io/dataflow-info"] == "watched"
    assert found["metadata"]["ownerReferences"][0]["kind"] == "Dataflow"

    k8s["custom"].delete_namespaced_custom_object(GROUP, VERSION, namespace, PLURAL, "watched")

    def gone():
        try:
            monitor()
            return False
        except client.ApiException as error:
            return error.status == 404
    wait_until(gone, what="the PodMonitor gone")
