"""wax-api on the real control plane with a real OpenID provider: every request needs a token
the provider signed, and WaxAPI acts as its user through impersonation, so that RBAC decides.
alice is in the group wax-admins (bound cluster-wide); bob may use one namespace only."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import BIN
from operator_process import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oidc"))
from oidc_provider import OidcProvider, WAX_API, default_config  # noqa: E402

FLOW = "from bytewax.testing import run_main\n"
RULES = [{"apiGroups": ["bytewax.io"], "resources": ["dataflows", "dataflows/status"],
          "verbs": ["*"]},
         {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]},
         {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]}]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with OidcProvider(tmp_path_factory.mktemp("oidc"), default_config()) as running:
        yield running


@pytest.fixture(scope="module")
def wax_api(cluster, provider, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("wax-api") / "wax-api.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "wax-api"), "--kubeconfig", str(cluster.kubeconfig), "--listen",
             "127.0.0.1:0", "--auth-issuer", provider.issuer, "--client-id", "waxctl",
             "--audience", WAX_API], stdout=log, stderr=subprocess.STDOUT)
    port = wait_until(lambda: re.search(r"address=127\.0\.0\.1:(\d+)", log_path.read_text()),
                      what="wax-api serving").group(1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)
    print(log_path.read_text()[-5000:])


@pytest.fixture(scope="module")
def rbac(cluster):
    """wax-admins may do everything everywhere; bob only in his namespace."""
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "wax-api-test-user"}, "rules": RULES})
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": "wax-api-test-admins"},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                               "name": "wax-api-test-user"},
                   "subjects": [{"kind": "Group", "name": "wax-admins",
                                 "apiGroup": "rbac.authorization.k8s.io"}]})

    def grant_bob(namespace):
        cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                       "metadata": {"name": "bob", "namespace": namespace},
                       "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                   "kind": "ClusterRole", "name": "wax-api-test-user"},
                       "subjects": [{"kind": "User", "name": "bob",
                                     "apiGroup": "rbac.authorization.k8s.io"}]})
    return grant_bob


def bearer(provider, user):
    token = provider.password_login(user)["access_token"]
    return {"Authorization": f"Bearer {token}"}


def dto(namespace, name):
    return {"name": name, "namespace": namespace, "fileContent": FLOW,
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py",
                     "processesCount": 1}}


def test_without_a_valid_token_nothing_is_answered(wax_api, provider, namespace):
    answer = requests.get(f"{wax_api}/dataflows", params={"namespace": namespace}, timeout=10)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    for token in ("not-a-jwt", "a.b.c", provider.password_login("bob")["id_token"]):
        answer = requests.get(f"{wax_api}/dataflows", params={"namespace": namespace},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 401, token
        assert token not in answer.text
    assert requests.get(f"{wax_api}/healthz", timeout=10).status_code == 200


def test_the_api_description_needs_no_token(wax_api):
    document = requests.get(f"{wax_api}/openapi.json", timeout=10)
    assert document.status_code == 200
    assert "/api/v1/namespaces/{namespace}/dataflows" in document.json()["paths"]
    page = requests.get(f"{wax_api}/docs", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")


def test_a_token_of_another_provider_is_refused(wax_api, tmp_path, namespace):
    with OidcProvider(tmp_path / "second", default_config()) as second:
        answer = requests.get(f"{wax_api}/dataflows", params={"namespace": namespace},
                              headers=bearer(second, "alice"), timeout=10)
        assert answer.status_code == 401


def test_users_see_and_change_what_rbac_allows(cluster, wax_api, provider, rbac, namespace):
    other = namespace + "-x"
    cluster.kubectl("create", "namespace", other)
    try:
        rbac(namespace)
        alice, bob = bearer(provider, "alice"), bearer(provider, "bob")
        for ns in (namespace, other):
            created = requests.post(f"{wax_api}/dataflows", json=dto(ns, "shared"),
                                    headers=alice, timeout=30)
            assert created.status_code == 200, created.text
        everything = requests.get(f"{wax_api}/api/v1/dataflows", headers=alice, timeout=30)
        assert everything.status_code == 200
        names = {(item["metadata"]["namespace"], item["metadata"]["name"])
                 for item in everything.json()["items"]}
        assert {(namespace, "shared"), (other, "shared")} <= names

        mine = requests.get(f"{wax_api}/dataflows", params={"namespace": namespace},
                            headers=bob, timeout=30)
        assert mine.status_code == 200
        assert [d["name"] for d in mine.json()["dataflows"]] == ["shared"]
        theirs = requests.get(f"{wax_api}/dataflows", params={"namespace": other},
                              headers=bob, timeout=30)
        assert theirs.status_code == 403, theirs.text
        removed = requests.delete(f"{wax_api}/dataflows/shared", params={"namespace": other},
                                  headers=bob, timeout=30)
        assert removed.status_code == 403
        assert cluster.kubectl("get", "dataflow", "shared", "-n", other).returncode == 0
        everywhere = requests.get(f"{wax_api}/api/v1/dataflows", headers=bob, timeout=30)
        assert everywhere.status_code == 403, "bob may not list every namespace"
    finally:
        cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)
