"""The token attacks of tests/oidc/test_token_attacks.py against wax-api on the real control
plane: tokens signed with the provider's own key (its keys are written to a file) are accepted,
and each forgery of one is refused with 401, nothing stored in the cluster."""

import json
import sys
from pathlib import Path
from types import SimpleNamespace

import jwt
import pytest
import requests

from test_wax_api import start_wax_api, stop_wax_api

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "oidc"))
import test_token_attacks as attacks  # noqa: E402
from oidc_provider import OidcProvider, default_config  # noqa: E402

ADMINS = [{"apiGroups": ["bytewax.io"], "resources": ["dataflows"], "verbs": ["*"]}]


@pytest.fixture(scope="module")
def setup(cluster, tmp_path_factory):
    directory = tmp_path_factory.mktemp("attacks")
    config = default_config()
    config.update(signing_algs=["RS256"], jwks_file=str(directory / "jwks.json"))
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                   "metadata": {"name": "wax-api-attacks"}, "rules": ADMINS})
    cluster.apply({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": "wax-api-attacks"},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                               "name": "wax-api-attacks"},
                   "subjects": [{"kind": "Group", "name": "wax-admins",
                                 "apiGroup": "rbac.authorization.k8s.io"}]})
    with OidcProvider(directory / "provider", config) as provider:
        log_path = directory / "wax-api.log"
        process, url = start_wax_api(cluster, provider, log_path)
        private = json.loads((directory / "jwks.json").read_text())["keys"][0]
        real = provider.password_login("alice")["access_token"]
        yield (provider, SimpleNamespace(url=url, process=process), private,
               jwt.decode(real, options={"verify_signature": False}))
        stop_wax_api(process, log_path)
    cluster.kubectl("delete", "dataflow", "control", "-n", "default", check=False)


def stored(cluster, name):
    return cluster.kubectl("get", "dataflow", name, "-n", "default", check=False).returncode == 0


def test_a_token_signed_with_the_providers_key_is_accepted(setup, cluster):
    provider, server, private, claims = setup
    answer = attacks.create(server, attacks.sign(attacks.fresh(claims), private), "control")
    assert answer.status_code == 201, answer.text
    assert stored(cluster, "control")


@pytest.mark.parametrize("attack", attacks.ATTACKS)
def test_each_forgery_is_refused_with_401_and_nothing_is_stored(setup, cluster, attack):
    provider, server, private, claims = setup
    token = attacks.forgeries(claims, private)[attack]
    answer = attacks.create(server, token, attack)
    assert answer.status_code == 401, (attack, answer.text)
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert token not in answer.text
    assert not stored(cluster, attack)
    assert server.process.poll() is None


def test_a_token_of_a_second_provider_is_refused(setup, cluster, tmp_path):
    provider, server, private, claims = setup
    with OidcProvider(tmp_path / "second", default_config()) as second:
        answer = attacks.create(server, second.password_login("alice")["access_token"],
                                "second")
        assert answer.status_code == 401
        assert not stored(cluster, "second")
    assert requests.get(f"{server.url}/healthz", timeout=10).status_code == 200
