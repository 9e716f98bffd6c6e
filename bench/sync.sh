#!/usr/bin/env bash
# Peer sync benchmark: how fast a node (bravo) mirrors and verifies a partner's
# (alpha's) collection over HTTP on 127.0.0.1, against plain TAXII paging of the
# same objects.
#
#   bench/sync.sh           (about 10 minutes on 2 idle cores at the default sizes:
#                            2.5 generating and importing the 10^6 objects, 3.5
#                            in the three feed pulls; 4.5 GB under /tmp at most)
#
# Setup (timed, not a result): bench/gen_indicators.py writes SYNC_BENCH_OBJECTS
# ~1 KB indicators; `entente import` loads them into alpha's default collection;
# alpha issues a peer token to bravo (read on `default`) and runs `entente serve`.
#
# Timed (each run's wall time, process start-up included, median of the runs):
#   mirror      bravo, a fresh data directory each run: `entente peer add alpha
#               URL --key VKEY --token T`, then `entente sync --json` does one round:
#               verifies alpha's signed checkpoint, fetches its entry bundles
#               (tlog-tiles, 256 entries each), recomputes the tree up to the signed
#               root, indexes the objects, checks partner indicators against the
#               warninglists, commits in one transaction.
#   increment   SYNC_BENCH_INCREMENT new indicators imported into alpha (stopped
#               for the import, then served again), then one `entente sync` of the
#               bravo kept from the last mirror run; once per run, so each run adds
#               its own increment.
#   taxii2-client   the reference Python client (taxii2-client, pinned in
#               requirements-test.txt) pages the whole collection out of alpha's
#               TAXII API (limit=1000, following `next` while `more`), keeps
#               nothing, validates nothing (bench/sync/taxii_page.py; interpreter
#               start-up excluded).
#   feed pull   charlie, fresh each run: `entente peer add alphataxii URL/api/
#               --taxii --token T`, `entente sync`: entente's own unverified pull
#               of a plain TAXII feed (pages of 1000, validated and stored, no log
#               to verify).
#   curl        every entry bundle GET to /dev/null by one curl process, one
#               request at a time and 8 at once: the wire-only floor of the mirror.
# Checked: every mirror applies exactly the collection's entries and objects, with
# 0 quarantined; the client pages and the feed pull get every object.
# Also reported per transfer: the syncing process's CPU seconds, alpha's CPU seconds
# meanwhile, max RSS (SQLite maps the database, so pages it read count) and MiB the
# process wrote to disk (getrusage); bravo's and alpha's data directory sizes.
#
# The generator writes documentation names and addresses (*.example, 203.0.113/24),
# which bravo's built-in `reserved` warninglist would quarantine, so bravo's and
# charlie's entente.toml get `[warninglists] reserved = false`; the check still
# runs every pattern against the `critical` list.
#
# Settings (environment):
#   SYNC_BENCH_OBJECTS      objects in alpha's collection       (1000000)
#   SYNC_BENCH_INCREMENT    objects per incremental round       (10000)
#   SYNC_BENCH_RUNS         runs of the increment, the client
#                           paging and the feed pull            (3)
#   SYNC_BENCH_MIRROR_RUNS  runs of the mirror from scratch     (3)
#   SYNC_BENCH_FEED         1: also time the feed pull; 0: skip (1)
#   ENTENTE_BIN             use this binary instead of building one
#   SYNC_BENCH_OUT          output folder (bench/out/sync: results.jsonl, table.md, logs)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
objects=${SYNC_BENCH_OBJECTS:-1000000}
increment=${SYNC_BENCH_INCREMENT:-10000}
runs=${SYNC_BENCH_RUNS:-3}
mirror_runs=${SYNC_BENCH_MIRROR_RUNS:-3}
feed=${SYNC_BENCH_FEED:-1}
out=${SYNC_BENCH_OUT:-$root/bench/out/sync}
mkdir -p "$out"
rm -f "$out"/*.log "$out"/*.json
results="$out/results.jsonl"
: > "$results"
work=$(mktemp -d "${TMPDIR:-/tmp}/entente-sync-bench.XXXXXX")   # removed at exit
helpers="$root/bench/sync"
export PYTHONDONTWRITEBYTECODE=1

# --- alpha's server: its own process group, stopped on exit ------------------
srv=""
stop_alpha() {
    [ -n "$srv" ] || return 0
    kill -TERM -- "-$srv" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 -- "-$srv" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$srv" 2>/dev/null || true
    wait "$srv" 2>/dev/null || true
    srv=""
}
cleanup() {
    stop_alpha
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE

base=""
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_alpha() { # -> $srv, $base; the same port every time, as bravo's peer URL names it
    local log="$out/alpha-serve.log"
    setsid "$entente" --data "$work/alpha" serve --listen "127.0.0.1:$port" >> "$log" 2>&1 < /dev/null &
    srv=$!
    base=""
    for _ in $(seq 300); do
        base=$(sed -n 's#^listening on \(http://[^ ]*\)/$#\1#p' "$log" 2>/dev/null | tail -1)
        if [ -n "$base" ] && curl -s -o /dev/null "$base/healthz"; then return 0; fi
        kill -0 "$srv" 2>/dev/null || { cat "$log" >&2; return 1; }
        sleep 0.1
    done
    echo "alpha printed no address" >&2
    return 1
}

# --- measuring ----------------------------------------------------------------
# timed NAME CMD...: runs CMD with stdout to $out/NAME.json, sets $secs (wall),
# $cpu (user+sys seconds), $rss (max RSS, MiB; SQLite's mmap of the database
# counts), $wrote (MB the process wrote to disk) and $srv_cpu (CPU seconds
# alpha's server spent meanwhile).
srv_ticks() { [ -n "$srv" ] && awk '{print $14+$15}' "/proc/$srv/stat" 2>/dev/null || echo 0; }
timed() {
    local name=$1 t0; shift
    t0=$(srv_ticks)
    if ! /usr/bin/time -o "$work/time" -f '%e %U %S %M %O' "$@" > "$out/$name.json" 2> "$out/$name.log"; then
        echo "FAILED: $*" >&2
        tail -5 "$out/$name.json" "$out/$name.log" >&2
        exit 1
    fi
    srv_cpu=$(python3 -c "import os; print(f'{($(srv_ticks)-$t0)/os.sysconf(\"SC_CLK_TCK\"):.2f}')")
    read -r secs user sys rss blocks < "$work/time"
    cpu=$(python3 -c "print(f'{$user+$sys:.2f}')")
    rss=$(( rss / 1024 ))
    wrote=$(( blocks / 2048 ))   # 512-byte blocks -> MB (MiB)
}
record() { # ROW RUN OBJECTS SECONDS, with $cpu $rss $wrote $srv_cpu from the last timed
    python3 -c 'import json,sys; r,i,n,s,c,m,w,a=sys.argv[1:]; print(json.dumps({"row":r,"run":int(i),"objects":int(n),"seconds":float(s),"cpu_seconds":float(c),"max_rss_mib":int(m),"written_mib":int(w),"alpha_cpu_seconds":float(a),"objects_per_s":int(n)/float(s)}))' \
        "$1" "$2" "$3" "$4" "$cpu" "$rss" "$wrote" "$srv_cpu" >> "$results"
    printf '  %-22s run %s: %8s objects in %7.2f s = %8s objects/s  (CPU %s s, alpha %s s; max RSS %s MiB; wrote %s MiB)\n' \
        "$1" "$2" "$3" "$4" "$(python3 -c "print(f'{$3/$4:,.0f}')")" "$cpu" "$srv_cpu" "$rss" "$wrote"
}
sync_check() { # FILE ENTRIES: the one collection was applied with exactly ENTRIES new objects, none held
    python3 - "$1" "$2" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))
want = int(sys.argv[2])
lines = r["collections"]
ok = (len(lines) == 1 and not r["failed_peers"] and not r["misbehaviour"]
      and lines[0]["outcome"] == "applied" and lines[0]["entries"] == want
      and lines[0]["objects"] == want and lines[0]["quarantined"] == 0
      and lines[0]["unindexed"] == 0)
print(f"    sync: {lines[0]['outcome'] if lines else 'nothing'}, "
      + ", ".join(f"{k} {lines[0].get(k)}" for k in ("entries", "objects", "quarantined", "unindexed", "size"))
      if lines else f"    sync: {r}")
if not ok:
    print(f"CHECK FAILED: wanted {want} entries and objects applied, none quarantined: {r}", file=sys.stderr)
    sys.exit(1)
EOF
}
new_node() { # DIR NAME: a fresh node whose warninglists leave documentation values alone
    rm -rf "$1"
    "$entente" --data "$1" --quiet init --name "$2" > /dev/null
    printf '\n[warninglists]\nreserved = false\n' >> "$1/entente.toml"
}
dir_mb() { du -sm "$1" | cut -f1; }

# --- tools --------------------------------------------------------------------
entente=${ENTENTE_BIN:-}
if [ -z "$entente" ]; then
    cargo build --release --locked --quiet --bin entente
    entente="${CARGO_TARGET_DIR:-$root/target}/release/entente"
fi
py=$("$root/scripts/python-env.sh")   # .venv, with taxii2-client from requirements-test.txt

busy=$(awk '{print $1}' /proc/loadavg)
if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" "$busy"; then
    echo "WARNING: load average $busy before the run: other work on the machine will skew the figures"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "binary:  $entente ($("$entente" --version))"
echo "client:  taxii2-client $("$py" -c 'import importlib.metadata as m; print(m.version("taxii2-client"))'), $("$py" --version)"
echo "sizes:   $objects objects; increments of $increment; $mirror_runs mirror runs, $runs of the others"

# --- setup: alpha ---------------------------------------------------------------
t0=$(date +%s.%N)
python3 bench/gen_indicators.py "$objects" > "$work/bundle.json"
t1=$(date +%s.%N)
echo "setup:   generated $objects indicators ($(( $(stat -c %s "$work/bundle.json") / 1000000 )) MB) in $(python3 -c "print(f'{$t1-$t0:.1f}')") s"
"$entente" --data "$work/alpha" --json init --name alpha > "$work/alpha-init.json"
vkey=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verifier_key"])' "$work/alpha-init.json")
coll=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["default_collection"])' "$work/alpha-init.json")
timed alpha-import "$entente" --data "$work/alpha" --quiet import --collection default "$work/bundle.json"
echo "setup:   alpha imported them in $secs s ($(python3 -c "print(f'{$objects/$secs:,.0f}')") objects/s, CPU $cpu s); alpha's data: $(dir_mb "$work/alpha") MB"
rm -f "$work/bundle.json"
token=$("$entente" --data "$work/alpha" --quiet user add bravo --kind peer --read default --token | tail -1)
start_alpha
echo "alpha:   $base, collection $coll"

# --- mirror from scratch -----------------------------------------------------------
echo "== bravo mirrors and verifies alpha's $objects objects from scratch"
for i in $(seq "$mirror_runs"); do
    new_node "$work/bravo" bravo
    "$entente" --data "$work/bravo" --quiet peer add alpha "$base/" --key "$vkey" --token "$token" > /dev/null
    sync 2> /dev/null || true
    timed "mirror-$i" "$entente" --data "$work/bravo" --json sync
    sync_check "$out/mirror-$i.json" "$objects"
    record mirror "$i" "$objects" "$secs"
done
bravo_mb=$(dir_mb "$work/bravo")
alpha_mb=$(dir_mb "$work/alpha")
echo "  data directories after the mirror: bravo $bravo_mb MB, alpha $alpha_mb MB"
python3 -c 'import json,sys; print(json.dumps({"row":"sizes","bravo_mb":int(sys.argv[1]),"alpha_mb":int(sys.argv[2])}))' "$bravo_mb" "$alpha_mb" >> "$results"

# --- wire-only floor: the entry bundles with curl ------------------------------------
echo "== the same entry bundles fetched with curl to /dev/null (no verification, nothing kept)"
python3 "$helpers/bundles.py" "$base/api/collections/$coll/log/" "$objects" "$token" > "$work/curl.cfg"
for par in 1 8; do
    flags=(-s -f -K "$work/curl.cfg")
    (( par > 1 )) && flags+=(--parallel --parallel-max "$par")
    timed "curl-$par" curl "${flags[@]}" -w '%{size_download}\n'
    mb=$(awk '{s+=$1} END {printf "%d", s/1000000}' "$out/curl-$par.json")
    record "curl, $par at a time" 1 "$objects" "$secs"
    echo "    $(wc -l < "$out/curl-$par.json") bundles, $mb MB"
done

# --- baseline: plain TAXII paging with taxii2-client ---------------------------------
echo "== taxii2-client pages alpha's $objects objects (limit=1000, nothing kept)"
for i in $(seq "$runs"); do
    timed "taxii2-client-$i" "$py" "$helpers/taxii_page.py" "$base/api/collections/$coll/" "$token" 1000
    got=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["objects"], r["pages"], round(r["seconds"], 3))' "$out/taxii2-client-$i.json")
    read -r n pages secs <<< "$got"
    [ "$n" = "$objects" ] || { echo "CHECK FAILED: taxii2-client got $n objects, not $objects" >&2; exit 1; }
    record taxii2-client "$i" "$n" "$secs"
done

# --- entente's unverified feed pull ------------------------------------------------
if [ "$feed" = 1 ]; then
    echo "== charlie pulls the same collection as a plain TAXII feed (unverified)"
    for i in $(seq "$runs"); do
        new_node "$work/charlie" charlie
        "$entente" --data "$work/charlie" --quiet peer add alphataxii "$base/api/" --taxii --token "$token" > /dev/null
        sync 2> /dev/null || true
        timed "feed-$i" "$entente" --data "$work/charlie" --json sync
        n=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); l=r["collections"]; print(l[0].get("objects", 0) if len(l)==1 and l[0]["outcome"]=="pulled-unverified" else -1)' "$out/feed-$i.json")
        held=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["collections"][0].get("quarantined", 0))' "$out/feed-$i.json")
        echo "    pulled $n objects, $held quarantined"
        [ "$n" = "$objects" ] && [ "$held" = 0 ] || { echo "CHECK FAILED: the feed pull gave $n objects ($held quarantined), not $objects: $(cat "$out/feed-$i.json")" >&2; exit 1; }
        record "feed pull" "$i" "$n" "$secs"
    done
    charlie_mb=$(dir_mb "$work/charlie")
    echo "  charlie's data directory: $charlie_mb MB"
    rm -rf "$work/charlie"
fi

# --- incremental rounds ------------------------------------------------------------
echo "== $runs incremental rounds of $increment new objects"
for i in $(seq "$runs"); do
    python3 bench/gen_indicators.py "$increment" "increment-$i" > "$work/increment.json"
    stop_alpha
    "$entente" --data "$work/alpha" --quiet import --collection default "$work/increment.json" > /dev/null
    start_alpha
    timed "increment-$i" "$entente" --data "$work/bravo" --json sync
    sync_check "$out/increment-$i.json" "$increment"
    record increment "$i" "$increment" "$secs"
done
stop_alpha

# --- table ---------------------------------------------------------------------------
python3 - "$results" "$objects" "$increment" > "$out/table.md" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
n, inc = int(sys.argv[2]), int(sys.argv[3])
names = [("mirror", f"verified mirror from scratch (`entente sync`)"),
         ("increment", f"verified incremental round (`entente sync`)"),
         ("taxii2-client", "plain TAXII paging, taxii2-client (fetch only)"),
         ("feed pull", "entente unverified feed pull (`peer add --taxii`)"),
         ("curl, 1 at a time", "entry bundles with curl, 1 at a time (wire only)"),
         ("curl, 8 at a time", "entry bundles with curl, 8 at a time (wire only)")]
med = {}
print("| transfer | objects | runs | seconds (median) | objects/s (median) | range, objects/s | CPU s | alpha CPU s | max RSS MiB | written MiB |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for key, label in names:
    rs = [r for r in rows if r.get("row") == key]
    if not rs:
        continue
    secs = statistics.median(r["seconds"] for r in rs)
    rate = rs[0]["objects"] / secs
    med[key] = rate
    rates = sorted(r["objects_per_s"] for r in rs)
    m = lambda k: statistics.median(r[k] for r in rs)
    print(f"| {label} | {rs[0]['objects']:,} | {len(rs)} | {secs:.2f} | {rate:,.0f} | "
          f"{rates[0]:,.0f}–{rates[-1]:,.0f} | {m('cpu_seconds'):.1f} | {m('alpha_cpu_seconds'):.1f} | "
          f"{max(r['max_rss_mib'] for r in rs)} | {m('written_mib'):,.0f} |")
print()
if "mirror" in med and "taxii2-client" in med:
    print(f"verified mirror ÷ plain TAXII paging (taxii2-client): **{med['mirror'] / med['taxii2-client']:.2f}×** the throughput")
if "mirror" in med and "feed pull" in med:
    print(f"verified mirror ÷ entente unverified feed pull: {med['mirror'] / med['feed pull']:.2f}×")
for key in ("mirror", "increment"):
    if key in med:
        print(f"{key}: {'meets' if med[key] >= 100000 else 'MISSES'} the target of 100,000 objects/s ({med[key]:,.0f})")
sizes = [r for r in rows if r.get("row") == "sizes"]
if sizes:
    print(f"data directories after the mirror: bravo {sizes[0]['bravo_mb']} MB, alpha {sizes[0]['alpha_mb']} MB")
EOF
echo
cat "$out/table.md"
