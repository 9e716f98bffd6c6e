#!/usr/bin/env bash
# End-to-end TAXII 2.1 benchmark: the same HTTP load, on 127.0.0.1, against
#   entente     `entente serve` (this repository; SQLite, durable),
#   medallion   the OASIS reference server (memory backend, one gunicorn process),
#   opentaxii   OpenTAXII in TAXII 2.1 mode (SQLite backend, two gunicorn workers;
#               with the one-line fix of its issue #243, bench/taxii/opentaxii_app.py),
# one after the other in one run, then prints a table and our ratios.
#
#   bench/taxii.sh          (about 20 minutes on 2 cores, a third of it loading
#                            100,000 objects into OpenTAXII)
#
# Loads (wrk, bench/taxii/*.lua):
#   GET   pages of 100 objects (limit=100) from a read collection: each request asks
#         for a random page (added_after = a random object's date_added; for our node
#         also `next` = a random cursor), at each of TAXII_BENCH_CONNS connections.
#         Reported: pages/s, p50, p99. Every server is first checked to answer the
#         right pages (bench/taxii/check.py); any non-2xx or socket error is shown.
#   POST  envelopes of 100 new ~1 KB indicators into an empty collection (a new
#         one for each load).
#         Reported: objects/s acknowledged with 202 (success_count of the status
#         resources), p50, p99 of a POST.
#
# The read collection holds TAXII_BENCH_OBJECTS (default 100000) indicators from
# bench/gen_indicators.py. Our node loads them with `entente import`; medallion
# reads them from its JSON backend file at start; OpenTAXII gets them through its
# own persistence API. The reference servers get slower with the size of the
# collection, so each is given the largest size of TAXII_BENCH_LADDER for which
# every checked page comes back within TAXII_BENCH_PROBE_SECONDS; the sizes used
# are in the table. After each load the script waits until the server has finished
# the requests wrk left in flight, so that loads do not overlap.
#
# Settings (environment):
#   TAXII_BENCH_SERVERS        servers to run            (entente medallion opentaxii)
#   TAXII_BENCH_OBJECTS        read collection size        (100000)
#   TAXII_BENCH_LADDER         sizes tried for the references (OBJECTS 10000 3000 1000 300)
#   TAXII_BENCH_PROBE_SECONDS  slowest page allowed at a size (5)
#   TAXII_BENCH_CONNS          connections per load        (2 8)
#   TAXII_BENCH_SECONDS        seconds per load, our node  (10)
#   TAXII_BENCH_REF_SECONDS    seconds per load, references (30)
#   ENTENTE_BIN                use this binary instead of building one
#   TAXII_BENCH_OUT            output folder (bench/out/taxii: results.jsonl, table.md, logs)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
servers=${TAXII_BENCH_SERVERS:-entente medallion opentaxii}
objects=${TAXII_BENCH_OBJECTS:-100000}
ladder=${TAXII_BENCH_LADDER:-$objects 10000 3000 1000 300}
probe=${TAXII_BENCH_PROBE_SECONDS:-5}
conns=${TAXII_BENCH_CONNS:-2 8}
secs=${TAXII_BENCH_SECONDS:-10}
ref_secs=${TAXII_BENCH_REF_SECONDS:-30}
out=${TAXII_BENCH_OUT:-$root/bench/out/taxii}
mkdir -p "$out"
rm -f "$out"/*.log "$out"/wrk-*.txt
results="$out/results.jsonl"
: > "$results"
work=$(mktemp -d)
lua="$root/bench/taxii"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ beside bench/taxii/opentaxii_app.py
check() { python3 "$lua/check.py" "$@"; }

# --- processes: each server runs in its own process group, stopped on exit ------
groups=("")
stop_group() {
    local g=$1
    kill -TERM -- "-$g" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 -- "-$g" 2>/dev/null || return 0
        sleep 0.1
    done
    # A Python worker stuck in a long SQLite query ignores SIGTERM.
    kill -KILL -- "-$g" 2>/dev/null || true
}
cleanup() {
    for g in "${groups[@]}"; do [ -n "$g" ] && stop_group "$g"; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # LOG CMD... -> sets $pid; the server is its own process group
    local log=$1; shift
    setsid "$@" > "$log" 2>&1 < /dev/null &
    pid=$!
    groups+=("$pid")
}
stop() {
    stop_group "$1"
    wait "$1" 2>/dev/null || true
    local g rest=()
    for g in "${groups[@]}"; do [ "$g" = "$1" ] || rest+=("$g"); done
    groups=("${rest[@]}")
}
wait_idle() { # PGID: until the server has finished what wrk left in flight (max 300 s)
    python3 - "$1" <<'PYEOF'
import os, sys, time
g = int(sys.argv[1])
def cpu():
    total = 0
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(f[2]) == g:
            total += int(f[11]) + int(f[12])
    return total
hz = os.sysconf("SC_CLK_TCK")
last, end = cpu(), time.time() + 300
while time.time() < end:
    time.sleep(0.5)
    now = cpu()
    if (now - last) / hz < 0.05:
        break
    last = now
PYEOF
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() { # URL PID
    for _ in $(seq 300); do
        if curl -s -o /dev/null "$1"; then return 0; fi
        kill -0 "$2" 2>/dev/null || { echo "server exited" >&2; return 1; }
        sleep 0.2
    done
    echo "server did not answer at $1" >&2
    return 1
}

# --- tools -------------------------------------------------------------------
if ! command -v wrk > /dev/null; then
    echo "installing wrk (Debian package)"
    apt-get install -y -q wrk > /dev/null 2>&1 || { apt-get update -q > /dev/null && apt-get install -y -q wrk > /dev/null; }
fi
venv="$root/.venv-bench"
py=$("$root/scripts/python-env.sh" .venv-bench bench/requirements-bench.txt)

srv=""
busy=$(awk '{print $1}' /proc/loadavg)
if python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > 0.5 else 1)" "$busy"; then
    echo "WARNING: load average $busy before the run: other work on the machine will skew the figures"
fi
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/{print $2}') GiB"
echo "load:    wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}'), 2 threads; connections: $conns; ${secs}s per load on our node, ${ref_secs}s on the references"
max_size=$objects
for n in $ladder; do (( n > max_size )) && max_size=$n; done
python3 bench/gen_indicators.py "$max_size" > "$work/bundle.json"
echo "corpus:  $max_size indicators of ~1 KB (bench/gen_indicators.py)"

# --- measuring ---------------------------------------------------------------
# wrk_run SERVER TEST CONNS SIZE SECONDS SCRIPT URL ARGS... : one load, one result line
wrk_run() {
    local server=$1 test=$2 c=$3 size=$4 d=$5 script=$6 url=$7; shift 7
    local t=$(( c < 2 ? c : 2 ))
    local log="$out/wrk-$server-${test//[^a-zA-Z0-9]/_}-$c.txt"
    wrk -t"$t" -c"$c" -d"${d}s" --timeout 120s -s "$lua/$script" "$url" -- "$@" > "$log" 2>&1 || true
    wait_idle "$srv"
    local line
    line=$(grep '^RESULT ' "$log" | cut -c8-) || { echo "wrk failed: $log" >&2; cat "$log" >&2; return 1; }
    python3 - "$line" "$server" "$test" "$c" "$size" "$d" >> "$results" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
r.update(server=sys.argv[2], test=sys.argv[3], conns=int(sys.argv[4]),
         size=int(sys.argv[5]), duration_s=int(sys.argv[6]))
print(json.dumps(r))
EOF
    python3 - "$line" "$server" "$test" "$c" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
errs = {k: r[k] for k in ("non2xx", "connect_errors", "read_errors", "write_errors",
                           "timeouts", "other_status", "objects_failed") if r.get(k)}
rate = (f"{r['objects_per_s']:,.0f} objects/s" if "objects_per_s" in r
        else f"{r['rps']:,.1f} pages/s")
print(f"  {sys.argv[2]:9} {sys.argv[3]:32} {sys.argv[4]:>2} conns: {rate:>18}, "
      f"p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, {r['requests']:,} requests"
      + (f"  ERRORS {errs}" if errs else ""))
EOF
}
sum_accepted() { # SERVER CONNS -> objects acknowledged by that POST load
    python3 -c 'import json,sys; print(sum(json.loads(l).get("objects_succeeded",0) for l in open(sys.argv[1]) if json.loads(l)["server"]==sys.argv[2] and json.loads(l)["conns"]==int(sys.argv[3])))' "$results" "$1" "$2"
}

post_check() { # SERVER ACKED STORED: stored may exceed acked by the POSTs in flight at the end
    local most=$(( c * 100 ))
    if [ -n "$3" ] && (( $3 >= $2 && $3 - $2 <= most )); then
        echo "  POST check: $2 objects acknowledged with 202, $3 in the collection (ok)"
    else
        echo "  POST check FAILED: $1 acknowledged $2 objects, its collection holds $3" >&2
    fi
}

# --- entente -----------------------------------------------------------------
run_entente() {
    local entente=${ENTENTE_BIN:-}
    if [ -z "$entente" ]; then
        cargo build --release --locked --quiet -p entente-cli
        entente="${CARGO_TARGET_DIR:-$root/target}/release/entente"
    fi
    local d="$work/entente" n=$objects
    echo "== entente ($("$entente" --version 2>/dev/null || echo entente))"
    "$entente" --data "$d" --quiet init --name bench.entente.example > /dev/null
    local read_id token
    read_id=$("$entente" --data "$d" --quiet collection create read | tail -1)
    local c writes=()
    for c in $conns; do
        "$entente" --data "$d" --quiet collection create "write-$c" | tail -1 > "$work/entente-write-$c"
        writes+=(--read "write-$c" --write "write-$c")
    done
    token=$("$entente" --data "$d" --quiet user add bench --read read "${writes[@]}" --token | tail -1)
    python3 - "$n" "$work/bundle.json" > "$work/entente-bundle.json" <<'EOF'
import json, sys
b = json.load(open(sys.argv[2]))
b["objects"] = b["objects"][:int(sys.argv[1])]
json.dump(b, sys.stdout)
EOF
    local t0 t1
    t0=$(date +%s.%N)
    "$entente" --data "$d" --quiet import --collection read "$work/entente-bundle.json" > /dev/null
    t1=$(date +%s.%N)
    echo "  import of $n objects: $(python3 -c "print(f'{$t1-$t0:.1f}s, {$n/($t1-$t0):,.0f} objects/s')")"
    start "$out/entente.log" "$entente" --data "$d" serve --listen 127.0.0.1:0
    srv=$pid
    local base=""
    for _ in $(seq 300); do
        base=$(sed -n '1s#^listening on \(http://[^ ]*\)/$#\1#p' "$out/entente.log")
        [ -n "$base" ] && break
        kill -0 "$srv" 2>/dev/null || { cat "$out/entente.log" >&2; return 1; }
        sleep 0.1
    done
    [ -n "$base" ] || { echo "entente serve printed no address" >&2; return 1; }
    local auth="Bearer $token"
    local url="$base/api/collections/$read_id/objects/"
    # How fast wrk can drive this setup at all: /healthz answers with no body.
    echo "  wrk on /healthz (no body, 8 connections): $(wrk -t2 -c8 -d3s "$base/healthz" | awk '/Requests\/sec/{printf "%d", $2}') requests/s"
    check walk "$url" "$auth" "$n" "$work/entente-dates.txt" "$work/entente-nexts.txt"
    check verify "$url" "$auth" "$work/entente-dates.txt" "$n" "$probe"
    check verify "$url?match%5Bversion%5D=all" "$auth" "$work/entente-dates.txt" "$n" "$probe"
    local path="/api/collections/$read_id/objects/"
    check paths "$work/entente-dates.txt" "$path" 10000 "$work/entente-aa.txt"
    check paths "$work/entente-dates.txt" "$path?match%5Bversion%5D=all" 10000 "$work/entente-all.txt"
    check paths "$work/entente-dates.txt" "$path" 10000 "$work/entente-next.txt" "$work/entente-nexts.txt"
    for c in $conns; do
        wrk_run entente "GET page, added_after" "$c" "$n" "$secs" get.lua "$base" "$work/entente-aa.txt" "$auth"
        wrk_run entente "GET page, added_after, version=all" "$c" "$n" "$secs" get.lua "$base" "$work/entente-all.txt" "$auth"
        wrk_run entente "GET page, next" "$c" "$n" "$secs" get.lua "$base" "$work/entente-next.txt" "$auth"
    done
    local write_id
    for c in $conns; do
        write_id=$(cat "$work/entente-write-$c")
        wrk_run entente "POST 100 objects" "$c" 0 "$secs" post.lua "$base" "/api/collections/$write_id/objects/" "$auth" 100
        post_check entente "$(sum_accepted entente "$c")" "$(check count "$base/api/collections/$write_id/objects/" "$auth" || true)"
    done
    stop "$srv"
}

# --- medallion ---------------------------------------------------------------
run_medallion() {
    echo "== medallion $("$py" -c 'import medallion; print(medallion.__version__)') (memory backend, gunicorn: 1 process, 8 threads)"
    local auth="Basic $(printf 'bench:bench-password' | base64)"
    local coll="9ee8a29e-0f35-4b76-8b41-6c1b6a7d0c01" wcoll="9ee8a29e-0f35-4b76-8b41-6c1b6a7d0c02"
    local n="" port base rc
    for size in $ladder; do
        "$py" "$lua/refdata.py" medallion "$work/bundle.json" "$size" "$work/med-$size"
        port=$(free_port)
        base="http://127.0.0.1:$port"
        start "$out/medallion-$size.log" "$venv/bin/gunicorn" -w 1 --threads 8 --timeout 600 \
            -b "127.0.0.1:$port" "medallion:load_app('$work/med-$size/config.json')"
        srv=$pid
        wait_up "$base/taxii2/" "$srv"
        rc=0
        check verify "$base/bench/collections/$coll/objects/" "$auth" "$work/med-$size/date_added.txt" "$size" "$probe" || rc=$?
        if [ $rc -eq 0 ]; then n=$size; break; fi
        stop "$srv"
        [ $rc -eq 3 ] || { echo "medallion answered wrong pages: skipped" >&2; return 0; }
        echo "  $size objects: a page took over ${probe}s, trying fewer"
    done
    [ -n "$n" ] || { echo "  medallion: no size in the ladder answered in time" >&2; return 0; }
    echo "  collection size used: $n"
    check paths "$work/med-$n/date_added.txt" "/bench/collections/$coll/objects/" 10000 "$work/med-aa.txt"
    check paths "$work/med-$n/date_added.txt" "/bench/collections/$coll/objects/?match%5Bversion%5D=all" 10000 "$work/med-all.txt"
    for c in $conns; do
        wrk_run medallion "GET page, added_after" "$c" "$n" "$ref_secs" get.lua "$base" "$work/med-aa.txt" "$auth"
        wrk_run medallion "GET page, added_after, version=all" "$c" "$n" "$ref_secs" get.lua "$base" "$work/med-all.txt" "$auth"
    done
    stop "$srv"
    # POST: a fresh server with empty collections for each load (the memory backend
    # copies every collection on each request, so a loaded one would slow it down).
    "$py" "$lua/refdata.py" medallion "$work/bundle.json" 0 "$work/med-empty" --empty
    for c in $conns; do
        port=$(free_port)
        base="http://127.0.0.1:$port"
        start "$out/medallion-post-$c.log" "$venv/bin/gunicorn" -w 1 --threads 8 --timeout 600 \
            -b "127.0.0.1:$port" "medallion:load_app('$work/med-empty/config.json')"
        srv=$pid
        wait_up "$base/taxii2/" "$srv"
        wrk_run medallion "POST 100 objects" "$c" 0 "$ref_secs" post.lua "$base" "/bench/collections/$wcoll/objects/" "$auth" 100
        stop "$srv"
    done
}

# --- OpenTAXII ---------------------------------------------------------------
ot_db() { # DIR SIZE: a fresh OpenTAXII database with SIZE objects in `read-SIZE`
    local dir=$1 size=$2 c writes=()
    [ -f "$dir/ids.json" ] && return 0
    mkdir -p "$dir"
    for c in $conns; do writes+=("write-$c"); done
    "$py" "$lua/refdata.py" opentaxii-setup "$dir"
    OPENTAXII_CONFIG="$dir/opentaxii.yml" "$py" "$lua/refdata.py" opentaxii-init "$dir" "${writes[@]}" 2>> "$out/opentaxii-load.log"
    if (( size > 0 )); then
        local t0 t1
        t0=$(date +%s.%N)
        OPENTAXII_CONFIG="$dir/opentaxii.yml" "$py" "$lua/refdata.py" opentaxii-load "$work/bundle.json" "$size" "$dir" 2>> "$out/opentaxii-load.log"
        t1=$(date +%s.%N)
        echo "  loaded $size objects in $(python3 -c "print(f'{$t1-$t0:.0f}s')")"
    fi
}
ot_id() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1/ids.json" "$2"; }
ot_start() { # DIR LOG -> $srv, $base
    local port
    port=$(free_port)
    base="http://127.0.0.1:$port"
    OPENTAXII_CONFIG="$1/opentaxii.yml" start "$2" "$venv/bin/gunicorn" -w 2 --timeout 600 \
        -b "127.0.0.1:$port" --config python:opentaxii.http --pythonpath "$lua" opentaxii_app:app
    srv=$pid
    wait_up "$base/taxii2/" "$srv"
}

run_opentaxii() {
    local d="$work/opentaxii"
    echo "== opentaxii $("$py" -c 'import opentaxii; print(opentaxii.__version__)') (TAXII 2.1 only, SQLite, gunicorn: 2 workers)"
    # One database per collection size, as a node holding just that collection has:
    # OpenTAXII's default query slows down with the whole table, not the collection.
    # Two variants: the default query (match[version]=last), which OpenTAXII answers
    # with a GROUP BY over the table, and match[version]=all, its fast path.
    local variant query n size rc coll auth root_id base
    for variant in default all; do
        query=""; [ $variant = all ] && query="match%5Bversion%5D=all"
        n=""
        for size in $ladder; do
            ot_db "$d/n$size" "$size"
            coll=$(ot_id "$d/n$size" "read-$size")
            root_id=$(ot_id "$d/n$size" root)
            auth="Bearer $(ot_id "$d/n$size" token)"
            ot_start "$d/n$size" "$out/opentaxii-$variant-$size.log"
            rc=0
            check verify "$base/taxii2/$root_id/collections/$coll/objects/${query:+?$query}" "$auth" "$d/n$size/date_added-$size.txt" "$size" "$probe" || rc=$?
            if [ $rc -eq 0 ]; then n=$size; break; fi
            stop "$srv"
            [ $rc -eq 3 ] || { echo "opentaxii answered wrong pages: skipped" >&2; return 0; }
            echo "  $variant query, $size objects: a page took over ${probe}s, trying fewer"
        done
        [ -n "$n" ] || { echo "  opentaxii: no size answered in time" >&2; continue; }
        echo "  $variant query: collection size used: $n"
        local test="GET page, added_after"
        [ $variant = all ] && test="GET page, added_after, version=all"
        check paths "$d/n$n/date_added-$n.txt" "/taxii2/$root_id/collections/$coll/objects/${query:+?$query}" 10000 "$work/ot-$variant.txt"
        for c in $conns; do
            wrk_run opentaxii "$test" "$c" "$n" "$ref_secs" get.lua "$base" "$work/ot-$variant.txt" "$auth"
        done
        stop "$srv"
    done
    # POST: a fresh database, a new empty collection for each load.
    ot_db "$d/post" 0
    root_id=$(ot_id "$d/post" root)
    auth="Bearer $(ot_id "$d/post" token)"
    ot_start "$d/post" "$out/opentaxii-post.log"
    local write_id
    for c in $conns; do
        write_id=$(ot_id "$d/post" "write-$c")
        wrk_run opentaxii "POST 100 objects" "$c" 0 "$ref_secs" post.lua "$base" "/taxii2/$root_id/collections/$write_id/objects/" "$auth" 100
        post_check opentaxii "$(sum_accepted opentaxii "$c")" \
            "$("$py" -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from opentaxii_stixobject where collection_id=?", (sys.argv[2].replace("-",""),)).fetchone()[0])' "$d/post/data.db" "$write_id")"
    done
    stop "$srv"
}

for s in $servers; do
    "run_$s"
done
check table "$results" | tee "$out/table.md"
