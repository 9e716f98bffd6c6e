#!/usr/bin/env bash
# Create or refresh a Python virtualenv: by default the one the conformance
# and interop tests use; the benchmarks name their own.
#
#   scripts/python-env.sh                    # .venv from requirements-test.txt
#   scripts/python-env.sh VENV REQUIREMENTS  # e.g. .venv-bench bench/requirements-bench.txt
#
# Either prints the venv's python path on stdout. Paths are relative to the
# repository root. A venv is rebuilt only when its requirements changed since
# the last successful install (a hash of the file is kept in
# VENV/.requirements.sha256), so running this again is cheap.
# Only PyPI is needed. Set PYTHON to choose the interpreter that creates the venv.
# Everything but the final path goes to stderr, so callers can do
#   ENTENTE_PYTHON=$(scripts/python-env.sh)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/${1:-.venv}"
requirements="$root/${2:-requirements-test.txt}"
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "$venv/bin/python"
    exit 0
fi

if [[ ! -x "$venv/bin/python" ]]; then
    echo "python-env: creating $venv" >&2
    "${PYTHON:-python3}" -m venv "$venv" >&2
fi
echo "python-env: installing $requirements" >&2
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    --requirement "$requirements" >&2
# Written last: an interrupted install leaves no stamp and is retried next time.
echo "$want" > "$stamp"
echo "$venv/bin/python"
