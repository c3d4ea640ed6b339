"""`waxctl login` against wax-api and a real OpenID provider: the browser flow with PKCE
(the browser is a small script that hands the link to the test, which signs in as a person
would), the device flow, the session file, refresh and logout; then waxctl's commands go to
the WaxAPI with the user's own rights."""

import json
import os
import stat
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from conftest import BIN
from operator_process import wait_until
from test_wax_api import bearer, dto, provider, rbac, wax_api  # noqa: F401 (fixtures)


@pytest.fixture()
def home(tmp_path):
    """A user's home without a kubeconfig or a waxd, so that only a login names a target."""
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def environment(home, **extra):
    env = {key: value for key, value in os.environ.items()
           if key not in ("KUBECONFIG", "WAX_SERVER", "WAX_TOKEN", "DISPLAY", "BROWSER")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"),
               WAX_DATA_DIR=str(home / "wax-data"), **extra)
    return env


def waxctl(home, *args, check=True, **extra):
    result = subprocess.run([str(BIN / "waxctl"), *args], capture_output=True, text=True,
                            timeout=120, env=environment(home, **extra))
    if check:
        assert result.returncode == 0, result
    return result


def credentials(home):
    return json.loads((home / ".config" / "wax" / "credentials.json").read_text())


def browser_script(tmp_path):
    """A BROWSER that writes the URL it is asked to open to a file, for the test to open."""
    script = tmp_path / "browser.py"
    script.write_text("import sys, pathlib\n"
                      f"pathlib.Path({str(tmp_path / 'opened')!r}).write_text(sys.argv[1])\n")
    return f"{sys.executable} {script}", tmp_path / "opened"


def redirect_uri_of(url):
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


def browser_login(provider, wax_api, home, tmp_path, user, *extra):
    browser, opened = browser_script(tmp_path)
    process = subprocess.Popen([str(BIN / "waxctl"), "login", "--server", wax_api, *extra],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment(home, BROWSER=browser))
    try:
        url = wait_until(lambda: opened.exists() and opened.read_text(), what="browser opened")
        redirect = provider.browser_login(url, user, provider.users[user].password,
                                          redirect_uri_of(url))
        assert requests.get(redirect, timeout=10).status_code == 200
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, stdout, stderr, url


def test_browser_login_with_pkce_then_commands_go_to_the_waxapi(
        provider, wax_api, rbac, cluster, namespace, home, tmp_path):
    rbac(namespace)
    code, stdout, stderr, url = browser_login(provider, wax_api, home, tmp_path, "bob")
    assert code == 0, stderr
    assert "code_challenge_method=S256" in url and "code_challenge=" in url
    assert "Logged in to" in stdout and "as bob (groups: wax-users)" in stdout

    path = home / ".config" / "wax" / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    session = credentials(home)["servers"][wax_api]
    assert credentials(home)["current"] == wax_api
    assert provider.verify(session["accessToken"])["sub"] == "bob"
    assert session["refreshToken"] and session["expiresAt"] > time.time()

    target = json.loads(waxctl(home, "target", "-o", "json").stdout)
    assert target["target"] == "waxapi" and target["server"] == wax_api
    assert "waxctl login" in target["why"]

    source = tmp_path / "flow.py"
    source.write_text("from bytewax.testing import run_main\n")
    waxctl(home, "dataflow", "deploy", str(source), "--name", "mine", "-n", namespace)
    assert cluster.kubectl("get", "dataflow", "mine", "-n", namespace).returncode == 0
    listed = waxctl(home, "dataflow", "list", "-n", namespace).stdout
    assert "mine" in listed
    refused = waxctl(home, "dataflow", "list", "-n", "kube-system", check=False)
    assert refused.returncode != 0 and "forbidden" in refused.stderr.lower()
    assert session["accessToken"] not in refused.stderr + refused.stdout


