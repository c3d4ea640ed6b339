#!/usr/bin/env bash
# Installs everything Wax needs on a fresh Debian bookworm machine. Idempotent: a second run
# only checks and returns. Nothing is installed into the repository; Python environments are
# cached under ~/.cache/wax keyed by version.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${WAX_CACHE_DIR:-$HOME/.cache/wax}
stamp_dir=$cache/stamps
mkdir -p "$stamp_dir"

apt_packages=(
  build-essential cmake ninja-build pkg-config git clang-format
  libboost1.81-dev libcurl4-openssl-dev nlohmann-json3-dev libyaml-cpp-dev
  libsqlite3-dev libssl-dev libspdlog-dev libfmt-dev libcli11-dev libgtest-dev libgmock-dev
  libcpp-httplib-dev libbenchmark-dev prometheus-cpp-dev wrk
  python3 python3-venv python3-dev
  chromium
)

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_apt_packages() {
  local missing=()
  for package in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" \
      || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
}

# The Python environment that runs dataflows: bytewax pinned to the version Wax supports,
# plus the packages the examples and the tests need.
bytewax_version=0.21.1
python_env=$cache/python/bytewax-$bytewax_version
python_requirements=$here/scripts/python-requirements.txt

install_python_env() {
  local wanted
  wanted=$(sha256sum "$python_requirements" | cut -c1-16)
  if [ -f "$python_env/.wax-requirements" ] && \
     [ "$(cat "$python_env/.wax-requirements")" = "$wanted" ]; then
    return 0
  fi
  echo "setup: creating the Python environment $python_env"
  rm -rf "$python_env"
  /usr/bin/python3 -m venv "$python_env"
  "$python_env/bin/pip" install -q --upgrade pip
  "$python_env/bin/pip" install -q -r "$python_requirements"
  echo "$wanted" > "$python_env/.wax-requirements"
}

# The test bed builds Kubernetes and etcd from their Go modules (scripts/testbed/build-kube.sh),
# which needs a Go toolchain newer than Debian's. The build machines have one in /usr/local/go.
check_go() {
  export PATH=$PATH:/usr/local/go/bin
  local version
  if ! version=$(go env GOVERSION 2>/dev/null); then
    echo "setup: Go 1.24 or newer is needed to build the Kubernetes test bed; install it from" \
         "https://go.dev/dl into /usr/local/go" >&2
    exit 1
  fi
  local minor=${version#go1.}
  minor=${minor%%.*}
  if [ "$minor" -lt 24 ]; then
    echo "setup: $version is too old to build Kubernetes 1.34; install Go 1.24 or newer" >&2
    exit 1
  fi
}

install_apt_packages
install_python_env
check_go
echo "setup: ok (python environment: $python_env)"
