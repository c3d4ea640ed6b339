"""A real OpenID Connect provider on loopback (oidc-provider from npm, started by
scripts/testbed/oidc-up.sh), and the HTTP moves of a user's browser and of a client against it:
the authorization code flow with PKCE S256, the device flow, refresh and RP-initiated logout,
driven with plain requests so that tests need no browser.

Other suites use it by putting this directory on sys.path:
    with OidcProvider(tmp_dir, default_config()) as provider:
        tokens = provider.password_login("alice")
"""

import base64
import hashlib
import json
import secrets
import subprocess
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import jwt
import requests

ROOT = Path(__file__).resolve().parents[2]
OIDC_UP = ROOT / "scripts" / "testbed" / "oidc-up.sh"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
DEFAULT_SCOPES = ("openid", "profile", "email", "groups")
WAX_API = "https://wax.test/api"
HTTP_TIMEOUT = 10
MAX_BROWSER_STEPS = 20


@dataclass(frozen=True)
class User:
    username: str
    password: str
    groups: tuple


@dataclass(frozen=True)
class Client:
    client_id: str
    client_secret: str | None
    redirect_uri: str
    post_logout_redirect_uri: str


class OidcError(Exception):
    """The provider refused a sign-in or a token request. `error` is the OAuth error code when
    it sent one, `response` its last answer."""

    def __init__(self, message, error=None, response=None):
        super().__init__(message)
        self.error = error
        self.response = response


def default_config(access_token_ttl=120):
    """Two users, waxctl as a public native client (any loopback port, PKCE required, device
    flow) and the dashboard as a confidential one, JWT access tokens for the WaxAPI by default
    (RS256) and for a second resource with its own audience and ES256."""
    return {
        "issuer": "http://127.0.0.1:0",
        "clients": [
            {
                "client_id": "waxctl",
                "application_type": "native",
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token", DEVICE_GRANT],
                "redirect_uris": ["http://127.0.0.1/callback"],
                "post_logout_redirect_uris": ["http://127.0.0.1/logged-out"],
            },
            {
                "client_id": "wax-dashboard",
                "client_secret": secrets.token_urlsafe(24),
                "grant_types": ["authorization_code", "refresh_token"],
                "redirect_uris": ["http://127.0.0.1:8080/oauth/callback"],
                "post_logout_redirect_uris": ["http://127.0.0.1:8080/"],
            },
        ],
        "users": [
            {"username": "alice", "password": secrets.token_urlsafe(12),
             "groups": ["wax-admins", "wax-users"], "name": "Alice Admin"},
            {"username": "bob", "password": secrets.token_urlsafe(12), "groups": ["wax-users"]},
        ],
        "resources": {
            WAX_API: {"scope": "dataflows:read dataflows:write"},
            "https://other.test/api": {"audience": "other-api", "alg": "ES256", "ttl": 60},
        },
        "default_resource": WAX_API,
        "signing_algs": ["RS256", "ES256", "PS256"],
        "ttl": {"access_token": access_token_ttl, "id_token": 120, "refresh_token": 600,
                "authorization_code": 30, "device_code": 120},
    }


