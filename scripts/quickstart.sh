#!/usr/bin/env bash
# A node's main job on the embedded default, from a fresh clone: build, create
# the data directory (SQLite, under $ENTENTE_DATA or ~/.local/share/entente),
# publish the bundled sample of election-attack indicators, then audit the log.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --quiet
# The binary is in cargo's target directory, which CARGO_TARGET_DIR or a cargo
# config (build.target-dir) may move away from ./target: ask cargo where it is.
target_dir=$(cargo metadata --format-version 1 --no-deps --locked |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
entente="${target_dir:-target}/release/entente"

if ! "$entente" log checkpoint >/dev/null 2>&1; then
    "$entente" init --name "${ENTENTE_NAME:-entente.local}"
fi
"$entente" publish --collection default examples/election-indicators.json
"$entente" audit --collection default
