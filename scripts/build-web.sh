#!/usr/bin/env bash
# Builds the dashboard's front end (web/) into web/dist, which the C++ build compiles into the
# binaries (src/dashboard/embed_assets.py). Installs its npm packages from the lock file when
# the lock changed, and rebuilds only when a source is newer than the last build, so that a
# `make build` with nothing changed costs a second.
#
#   build-web.sh          install (if needed) and build
#   build-web.sh test     install (if needed) and run the front end's unit tests (Vitest)
set -euo pipefail

web=$(cd "$(dirname "$0")/../web" && pwd)

need_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "build-web: Node.js 20.19 or newer and npm are needed to build the dashboard" >&2
    exit 1
  fi
  local version
  version=$(node -p 'process.versions.node')
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)'; then
    echo "build-web: Node.js $version is too old for Vite 7; install 20.19 or newer" >&2
    exit 1
  fi
}

install() {
  local wanted stamp=$web/node_modules/.wax-lock-sha256
  wanted=$(sha256sum "$web/package-lock.json" | cut -c1-16)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "build-web: installing the front end's packages from the lock file (npm ci)" >&2
    (cd "$web" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$wanted" >"$stamp"
  fi
}

# True when web/dist is missing or older than a source or config file of the front end.
stale() {
  local built=$web/dist/index.html
  [ -f "$built" ] || return 0
  [ -n "$(find "$web/src" "$web/public" "$web/index.html" "$web/package-lock.json" \
            "$web"/vite.config.ts "$web"/tsconfig.json -newer "$built" -print -quit)" ]
}

need_node
install
case "${1:-build}" in
  build)
    if stale; then
      echo "build-web: building the dashboard (vite build)" >&2
      (cd "$web" && npm run --silent build >&2)
      touch "$web/dist/index.html"
    fi
    ;;
  test)
    (cd "$web" && npm test --silent)
    ;;
  *)
    sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
