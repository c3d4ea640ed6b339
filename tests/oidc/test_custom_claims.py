"""--username-claim and --groups-claim with a real provider: a provider that names users by
email and puts their roles in a claim of its own (as Azure AD and Keycloak can), and waxd told
to read those. The identity, and so the policy's decision, comes from the claims named."""

import importlib.util
import secrets
from pathlib import Path

import pytest
import requests

from oidc_provider import WAX_API, OidcProvider, default_config

E2E = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("e2e_fixtures_claims", E2E)
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

# flow-admins is a role in the custom claim; wax-users is dave's group in the usual one, and
# must not count.
POLICY = """\
rules:
  - groups: [flow-admins]
    namespaces: [team-a]
    verbs: ["*"]
  - groups: [wax-users]
    namespaces: ["*"]
    verbs: ["*"]
  - users: [dave]
    namespaces: ["*"]
    verbs: ["*"]
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    directory = tmp_path_factory.mktemp("claims")
    config = default_config()
    config["users"].append({"username": "dave", "password": secrets.token_urlsafe(12),
                            "email": "dave@example.com", "groups": ["wax-users"],
                            "claims": {"roles": ["flow-admins"]}})
    config["access_token_claims"] = ["groups", "email", "roles"]
    with OidcProvider(directory / "provider", config) as provider:
        policy = directory / "policy.yaml"
        policy.write_text(POLICY)
        daemon = e2e.Waxd(directory / "data", ["--auth-issuer", provider.issuer,
                                               "--client-id", "waxctl", "--audience", WAX_API,
                                               "--policy", str(policy),
                                               "--username-claim", "email",
                                               "--groups-claim", "roles"])
        daemon.data_dir.mkdir()
        daemon.start()
        yield provider, daemon
        daemon.stop()


def get(daemon, path, token):
    return requests.get(daemon.url + path, headers={"Authorization": f"Bearer {token}"},
                        timeout=30)


def test_the_user_and_groups_come_from_the_claims_named(setup):
    provider, daemon = setup
    token = provider.password_login("dave")["access_token"]
    whoami = get(daemon, "/auth/whoami", token)
    assert whoami.status_code == 200, whoami.text
    assert whoami.json() == {"user": "dave@example.com", "groups": ["flow-admins"]}
    assert get(daemon, "/dataflows?namespace=team-a", token).status_code == 200
    # Neither sub ("dave") nor the groups claim ("wax-users") names him any more.
    refused = get(daemon, "/dataflows?namespace=default", token)
    assert refused.status_code == 403, refused.text
    assert 'user "dave@example.com" (groups: flow-admins)' in refused.json()["message"]


def test_a_user_without_the_groups_claim_has_no_groups(setup):
    provider, daemon = setup
    # alice is in wax-admins and wax-users by the groups claim, and has no roles claim.
    token = provider.password_login("alice")["access_token"]
    whoami = get(daemon, "/auth/whoami", token)
    assert whoami.status_code == 200
    assert whoami.json() == {"user": "alice@wax.test", "groups": []}
    assert get(daemon, "/dataflows?namespace=team-a", token).status_code == 403
