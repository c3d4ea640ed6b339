"""Runs the C++ integration tests of the Kubernetes client and of the store over it
(tests/integration/kube) against the real control plane, in a namespace of their own."""

import os
import subprocess

from conftest import BIN

BINARY = BIN / "kube_integration_test"


def test_kube_client_against_the_real_api_server(cluster, namespace):
    environment = {**os.environ, "WAX_TEST_KUBECONFIG": str(cluster.kubeconfig),
                   "WAX_TEST_NAMESPACE": namespace}
    result = subprocess.run([str(BINARY)], env=environment, capture_output=True, text=True,
                            timeout=300)
    print(result.stdout[-20000:], result.stderr[-5000:])
    assert result.returncode == 0
    assert "[  SKIPPED ]" not in result.stdout
    assert "[  PASSED  ]" in result.stdout
