"""The test bed's OpenID Connect provider does what the WaxAPI and waxctl tests rely on: the
code flow with PKCE S256 and the device flow, JWT access tokens with the configured issuer,
audience, lifetime and groups, refresh, and refusals where a real provider refuses."""

from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests

from oidc_provider import DEVICE_GRANT, WAX_API, OidcError, OidcProvider, default_config


def query_of(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_discovery_names_the_endpoints_and_methods_waxctl_uses(oidc):
    document = oidc.discovery

    assert document["issuer"] == oidc.issuer
    assert urlsplit(oidc.issuer).port not in (None, 0)
    for endpoint in ("authorization_endpoint", "token_endpoint", "jwks_uri",
                     "device_authorization_endpoint", "end_session_endpoint",
                     "userinfo_endpoint"):
        assert document[endpoint].startswith(oidc.issuer + "/"), endpoint
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert {"authorization_code", "refresh_token", DEVICE_GRANT} <= set(
        document["grant_types_supported"])
    assert {"RS256", "ES256", "PS256"} <= set(document["id_token_signing_alg_values_supported"])
    assert "groups" in document["claims_supported"]


def test_jwks_publishes_one_public_key_per_configured_algorithm(oidc):
    keys = oidc.jwks()["keys"]

    assert sorted(key["alg"] for key in keys) == ["ES256", "PS256", "RS256"]
    assert all("d" not in key for key in keys), "a private part was published"


def test_code_flow_with_pkce_returns_a_jwt_access_token_for_the_default_audience(oidc):
    alice = oidc.users["alice"]

    tokens = oidc.password_login("alice", alice.password)

    assert tokens["token_type"] == "Bearer"
    header = jwt.get_unverified_header(tokens["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256"
    claims = oidc.verify(tokens["access_token"], audience=WAX_API)
    assert claims["iss"] == oidc.issuer
    assert claims["aud"] == WAX_API
    assert claims["sub"] == "alice" and claims["client_id"] == "waxctl"
    assert claims["groups"] == list(alice.groups)
    assert claims["exp"] - claims["iat"] == oidc.config["ttl"]["access_token"]
    assert tokens["expires_in"] <= oidc.config["ttl"]["access_token"]


def test_id_token_carries_the_groups_for_the_client(oidc):
    tokens = oidc.password_login("bob")

    claims = oidc.verify(tokens["id_token"], audience="waxctl")
    assert claims["sub"] == "bob"
    assert claims["groups"] == ["wax-users"]
    assert claims["preferred_username"] == "bob"


def test_resource_scopes_reach_the_access_token(oidc):
    tokens = oidc.password_login("alice", scopes=("openid", "dataflows:read"), audience=WAX_API)

    claims = oidc.verify(tokens["access_token"])
    assert claims["scope"] == "dataflows:read"


def test_audience_algorithm_and_lifetime_follow_the_resource_configuration(oidc):
    tokens = oidc.password_login("alice", audience="https://other.test/api")

    assert jwt.get_unverified_header(tokens["access_token"])["alg"] == "ES256"
    claims = oidc.verify(tokens["access_token"], audience="other-api")
    assert claims["exp"] - claims["iat"] == 60
    with pytest.raises(jwt.InvalidAudienceError):
        oidc.verify(tokens["access_token"], audience=WAX_API)


def test_unknown_audience_is_refused(oidc):
    with pytest.raises(OidcError) as refused:
        oidc.password_login("alice", audience="https://unknown.test/api")
    assert refused.value.error == "invalid_target"


def test_public_client_must_send_a_pkce_challenge(oidc):
    url = oidc.authorization_url("waxctl", code_challenge=None)

    response = requests.get(url, allow_redirects=False, timeout=10)

    assert response.is_redirect
    redirect = query_of(response.headers["location"])
    assert redirect["error"] == "invalid_request"
    assert "PKCE" in redirect["error_description"]


def test_code_exchange_with_the_wrong_verifier_is_refused(oidc):
    code, _ = oidc.login_for_code("alice")

    with pytest.raises(OidcError) as refused:
        oidc.exchange_code(code, "a-verifier-that-does-not-match-the-challenge-at-all-0123456")
    assert refused.value.error == "invalid_grant"


def test_wrong_password_is_refused(oidc):
    with pytest.raises(OidcError) as refused:
        oidc.password_login("alice", "not-alices-password")
    assert refused.value.error == "login_refused"
    assert "login refused" in oidc.log


def test_unknown_user_is_refused(oidc):
    with pytest.raises(OidcError) as refused:
        oidc.password_login("mallory", "anything")
    assert refused.value.error == "login_refused"


def test_refresh_returns_a_new_access_token_for_the_same_audience(oidc):
    first = oidc.password_login("alice")

    second = oidc.refresh(first["refresh_token"])

    claims = oidc.verify(second["access_token"])
    assert claims["aud"] == WAX_API and claims["groups"] == ["wax-admins", "wax-users"]
    assert second["access_token"] != first["access_token"]
    # A public client's refresh token is rotated, so the old one no longer works.
    assert second["refresh_token"] != first["refresh_token"]
    with pytest.raises(OidcError) as refused:
        oidc.refresh(first["refresh_token"])
    assert refused.value.error == "invalid_grant"


def test_confidential_client_signs_in_with_its_secret(oidc):
    tokens = oidc.password_login("bob", client="wax-dashboard")

    assert oidc.verify(tokens["id_token"], audience="wax-dashboard")["sub"] == "bob"
    assert oidc.verify(tokens["access_token"])["client_id"] == "wax-dashboard"
    assert oidc.refresh(tokens["refresh_token"], client="wax-dashboard")["access_token"]


def test_confidential_client_with_a_wrong_secret_is_refused(oidc):
    code, verifier = oidc.login_for_code("bob", client="wax-dashboard")
    response = requests.post(oidc.discovery["token_endpoint"], timeout=10,
                             auth=("wax-dashboard", "wrong-secret"),
                             data={"grant_type": "authorization_code", "code": code,
                                   "code_verifier": verifier,
                                   "redirect_uri": oidc.clients["wax-dashboard"].redirect_uri})

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_native_client_may_redirect_to_any_loopback_port(oidc):
    url = oidc.authorization_url("waxctl", code_challenge="x" * 43,
                                 redirect_uri="http://127.0.0.1:49152/callback")
    alice = oidc.users["alice"]

    redirect = oidc.browser_login(url, "alice", alice.password, "http://127.0.0.1:49152/callback")

    assert "code" in query_of(redirect)


def test_device_flow_returns_tokens_for_the_user_who_approved(oidc):
    tokens = oidc.device_login("bob")

    claims = oidc.verify(tokens["access_token"])
    assert claims["sub"] == "bob" and claims["groups"] == ["wax-users"]
    assert tokens["refresh_token"]


def test_device_flow_with_a_typed_user_code(oidc):
    device = oidc.device_authorize()
    assert device["verification_uri"] == oidc.verification_uri
    with pytest.raises(OidcError) as pending:
        oidc.poll_device(device, timeout=0)
    assert pending.value.error == "authorization_pending"

    oidc.approve_device(device["user_code"], "alice")

    tokens = oidc.poll_device(device)
    assert oidc.verify(tokens["access_token"])["sub"] == "alice"


def test_native_client_cannot_sign_in_silently(oidc):
    # RFC 8252: anyone can claim a native client's id, so a session alone is not enough.
    browser = requests.Session()
    oidc.password_login("alice", browser=browser)
    silent = oidc.authorization_url("waxctl", code_challenge="y" * 43, prompt="none")

    redirect = oidc.browser_login(silent, None, None, oidc.clients["waxctl"].redirect_uri,
                                  browser)

    assert query_of(redirect)["error"] == "interaction_required"


def test_logout_ends_the_browser_session(oidc):
    browser = requests.Session()
    dashboard = oidc.clients["wax-dashboard"]
    tokens = oidc.password_login("alice", client="wax-dashboard", browser=browser)
    silent = oidc.authorization_url("wax-dashboard", code_challenge="y" * 43, prompt="none")
    assert "code" in query_of(oidc.browser_login(silent, None, None, dashboard.redirect_uri,
                                                 browser))

    back = oidc.logout(tokens["id_token"], client="wax-dashboard", browser=browser, state="s1")

    assert back.startswith(dashboard.post_logout_redirect_uri)
    assert query_of(back)["state"] == "s1"
    after = query_of(oidc.browser_login(silent, None, None, dashboard.redirect_uri, browser))
    assert after["error"] == "login_required"


def test_ps256_keys_from_a_jwks_file_survive_a_restart(tmp_path):
    config = default_config()
    config.update(signing_algs=["PS256"], jwks_file=str(tmp_path / "jwks.json"))
    config["resources"] = {WAX_API: {}}
    with OidcProvider(tmp_path / "provider", config) as provider:
        before = provider.password_login("bob")
        header = jwt.get_unverified_header(before["access_token"])
        assert header["alg"] == "PS256"
        assert jwt.get_unverified_header(before["id_token"])["alg"] == "PS256"

        # Restarted on the same port, as the issuer that tokens name includes it.
        provider.config["issuer"] = provider.issuer
        provider.stop()
        provider.start()

        assert provider.verify(before["access_token"], algorithms=["PS256"])["sub"] == "bob"
        assert [key["kid"] for key in provider.jwks()["keys"]] == [header["kid"]]