def _pkce_pair():
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Forms(HTMLParser):
    """The forms of a page, each as its id, method, action and the values it would submit."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._current = {"id": attrs.get("id"), "method": attrs.get("method", "get").lower(),
                             "action": attrs.get("action", ""), "fields": {}}
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and attrs.get("name"):
            self._current["fields"][attrs["name"]] = attrs.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _forms(response):
    parser = _Forms()
    parser.feed(response.text)
    return parser.forms


class OidcProvider:
    """The provider started from `config` in `directory`, with its issuer, users and clients,
    and helpers that sign users in as a browser would."""

    def __init__(self, directory: Path, config: dict):
        self.directory = Path(directory)
        self.config = config
        self.issuer = None
        self.discovery = None
        self.users = {u["username"]: User(u["username"], u["password"], tuple(u.get("groups", ())))
                      for u in config["users"]}
        self.clients = {c["client_id"]: Client(c["client_id"], c.get("client_secret"),
                                               c["redirect_uris"][0],
                                               (c.get("post_logout_redirect_uris") or [""])[0])
                        for c in config["clients"]}
        self.default_audience = config.get("default_resource")

    def start(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        config_file = self.directory / "config.json"
        config_file.write_text(json.dumps(self.config, indent=2))
        config_file.chmod(0o600)
        result = subprocess.run([str(OIDC_UP), "up", str(self.directory), str(config_file)],
                                capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            self.stop()
            raise RuntimeError(f"oidc-up.sh up exited {result.returncode}:\n{result.stderr}")
        self.issuer = result.stdout.strip().splitlines()[-1]
        self.discovery = self._get_json(f"{self.issuer}/.well-known/openid-configuration")
        return self

    def stop(self):
        subprocess.run([str(OIDC_UP), "down", str(self.directory)], check=False, timeout=60)

    def __enter__(self):
        return self.start()

    def __exit__(self, *_):
        self.stop()

    @property
    def log(self):
        return (self.directory / "provider.log").read_text()

    @property
    def verification_uri(self):
        """Where a user types a device's code (the verification_uri of every device grant)."""
        return f"{self.issuer}/device"

    def jwks(self):
        return self._get_json(self.discovery["jwks_uri"])

    def verify(self, token, audience=None, algorithms=("RS256", "PS256", "ES256")):
        """The claims of a JWT signed by this provider, after checking its signature against
        the JWKS, its issuer, its audience (the default resource's unless given) and expiry."""
        kid = jwt.get_unverified_header(token)["kid"]
        keys = {key["kid"]: key for key in self.jwks()["keys"]}
        key = jwt.PyJWK.from_dict(keys[kid])
        return jwt.decode(token, key, algorithms=list(algorithms), issuer=self.issuer,
                          audience=audience or self.default_audience,
                          options={"require": ["iss", "aud", "exp", "iat", "sub"]})

    # The authorization code flow with PKCE.

    def authorization_url(self, client="waxctl", scopes=DEFAULT_SCOPES, audience=None,
                          code_challenge=None, state=None, **extra):
        """The URL a client sends the user's browser to; `audience` becomes the resource
        indicator (RFC 8707), and without one the provider's default resource applies."""
        params = {"response_type": "code", "client_id": self.clients[client].client_id,
                  "redirect_uri": self.clients[client].redirect_uri, "scope": " ".join(scopes),
                  "state": state or secrets.token_urlsafe(16)}
        if code_challenge:
            params.update(code_challenge=code_challenge, code_challenge_method="S256")
        if audience:
            params["resource"] = audience
        params.update(extra)
        return f"{self.discovery['authorization_endpoint']}?{urlencode(params)}"

    def browser_login(self, url, username, password, redirect_uri, browser=None):
        """Opens `url` as a browser would, signs in on the login form, and returns the URL the
        provider finally redirects to under `redirect_uri` (it is not fetched)."""
        browser = browser or requests.Session()
        response = browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
        outcome = self._drive(browser, response, username, password, stop_at=redirect_uri)
        if not isinstance(outcome, str):
            raise OidcError(f"the sign-in ended on a page instead of {redirect_uri}",
                            response=outcome)
        return outcome

    def login_for_code(self, user, password=None, client="waxctl", scopes=DEFAULT_SCOPES,
                       audience=None, browser=None, **extra):
        """Signs `user` in for `client` and returns (code, code_verifier)."""
        verifier, challenge = _pkce_pair()
        state = secrets.token_urlsafe(16)
        url = self.authorization_url(client, scopes, audience, challenge, state, **extra)
        password = self.users[user].password if password is None else password
        redirect = self.browser_login(url, user, password, self.clients[client].redirect_uri,
                                      browser)
        query = {k: v[0] for k, v in parse_qs(urlsplit(redirect).query).items()}
        if "error" in query:
            raise OidcError(f"the provider refused the sign-in: {query}", error=query["error"])
        if query.get("state") != state or query.get("iss") != self.issuer:
            raise OidcError(f"the redirect carries the wrong state or issuer: {redirect}")
        return query["code"], verifier

    def exchange_code(self, code, code_verifier, client="waxctl"):
        return self._token(client, grant_type="authorization_code", code=code,
                           code_verifier=code_verifier,
                           redirect_uri=self.clients[client].redirect_uri)

    def password_login(self, user, password=None, client="waxctl", scopes=DEFAULT_SCOPES,
                       audience=None, browser=None):
        """The token response of a full code flow with PKCE S256 in which `user` types
        `password` (their own when None)."""
        code, verifier = self.login_for_code(user, password, client, scopes, audience, browser)
        return self.exchange_code(code, verifier, client)

    def refresh(self, refresh_token, client="waxctl", audience=None):
        params = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if audience:
            params["resource"] = audience
        return self._token(client, **params)

    # The device authorization flow (RFC 8628).

    def device_authorize(self, client="waxctl", scopes=DEFAULT_SCOPES, audience=None):
        params = {"scope": " ".join(scopes)}
        if audience:
            params["resource"] = audience
        return self._post_as(client, self.discovery["device_authorization_endpoint"], params)

    def approve_device(self, code_or_url, username, password=None, browser=None):
        """Enters a user code (or opens verification_uri_complete), signs in and confirms, as
        the user does on a second device."""
        browser = browser or requests.Session()
        password = self.users[username].password if password is None else password
        if code_or_url.startswith("http"):
            url, user_code = code_or_url, None
        else:
            url, user_code = self.verification_uri, code_or_url
        response = browser.get(url, allow_redirects=False, timeout=HTTP_TIMEOUT)
        page = self._drive(browser, response, username, password, user_code=user_code)
        if isinstance(page, str) or "signed in" not in page.text:
            raise OidcError("the device approval did not end on the success page", response=page)

    def poll_device(self, device, client="waxctl", timeout=30):
        """Polls the token endpoint as the device does until it gets tokens."""
        deadline = time.monotonic() + timeout
        interval = device.get("interval", 5)
        while True:
            try:
                return self._token(client, grant_type=DEVICE_GRANT,
                                   device_code=device["device_code"])
            except OidcError as err:
                if err.error not in ("authorization_pending", "slow_down"):
                    raise
                if time.monotonic() + interval > deadline:
                    raise
                interval += 5 if err.error == "slow_down" else 0
                time.sleep(interval)

    def device_login(self, user, password=None, client="waxctl", scopes=DEFAULT_SCOPES,
                     audience=None):
        """The token response of a device flow that `user` approves with `password`."""
        device = self.device_authorize(client, scopes, audience)
        self.approve_device(device["verification_uri_complete"], user, password)
        return self.poll_device(device, client)

    # RP-initiated logout.

    def logout(self, id_token, client="waxctl", browser=None, state=None):
        """Signs the browser's session out; returns the redirect to the client's
        post-logout URI."""
        browser = browser or requests.Session()
        target = self.clients[client].post_logout_redirect_uri
        params = {"id_token_hint": id_token, "post_logout_redirect_uri": target,
                  "state": state or secrets.token_urlsafe(8)}
        response = browser.get(f"{self.discovery['end_session_endpoint']}?{urlencode(params)}",
                               allow_redirects=False, timeout=HTTP_TIMEOUT)
        outcome = self._drive(browser, response, None, None, stop_at=target)
        if not isinstance(outcome, str):
            raise OidcError("the logout did not redirect to the client", response=outcome)
        return outcome

    # HTTP plumbing.

    def _drive(self, browser, response, username, password, stop_at=None, user_code=None):
        """Follows redirects and submits the forms a person would (login, device code,
        confirmation, logout, auto-submitted form posts) until the provider redirects under
        `stop_at` (returns that URL) or shows a page without a form (returns the response)."""
        for _ in range(MAX_BROWSER_STEPS):
            if response.is_redirect:
                location = urljoin(response.url, response.headers["location"])
                if stop_at and location.startswith(stop_at):
                    return location
                response = browser.get(location, allow_redirects=False, timeout=HTTP_TIMEOUT)
                continue
            if response.status_code == 401:
                raise OidcError(f"the provider refused the password of {username}",
                                error="login_refused", response=response)
            if response.status_code >= 400:
                raise OidcError(f"the provider answered {response.status_code} at "
                                f"{response.url}: {response.text[:500]}", response=response)
            forms = [f for f in _forms(response) if f["id"] != "abort"]
            if not forms:
                return response
            form = forms[0]
            fields = dict(form["fields"])
            if "password" in fields:
                fields.update(username=username, password=password)
            if form["id"] == "op.deviceInputForm":
                fields["user_code"] = user_code
            if form["id"] == "op.logoutForm":
                fields["logout"] = "yes"
            response = browser.post(urljoin(response.url, form["action"]), data=fields,
                                    allow_redirects=False, timeout=HTTP_TIMEOUT)
        raise OidcError(f"no end after {MAX_BROWSER_STEPS} pages", response=response)

    def _post_as(self, client, url, params):
        """POSTs `params` authenticated as `client`: client_secret_basic for a confidential
        client, client_id in the body for a public one."""
        spec = self.clients[client]
        auth = None
        if spec.client_secret:
            auth = (spec.client_id, spec.client_secret)
        else:
            params = {**params, "client_id": spec.client_id}
        response = requests.post(url, data=params, auth=auth, timeout=HTTP_TIMEOUT)
        body = response.json()
        if response.status_code != 200:
            raise OidcError(f"{url} answered {response.status_code}: {body}",
                            error=body.get("error"), response=response)
        return body

    def _token(self, client, **params):
        return self._post_as(client, self.discovery["token_endpoint"], params)

    @staticmethod
    def _get_json(url):
        response = requests.get(url, timeout=HTTP_TIMEOUT)
        response.raise_for_status()
        return response.json()
