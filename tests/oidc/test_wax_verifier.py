"""Wax's own token verifier (src/auth, through build/bin/wax-check-token) against the tokens of
the real provider: RS256, ES256 and PS256 access tokens verify, and what a client could forge
or misdirect is refused."""

import base64
import json
import subprocess
from pathlib import Path

import pytest

from oidc_provider import OidcProvider, WAX_API, default_config

BIN = Path(__file__).resolve().parents[2] / "build" / "bin"


def check(provider, tmp_path, token, audience, discover=True):
    """Discovery and keys over HTTP from the provider, as WaxAPI gets them; or from a file."""
    command = [str(BIN / "wax-check-token"), "--issuer", provider.issuer, "--audience",
               audience]
    if not discover:
        jwks = tmp_path / "jwks.json"
        jwks.write_text(json.dumps(provider.jwks()))
        command += ["--jwks", jwks]
    return subprocess.run(command, input=token, capture_output=True, text=True, timeout=30)


def audience_of(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["aud"]


def test_rs256_and_es256_access_tokens_verify(oidc, tmp_path):
    for resource in (None, "https://other.test/api"):
        token = oidc.password_login("alice", audience=resource)["access_token"]
        for discover in (True, False):
            result = check(oidc, tmp_path, token, audience_of(token), discover)
            assert result.returncode == 0, result.stdout
            claims = json.loads(result.stdout)
            assert claims["sub"] == "alice" and claims["iss"] == oidc.issuer


def test_a_token_for_another_audience_or_tampered_is_refused(oidc, tmp_path):
    token = oidc.password_login("bob", audience="https://other.test/api")["access_token"]
    wrong = check(oidc, tmp_path, token, oidc.default_audience)
    assert wrong.returncode == 1 and "not for this server" in wrong.stdout

    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "alice"
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    forged = check(oidc, tmp_path, f"{header}.{forged_payload}.{signature}", audience_of(token))
    assert forged.returncode == 1 and "signature" in forged.stdout


def test_a_token_of_a_second_provider_is_refused(oidc, tmp_path):
    with OidcProvider(tmp_path / "second", default_config()) as second:
        token = second.password_login("alice")["access_token"]
        # Its keys are not the first provider's, whatever its kid says.
        result = check(oidc, tmp_path, token, audience_of(token))
        assert result.returncode == 1 and "refused" in result.stdout


def test_ps256_access_tokens_verify(tmp_path):
    config = default_config()
    config.update(signing_algs=["PS256"])
    config["resources"] = {WAX_API: {}}
    with OidcProvider(tmp_path / "provider", config) as provider:
        token = provider.password_login("bob")["access_token"]
        result = check(provider, tmp_path, token, audience_of(token))
        assert result.returncode == 0, result.stdout
