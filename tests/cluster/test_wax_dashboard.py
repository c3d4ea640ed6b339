"""wax-dashboard on the real control plane, in front of a real wax-api, with a real OpenID
provider: a browser (here an HTTP session that follows what a browser would) signs in with the
authorization code flow, and the page's API calls go through the dashboard to WaxAPI as the
signed-in user, so that RBAC decides. The browser tests of the page itself are in
tests/dashboard."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from conftest import BIN
from operator_process import wait_until
from test_wax_api import dto, rbac, start_wax_api, stop_wax_api  # noqa: F401 (rbac)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oidc"))
from oidc_provider import OidcProvider, default_config  # noqa: E402

TIMEOUT = 15


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard_port():
    return free_port()


@pytest.fixture(scope="module")
def provider(tmp_path_factory, dashboard_port):
    config = default_config()
    base = f"http://127.0.0.1:{dashboard_port}"
    for client in config["clients"]:
        if client["client_id"] == "wax-dashboard":
            client["redirect_uris"] = [f"{base}/login"]
            client["post_logout_redirect_uris"] = [f"{base}/logout"]
    with OidcProvider(tmp_path_factory.mktemp("oidc"), config) as running:
        yield running


@pytest.fixture(scope="module")
def wax_api(cluster, provider, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("wax-api") / "wax-api.log"
    process, url = start_wax_api(cluster, provider, log_path)
    yield url
    stop_wax_api(process, log_path)


@pytest.fixture(scope="module")
def dashboard(provider, wax_api, dashboard_port, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("wax-dashboard") / "wax-dashboard.log"
    url = f"http://127.0.0.1:{dashboard_port}"
    environment = {"WAX_OIDC_CLIENT_SECRET": provider.clients["wax-dashboard"].client_secret,
                   "PATH": "/usr/bin:/bin"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "wax-dashboard"), "--listen", f"127.0.0.1:{dashboard_port}", "--url", url,
             "--api-url", wax_api, "--auth-issuer", provider.issuer, "--client-id",
             "wax-dashboard", "--title", "Team Wax"],
            stdout=log, stderr=subprocess.STDOUT, env=environment)
    wait_until(lambda: "serving" in log_path.read_text(), what="wax-dashboard serving")
    yield url
    process.terminate()
    process.wait(10)
    log_text = log_path.read_text()
    print(log_text[-5000:])
    assert provider.clients["wax-dashboard"].client_secret not in log_text


def sign_in(provider, dashboard, user):
    """Signs `user` in as a browser would; returns the session and its CSRF token."""
    browser = requests.Session()
    start = browser.get(f"{dashboard}/login", params={"return_to": "/ui/secrets"},
                        allow_redirects=False, timeout=TIMEOUT)
    assert start.status_code == 303, start.text
    assert start.headers["location"].startswith(provider.discovery["authorization_endpoint"])
    at_provider = browser.get(start.headers["location"], allow_redirects=False, timeout=TIMEOUT)
    callback = provider._drive(browser, at_provider, user, provider.users[user].password,
                               stop_at=f"{dashboard}/login")
    back = browser.get(callback, allow_redirects=False, timeout=TIMEOUT)
    assert back.status_code == 303, back.text
    assert back.headers["location"] == "/ui/secrets"
    session = browser.get(f"{dashboard}/auth/session", timeout=TIMEOUT).json()
    assert session["authenticated"] and session["user"] == user
    assert session["branding"]["title"] == "Team Wax"
    return browser, session["csrfToken"]


def test_a_signed_in_user_uses_the_api_as_themselves(provider, dashboard, namespace, rbac):
    rbac(namespace)
    alice, csrf = sign_in(provider, dashboard, "alice")
    bob, bob_csrf = sign_in(provider, dashboard, "bob")

    refused = alice.post(f"{dashboard}/dataflows", json=dto(namespace, "from-page"),
                         timeout=TIMEOUT)
    assert refused.status_code == 403 and "CSRF" in refused.json()["message"]
    created = alice.post(f"{dashboard}/dataflows", json=dto(namespace, "from-page"),
                         headers={"X-CSRF-Token": csrf}, timeout=TIMEOUT)
    assert created.status_code == 200, created.text

    listed = bob.get(f"{dashboard}/api/v1/namespaces/{namespace}/dataflows", timeout=TIMEOUT)
    assert [item["metadata"]["name"] for item in listed.json()["items"]] == ["from-page"]
    names = [item["metadata"]["name"] for item in
             bob.get(f"{dashboard}/api/v1/namespaces", timeout=TIMEOUT).json()["items"]]
    assert names == [namespace]
    forbidden = bob.get(f"{dashboard}/api/v1/namespaces/default/dataflows", timeout=TIMEOUT)
    assert forbidden.status_code == 403


def test_a_watch_streams_through_the_dashboard(provider, dashboard, namespace, rbac, cluster):
    alice, csrf = sign_in(provider, dashboard, "alice")
    with alice.get(f"{dashboard}/api/v1/namespaces/{namespace}/dataflows",
                   params={"watch": "true"}, stream=True, timeout=TIMEOUT) as watch:
        assert watch.status_code == 200
        assert "Content-Encoding" not in watch.headers
        created = alice.post(f"{dashboard}/dataflows", json=dto(namespace, "watched"),
                             headers={"X-CSRF-Token": csrf}, timeout=TIMEOUT)
        assert created.status_code == 200, created.text
        for line in watch.iter_lines():
            event = json.loads(line)
            if event["object"]["metadata"]["name"] == "watched":
                assert event["type"] == "ADDED"
                break


def test_without_a_session_the_api_is_refused_and_the_page_still_loads(dashboard, wax_api):
    answer = requests.get(f"{dashboard}/api/v1/namespaces", timeout=TIMEOUT)
    assert answer.status_code == 401
    assert "WWW-Authenticate" in answer.headers
    assert requests.get(f"{dashboard}/healthz", timeout=TIMEOUT).status_code == 200
    page = requests.get(f"{dashboard}/ui/dataflows", timeout=TIMEOUT)
    assert page.status_code == 200 and "<div id=\"root\">" in page.text


def test_a_callback_that_no_sign_in_started_is_refused(dashboard):
    answer = requests.get(f"{dashboard}/login", params={"code": "x", "state": "made-up"},
                          allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?error=sign_in_failed")


def test_sign_out_ends_the_session_and_the_providers(provider, dashboard):
    alice, csrf = sign_in(provider, dashboard, "alice")
    out = alice.post(f"{dashboard}/auth/session/logout", headers={"X-CSRF-Token": csrf},
                     timeout=TIMEOUT)
    assert out.status_code == 200
    target = out.json()["redirect"]
    assert target.startswith(provider.discovery["end_session_endpoint"])
    assert "post_logout_redirect_uri=" in target and "id_token_hint=" in target
    assert not alice.get(f"{dashboard}/auth/session", timeout=TIMEOUT).json()["authenticated"]
    assert alice.get(f"{dashboard}/api/v1/namespaces", timeout=TIMEOUT).status_code == 401


def test_bad_flags_exit_2_or_say_what_is_missing(provider, wax_api):
    missing_url = subprocess.run(
        [str(BIN / "wax-dashboard"), "--api-url", wax_api, "--auth-issuer", provider.issuer,
         "--client-id", "wax-dashboard", "--pkce"], capture_output=True, text=True, timeout=30)
    assert missing_url.returncode == 1 and "--url" in missing_url.stderr
    no_secret = subprocess.run(
        [str(BIN / "wax-dashboard"), "--api-url", wax_api, "--auth-issuer", provider.issuer,
         "--client-id", "wax-dashboard", "--url", "http://127.0.0.1:1"],
        capture_output=True, text=True, timeout=30, env={"PATH": "/usr/bin:/bin"})
    assert no_secret.returncode == 1 and "WAX_OIDC_CLIENT_SECRET" in no_secret.stderr
    bad = subprocess.run([str(BIN / "wax-dashboard"), "--api-url", "not-a-url"],
                         capture_output=True, text=True, timeout=30)
    assert bad.returncode == 2
