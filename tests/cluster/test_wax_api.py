"""wax-api on the real control plane with a real OpenID provider: every request needs a token
the provider signed, and WaxAPI acts as its user through impersonation, so that RBAC decides.
alice is in the group wax-admins (bound cluster-wide); bob may use one namespace only; carol,
in no group, is bound by the one test that needs her."""

import base64
import http.client
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
import requests

from conftest import BIN
from operator_process import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oidc"))
from oidc_provider import OidcProvider, WAX_API, default_config  # noqa: E402

FLOW = "from bytewax.testing import run_main\n"
DASHBOARD_ORIGIN = "https://dash.example.com"
LOGIN_SCOPES = "openid profile email groups offline_access"
RULES = [{"apiGroups": ["bytewax.io"], "resources": ["dataflows", "dataflows/status"],
          "verbs": ["*"]},
         {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["*"]},
         {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list"]},
         {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get", "list"]}]
SECRET_RULES = [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    config = default_config()
    config["users"].append({"username": "carol", "password": "carol-password"})
    with OidcProvider(tmp_path_factory.mktemp("oidc"), config) as running:
        yield running


def start_wax_api(cluster, provider, log_path, *flags):
    """wax-api for `provider`'s tokens on a free port; returns the process and its URL."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "wax-api"), "--kubeconfig", str(cluster.kubeconfig), "--listen",
             "127.0.0.1:0", "--auth-issuer", provider.issuer, "--client-id", "waxctl",
             "--audience", WAX_API, *flags],
            stdout=log, stderr=subprocess.STDOUT)
    port = wait_until(lambda: re.search(r"address=127\.0\.0\.1:(\d+)", log_path.read_text()),
                      what="wax-api serving").group(1)
    return process, f"http://127.0.0.1:{port}"


def stop_wax_api(process, log_path):
    process.terminate()
    process.wait(10)
    print(log_path.read_text()[-5000:])


@pytest.fixture(scope="module")
def wax_api(cluster, provider, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("wax-api") / "wax-api.log"
    process, url = start_wax_api(cluster, provider, log_path, "--cors-allow-origin",
                                 DASHBOARD_ORIGIN, "--max-body-mib", "1", "--login-scopes",
                                 LOGIN_SCOPES)
    yield url
    stop_wax_api(process, log_path)


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

    def grant(namespace, user="bob"):
        cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                       "metadata": {"name": user, "namespace": namespace},
                       "roleRef": {"apiGroup": "rbac.authorization.k8s.io",
                                   "kind": "ClusterRole", "name": "wax-api-test-user"},
                       "subjects": [{"kind": "User", "name": user,
                                     "apiGroup": "rbac.authorization.k8s.io"}]})
    return grant


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
    # RFC 6750 section 3.1: no error code when no token came.
    assert answer.headers["WWW-Authenticate"] == 'Bearer realm="wax"'
    for token in ("not-a-jwt", "a.b.c", provider.password_login("bob")["id_token"]):
        answer = requests.get(f"{wax_api}/dataflows", params={"namespace": namespace},
                              headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 401, token
        assert 'error="invalid_token"' in answer.headers["WWW-Authenticate"]
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


def test_login_config_and_health_need_no_token(wax_api, provider):
    config = requests.get(f"{wax_api}/auth/config", timeout=10)
    assert config.status_code == 200
    assert config.json() == {"issuer": provider.issuer, "clientId": "waxctl",
                             "scopes": LOGIN_SCOPES}
    assert requests.get(f"{wax_api}/auth/whoami", timeout=10).status_code == 401


def test_whoami_names_the_user_and_groups_of_the_token(wax_api, provider):
    answer = requests.get(f"{wax_api}/auth/whoami", headers=bearer(provider, "alice"), timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"user": "alice", "groups": ["wax-admins", "wax-users"]}


def test_cors_answers_allowed_origins_only(wax_api, provider):
    preflight = {"Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization, content-type"}
    allowed = requests.options(f"{wax_api}/dataflows", timeout=10,
                               headers={"Origin": DASHBOARD_ORIGIN, **preflight})
    assert allowed.status_code == 204
    assert allowed.headers["Access-Control-Allow-Origin"] == DASHBOARD_ORIGIN
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]

    refused = requests.options(f"{wax_api}/dataflows", timeout=10,
                               headers={"Origin": "https://evil.example.com", **preflight})
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers
    assert "--cors-allow-origin" in refused.json()["message"]

    answer = requests.get(f"{wax_api}/namespaces", timeout=10,
                          headers={"Origin": DASHBOARD_ORIGIN, **bearer(provider, "alice")})
    assert answer.headers["Access-Control-Allow-Origin"] == DASHBOARD_ORIGIN
    assert answer.headers["Vary"] == "Origin"
    other = requests.get(f"{wax_api}/healthz", headers={"Origin": "https://evil.example.com"},
                         timeout=10)
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_body_over_the_limit_is_refused_before_anything_is_stored(wax_api, provider,
                                                                    namespace, cluster):
    big = dto(namespace, "big")
    big["fileContent"] = "# padding\n" * 120_000  # 1.2 MB, over --max-body-mib 1
    answer = requests.post(f"{wax_api}/dataflows", json=big, headers=bearer(provider, "alice"),
                           timeout=30)
    assert answer.status_code == 413
    assert "1 MiB" in answer.json()["message"]
    assert cluster.kubectl("get", "dataflow", "big", "-n", namespace,
                           check=False).returncode != 0


def test_metrics_count_requests_by_route_template(wax_api, provider, namespace):
    headers = bearer(provider, "alice")
    for name in ("one", "two"):
        requests.get(f"{wax_api}/dataflows/{name}", params={"namespace": namespace},
                     headers=headers, timeout=10)
    requests.put(f"{wax_api}/dataflows/one", json={}, timeout=10)  # 401 before its body
    text = requests.get(f"{wax_api}/metrics", timeout=10).text
    series = [line for line in text.splitlines() if line.startswith("wax_http_requests_total{")]
    not_found = [line for line in series
                 if 'route="/dataflows/{name}"' in line and 'code="404"' in line]
    assert len(not_found) == 1, series
    assert float(not_found[0].rsplit(" ", 1)[1]) >= 2
    assert not any("/dataflows/one" in line for line in series)
    assert any('route="/dataflows/{name}"' in line and 'method="PUT"' in line and
               'code="401"' in line for line in series), series
    assert "wax_http_request_duration_seconds_bucket{" in text


@pytest.mark.parametrize("flag", [["--cors-allow-origin", "https://dash.example.com/app"],
                                  ["--cors-allow-origin", "dash.example.com"],
                                  ["--io-timeout", "0s"], ["--max-body-mib", "0"],
                                  ["--max-streams", "-1"]])
def test_bad_flags_exit_2_naming_the_flag(flag, provider):
    result = subprocess.run([str(BIN / "wax-api"), "--auth-issuer", provider.issuer,
                             "--client-id", "waxctl", *flag], capture_output=True, text=True,
                            timeout=30)
    assert result.returncode == 2, result
    assert flag[0] in result.stderr


def test_secrets_are_kubernetes_secrets_and_rbac_decides(cluster, wax_api, provider, rbac,
                                                         namespace):
    rbac(namespace)
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                   "metadata": {"name": "secrets", "namespace": namespace},
                   "rules": SECRET_RULES})
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                   "metadata": {"name": "alice-secrets", "namespace": namespace},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                               "name": "secrets"},
                   "subjects": [{"kind": "User", "name": "alice",
                                 "apiGroup": "rbac.authorization.k8s.io"}]})
    alice, bob = bearer(provider, "alice"), bearer(provider, "bob")
    secret = {"name": "creds", "namespace": namespace,
              "data": [{"key": "LITESTREAM_SECRET_ACCESS_KEY", "value": "s3cr3t-value"}]}
    created = requests.post(f"{wax_api}/secrets", json=secret, headers=alice, timeout=30)
    assert created.status_code == 200, created.text
    stored = cluster.kubectl("get", "secret", "creds", "-n", namespace, "-o",
                             "jsonpath={.data.LITESTREAM_SECRET_ACCESS_KEY}").stdout
    assert base64.b64decode(stored).decode() == "s3cr3t-value"

    listed = requests.get(f"{wax_api}/secrets", params={"namespace": namespace}, headers=alice,
                          timeout=30).json()
    assert listed == {"secrets": [{"name": "creds", "namespace": namespace,
                                   "data": [{"key": "LITESTREAM_SECRET_ACCESS_KEY",
                                             "value": ""}]}]}
    revealed = requests.get(f"{wax_api}/secrets/creds", headers=alice, timeout=30,
                            params={"namespace": namespace, "include_values": "true"}).json()
    assert revealed == secret
    refused = requests.get(f"{wax_api}/secrets/creds", headers=bob, timeout=30,
                           params={"namespace": namespace, "include_values": "true"})
    assert refused.status_code == 403 and "s3cr3t-value" not in refused.text


def test_jobs_of_a_dataflow_are_its_kubernetes_jobs(cluster, wax_api, provider, rbac,
                                                    namespace):
    rbac(namespace)
    alice = bearer(provider, "alice")
    flow = dto(namespace, "batch")
    flow["spec"]["jobMode"] = True
    assert requests.post(f"{wax_api}/dataflows", json=flow, headers=alice,
                         timeout=30).status_code == 200
    # No operator runs here: the Job is made as the operator makes it, with the labels.
    cluster.apply({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": "batch", "namespace": namespace,
                                "labels": {"bytewax.io/dataflow": "batch"}},
                   "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                       {"name": "process", "image": "bytewax/bytewax:0.21.1"}]}}}})
    cluster.apply({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": "unrelated", "namespace": namespace},
                   "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [
                       {"name": "process", "image": "bytewax/bytewax:0.21.1"}]}}}})

    def jobs():
        answer = requests.get(f"{wax_api}/dataflows/batch/jobs", headers=alice, timeout=30,
                              params={"namespace": namespace})
        assert answer.status_code == 200, answer.text
        listed = answer.json()["jobs"]
        return listed if listed and listed[0]["startTime"] else None
    listed = wait_until(jobs, what="the Job started by the Job controller")
    assert [job["name"] for job in listed] == ["batch"]
    assert set(listed[0]) >= {"name", "startTime", "completionTime", "ready", "succeded",
                              "terminating"}
    missing = requests.get(f"{wax_api}/dataflows/nope/jobs", headers=alice, timeout=30,
                           params={"namespace": namespace})
    assert missing.status_code == 404


def manifest(namespace, name):
    return {"apiVersion": "bytewax.io/v1alpha1", "kind": "Dataflow",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py", "suspend": True}}


def test_lists_come_from_the_watch_cache_and_follow_changes_made_elsewhere(
        cluster, wax_api, provider, rbac, namespace):
    rbac(namespace)
    alice = bearer(provider, "alice")
    url = f"{wax_api}/api/v1/namespaces/{namespace}/dataflows"

    def names():
        answer = requests.get(url, headers=alice, timeout=30)
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        # The cache keeps objects without managedFields; the API server's list has them.
        return ({item["metadata"]["name"] for item in items},
                all("managedFields" not in item["metadata"] for item in items))

    cluster.apply(manifest(namespace, "from-kubectl"))
    wait_until(lambda: names() == ({"from-kubectl"}, True), what="the cached list")
    cluster.kubectl("delete", "dataflow", "from-kubectl", "-n", namespace)
    wait_until(lambda: names() == (set(), True), what="the deletion in the cached list")


def test_cached_lists_are_checked_with_the_callers_rbac(cluster, wax_api, provider, rbac,
                                                        namespace):
    other = namespace + "-y"
    cluster.kubectl("create", "namespace", other)
    try:
        rbac(namespace)
        cluster.apply(manifest(other, "theirs"))
        bob = bearer(provider, "bob")
        mine = requests.get(f"{wax_api}/api/v1/namespaces/{namespace}/dataflows", headers=bob,
                            timeout=30)
        assert mine.status_code == 200 and mine.json()["items"] == []
        theirs = requests.get(f"{wax_api}/api/v1/namespaces/{other}/dataflows", headers=bob,
                              timeout=30)
        assert theirs.status_code == 403 and "theirs" not in theirs.text
        assert 'User "bob"' in theirs.json()["message"]  # the API server's own words
        everywhere = requests.get(f"{wax_api}/api/v1/dataflows", headers=bob, timeout=30)
        assert everywhere.status_code == 403 and "theirs" not in everywhere.text
        rbac(other)  # a grant shows within the reviews' memory of 5 s
        wait_until(lambda: requests.get(f"{wax_api}/api/v1/namespaces/{other}/dataflows",
                                        headers=bob, timeout=30).status_code == 200,
                   what="bob's new right", timeout=30)
    finally:
        cluster.kubectl("delete", "namespace", other, "--wait=false", check=False)


def test_a_user_bound_in_one_namespace_lists_exactly_that_one(cluster, wax_api, provider, rbac,
                                                              namespace):
    """carol may not list namespaces (no role grants it); she may use one namespace. Both lists
    of namespaces name exactly that one, and never another; alice, who may list Dataflows
    everywhere, gets every namespace."""
    rbac(namespace, user="carol")
    carol, alice = bearer(provider, "carol"), bearer(provider, "alice")

    def names(headers, path):
        answer = requests.get(f"{wax_api}{path}", headers=headers, timeout=30)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        return (body["namespaces"] if path == "/namespaces"
                else [item["metadata"]["name"] for item in body["items"]])

    seen = []

    def carols(path):
        seen.append(names(carol, path))
        return seen[-1] == [namespace]
    # The cluster's list is remembered for 5 s: the new namespace may show a moment later.
    wait_until(lambda: carols("/namespaces"), what="carol's namespace", timeout=30)
    assert carols("/api/v1/namespaces")
    assert all(set(listed) <= {namespace} for listed in seen), seen
    for path in ("/namespaces", "/api/v1/namespaces"):
        assert {namespace, "default", "kube-system"} <= set(names(alice, path))


def test_the_token_is_checked_before_the_body_is_read(wax_api, namespace, cluster):
    """A chunked body without a token: the 401 comes at once, while the body is still unsent
    (reading it first would wait for the rest, up to --io-timeout, 30 s here)."""
    url = urlparse(wax_api)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    body = json.dumps(manifest(namespace, "unsent")).encode()
    started = time.monotonic()
    connection.putrequest("POST", f"/api/v1/namespaces/{namespace}/dataflows")
    connection.putheader("Transfer-Encoding", "chunked")
    connection.putheader("Content-Type", "application/json")
    connection.endheaders()
    connection.send(b"%x\r\n%s\r\n" % (len(body), body))  # and never the last chunk
    answer = connection.getresponse()
    assert answer.status == 401, answer.read()
    assert time.monotonic() - started < 5
    connection.close()
    assert cluster.kubectl("get", "dataflow", "unsent", "-n", namespace,
                           check=False).returncode != 0


def test_the_platforms_list_from_the_cache_is_the_api_servers(cluster, wax_api, provider, rbac,
                                                              namespace):
    """Right after a write through wax-api its lists go to the API server (a caller reads their
    own writes); 2 s later they come from the watch cache, rendered by the same code: both
    answers must be the same, and a change made with kubectl must show in the cached one."""
    rbac(namespace)
    alice = bearer(provider, "alice")

    def listed():
        answer = requests.get(f"{wax_api}/dataflows", params={"namespace": namespace},
                              headers=alice, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer.json()
    cluster.apply(manifest(namespace, "from-kubectl"))
    created = requests.post(f"{wax_api}/dataflows", json=dto(namespace, "from-api"),
                            headers=alice, timeout=30)
    assert created.status_code == 200, created.text
    from_api_server = listed()
    assert [d["name"] for d in from_api_server["dataflows"]] == ["from-api", "from-kubectl"]
    time.sleep(2.5)
    assert listed() == from_api_server
    cluster.kubectl("delete", "dataflow", "from-kubectl", "-n", namespace)
    wait_until(lambda: [d["name"] for d in listed()["dataflows"]] == ["from-api"],
               what="the deletion in the cached platform list")
