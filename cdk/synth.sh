#!/usr/bin/env bash
# Synthesize the Brain in Cup stack into cdk.out/ at the repo root, offline (no AWS calls, no
# Docker). Uses the CDK CLI pinned in cdk/package.json when installed (`cd cdk && npm ci`),
# otherwise runs the app directly, which writes the same cloud assembly.
# Extra arguments go to the app as context, e.g.:  bash cdk/synth.sh -c modelId=amazon.nova-lite-v1:0
set -euo pipefail
cdk_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$cdk_dir")
out="$root/cdk.out"
export BRAIN_PYTHON="${BRAIN_PYTHON:-$root/.venv/bin/python}"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
# Offline and quiet: no version check, no notices download, no telemetry.
export CDK_DISABLE_VERSION_CHECK=true CDK_DISABLE_CLI_TELEMETRY=true
# cdk-nag (AwsSolutions) always runs. CDK's built-in CloudFormation validator triples the synth
# time and overlaps cfn-lint, which tests/infra runs: on with CDK_VALIDATION=true.
export CDK_VALIDATION="${CDK_VALIDATION:-false}"

started=$SECONDS
cd "$cdk_dir"
if [ -x node_modules/.bin/cdk ]; then
    node_modules/.bin/cdk synth --quiet --no-notices --output "$out" "$@"
else
    echo "cdk/node_modules has no CDK CLI (run: cd cdk && npm ci); running the app directly" >&2
    context=()
    while [ $# -gt 0 ]; do
        case "$1" in
            -c|--context) context+=("$2"); shift 2 ;;
            *) echo "synth.sh: without the CLI only -c key=value is understood, not $1" >&2; exit 2 ;;
        esac
    done
    json=$("$BRAIN_PYTHON" - "${context[@]}" <<'PY'
import json, sys
print(json.dumps(dict(arg.split("=", 1) for arg in sys.argv[1:])))
PY
)
    rm -rf "$out"
    CDK_OUTDIR="$out" CDK_CONTEXT_JSON="$json" "$BRAIN_PYTHON" app.py
fi
echo "cdk.out/ written in $((SECONDS - started)) s: $(ls "$out"/*.template.json | xargs -n1 basename)"
