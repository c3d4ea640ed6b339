#!/usr/bin/env bash
# Runs every benchmark. Each prints ratios against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${WAX_PYTHON:-$HOME/.cache/wax/python/bytewax-0.21.1/bin/python}
"$python" bench/startup_overhead.py
"$python" bench/memory.py
# Needs the OpenID provider of the test bed (scripts/testbed/oidc-up.sh installs it).
bash scripts/testbed/oidc-up.sh install >/dev/null
"$python" bench/api_bench.py
# Needs Chromium (scripts/setup.sh installs it) and web/node_modules (make build installs them).
node bench/dashboard_bench.mjs
# Needs the Kubernetes test bed, which the first `make test` builds.
"$python" bench/operator_bench.py
"$python" bench/api_list_bench.py
