"""wax-api's lists of Dataflows, answered from its watch cache after a SubjectAccessReview of
the caller's rights, against the same list read straight from the kube-apiserver by a user
with the same RBAC (the baseline), on the test control plane with 1,000 Dataflows, with wrk on
loopback in the same run, in alternating rounds. Both of wax-api's lists are measured: the
resource API's (/api/v1/namespaces/NS/dataflows, a DataflowList) and the Bytewax Platform's
(/dataflows?namespace=NS, DataflowResponses), each as a ratio to the API server's list, in
requests per second and in p99 latency. Goal: wax-api serves >= 3x the API server's rate."""

import csv
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / "build" / "bin"
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "oidc"))
from api_bench import wrk  # noqa: E402
from oidc_provider import WAX_API, OidcProvider, default_config  # noqa: E402
from operator_bench import ControlPlane  # noqa: E402

COUNT = 1000
ROUNDS = 3
NAMESPACE = "bench"


def create_dataflows(plane):
    plane.kubectl("create", "namespace", NAMESPACE)
    for start in range(0, COUNT, 200):
        items = [{"apiVersion": "bytewax.io/v1alpha1", "kind": "Dataflow",
                  "metadata": {"name": f"flow-{i:04d}", "namespace": NAMESPACE},
                  "spec": {"image": {"tag": "0.21.1"}, "pythonFileName": "flow.py",
                           "processesCount": 2, "suspend": True}}
                 for i in range(start, min(COUNT, start + 200))]
        path = plane.directory / "batch.yaml"
        path.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
        plane.kubectl("apply", "-f", path)
    # alice (a token of the API server, group wax-users) and the provider's alice (wax-users
    # too) may list them through the same binding.
    plane.kubectl("create", "clusterrole", "bench-list", "--verb=list,get,watch",
                  "--resource=dataflows.bytewax.io")
    plane.kubectl("create", "clusterrolebinding", "bench-list", "--clusterrole=bench-list",
                  "--group=wax-users")


def start_wax_api(plane, provider, log):
    process = subprocess.Popen(
        [str(BIN / "wax-api"), "--kubeconfig", str(plane.kubeconfig), "--listen",
         "127.0.0.1:0", "--auth-issuer", provider.issuer, "--client-id", "waxctl",
         "--audience", WAX_API], stdout=log, stderr=subprocess.STDOUT)
    return process


def main():
    if shutil.which("wrk") is None:
        sys.exit("api_list_bench: wrk is missing; run `make setup`")
    scratch = Path(tempfile.mkdtemp(prefix="wax-bench-list-"))
    plane = ControlPlane(scratch / "cluster")
    wax_api = None
    try:
        create_dataflows(plane)
        server = re.search(r"server: (\S+)", plane.kubeconfig.read_text()).group(1)
        with open(plane.directory / "tokens.csv") as tokens:
            kube_token = next(row[0] for row in csv.reader(tokens) if row[1] == "alice")
        with OidcProvider(scratch / "oidc", default_config(access_token_ttl=3600)) as provider:
            log = open(scratch / "wax-api.log", "wb")
            wax_api = start_wax_api(plane, provider, log)
            port = wait_for_port(scratch / "wax-api.log")
            access = provider.password_login("alice")["access_token"]
            ours = f"http://127.0.0.1:{port}/api/v1/namespaces/{NAMESPACE}/dataflows"
            platform = f"http://127.0.0.1:{port}/dataflows?namespace={NAMESPACE}"
            theirs = f"{server}/apis/bytewax.io/v1alpha1/namespaces/{NAMESPACE}/dataflows"
            wait_for_items(ours, access)
            runs = {"apiserver": [], "wax-api": [], "wax-api platform": []}
            for _ in range(ROUNDS):
                runs["apiserver"].append(wrk(theirs, kube_token))
                runs["wax-api"].append(wrk(ours, access))
                runs["wax-api platform"].append(wrk(platform, access))
    finally:
        if wax_api:
            wax_api.terminate()
            wax_api.wait()
        plane.down()
        shutil.rmtree(scratch, ignore_errors=True)
    report(runs)


def wait_for_port(log_path):
    deadline = time.time() + 30
    while time.time() < deadline:
        found = re.search(r"address=127\.0\.0\.1:(\d+)", log_path.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise RuntimeError("wax-api did not start")


def wait_for_items(url, token):
    deadline = time.time() + 60
    while time.time() < deadline:
        answer = requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        if answer.status_code == 200 and len(answer.json()["items"]) == COUNT:
            return
        time.sleep(0.5)
    raise RuntimeError("wax-api never listed every Dataflow")


def report(runs):
    rate = {kind: statistics.median(r for r, _ in values) for kind, values in runs.items()}
    p99 = {kind: statistics.median(p for _, p in values) for kind, values in runs.items()}
    for kind in runs:
        print(f"list {COUNT} dataflows, {kind + ':':<18} {rate[kind]:7.1f} req/s, "
              f"p99 {p99[kind]:.1f} ms")
    for kind in ("wax-api", "wax-api platform"):
        print(f"{kind} / kube-apiserver: throughput ratio "
              f"{rate[kind] / rate['apiserver']:.2f} (goal >= 3), p99 ratio "
              f"{p99[kind] / p99['apiserver']:.2f} (lower is better)")


if __name__ == "__main__":
    main()
