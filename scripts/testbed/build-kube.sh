#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl from the k8s.io/kubernetes Go
# module, and etcd from go.etcd.io/etcd/server/v3, the way envtest's binaries are made, and
# caches them outside the repository, keyed by version:
#   ~/.cache/wax/testbed/kubernetes-vX.Y.Z/bin/{kube-apiserver,kube-controller-manager,kubectl}
#   ~/.cache/wax/testbed/etcd-vA.B.C/bin/etcd
#   ~/.cache/wax/testbed/helm-vH/bin/helm (from helm.sh/helm/v4, to check the chart)
# A second run finds them and returns at once. Prints the three bin directories, one a line.
#
# `go install k8s.io/kubernetes/cmd/...@v` is refused because the module requires its staging
# modules at v0.0.0 and fixes that with replace lines that do not apply to a dependency; a small
# wrapper module carries those replace lines instead, generated from the module's own go.mod.
set -euo pipefail

kube_version=${WAX_KUBE_VERSION:-1.34.4}
etcd_version=${WAX_ETCD_VERSION:-3.6.17}
helm_version=${WAX_HELM_VERSION:-4.3.2}
cache=${WAX_CACHE_DIR:-$HOME/.cache/wax}/testbed
export GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 PATH=$PATH:/usr/local/go/bin

kube_dir=$cache/kubernetes-v$kube_version
etcd_dir=$cache/etcd-v$etcd_version
helm_dir=$cache/helm-v$helm_version

wrapper_module() {  # DIR MODULE VERSION: a module that requires MODULE@VERSION
  local dir=$1 module=$2 version=$3
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && go mod init wax.local/testbed >/dev/null 2>&1 && \
   go mod edit -require="$module@$version")
}

staging_replacements() {  # VERSION: one -replace flag per staging module of k8s.io/kubernetes
  local version=$1 gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@v$version" | \
          sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  sed -n 's/^\t\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0$/\1/p' "$gomod" | sort -u | while read -r m; do
    echo "-replace=$m=$m@v0.${version#1.}"
  done
}

build_kubernetes() {
  [ -x "$kube_dir/bin/kube-apiserver" ] && return 0
  echo "testbed: building Kubernetes v$kube_version (20 to 30 minutes on 2 cores, once)" >&2
  local src=$kube_dir/src
  wrapper_module "$src" k8s.io/kubernetes "v$kube_version"
  # shellcheck disable=SC2046
  (cd "$src" && go mod edit $(staging_replacements "$kube_version"))
  local ldflags="-s -w -X k8s.io/component-base/version.gitVersion=v$kube_version"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$kube_version")"
  mkdir -p "$kube_dir/bin.tmp"
  for command in kube-apiserver kube-controller-manager kubectl; do
    (cd "$src" && go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "$ldflags" \
       -o "$kube_dir/bin.tmp/$command" "k8s.io/kubernetes/cmd/$command")
  done
  rm -rf "$kube_dir/bin" && mv "$kube_dir/bin.tmp" "$kube_dir/bin"
}

build_etcd() {
  [ -x "$etcd_dir/bin/etcd" ] && return 0
  echo "testbed: building etcd v$etcd_version (once)" >&2
  local src=$etcd_dir/src
  wrapper_module "$src" go.etcd.io/etcd/server/v3 "v$etcd_version"
  mkdir -p "$etcd_dir/bin.tmp"
  (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$etcd_dir/bin.tmp/etcd" \
     go.etcd.io/etcd/server/v3)
  rm -rf "$etcd_dir/bin" && mv "$etcd_dir/bin.tmp" "$etcd_dir/bin"
}

build_helm() {
  [ -x "$helm_dir/bin/helm" ] && return 0
  echo "testbed: building Helm v$helm_version (once)" >&2
  local src=$helm_dir/src
  wrapper_module "$src" helm.sh/helm/v4 "v$helm_version"
  mkdir -p "$helm_dir/bin.tmp"
  (cd "$src" && go build -trimpath -ldflags "-s -w" -o "$helm_dir/bin.tmp/helm" \
     helm.sh/helm/v4/cmd/helm)
  rm -rf "$helm_dir/bin" && mv "$helm_dir/bin.tmp" "$helm_dir/bin"
}

print_bin_dirs() {
  echo "$kube_dir/bin"
  echo "$etcd_dir/bin"
  echo "$helm_dir/bin"
}

if [ -x "$kube_dir/bin/kube-apiserver" ] && [ -x "$etcd_dir/bin/etcd" ] && \
   [ -x "$helm_dir/bin/helm" ]; then
  print_bin_dirs  # the common case, without waiting for another caller's lock
  exit 0
fi
mkdir -p "$cache"
exec 9>"$cache/.build.lock"
flock 9  # two callers at once: the second waits for the first's build, then finds it
build_etcd
build_kubernetes
build_helm
print_bin_dirs
