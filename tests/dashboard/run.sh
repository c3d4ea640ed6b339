#!/usr/bin/env bash
# Runs the dashboard's browser tests (tests/dashboard/*.test.mjs) with Node's test runner:
# Chromium (Debian's `chromium`, installed by scripts/setup.sh) driven by playwright-core (a
# devDependency of web/), against waxd and waxctl from build/bin (WAX_BIN_DIR to change).
# Screenshots and the daemons' logs go to build/test-output/dashboard/.
#
#   tests/dashboard/run.sh              every test file
#   tests/dashboard/run.sh FILE...      only these (e.g. tests/dashboard/link.test.mjs)
#
# WAX_KEEP_TEST_DIRS=1 keeps the temporary data directories.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
chromium=${WAX_CHROMIUM:-/usr/bin/chromium}
bin=${WAX_BIN_DIR:-$root/build/bin}

if [ ! -x "$chromium" ]; then
  echo "dashboard tests: $chromium is missing; install it with: apt-get install -y chromium" \
       "(scripts/setup.sh does)" >&2
  exit 1
fi
for binary in waxd waxctl; do
  if [ ! -x "$bin/$binary" ]; then
    echo "dashboard tests: $bin/$binary is missing; build first (make build)" >&2
    exit 1
  fi
done

# web/node_modules from the lock file (npm ci when the lock changed), playwright-core among them.
# (build-web.sh installs them, then builds web/dist only if a source is newer than it.)
bash "$root/scripts/build-web.sh"
if [ ! -d "$root/web/node_modules/playwright-core" ]; then
  echo "dashboard tests: web/node_modules/playwright-core is missing after npm ci" >&2
  exit 1
fi

mkdir -p "$root/build/test-output/dashboard"
cd "$root"
if [ $# -gt 0 ]; then
  exec node --test --test-concurrency=1 "$@"
fi
exec node --test --test-concurrency=1 tests/dashboard/
