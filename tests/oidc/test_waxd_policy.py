"""waxd (local mode) with an OpenID provider and a policy file: the token file's owner may do
everything, signed-in users what the policy allows them, in the namespaces it names; and
`waxctl login` works against waxd as against wax-api."""

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from oidc_provider import WAX_API

E2E = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("e2e_fixtures", E2E)
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)
BIN = e2e.BIN

POLICY = """\
rules:
  - groups: [wax-admins]
    namespaces: ["*"]
    verbs: ["*"]
    resources: ["*"]
  - users: [bob]
    namespaces: [team-a]
    verbs: [get, list, watch, create, update, delete]
"""
FLOW = "from bytewax.testing import run_main\n"


@pytest.fixture(scope="module")
def waxd(oidc, tmp_path_factory):
    directory = tmp_path_factory.mktemp("waxd")
    policy = directory / "policy.yaml"
    policy.write_text(POLICY)
    daemon = e2e.Waxd(directory / "data", ["--auth-issuer", oidc.issuer, "--client-id", "waxctl",
                                            "--audience", WAX_API, "--policy", str(policy),
                                            "--login-scopes",
                                            "openid profile email groups offline_access"])
    daemon.data_dir.mkdir()
    daemon.start()
    yield daemon
    daemon.stop()


def call(waxd, method, path, token, headers=None, **kwargs):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return requests.request(method, waxd.url + path, headers=headers, timeout=30, **kwargs)


def token(oidc, user):
    return oidc.password_login(user)["access_token"]


def dto(namespace, name):
    return {"name": name, "namespace": namespace, "fileContent": FLOW,
            "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py",
                     "processesCount": 1, "suspend": True}}


def test_the_owner_token_still_does_everything(waxd):
    answer = call(waxd, "POST", "/dataflows", waxd.token, json=dto("default", "owned"))
    assert answer.status_code == 200, answer.text
    assert "owned" in waxd.waxctl("dataflow", "list").stdout
    whoami = call(waxd, "GET", "/auth/whoami", waxd.token).json()
    assert whoami == {"user": "owner", "groups": []}


def test_users_do_what_the_policy_allows_where_it_allows(waxd, oidc):
    bob, alice = token(oidc, "bob"), token(oidc, "alice")
    created = call(waxd, "POST", "/dataflows", bob, json=dto("team-a", "bobs"))
    assert created.status_code == 200, created.text
    refused = call(waxd, "POST", "/dataflows", bob, json=dto("team-b", "bobs"))
    assert refused.status_code == 403
    assert refused.json()["message"] == ('user "bob" (groups: wax-users) may not create '
                                         'dataflows in namespace "team-b": no rule of the '
                                         'policy file allows it')
    log = (waxd.data_dir / "waxd-test.log").read_text()
    assert "access user=bob verb=create resource=dataflows namespace=team-a status=200" in log
    assert "access user=bob verb=create resource=dataflows namespace=team-b status=403" in log
    assert bob not in log
    assert call(waxd, "GET", "/api/v1/namespaces/team-b/dataflows/bobs", bob).status_code == 403
    assert call(waxd, "GET", "/api/v1/dataflows", bob).status_code == 403
    assert call(waxd, "DELETE", "/dataflows/owned", bob,
                params={"namespace": "default"}).status_code == 403
    assert call(waxd, "GET", "/dataflows/owned", alice,
                params={"namespace": "default"}).status_code == 200

    mine = call(waxd, "GET", "/api/v1/namespaces/team-a/dataflows", bob).json()
    assert [item["metadata"]["name"] for item in mine["items"]] == ["bobs"]
    assert call(waxd, "GET", "/namespaces", bob).json() == {"namespaces": ["team-a"]}
    everything = call(waxd, "GET", "/namespaces", alice).json()["namespaces"]
    assert {"default", "team-a"} <= set(everything)
    items = call(waxd, "GET", "/api/v1/namespaces", bob).json()["items"]
    assert [item["metadata"]["name"] for item in items] == ["team-a"]


def test_secrets_need_a_rule_that_names_them(waxd, oidc):
    bob, alice = token(oidc, "bob"), token(oidc, "alice")
    secret = {"name": "creds", "namespace": "team-a", "data": [{"key": "K", "value": "v4lue"}]}
    assert call(waxd, "POST", "/secrets", alice, json=secret).status_code == 200
    revealed = call(waxd, "GET", "/secrets/creds", alice,
                    params={"namespace": "team-a", "include_values": "true"})
    assert revealed.json()["data"] == [{"key": "K", "value": "v4lue"}]
    for method, path, params in [("GET", "/secrets", {"namespace": "team-a"}),
                                 ("GET", "/secrets/creds", {"namespace": "team-a",
                                                            "include_values": "true"}),
                                 ("DELETE", "/secrets/creds", {"namespace": "team-a"})]:
        answer = call(waxd, method, path, bob, params=params)
        assert answer.status_code == 403, (method, path)
        assert "secrets in namespace \"team-a\"" in answer.json()["message"]
        assert "v4lue" not in answer.text


