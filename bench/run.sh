#!/usr/bin/env bash
# End-to-end figures for BENCHMARKS.md: durable import, audit from the store and
# from an exported tile tree, and validation against the reference validator.
#
#   bench/run.sh [OBJECTS]        (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --quiet -p entente-cli
entente="$PWD/target/release/entente"
python3 bench/gen_indicators.py "$n" > "$work/bundle.json"
size_mb=$(( $(stat -c %s "$work/bundle.json") / 1000000 ))

seconds() { python3 -c 'import sys,time; t=time.perf_counter(); import subprocess; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(f"{time.perf_counter()-t:.3f}")' "$@"; }
rate() { python3 -c "import sys; print(f'{$1/$2:,.0f}')"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "corpus:  $n indicators of ~1 KB ($size_mb MB bundle)"
"$entente" --data "$work/node" init --name bench.entente.example > "$work/vkey"

t=$(seconds "$entente" --data "$work/node" import --batch 1024 "$work/bundle.json")
echo "import (validate + durable append, batches of 1024): ${t}s, $(rate "$n" "$t") objects/s"

t=$(seconds "$entente" --data "$work/node" audit --collection default)
echo "audit from the store:                                ${t}s, $(rate "$n" "$t") entries/s"

t=$(seconds "$entente" --data "$work/node" audit --collection default --deep)
echo "audit --deep (entries decoded, index checked):       ${t}s, $(rate "$n" "$t") entries/s"

t=$(seconds "$entente" --data "$work/node" export --tiles "$work/tiles")
echo "export --tiles:                                      ${t}s, $(rate "$n" "$t") entries/s"

t=$(seconds "$entente" audit --tiles "$work/tiles" --key "$(cat "$work/vkey")")
echo "audit of the exported tile tree:                     ${t}s, $(rate "$n" "$t") entries/s"

if [ -x bench/validate-vs-reference.sh ]; then
    bench/validate-vs-reference.sh
fi