def test_device_flow_login(provider, wax_api, home):
    process = subprocess.Popen([str(BIN / "waxctl"), "login", "--server", wax_api, "--device"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment(home))
    try:
        seen = []
        while not any(line.startswith("or open ") for line in seen):
            line = process.stderr.readline()
            assert line, f"waxctl ended before printing the device link: {seen}"
            seen.append(line)
        link = next(line for line in seen if line.startswith("or open ")).split()[-1]
        provider.approve_device(link, "alice")
        stdout, rest = process.communicate(timeout=60)
        stderr = "".join(seen) + rest
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "as alice (groups: wax-admins, wax-users)" in stdout
    assert "enter the code" in stderr


def test_an_ended_access_token_is_refreshed(provider, wax_api, home, tmp_path):
    assert browser_login(provider, wax_api, home, tmp_path, "alice")[0] == 0
    path = home / ".config" / "wax" / "credentials.json"
    document = credentials(home)
    old = document["servers"][wax_api]
    document["servers"][wax_api]["expiresAt"] = int(time.time()) - 5
    path.write_text(json.dumps(document))

    waxctl(home, "dataflow", "list", "-A")
    new = credentials(home)["servers"][wax_api]
    assert new["accessToken"] != old["accessToken"]
    assert new["expiresAt"] > time.time() + 60
    assert provider.verify(new["accessToken"])["sub"] == "alice"


def test_a_session_that_cannot_be_refreshed_says_to_log_in_again(provider, wax_api, home,
                                                                 tmp_path):
    assert browser_login(provider, wax_api, home, tmp_path, "alice")[0] == 0
    path = home / ".config" / "wax" / "credentials.json"
    document = credentials(home)
    document["servers"][wax_api].update(expiresAt=int(time.time()) - 5,
                                        refreshToken="not-a-refresh-token")
    path.write_text(json.dumps(document))
    result = waxctl(home, "dataflow", "list", "-A", check=False)
    assert result.returncode == 1
    assert f"waxctl login --server {wax_api}" in result.stderr
    assert "not-a-refresh-token" not in result.stderr


def test_logout_revokes_and_forgets_the_session(provider, wax_api, home, tmp_path):
    assert browser_login(provider, wax_api, home, tmp_path, "alice")[0] == 0
    refresh_token = credentials(home)["servers"][wax_api]["refreshToken"]
    result = waxctl(home, "logout")
    assert "Logged out of" in result.stdout
    assert "revoked the session's refresh token" in result.stdout
    assert credentials(home)["servers"] == {}
    assert "current" not in credentials(home)
    with pytest.raises(Exception):
        provider.refresh(refresh_token)
    assert json.loads(waxctl(home, "target", "-o", "json").stdout)["target"] == "local"
    again = waxctl(home, "logout", check=False)
    assert again.returncode == 1 and "not logged in" in again.stderr


def test_a_redirect_with_another_state_is_ignored_and_the_real_one_still_counts(
        provider, wax_api, home, tmp_path):
    browser, opened = browser_script(tmp_path)
    process = subprocess.Popen([str(BIN / "waxctl"), "login", "--server", wax_api],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=environment(home, BROWSER=browser))
    try:
        url = wait_until(lambda: opened.exists() and opened.read_text(), what="browser opened")
        redirect = provider.browser_login(url, "alice", provider.users["alice"].password,
                                          redirect_uri_of(url))
        forged = requests.get(redirect.replace("state=", "state=forged"), timeout=10)
        assert forged.status_code == 400 and "Not this sign-in" in forged.text
        assert not (home / ".config" / "wax" / "credentials.json").exists()
        assert requests.get(redirect, timeout=10).status_code == 200
        stdout, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, stderr
    assert "as alice" in stdout


def test_commands_refreshing_at_once_keep_the_session(provider, wax_api, home, tmp_path):
    """The provider rotates refresh tokens and revokes the session when one is spent twice:
    waxctl processes that find the token ended at the same moment must refresh it once."""
    assert browser_login(provider, wax_api, home, tmp_path, "alice")[0] == 0
    path = home / ".config" / "wax" / "credentials.json"
    for _ in range(2):
        document = credentials(home)
        document["servers"][wax_api]["expiresAt"] = int(time.time()) - 5
        path.write_text(json.dumps(document))
        commands = [subprocess.Popen([str(BIN / "waxctl"), "dataflow", "list", "-A"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env=environment(home)) for _ in range(4)]
        for command in commands:
            _, stderr = command.communicate(timeout=60)
            assert command.returncode == 0, stderr
    assert provider.verify(credentials(home)["servers"][wax_api]["accessToken"])["sub"] == "alice"


def test_login_without_a_server_or_to_a_server_without_oidc(home, tmp_path):
    result = waxctl(home, "login", check=False)
    assert result.returncode == 2 and "--server" in result.stderr
    result = waxctl(home, "login", "--server", "http://127.0.0.1:9", check=False)
    assert result.returncode == 1 and "does not say how to sign in" in result.stderr
