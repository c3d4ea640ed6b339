#!/usr/bin/env bash
# A Kubernetes control plane on loopback without Docker, the way controller-runtime's envtest
# runs one: etcd and kube-apiserver (and kube-controller-manager with --controller-manager, so
# that StatefulSets make Pods and garbage collection works). There is no kubelet: Pods stay
# Pending unless a test acts as the kubelet (tests/cluster/kubelet.py).
#
#   cluster.sh up DIR [--controller-manager]   start; writes DIR/kubeconfig and prints
#                                              `export KUBECONFIG=DIR/kubeconfig`
#   cluster.sh down DIR                        stop everything started in DIR, remove its data
#   cluster.sh restart-apiserver DIR           stop and start kube-apiserver alone
#
# DIR/kubeconfig has the contexts `admin` (current; group system:masters) and `alice` and
# `bob` (ordinary users in the group wax-users, no permissions until RBAC grants them).
# Tokens are in DIR/tokens.csv. Everything listens on 127.0.0.1 on free ports.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() {  # SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds
  local seconds=$1 description=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "cluster: $description did not come up in ${seconds}s; its log is in $dir/logs" >&2
      return 1
    fi
    sleep 0.5
  done
}

random_token() {
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'
}

make_certificates() {
  local pki=$dir/pki
  mkdir -p "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=wax-testbed-ca" \
    -keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$pki/apiserver.key" -out "$pki/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes.default.svc\n' \
    >"$pki/san.ext"
  openssl x509 -req -in "$pki/apiserver.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" \
    -CAcreateserial -days 3650 -extfile "$pki/san.ext" -out "$pki/apiserver.crt" 2>/dev/null
  openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
}

write_tokens() {
  {
    echo "$(random_token),admin,admin,system:masters"
    echo "$(random_token),alice,alice,wax-users"
    echo "$(random_token),bob,bob,wax-users"
    echo "$(random_token),system:kube-controller-manager,kcm,system:masters"
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv"
}

token_of() {
  awk -F, -v user="$1" '$2 == user { print $1 }' "$dir/tokens.csv"
}

write_kubeconfig() {  # FILE USER...: a kubeconfig with one context per user, the first current
  local file=$1
  shift
  local ca_data
  ca_data=$(base64 -w0 "$dir/pki/ca.crt")
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: wax-testbed"
    echo "  cluster:"
    echo "    server: https://127.0.0.1:$(cat "$dir/apiserver.port")"
    echo "    certificate-authority-data: $ca_data"
    echo "users:"
    for user in "$@"; do
      echo "- name: $user"
      echo "  user:"
      echo "    token: $(token_of "$user")"
    done
    echo "contexts:"
    for user in "$@"; do
      echo "- name: ${user#system:}"
      echo "  context: {cluster: wax-testbed, user: \"$user\", namespace: default}"
    done
    echo "current-context: ${1#system:}"
  } >"$file"
  chmod 600 "$file"
}

start_etcd() {
  local client_port peer_port
  client_port=$(free_port)
  peer_port=$(free_port)
  echo "$client_port" >"$dir/etcd.port"
  "$etcd_bin/etcd" --name wax-testbed --data-dir "$dir/etcd" --unsafe-no-fsync \
    --listen-client-urls "http://127.0.0.1:$client_port" \
    --advertise-client-urls "http://127.0.0.1:$client_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "wax-testbed=http://127.0.0.1:$peer_port" \
    >"$dir/logs/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"
  wait_for 60 etcd curl -sf "http://127.0.0.1:$client_port/health"
}

