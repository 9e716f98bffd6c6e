#!/usr/bin/env bash
# Times `entente import` of a published STIX 2.1 bundle (e.g. MITRE ATT&CK)
# into a fresh data directory against stix2-validator's default mode
# (`stix2_validator --version 2.1`) on the same file, and prints objects/s for
# both and the ratio. Both are whole processes, start-up included: the
# validator only reads and judges, the import reads, validates (STIX patterns
# included), canonicalises, appends to the log and signs its checkpoints.
#
#   bench/import.sh FILE [RUNS]
#
# ENTENTE_BIN names the binary (default: a release build of this checkout);
# Python comes from ENTENTE_PYTHON or scripts/python-env.sh. Medians of RUNS
# (default 5) runs; each import gets a new data directory.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
file=${1:?usage: bench/import.sh FILE [RUNS]}
runs=${2:-5}
[[ -r "$file" ]] || { echo "bench/import.sh: cannot read $file" >&2; exit 2; }
python=${ENTENTE_PYTHON:-$(cd "$root" && scripts/python-env.sh)}
validator="$(dirname "$python")/stix2_validator"
if [[ -z "${ENTENTE_BIN:-}" ]]; then
    (cd "$root" && cargo build --quiet --release --locked --bin entente)
    ENTENTE_BIN="${CARGO_TARGET_DIR:-$root/target}/release/entente"
fi
objects=$("$python" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["objects"]) if isinstance(d, dict) and "objects" in d else len(d) if isinstance(d, list) else 1)' "$file")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Seconds of one run of "$@", to stdout; the command's own output is discarded.
seconds() {
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

cat "$file" > /dev/null  # the page cache, not the disk, for both
ours=() theirs=()
for i in $(seq "$runs"); do
    "$ENTENTE_BIN" --quiet --data "$work/d$i" init --name bench.example > /dev/null
    ours+=("$(seconds "$ENTENTE_BIN" --quiet --data "$work/d$i" import --collection default "$file")")
    theirs+=("$(seconds "$validator" -q --version 2.1 "$file")")
done
# The last import's verdict, so a run that refused objects is not mistaken for a fast one.
"$ENTENTE_BIN" --data "$work/check" init --name bench.example > /dev/null 2>&1
"$ENTENTE_BIN" --data "$work/check" import --collection default "$file" 2>&1 >/dev/null | grep -E '^[0-9]+ object\(s\):' || true
"$validator" -q --version 2.1 "$file" && echo "stix2-validator (default mode): all valid" || echo "stix2-validator (default mode): exit $?"

o=$(printf '%s\n' "${ours[@]}" | median)
t=$(printf '%s\n' "${theirs[@]}" | median)
awk -v n="$objects" -v o="$o" -v t="$t" -v r="$runs" 'BEGIN {
    printf "objects %d, median of %d runs\n", n, r
    printf "entente import:                  %.2f s  %8.0f objects/s\n", o, n / o
    printf "stix2_validator --version 2.1:   %.2f s  %8.0f objects/s\n", t, n / t
    printf "ratio (entente import / validator, objects/s): %.1fx\n", t / o
}'
