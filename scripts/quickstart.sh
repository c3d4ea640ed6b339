#!/usr/bin/env bash
# The main job on the embedded default: start waxd, deploy the NYC flights example with waxctl,
# follow it to Completed, and check its results against an independent computation.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
waxctl=$root/build/bin/waxctl
python=${WAX_PYTHON:-$HOME/.cache/wax/python/bytewax-0.21.1/bin/python}
example=$root/examples/nycflights
name=flights-by-origin
output_dir=$root/build/quickstart
output=$output_dir/flights_by_origin.jsonl

step() { printf '\n==> %s\n' "$*"; }

step "Starting waxd (the embedded platform) in the background"
"$waxctl" local start

step "Deploying the example: $example/flights_by_origin.py"
# A fresh run each time: the old dataflow, its state and its output go first.
"$waxctl" dataflow delete "$name" --yes >/dev/null 2>&1 || true
mkdir -p "$output_dir"
rm -f "$output"
"$waxctl" dataflow deploy "$example/flights_by_origin.py" -F "$example/dataflow.yaml" \
  -e "WAX_EXAMPLE_OUTPUT=$output" --yes

step "Following it until it completes (the first run installs its dependencies)"
"$waxctl" dataflow list
"$waxctl" dataflow wait "$name" --for=condition=Completed --timeout=30m
"$waxctl" dataflow list
echo
echo "The end of process 0's log ([wax] lines are the supervisor's):"
"$waxctl" dataflow logs "$name" --process 0 --tail 8

step "Checking the results against an independent computation (pandas)"
"$python" "$example/verify.py" "$output"

cat <<EOT

waxd is still running. Try:
  $waxctl dataflow list
  $waxctl dataflow get $name -o yaml
Stop it with:
  $waxctl local stop
EOT
