#!/usr/bin/env bash
# Runs every test of the project: unit, integration, crash and tamper tests,
# and the conformance tests against the Python reference tools (installed into
# .venv by scripts/python-env.sh from pinned versions).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/testdata ]; then
    echo "error: ../shared/testdata is missing; the test vectors live beside the checkout" >&2
    exit 2
fi

ENTENTE_PYTHON="$(scripts/python-env.sh)"
export ENTENTE_PYTHON

cargo test --workspace --locked "$@"
