#!/usr/bin/env bash
# `make cluster`: a local control plane for people (see cluster.sh), with the Dataflow CRD
# installed, and what to type next.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$1

echo "cluster: starting etcd, kube-apiserver and kube-controller-manager in $dir" >&2
"$here/cluster.sh" up "$dir" --controller-manager >/dev/null
mapfile -t bins < <("$here/build-kube.sh")
kubectl=${bins[0]}/kubectl
"$kubectl" --kubeconfig "$dir/kubeconfig" apply -f "$root/deploy/crd/dataflows.bytewax.io.yaml" \
  >/dev/null
"$kubectl" --kubeconfig "$dir/kubeconfig" wait --for=condition=Established \
  crd/dataflows.bytewax.io --timeout=60s >/dev/null

cat <<TEXT
cluster: ready. The Dataflow CRD is installed. There is no kubelet, so pods stay Pending.
Point kubectl and waxctl at it with:

export KUBECONFIG=$dir/kubeconfig

kubectl is at $kubectl
Run the operator against it (in another terminal, or add & to run it in the background):

build/bin/wax-operator --kubeconfig $dir/kubeconfig

Then \`build/bin/waxctl dataflow deploy my_flow.py\` creates a Dataflow there; pods stay
Pending, as there is no kubelet to run them. Stop it with: make cluster-down
TEXT