start_apiserver() {
  local port
  if [ -f "$dir/apiserver.port" ]; then
    port=$(cat "$dir/apiserver.port")  # a restart keeps the port the kubeconfig names
  else
    port=$(free_port)
    echo "$port" >"$dir/apiserver.port"
  fi
  local admission=()
  if [ ! -f "$dir/controller-manager.enabled" ]; then
    # Without kube-controller-manager nobody makes the default ServiceAccount, so the
    # ServiceAccount admission plugin would refuse every Pod.
    admission=(--disable-admission-plugins=ServiceAccount)
  fi
  "$kube_bin/kube-apiserver" \
    --bind-address=127.0.0.1 --secure-port="$port" \
    --etcd-servers="http://127.0.0.1:$(cat "$dir/etcd.port")" \
    --cert-dir="$dir/pki" \
    --tls-cert-file="$dir/pki/apiserver.crt" --tls-private-key-file="$dir/pki/apiserver.key" \
    --client-ca-file="$dir/pki/ca.crt" \
    --service-account-key-file="$dir/pki/sa.pub" \
    --service-account-signing-key-file="$dir/pki/sa.key" \
    --service-account-issuer="https://127.0.0.1:$port" \
    --service-cluster-ip-range=10.0.0.0/16 \
    --authorization-mode=RBAC --token-auth-file="$dir/tokens.csv" \
    --allow-privileged=true --endpoint-reconciler-type=none \
    "${admission[@]}" \
    >"$dir/logs/kube-apiserver.log" 2>&1 &
  echo $! >"$dir/apiserver.pid"
  wait_for 120 kube-apiserver \
    "$kube_bin/kubectl" --kubeconfig "$dir/kubeconfig" get --raw /readyz
  wait_for 60 "the default namespace" \
    "$kube_bin/kubectl" --kubeconfig "$dir/kubeconfig" get namespace default
}

start_controller_manager() {
  write_kubeconfig "$dir/controller-manager.kubeconfig" system:kube-controller-manager
  "$kube_bin/kube-controller-manager" \
    --kubeconfig="$dir/controller-manager.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$(free_port)" \
    --leader-elect=false --controllers='*' \
    --service-account-private-key-file="$dir/pki/sa.key" \
    --root-ca-file="$dir/pki/ca.crt" \
    --cluster-signing-cert-file="$dir/pki/ca.crt" --cluster-signing-key-file="$dir/pki/ca.key" \
    --use-service-account-credentials=false \
    >"$dir/logs/kube-controller-manager.log" 2>&1 &
  echo $! >"$dir/controller-manager.pid"
  wait_for 60 "the default ServiceAccount" \
    "$kube_bin/kubectl" --kubeconfig "$dir/kubeconfig" get serviceaccount default
}

up() {
  if [ -f "$dir/apiserver.pid" ] && kill -0 "$(cat "$dir/apiserver.pid")" 2>/dev/null; then
    echo "cluster: already running in $dir" >&2
  else
    rm -rf "$dir/etcd" "$dir/apiserver.port"
    mkdir -p "$dir/logs"
    chmod 700 "$dir"
    [ "$with_controller_manager" = 1 ] && touch "$dir/controller-manager.enabled"
    make_certificates
    write_tokens
    start_etcd
    echo "$(free_port)" >"$dir/apiserver.port"
    write_kubeconfig "$dir/kubeconfig" admin alice bob
    start_apiserver
    if [ -f "$dir/controller-manager.enabled" ]; then
      start_controller_manager
    fi
  fi
  echo "export KUBECONFIG=$dir/kubeconfig"
}

down() {
  stop_pidfile "$dir/controller-manager.pid"
  stop_pidfile "$dir/apiserver.pid"
  stop_pidfile "$dir/etcd.pid"
  rm -rf "$dir/etcd"
}

[ $# -ge 2 ] || usage
command=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
with_controller_manager=0
[ "${3:-}" = "--controller-manager" ] && with_controller_manager=1

mapfile -t bins < <("$here/build-kube.sh")
kube_bin=${bins[0]}
etcd_bin=${bins[1]}

case $command in
  up) up ;;
  down) down ;;
  restart-apiserver) stop_pidfile "$dir/apiserver.pid" && start_apiserver ;;
  *) usage ;;
esac
