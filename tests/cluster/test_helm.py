"""The Helm chart in deploy/helm/wax renders with a real Helm and the result is accepted by the
real API server (kubectl apply --dry-run=server), with the default values and with the options
people turn on."""

import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import BIN

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "wax"


def helm_binary():
    bins = subprocess.run([str(ROOT / "scripts" / "testbed" / "build-kube.sh")], check=True,
                          capture_output=True, text=True).stdout.split()
    return Path(bins[2]) / "helm"


def helm(*args):
    result = subprocess.run([str(helm_binary()), *map(str, args)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout


def render(namespace, *settings):
    flags = [item for setting in settings for item in ("--set", setting)]
    return helm("template", "wax", CHART, "--namespace", namespace, *flags)


def test_chart_lints():
    assert "0 chart(s) failed" in helm("lint", CHART)


VARIANTS = {
    "defaults": [],
    "ingress-and-oidc": ["ingress.enabled=true", "ingress.className=nginx",
                         "oidc.authIssuer=https://idp.example.com",
                         "oidc.clientId=wax", "oidc.clientSecret=s3cret"],
    "some-namespaces": ["operator.watchNamespaces={team-a,team-b}",
                        "operator.leaderElection.enabled=false", "operator.replicas=1"],
    "operator-only": ["api.enabled=false", "dashboard.enabled=false", "crds.install=false"],
}


@pytest.mark.parametrize("settings", VARIANTS.values(), ids=VARIANTS.keys())
def test_rendered_chart_passes_server_side_dry_run(cluster, namespace, settings):
    manifests = render(namespace, *settings)
    result = cluster.kubectl("apply", "--dry-run=server", "-n", namespace, "-f", "-",
                             input=manifests, check=False)
    assert result.returncode == 0, result.stderr


def objects(namespace, *settings):
    return [doc for doc in yaml.safe_load_all(render(namespace, *settings)) if doc]


def test_operator_runs_two_replicas_with_leader_election():
    deployment = next(o for o in objects("wax-system")
                      if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("operator"))
    assert deployment["spec"]["replicas"] == 2
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--leader-elect" in args
    assert "--lease-namespace=wax-system" in args


def test_client_secret_is_only_referenced():
    rendered = objects("wax-system", "oidc.clientSecret=s3cret", "oidc.clientId=wax")
    for document in rendered:
        if document["kind"] != "Secret":
            assert "s3cret" not in yaml.safe_dump(document), document["kind"]


def test_operator_may_not_read_secrets():
    role = next(o for o in objects("wax-system")
                if o["kind"] == "ClusterRole" and o["metadata"]["name"].endswith("-operator"))
    for rule in role["rules"]:
        assert "secrets" not in rule["resources"]
        assert "*" not in rule["verbs"] and "*" not in rule["resources"]


def test_crd_is_kept_on_uninstall():
    crd = next(o for o in objects("wax-system") if o["kind"] == "CustomResourceDefinition")
    assert crd["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert crd["spec"] == yaml.safe_load(
        (ROOT / "deploy" / "crd" / "dataflows.bytewax.io.yaml").read_text())["spec"]


@pytest.mark.parametrize("binary", ["wax-operator", "wax-api", "wax-dashboard"])
def test_the_binaries_accept_the_arguments_the_chart_gives(binary, tmp_path):
    """A flag the chart passes that the binary lacks would crash-loop the pod on install."""
    settings = ["oidc.authIssuer=http://127.0.0.1:9", "oidc.clientId=wax",
                "api.corsAllowedOrigins={https://dash.example.com}"]
    container = next(c for o in objects("wax-system", *settings) if o["kind"] == "Deployment"
                     for c in o["spec"]["template"]["spec"]["containers"]
                     if c.get("command", [""])[0].endswith(binary))
    env = {"PATH": "/usr/bin:/bin", "WAX_OIDC_ISSUER": "http://127.0.0.1:9",
           "WAX_OIDC_CLIENT_ID": "wax", "WAX_OIDC_CLIENT_SECRET": "s", "WAX_OIDC_PKCE": "false"}
    # No kubeconfig here (and no provider at port 9 for the dashboard): a binary that took its
    # arguments stops there, with 1.
    unreachable = [] if binary == "wax-dashboard" else ["--kubeconfig", str(tmp_path / "missing")]
    result = subprocess.run([str(BIN / binary), *container["args"], *unreachable],
                            capture_output=True, text=True, timeout=30, env=env)
    assert result.returncode == 1, result
