#!/usr/bin/env bash
# An OpenID Connect provider on loopback: oidc-provider from npm (a certified OpenID provider),
# run by scripts/testbed/oidc/provider.mjs from a JSON config file (its header documents it).
#
#   oidc-up.sh up DIR [CONFIG]   start it (CONFIG defaults to oidc/config.example.json); waits
#                                until discovery answers, then prints the issuer URL
#   oidc-up.sh down DIR          stop the provider started in DIR
#   oidc-up.sh install           install the npm packages from the lock file, if not yet done
#
# DIR holds provider.pid, provider.log and issuer. Port 0 in the config's issuer picks a free
# port. The packages go to oidc/node_modules (ignored by git), keyed by the lock file's digest,
# so that a second run installs nothing; npm's own cache keeps the downloads.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
oidc=$here/oidc
lock_dir=${WAX_CACHE_DIR:-$HOME/.cache/wax}/testbed

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

wait_for() {  # SECONDS DESCRIPTION COMMAND...: retries COMMAND until it succeeds
  local seconds=$1 description=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$dir/provider.pid")" 2>/dev/null; then
      echo "oidc: the provider exited; the end of $dir/provider.log:" >&2
      tail -n 20 "$dir/provider.log" >&2
      return 1
    fi
    if ((SECONDS >= deadline)); then
      echo "oidc: $description did not come up in ${seconds}s; its log is $dir/provider.log" >&2
      return 1
    fi
    sleep 0.2
  done
}

install() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "oidc: node and npm are missing; install them with: apt-get install nodejs npm" >&2
    return 1
  fi
  mkdir -p "$lock_dir"
  local wanted stamp=$oidc/node_modules/.wax-lock-sha256
  wanted=$(sha256sum "$oidc/package-lock.json" | cut -c1-16)
  # Two test sessions may start at once; the second waits for the first's install.
  exec 9>"$lock_dir/oidc-npm.lock"
  flock 9
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "oidc: installing oidc-provider from the lock file (npm ci)" >&2
    (cd "$oidc" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$wanted" >"$stamp"
  fi
  exec 9>&-
}

listening_url() {  # the URL the provider printed once it bound its port
  sed -n 's/^oidc-provider listening on //p' "$dir/provider.log" | grep .
}

up() {
  local config=${1:-$oidc/config.example.json}
  [ -f "$config" ] || { echo "oidc: no config file $config" >&2; return 1; }
  config=$(cd "$(dirname "$config")" && pwd)/$(basename "$config")
  if [ -f "$dir/provider.pid" ] && kill -0 "$(cat "$dir/provider.pid")" 2>/dev/null; then
    echo "oidc: already running in $dir" >&2
    cat "$dir/issuer"
    return 0
  fi
  install
  rm -f "$dir/issuer"
  (cd "$oidc" && exec node provider.mjs "$config") </dev/null >"$dir/provider.log" 2>&1 &
  echo $! >"$dir/provider.pid"
  wait_for 120 "the provider's port" listening_url
  local issuer
  issuer=$(listening_url)
  wait_for 60 "the discovery document" curl -sf "$issuer/.well-known/openid-configuration"
  echo "$issuer" >"$dir/issuer"
  echo "$issuer"
}

[ $# -ge 1 ] || usage
command=$1
case $command in
  install) install ;;
  up | down)
    [ $# -ge 2 ] || usage
    dir=$(mkdir -p "$2" && cd "$2" && pwd)
    if [ "$command" = up ]; then up "${3:-}"; else stop_pidfile "$dir/provider.pid"; fi
    ;;
  *) usage ;;
esac
