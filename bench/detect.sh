#!/usr/bin/env bash
# Detection benchmark: `entente match` streaming Zeek and Suricata EVE telemetry through
# one index compiled from a large indicator set, and the reference matcher (OASIS
# stix2-matcher) on a sample of the same events with the same 1,000 patterns, side by
# side in one run; then a table.
#
#   bench/detect.sh          (10^6 indicators, 10^7 events: about 4 minutes to generate
#                             the data the first time, then the runs)
#
# Data (bench/detect/gen.py, deterministic): indicators.json, one bundle of INDICATORS
# indicators (60% exact values, 20% CIDRs, 10% domain suffixes, 5% URL prefixes, 5% full
# patterns with AND/OR and qualifiers); EVENTS events, half as Zeek logs (zeek/*.log),
# half as Suricata EVE (eve/eve.json), of which a fraction HIT_RATE carries a value planted
# from the indicators (manifest.json says how many per file); a sample of 2,000 events as
# STIX (sample.ndjson) and as raw lines (sample_lines/), and 1,000 of the indicators
# (reference_patterns.json) including every one planted in the sample. The data is kept
# in the data folder and generated again only when the arguments change.
#
# Runs:
#   1. entente import of indicators.json into a fresh node (reused while the data is);
#   2. entente match over zeek/*.log, over eve/eve.json, then over all of them, each
#      with --stats (index build time and size, events, events/s, hits);
#   3. on the first REF_LIMIT events of the sample: entente match --indicators
#      reference_patterns.json over the raw lines, and bench/detect/reference_match.py
#      (stix2-matcher) over the same events as STIX; events/s of both, their ratio, and
#      the per-indicator hit counts compared.
# Wall time and peak memory (max RSS) of each entente run come from /usr/bin/time -v
# (or Python's resource module when it is absent).
#
# Settings (environment):
#   INDICATORS          indicators in the set                       (1000000)
#   EVENTS              events, half Zeek and half EVE              (10000000)
#   HIT_RATE            fraction of events with a planted value     (0.01)
#   SEED                generator seed                              (1)
#   REF_LIMIT           sample events for the reference matcher     (reference_match.py's
#                       default, sized for about a minute; 0 = the whole sample)
#   ENTENTE_BENCH_DIR   data and run folder                         (target/bench-detect)
#   ENTENTE_BIN         use this binary instead of building one
#   DETECT_BENCH_OUT    where the table and results go              (bench/out/detect)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
indicators=${INDICATORS:-1000000}
events=${EVENTS:-10000000}
hit_rate=${HIT_RATE:-0.01}
seed=${SEED:-1}
dir=${ENTENTE_BENCH_DIR:-$root/target/bench-detect}
out=${DETECT_BENCH_OUT:-$root/bench/out/detect}
data="$dir/data"
node="$dir/node"
run="$dir/run"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ beside bench/detect/*.py
mkdir -p "$dir" "$out"
rm -rf "$run"
mkdir -p "$run"

# --- tools -------------------------------------------------------------------
py=$("$root/scripts/python-env.sh" .venv-bench bench/requirements-bench.txt)

entente=${ENTENTE_BIN:-}
if [ -z "$entente" ]; then
    cargo build --release --locked --quiet --bin entente
    entente="${CARGO_TARGET_DIR:-$root/target}/release/entente"
fi

busy=$(awk '{print $1}' /proc/loadavg)
if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" "$busy"; then
    echo "WARNING: load average $busy before the run: other work on the machine will skew the figures"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "entente: $("$entente" --version 2>/dev/null || echo "$entente")"

# --- data --------------------------------------------------------------------
same_data() { # true if $data/manifest.json was made with these arguments by this generator
    [ -f "$data/manifest.json" ] || return 1
    python3 - "$data/manifest.json" "$indicators" "$events" "$hit_rate" "$seed" "$root/bench/detect/gen.py" <<'EOF'
import json, re, sys
m = json.load(open(sys.argv[1]))
want = {"indicators": int(sys.argv[2]), "events": int(sys.argv[3]),
        "hit_rate": float(sys.argv[4]), "seed": int(sys.argv[5])}
version = int(re.search(r"^GEN_VERSION = (\d+)", open(sys.argv[6]).read(), re.M).group(1))
sys.exit(0 if m.get("args") == want and m.get("generator_version") == version else 1)
EOF
}
if same_data; then
    echo "data:    $data (kept: same arguments)"
else
    echo "data:    generating $indicators indicators and $events events into $data"
    rm -rf "$data" "$node"
    t0=$(date +%s.%N)
    python3 bench/detect/gen.py --out "$data" --indicators "$indicators" --events "$events" \
        --hit-rate "$hit_rate" --seed "$seed"
    t1=$(date +%s.%N)
    echo "         generated in $(python3 -c "print(f'{$t1-$t0:.0f}s')")"
fi
python3 - "$data/manifest.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
i, e = m["indicators"], m["events"]
gb = sum(f["bytes"] for f in m["files"].values()) / 1e9
print(f"         {i['total']:,} indicators ({i['bytes'] / 1e6:,.0f} MB): {i['exact']:,} exact, "
      f"{i['cidr']:,} CIDR, {i['domain_suffix']:,} domain suffix, {i['url_prefix']:,} URL prefix, "
      f"{i['complex']:,} full patterns")
print(f"         {e['total']:,} events ({gb:.2f} GB): {e['zeek']:,} Zeek, {e['eve']:,} EVE; "
      f"{m['planted_hits']:,} with a planted value")
EOF

# --- measuring -----------------------------------------------------------------
# measure NAME STDOUT CMD...: runs CMD with its standard output in STDOUT; writes
# $run/NAME.time (wall seconds, max RSS in KiB, exit code). Exit codes 0 and 1 are
# accepted (1: the command may report findings or refused lines that way).
measure() {
    local name=$1 stdout=$2; shift 2
    local rc=0
    if [ -x /usr/bin/time ]; then
        local t0 t1
        t0=$(date +%s.%N)
        /usr/bin/time -v -o "$run/$name.rusage" "$@" > "$stdout" 2> "$run/$name.stderr" || rc=$?
        t1=$(date +%s.%N)
        local rss
        rss=$(awk -F: '/Maximum resident set size/{gsub(/ /,"",$2); print $2}' "$run/$name.rusage")
        python3 -c "import json,sys; print(json.dumps({'seconds': round($t1-$t0, 3), 'max_rss_kib': int(sys.argv[1] or 0), 'rc': $rc}))" "${rss:-0}" > "$run/$name.time"
    else
        python3 - "$run/$name.time" "$stdout" "$run/$name.stderr" "$@" <<'EOF' || rc=$?
import json, resource, subprocess, sys, time
t = time.perf_counter()
with open(sys.argv[2], "wb") as o, open(sys.argv[3], "wb") as e:
    rc = subprocess.run(sys.argv[4:], stdout=o, stderr=e).returncode
seconds = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
json.dump({"seconds": round(seconds, 3), "max_rss_kib": rss, "rc": rc}, open(sys.argv[1], "w"))
sys.exit(rc)
EOF
    fi
    if [ "$rc" -gt 1 ]; then
        echo "FAILED ($rc): $*" >&2
        tail -20 "$run/$name.stderr" >&2
        return 1
    elif [ "$rc" -eq 1 ]; then
        echo "         (exit code 1; the end of its standard error:)"
        tail -3 "$run/$name.stderr" | sed 's/^/         /'
    fi
}

# --- 1. the node ---------------------------------------------------------------
stamp="$(md5sum "$data/manifest.json" | cut -d' ' -f1)"
if [ -f "$node/.bench-data" ] && [ "$(cat "$node/.bench-data")" = "$stamp" ]; then
    echo "node:    $node (kept: holds these indicators)"
else
    rm -rf "$node"
    "$entente" --data "$node" --quiet init --name bench.entente.example > /dev/null
    echo "node:    importing indicators.json into $node"
    measure import /dev/null "$entente" --data "$node" --quiet import "$data/indicators.json"
    python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); n=int(sys.argv[2]); s=t["seconds"]; print(f"         {s:.1f}s, {n/s:,.0f} indicators/s, max RSS {t['"'"'max_rss_kib'"'"']/1024:,.0f} MiB")' "$run/import.time" "$indicators"
    echo "$stamp" > "$node/.bench-data"
fi

# --- 2. entente match over the telemetry ------------------------------------------
zeek_logs=("$data"/zeek/*.log)
# Read the telemetry once first, so that the figures are matching, not the disk: the files
# (3.4 GB at full size) fit in the page cache, but a build before the run can push them out.
warm() { cat "$@" > /dev/null; }
echo "match:   zeek/*.log"
warm "${zeek_logs[@]}"
measure zeek "$run/sightings-zeek.json" "$entente" --data "$node" --quiet match --stats "$run/stats-zeek.json" "${zeek_logs[@]}"
echo "match:   eve/eve.json"
warm "$data/eve/eve.json"
measure eve "$run/sightings-eve.json" "$entente" --data "$node" --quiet match --stats "$run/stats-eve.json" "$data/eve/eve.json"
echo "match:   all files"
warm "${zeek_logs[@]}" "$data/eve/eve.json"
measure all "$run/sightings-all.json" "$entente" --data "$node" --quiet match --stats "$run/stats-all.json" "${zeek_logs[@]}" "$data/eve/eve.json"

# --- 3. the sample: entente and the reference, same patterns, same events ----------
ref_limit=${REF_LIMIT:-$("$py" -c 'import sys; sys.path.insert(0, "bench/detect"); import reference_match; print(reference_match.DEFAULT_LIMIT)')}
# The first ref_limit events of sample.ndjson are, file by file, the first lines of
# sample_lines/: cut them out so that both matchers see the same events.
python3 - "$data" "$ref_limit" "$run/sample_lines" <<'EOF'
import json, os, sys
data, limit, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
os.makedirs(dst, exist_ok=True)
take = {}
with open(os.path.join(data, "sample_meta.ndjson")) as f:
    for k, line in enumerate(f):
        if limit and k >= limit:
            break
        m = json.loads(line)
        name = "eve.json" if m["file"].startswith("eve/") else f"zeek-{m['kind']}.log"
        take[name] = take.get(name, 0) + 1
for name, n in sorted(take.items()):
    with open(os.path.join(data, "sample_lines", name)) as src, open(os.path.join(dst, name), "w") as out:
        seen = 0
        for line in src:
            if line.startswith("#"):
                if line.startswith("#close") and seen < n:
                    sys.exit(f"{name}: fewer lines than sample_meta.ndjson says")
                out.write(line)
            elif seen < n:
                out.write(line)
                seen += 1
EOF
echo "sample:  entente match --indicators reference_patterns.json, first ${ref_limit/#0/all} events of the sample"
measure sample "$run/sightings-sample.json" "$entente" --data "$node" --quiet match \
    --indicators "$data/reference_patterns.json" --stats "$run/stats-sample.json" "$run"/sample_lines/*
# The same events as STIX (what the reference reads), if entente's reader takes them.
if [ "$ref_limit" -gt 0 ]; then head -n "$ref_limit" "$data/sample.ndjson"; else cat "$data/sample.ndjson"; fi > "$run/sample.ndjson"
echo "sample:  entente match --indicators reference_patterns.json, the same events as STIX"
measure sample-stix "$run/sightings-sample-stix.json" "$entente" --data "$node" --quiet match \
    --indicators "$data/reference_patterns.json" --stats "$run/stats-sample-stix.json" "$run/sample.ndjson" \
    || { echo "         (failed: the row is left out)"; rm -f "$run/stats-sample-stix.json" "$run/sightings-sample-stix.json"; }
echo "sample:  stix2-matcher (bench/detect/reference_match.py), same events as STIX"
"$py" bench/detect/reference_match.py --patterns "$data/reference_patterns.json" \
    --sample "$data/sample.ndjson" --limit "$ref_limit" --meta "$data/sample_meta.ndjson" > "$run/reference.json"

# --- table -------------------------------------------------------------------------
python3 - "$data" "$run" "$out" <<'EOF'
import json, os, sys
data, run, out = sys.argv[1:4]
manifest = json.load(open(os.path.join(data, "manifest.json")))
ref = json.load(open(os.path.join(run, "reference.json")))
patterns = json.load(open(os.path.join(data, "reference_patterns.json")))
meta = [json.loads(l) for l in open(os.path.join(data, "sample_meta.ndjson"))]

def load(name):
    try:
        return json.load(open(os.path.join(run, name)))
    except (OSError, ValueError):
        return None

def sightings(name):
    """Sum of `count` per sighting_of_ref in entente's output (bundle, array or NDJSON)."""
    path = os.path.join(run, name)
    text = open(path).read()
    try:
        doc = json.loads(text)
        objs = doc.get("objects", [doc]) if isinstance(doc, dict) else doc
    except ValueError:
        objs = [json.loads(l) for l in text.splitlines() if l.strip()]
        objs = [o for d in objs for o in (d.get("objects", [d]) if isinstance(d, dict) else d)]
    counts = {}
    for o in objs:
        if isinstance(o, dict) and o.get("type") == "sighting":
            ref_id = o["sighting_of_ref"]
            counts[ref_id] = counts.get(ref_id, 0) + int(o.get("count", 1))
    return counts

def num(x, digits=0):
    return "—" if x is None else f"{x:,.{digits}f}"

lines = []
p = lines.append
planted = {"zeek": manifest["planted_hits_zeek"], "eve": manifest["planted_hits_eve"],
           "all": manifest["planted_hits"]}
expected = {"zeek": manifest["planted_matches_zeek"], "eve": manifest["planted_matches_eve"],
            "all": manifest["planted_matches"]}
results = {"manifest": {k: manifest[k] for k in ("args", "indicators", "events", "planted_hits")}}
p("## entente match over the telemetry\n")
p(f"{manifest['indicators']['total']:,} indicators; {manifest['events']['total']:,} events "
  f"({manifest['events']['zeek']:,} Zeek, {manifest['events']['eve']:,} EVE), "
  f"{manifest['planted_hits']:,} of them with a planted value.\n")
p("| input | events | malformed | match s | events/s | wall s (incl. index build) | planted: events (matches) | hits | sightings | max RSS |")
p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
index = None
for key, label in (("zeek", "zeek/*.log"), ("eve", "eve/eve.json"), ("all", "all files")):
    s, t = load(f"stats-{key}.json"), load(f"{key}.time")
    results[key] = {"stats": s, "time": t}
    if s is None:
        p(f"| {label} | (no --stats output) | | | | {num(t and t['seconds'], 1)} | {planted[key]:,} ({expected[key]:,}) | | | |")
        continue
    index = index or s
    hits = s.get("hits")
    ewh = s.get("events_with_hits")
    hit_text = num(hits) + (f" ({ewh:,} events)" if ewh is not None else "")
    p(f"| {label} | {num(s.get('events'))} | {num(s.get('malformed'))} | {num(s.get('seconds'), 2)} | "
      f"**{num(s.get('events_per_second'))}** | {num(t and t['seconds'], 1)} | {planted[key]:,} ({expected[key]:,}) | "
      f"{hit_text} | {num(s.get('sightings'))} | {num(t and t['max_rss_kib'] / 1024)} MiB |")
if index:
    per = index["index_bytes"] / index["indicators"] if index.get("indicators") else None
    p(f"\nIndex: {index['indicators']:,} indicators compiled in {index['index_build_seconds']:.2f} s; "
      f"{index['index_bytes'] / 1e6:,.1f} MB, **{num(per, 1)} bytes per indicator**.")
p("\n`planted`: events that carry a value planted from the indicators, and the (event, indicator) "
  "matches they make (an address planted from a CIDR matches every CIDR indicator holding it); "
  "background values match nothing, so a correct matcher finds exactly these. `hits` is entente's "
  "count from --stats (`events_with_hits` too, when it reports one).")

p("\n## the sample: entente and the reference matcher, same patterns, same events\n")
results["sample"] = {"stats": load("stats-sample.json"), "time": load("sample.time")}
results["sample_stix"] = {"stats": load("stats-sample-stix.json"), "time": load("sample-stix.time")}
results["reference"] = {k: v for k, v in ref.items() if k != "hits"}
p(f"{ref['patterns']:,} patterns (reference_patterns.json); the first {ref['events']:,} events of "
  f"the sample ({sum(1 for m in meta[:ref['events']] if m['planted'])} with a planted value).\n")
p("| matcher | events | seconds | events/s | ratio | wall s | max RSS |")
p("|---|---:|---:|---:|---:|---:|---:|")
ref_rate = ref["events_per_second"]
runs = (("sample", "raw lines, sample_lines/"), ("sample-stix", "the STIX events, sample.ndjson"))
for key, what in runs:
    s, t = load(f"stats-{key}.json"), load(f"{key}.time")
    if s is None:
        if key == "sample":
            p(f"| entente match ({what}) | (no --stats output) | | | | {num(t and t['seconds'], 2)} | |")
        continue
    rate = s.get("events_per_second")
    ratio = f"**{rate / ref_rate:,.0f}×**" if rate and ref_rate else "—"
    p(f"| entente match ({what}; index of {s.get('indicators', 0):,} built in "
      f"{s.get('index_build_seconds', 0):.3f} s) | {num(s.get('events'))} | {num(s.get('seconds'), 4)} | "
      f"{num(rate)} | {ratio} | {num(t and t['seconds'], 2)} | {num(t and t['max_rss_kib'] / 1024)} MiB |")
p(f"| {ref['matcher']} ({ref['mode']}: patterns compiled once in {ref['compile_seconds']:.2f} s) | "
  f"{ref['events']:,} | {ref['seconds']:,.2f} | {num(ref_rate, 2)} | 1× | | |")
p("\n`seconds` and events/s: entente's --stats (matching only, after the index is built) and "
  "the reference's time around its matching loop; `wall s` includes starting, reading and the index build.")

refhits = ref["hits"]
ids = [o["id"] for o in patterns]
pattern_of = {o["id"]: o["pattern"] for o in patterns}
results["comparison"] = {}
for key, what in runs:
    path = f"sightings-{key}.json"
    if not os.path.exists(os.path.join(run, path)) or load(f"stats-{key}.json") is None:
        continue
    ent = sightings(path)
    agree = [i for i in ids if ent.get(i, 0) == refhits.get(i, 0)]
    disagree = [i for i in ids if ent.get(i, 0) != refhits.get(i, 0)]
    fired = [i for i in ids if ent.get(i, 0) or refhits.get(i, 0)]
    p(f"\nPer-indicator hit counts, entente ({what}) against the reference: {len(agree):,} of "
      f"{len(ids):,} indicators agree ({len(fired)} fired in either), **{len(disagree)} disagree**.")
    for i in disagree[:10]:
        p(f"- {i}: entente {ent.get(i, 0)}, reference {refhits.get(i, 0)}: `{pattern_of[i]}`")
    results["comparison"][key] = {"agree": len(agree), "disagree": len(disagree), "fired": len(fired),
                                  "disagreements": {i: [ent.get(i, 0), refhits.get(i, 0)] for i in disagree}}
p(f"\nReference errors (exceptions from stix2-matcher): {ref['errors']}.")
if "planted_missed" in ref:
    p(f"Planted in these events: {ref['planted_events']}; found by the reference: {ref['planted_found']}"
      + (f", missed: {', '.join(ref['planted_missed'])}" if ref["planted_missed"] else "") + ".")

table = "\n".join(lines) + "\n"
print()
print(table)
open(os.path.join(out, "table.md"), "w").write(table)
json.dump(results, open(os.path.join(out, "results.json"), "w"), indent=2)
print(f"(also in {out}/table.md and results.json; the runs in {run})")
EOF
