"""Forged and misdirected tokens against a real waxd that signs users in with a real provider.
The provider's keys are written to a file (its jwks_file option), so this test can sign tokens
with the provider's own key: a well-formed token it signs is accepted (the control), and each
attack on it is refused with 401, nothing stored."""

import base64
import importlib.util
import json
import secrets
import time
from pathlib import Path

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from oidc_provider import WAX_API, OidcProvider, default_config

E2E = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("e2e_fixtures_attacks", E2E)
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

POLICY = "rules:\n  - groups: [wax-admins]\n    namespaces: ['*']\n    verbs: ['*']\n"


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    directory = tmp_path_factory.mktemp("attacks")
    config = default_config()
    config.update(signing_algs=["RS256"], jwks_file=str(directory / "jwks.json"))
    with OidcProvider(directory / "provider", config) as provider:
        policy = directory / "policy.yaml"
        policy.write_text(POLICY)
        daemon = e2e.Waxd(directory / "data", ["--auth-issuer", provider.issuer,
                                               "--client-id", "waxctl", "--audience", WAX_API,
                                               "--policy", str(policy)])
        daemon.data_dir.mkdir()
        daemon.start()
        private = json.loads((directory / "jwks.json").read_text())["keys"][0]
        real = provider.password_login("alice")["access_token"]
        yield provider, daemon, private, jwt.decode(real, options={"verify_signature": False})
        daemon.stop()


def sign(claims, private, kid=None, key=None, algorithm="RS256"):
    signing_key = key or jwt.PyJWK.from_dict(private).key
    return jwt.encode(claims, signing_key, algorithm=algorithm,
                      headers={"kid": kid or private["kid"]})


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def create(daemon, token, name):
    manifest = {"apiVersion": "bytewax.io/v1alpha1", "kind": "Dataflow",
                "metadata": {"name": name},
                "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py",
                         "suspend": True}}
    return requests.post(f"{daemon.url}/api/v1/namespaces/default/dataflows", json=manifest,
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)


def stored(daemon, name):
    return daemon.api("GET", f"/api/v1/namespaces/default/dataflows/{name}")[0] == 200


def fresh(claims, **changes):
    now = int(time.time())
    return {**claims, "iat": now, "exp": now + 300, **changes}


def test_a_token_signed_with_the_providers_key_is_accepted(setup):
    provider, daemon, private, claims = setup
    answer = create(daemon, sign(fresh(claims), private), "control")
    assert answer.status_code == 201, answer.text
    assert stored(daemon, "control")


def forgeries(claims, private):
    now = int(time.time())
    public_pem = jwt.PyJWK.from_dict(private).key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    good = sign(fresh(claims), private)
    header, payload, signature = good.split(".")
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    tampered = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    tampered["sub"] = "mallory"
    none_header = b64(json.dumps({"alg": "none", "kid": private["kid"]}).encode())
    return {
        "alg-none": f"{none_header}.{payload}.",
        "hs256-with-the-public-key": hs256(fresh(claims), public_pem, private["kid"]),
        "expired": sign(fresh(claims, iat=now - 900, exp=now - 300), private),
        "not-yet-valid": sign(fresh(claims, nbf=now + 600), private),
        "issued-in-the-future": sign(fresh(claims, iat=now + 600, exp=now + 900), private),
        "wrong-issuer": sign(fresh(claims, iss="https://evil.example.com"), private),
        "wrong-audience": sign(fresh(claims, aud="https://other.test/api"), private),
        "unknown-kid": sign(fresh(claims), private, kid="not-a-key", key=other_key),
        "known-kid-other-key": sign(fresh(claims), private, key=other_key),
        "tampered-payload": f"{header}.{b64(json.dumps(tampered).encode())}.{signature}",
        "truncated": f"{header}.{payload}",
        "garbage": secrets.token_urlsafe(64),
    }


def hs256(claims, secret, kid):
    """An HS256 token keyed with the public key's PEM: the classic confusion attack. PyJWT
    refuses to sign with a PEM, so the MAC is made by hand."""
    import hashlib
    import hmac
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    mac = hmac.new(secret, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(mac)}"


# The keys of forgeries(); tests/cluster/test_wax_api_token_attacks.py runs them at wax-api.
ATTACKS = ["alg-none", "hs256-with-the-public-key", "expired", "not-yet-valid",
           "issued-in-the-future", "wrong-issuer", "wrong-audience", "unknown-kid",
           "known-kid-other-key", "tampered-payload", "truncated", "garbage"]


@pytest.mark.parametrize("attack", ATTACKS)
def test_each_forgery_is_refused_with_401_and_nothing_is_stored(setup, attack):
    provider, daemon, private, claims = setup
    token = forgeries(claims, private)[attack]
    answer = create(daemon, token, attack)
    assert answer.status_code == 401, (attack, answer.text)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert token not in answer.text
    assert not stored(daemon, attack)
    assert daemon.process.poll() is None


def test_an_oversized_token_is_refused_and_nothing_is_stored(setup):
    provider, daemon, private, claims = setup
    token = sign(fresh(claims, padding="x" * 20_000), private)
    answer = create(daemon, token, "oversized")
    # The HTTP layer refuses header lines over 8 KiB (400) before the token check (401) would.
    assert answer.status_code in (400, 401), answer.text
    assert not stored(daemon, "oversized")
    assert daemon.process.poll() is None


def test_a_token_of_a_second_provider_is_refused(setup, tmp_path):
    provider, daemon, private, claims = setup
    with OidcProvider(tmp_path / "second", default_config()) as second:
        token = second.password_login("alice")["access_token"]
        answer = create(daemon, token, "second")
        assert answer.status_code == 401
        assert not stored(daemon, "second")
