#!/usr/bin/env bash
# Runs every benchmark. Each prints ratios against a baseline measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${WAX_PYTHON:-$HOME/.cache/wax/python/bytewax-0.21.1/bin/python}
"$python" bench/startup_overhead.py
"$python" bench/memory.py
# Needs the Kubernetes test bed, which the first `make test` builds.
"$python" bench/operator_bench.py