def test_a_deeply_nested_body_from_a_user_is_refused_and_waxd_lives_on(waxd, oidc):
    bob = token(oidc, "bob")
    deep = '{"name": "d", "namespace": "team-a", "x": ' + "[" * 300_000 + "]" * 300_000 + "}"
    for path in ("/dataflows", "/api/v1/namespaces/team-a/dataflows"):
        answer = call(waxd, "POST", path, bob, data=deep,
                      headers={"Content-Type": "application/json"})
        # The platform's body names the namespace; one too deep to read names none of bob's.
        assert answer.status_code in (400, 403), answer.text
    assert waxd.process.poll() is None
    assert call(waxd, "GET", "/healthz", None).status_code == 200


def test_without_a_valid_token_nothing_is_answered(waxd, oidc):
    for bad in (None, "not-a-token", oidc.password_login("bob")["id_token"]):
        answer = call(waxd, "POST", "/dataflows", bad, json=dto("team-a", "nope"))
        assert answer.status_code == 401, bad
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert call(waxd, "GET", "/api/v1/namespaces/team-a/dataflows/nope", waxd.token
                ).status_code == 404
    assert call(waxd, "GET", "/auth/config", None).json()["issuer"] == oidc.issuer
    assert call(waxd, "GET", "/healthz", None).status_code == 200
    assert "wax_http_requests_total" in call(waxd, "GET", "/metrics", None).text


def test_waxctl_login_to_waxd_then_commands_act_as_the_user(waxd, oidc, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    browser = tmp_path / "browser.py"
    opened = tmp_path / "opened"
    browser.write_text("import sys, pathlib\n"
                       f"pathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "WAX_SERVER",
                                                            "WAX_TOKEN", "DISPLAY")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               WAX_DATA_DIR=str(home / "data"), BROWSER=f"{sys.executable} {browser}")
    process = subprocess.Popen([str(BIN / "waxctl"), "login", "--server", waxd.url],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 30
        while not opened.exists() and time.time() < deadline:
            time.sleep(0.1)
        url = opened.read_text()
        redirect_uri = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        redirect = oidc.browser_login(url, "bob", oidc.users["bob"].password, redirect_uri)
        requests.get(redirect, timeout=10)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "as bob (groups: wax-users)" in stdout

    def waxctl(*args):
        return subprocess.run([str(BIN / "waxctl"), *args], capture_output=True, text=True,
                              timeout=60, env=env)
    source = tmp_path / "flow.py"
    source.write_text(FLOW)
    deployed = waxctl("dataflow", "deploy", str(source), "--name", "viacli", "-n", "team-a")
    assert deployed.returncode == 0, deployed.stderr
    assert "viacli" in waxctl("dataflow", "list", "-n", "team-a").stdout
    refused = waxctl("dataflow", "list", "-n", "default")
    assert refused.returncode == 1
    assert 'may not list dataflows in namespace "default"' in refused.stderr
    assert json.loads(waxctl("target", "-o", "json").stdout)["server"] == waxd.url


@pytest.mark.parametrize("policy, words", [
    ("rules: [{users: [bob], namespaces: [team-a], verbs: [read]}]",
     'rules[0].verbs: "read" is not a verb'),
    ("rules:\n  - users: [bob]\n    verbs: [get]\n", "needs namespaces and verbs"),
    ("not: a policy\n", "rules: required"),
])
def test_a_bad_policy_stops_waxd_with_the_field_and_the_fix(oidc, tmp_path, policy, words):
    path = tmp_path / "policy.yaml"
    path.write_text(policy)
    result = subprocess.run([str(BIN / "waxd"), "--data-dir", str(tmp_path / "data"),
                             "--auth-issuer", oidc.issuer, "--client-id", "waxctl",
                             "--policy", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, result
    assert words in result.stderr and str(path) in result.stderr
    assert not (tmp_path / "data" / "waxd.json").exists()


def test_an_issuer_without_a_policy_is_a_usage_error(oidc, tmp_path):
    result = subprocess.run([str(BIN / "waxd"), "--data-dir", str(tmp_path / "data"),
                             "--auth-issuer", oidc.issuer, "--client-id", "waxctl"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--policy" in result.stderr
