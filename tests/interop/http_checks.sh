#!/usr/bin/env bash
# HTTP-level checks of an Entente node with curl: status codes, headers and error
# bodies that TAXII clients rely on but rarely show.
#
#   tests/interop/http_checks.sh BASE_URL TOKEN
#
# BASE_URL is the node's root (e.g. http://127.0.0.1:9440/); TOKEN is an API token
# of a user who can read and write the collection aliased `default`. It posts a few
# fresh objects to that collection and withdraws one of them.
#
# Optional: with ENTENTE_BIN (the entente binary) and ENTENTE_VKEY (the node's
# verifier key) set, the proof bundle fetched over HTTP is also verified offline
# with `entente log verify-proof`.
#
# Needs curl and jq. Prints one line per check; exits 1 at the first failure.
set -uo pipefail

if [[ $# -ne 2 ]]; then
    echo "usage: $0 BASE_URL TOKEN" >&2
    exit 2
fi
base=${1%/}
token=$2
for tool in curl jq; do
    command -v "$tool" >/dev/null || { echo "FAILED: $tool is not installed" >&2; exit 1; }
done

TAXII='application/taxii+json;version=2.1'
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0

fail() {
    echo "FAILED: $*" >&2
    if [[ -s $work/headers ]]; then
        echo "--- last response headers:" >&2
        cat "$work/headers" >&2
    fi
    if [[ -s $work/body ]]; then
        echo "--- last response body (first 2000 bytes):" >&2
        head -c 2000 "$work/body" >&2
        echo >&2
    fi
    echo "($passed checks passed before)" >&2
    exit 1
}

ok() {
    passed=$((passed + 1))
    echo "ok  $*"
}

# req METHOD PATH [curl args...]: sets $code; headers in $work/headers, body in $work/body.
req() {
    local method=$1 path=$2
    shift 2
    : >"$work/headers"
    : >"$work/body"
    code=$(curl -sS -X "$method" -o "$work/body" -D "$work/headers" -w '%{http_code}' \
        --max-time 60 "$@" "$base$path") || fail "curl $method $path could not complete"
    last="$method $path"
}

# authed METHOD PATH [curl args...]: req with the token and the TAXII Accept header.
authed() {
    local method=$1 path=$2
    shift 2
    req "$method" "$path" -H "Authorization: Bearer $token" -H "Accept: $TAXII" "$@"
}

# header NAME: the value of a response header (last occurrence, trimmed), or empty.
header() {
    grep -i "^$1:" "$work/headers" | tail -n 1 | cut -d: -f2- | tr -d '\r' | sed 's/^ *//; s/ *$//'
}

expect_code() {
    [[ $code == "$1" ]] || fail "$last: expected HTTP $1, got $code"
}

# The TAXII media type, compared without whitespace and case.
expect_taxii_type() {
    local ct
    ct=$(header Content-Type | tr -d ' ' | tr 'A-Z' 'a-z')
    [[ $ct == "application/taxii+json;version=2.1" || $ct == "application/taxii+json;version=2.1;charset=utf-8" ||
        $ct == "application/taxii+json;charset=utf-8;version=2.1" ]] ||
        fail "$last: Content-Type should be $TAXII, got '$(header Content-Type)'"
}

json() {
    jq -e "$@" "$work/body" >/dev/null 2>&1
}

# expect_error CODE WHAT: status, TAXII content type and a TAXII error body.
expect_error() {
    expect_code "$1"
    expect_taxii_type
    json --arg c "$1" '(.title | type == "string" and length > 0) and .http_status == $c' ||
        fail "$last: body is not a TAXII error with title and http_status \"$1\""
    ok "$2 -> $1 with a TAXII error body"
}

expect_taxii_ok() {
    expect_code "${2:-200}"
    expect_taxii_type
    jq -e . "$work/body" >/dev/null 2>&1 || fail "$last: body is not JSON"
    ok "$1"
}

# C2SP tile index: groups of three digits, all but the last prefixed with x.
tile_index() {
    local n=$1 s
    s=$(printf '%03d' $((n % 1000)))
    n=$((n / 1000))
    while ((n > 0)); do
        s=$(printf 'x%03d/' $((n % 1000)))$s
        n=$((n / 1000))
    done
    echo "$s"
}

new_uuid() {
    if [[ -r /proc/sys/kernel/random/uuid ]]; then
        cat /proc/sys/kernel/random/uuid
    else
        uuidgen | tr 'A-Z' 'a-z'
    fi
}

indicator() { # indicator ID MODIFIED
    printf '{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s","name":"curl check","description":"Phishing domain, posted by the HTTP checks","indicator_types":["malicious-activity"],"pattern":"[domain-name:value = '"'"'curl-%s.example'"'"']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}' \
        "$1" "$2" "${1#indicator--}"
}

# --------------------------------------------------------------------------- health

req GET /healthz
expect_code 200
ok "GET /healthz without credentials -> 200"

req GET /metrics -H "Authorization: Bearer $token"
expect_code 200
[[ $(header Content-Type) == text/plain* || $(header Content-Type) == application/openmetrics-text* ]] ||
    fail "$last: metrics Content-Type is '$(header Content-Type)'"
ok "GET /metrics -> 200 Prometheus text"

# --------------------------------------------------------------------------- authentication

req GET /taxii2/ -H "Accept: $TAXII"
expect_code 401
www=$(header WWW-Authenticate)
[[ $www == Basic*realm=* ]] || fail "$last: WWW-Authenticate is '$www', expected Basic realm=..."
[[ $www == *'realm="entente"'* ]] || fail "$last: WWW-Authenticate is '$www', expected realm=\"entente\""
expect_error 401 "discovery without credentials (WWW-Authenticate: $www)"

req GET /taxii2/ -H "Accept: $TAXII" -H "Authorization: Bearer ${token}x"
[[ $(header WWW-Authenticate) == Basic* ]] || fail "$last: no WWW-Authenticate on 401"
expect_error 401 "discovery with a wrong bearer token"

req GET /taxii2/ -H "Accept: $TAXII" -H "Authorization: Basic bm9ib2R5Om5vdGhpbmc="
expect_error 401 "discovery with unknown Basic credentials"

req GET /taxii2/ -H "Accept: $TAXII" -H "Authorization: Bearer"
expect_error 401 "discovery with an empty bearer token"

req GET /api/collections/ -H "Accept: $TAXII"
expect_error 401 "collections without credentials"

req GET /api/collections/default/log/checkpoint
expect_code 401
[[ $(header WWW-Authenticate) == Basic* ]] || fail "$last: no WWW-Authenticate on 401"
ok "log checkpoint without credentials -> 401"

# --------------------------------------------------------------------------- discovery, API root

authed GET /taxii2/
expect_taxii_ok "GET /taxii2/ -> 200"
json '(.title | type == "string") and (.api_roots | type == "array") and (.default as $d | .api_roots | index($d) != null)' ||
    fail "$last: discovery needs title, api_roots and a default listed in api_roots"
json --arg u "$base/api/" '.default == $u' || fail "$last: default should be $base/api/"
ok "discovery: title, default $base/api/ listed in api_roots"

authed GET /api/
expect_taxii_ok "GET /api/ -> 200"
json '(.title | type == "string") and (.versions | index("application/taxii+json;version=2.1") != null) and (.max_content_length | type == "number" and . > 0)' ||
    fail "$last: API root needs title, versions with TAXII 2.1 and max_content_length"
max_len=$(jq -r .max_content_length "$work/body")
ok "API root: versions and max_content_length $max_len"

req GET /nosuchroot/ -H "Authorization: Bearer $token" -H "Accept: $TAXII"
expect_error 404 "GET an unknown API root"
req GET /nosuchroot/collections/ -H "Authorization: Bearer $token" -H "Accept: $TAXII"
expect_error 404 "GET collections of an unknown API root"

# --------------------------------------------------------------------------- content negotiation

req GET /api/ -H "Authorization: Bearer $token" -H "Accept: application/taxii+json;version=2.0"
expect_error 406 "Accept: application/taxii+json;version=2.0"
req GET /api/ -H "Authorization: Bearer $token" -H "Accept: application/stix+json;version=2.1"
expect_error 406 "Accept: application/stix+json;version=2.1 only"
req GET /api/ -H "Authorization: Bearer $token" -H "Accept: text/html"
expect_error 406 "Accept: text/html"

req GET /api/ -H "Authorization: Bearer $token" -H "Accept: application/taxii+json"
expect_taxii_ok "Accept: bare application/taxii+json -> 200"
req GET /api/ -H "Authorization: Bearer $token" -H "Accept: application/json"
expect_taxii_ok "Accept: application/json -> 200"
req GET /api/ -H "Authorization: Bearer $token" -H "Accept: */*"
expect_taxii_ok "Accept: */* -> 200"
req GET /api/ -H "Authorization: Bearer $token" -H "Accept: text/html, application/taxii+json ; version=2.1 ; q=0.9"
expect_taxii_ok "Accept: a list with spaces and q= that includes TAXII 2.1 -> 200"
req GET /api/ -H "Authorization: Bearer $token" -H "Accept: APPLICATION/TAXII+JSON;VERSION=2.1"
expect_taxii_ok "Accept: upper case TAXII 2.1 -> 200"

# --------------------------------------------------------------------------- collections

authed GET /api/collections/
expect_taxii_ok "GET /api/collections/ -> 200"
coll=$(jq -r '[.collections[] | select(.alias == "default")][0].id // empty' "$work/body")
[[ -n $coll ]] || fail "$last: no collection aliased default"
[[ $coll =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || fail "collection id '$coll' is not a UUID"
json --arg c "$coll" '.collections[] | select(.id == $c) | .can_read == true and .can_write == true and (.title | type == "string")' ||
    fail "$last: default must have a title and can_read/can_write true for this token"
ok "default collection is $coll with can_read and can_write"

authed GET "/api/collections/$coll/"
expect_taxii_ok "GET the collection by id -> 200"
json --arg c "$coll" '.id == $c and .alias == "default"' || fail "$last: wrong collection"
authed GET /api/collections/default/
expect_taxii_ok "GET the collection by alias -> 200"
json --arg c "$coll" '.id == $c' || fail "$last: the alias names another collection"

authed GET "/api/collections/$(new_uuid)/"
expect_error 404 "GET an unknown collection"
authed GET "/api/collections/$(new_uuid)/objects/"
expect_error 404 "GET objects of an unknown collection"
authed GET "/api/collections/$(new_uuid)/manifest/"
expect_error 404 "GET manifest of an unknown collection"
authed GET "/api/collections/$coll/objects/indicator--$(new_uuid)/"
expect_error 404 "GET an unknown object"
authed GET "/api/collections/$coll/objects/indicator--$(new_uuid)/versions/"
expect_error 404 "GET versions of an unknown object"
authed DELETE "/api/collections/$coll/objects/indicator--$(new_uuid)/"
expect_error 404 "DELETE an unknown object"
authed GET "/api/status/$(new_uuid)/"
expect_error 404 "GET an unknown status"
authed GET "/api/collections/$coll/nosuchthing/"
expect_error 404 "GET an unknown resource under a collection"

# --------------------------------------------------------------------------- trailing slashes

for path in /taxii2 /api "/api/collections/$coll" "/api/collections/$coll/objects"; do
    authed GET "$path"
    if [[ $code == 308 ]]; then
        loc=$(header Location)
        [[ $loc == "$path/" || $loc == "$base$path/" ]] || fail "$last: 308 to '$loc', expected $path/"
        ok "GET $path -> 308 to $path/"
    else
        expect_taxii_ok "GET $path (no trailing slash) -> 200"
    fi
done

# --------------------------------------------------------------------------- POST objects

objects="$base/api/collections/$coll/objects/"
id1="indicator--$(new_uuid)"
id2="indicator--$(new_uuid)"
printf '{"objects":[%s,%s,%s]}' "$(indicator "$id1" 2026-01-01T00:00:00.000Z)" \
    "$(indicator "$id1" 2026-01-02T00:00:00.000Z)" "$(indicator "$id2" 2026-01-01T00:00:00.000Z)" >"$work/envelope"

authed POST "/api/collections/$coll/objects/" -H "Content-Type: application/json" --data-binary @"$work/envelope"
expect_error 415 "POST with Content-Type application/json"
authed POST "/api/collections/$coll/objects/" -H "Content-Type: application/taxii+json;version=2.0" --data-binary @"$work/envelope"
expect_error 415 "POST with Content-Type version=2.0"
authed POST "/api/collections/$coll/objects/" -H "Content-Type: application/stix+json;version=2.1" --data-binary @"$work/envelope"
expect_error 415 "POST with a STIX Content-Type"
authed POST "/api/collections/$coll/objects/" --data-binary @"$work/envelope"
expect_error 415 "POST without a TAXII Content-Type (curl's form type)"

req POST "/api/collections/$coll/objects/" -H "Authorization: Bearer $token" \
    -H "Accept: application/taxii+json;version=2.0" -H "Content-Type: $TAXII" --data-binary @"$work/envelope"
expect_error 406 "POST with Accept version=2.0"
req POST "/api/collections/$coll/objects/" -H "Accept: $TAXII" -H "Content-Type: $TAXII" --data-binary @"$work/envelope"
expect_error 401 "POST without credentials"

authed POST "/api/collections/$coll/objects/" -H "Content-Type: $TAXII" --data-binary '{"objects": [{"type": "indicator",'
expect_error 400 "POST malformed JSON"
authed POST "/api/collections/$coll/objects/" -H "Content-Type: $TAXII" --data-binary ''
expect_error 400 "POST an empty body"
for body in '[]' '{"type":"bundle","id":"bundle--6d8f2bd3-4e4e-4a3e-9d55-b2d3f0ee7c57"}' '{"objects":{}}' '{"objects":"x"}' '42'; do
    authed POST "/api/collections/$coll/objects/" -H "Content-Type: $TAXII" --data-binary "$body"
    expect_error 422 "POST JSON that is not an envelope: $body"
done

head -c "$((max_len + 1))" /dev/zero | tr '\0' ' ' >"$work/huge"
authed POST "/api/collections/$coll/objects/" -H "Content-Type: $TAXII" --data-binary @"$work/huge"
expect_error 413 "POST a body of max_content_length+1 bytes"
authed POST "/api/collections/$coll/objects/" -H "Content-Type: $TAXII" -H "Transfer-Encoding: chunked" \
    --data-binary @"$work/huge"
expect_error 413 "POST a chunked body of max_content_length+1 bytes (no Content-Length)"

# Exactly max_content_length bytes is still allowed: one object, padded with spaces.
id3="indicator--$(new_uuid)"
printf '{"objects":[%s]}' "$(indicator "$id3" 2026-01-01T00:00:00.000Z)" >"$work/exact"
pad=$((max_len - $(wc -c <"$work/exact")))
head -c "$pad" /dev/zero | tr '\0' ' ' >>"$work/exact"
[[ $(wc -c <"$work/exact") -eq $max_len ]] || fail "could not build a body of $max_len bytes"
authed POST "/api/collections/$coll/objects/" -H "Content-Type: $TAXII" --data-binary @"$work/exact"
expect_taxii_ok "POST a body of exactly max_content_length bytes -> 202" 202
json '.success_count == 1' || fail "$last: the padded envelope's object was not stored"

authed GET "/api/collections/$coll/objects/$id1/"
expect_error 404 "refused POSTs stored nothing"

# The log size before this POST, for the check of older partial tiles below.
authed GET "/api/collections/$coll/log/checkpoint"
expect_code 200
prev_size=$(sed -n 2p "$work/body")
authed POST "/api/collections/$coll/objects/" -H "Content-Type: application/taxii+json; version=2.1" \
    --data-binary @"$work/envelope"
expect_taxii_ok "POST a valid envelope (Content-Type with a space) -> 202" 202
json '.status == "complete" and .total_count == 3 and .success_count == 3 and .failure_count == 0 and .pending_count == 0' ||
    fail "$last: status should be complete with 3 successes"
status_id=$(jq -r .id "$work/body")
ok "status $status_id: complete, 3 of 3"
authed GET "/api/status/$status_id/"
expect_taxii_ok "GET the status -> 200"
json --arg s "$status_id" '.id == $s and .success_count == 3' || fail "$last: wrong status"

# --------------------------------------------------------------------------- reads and query parameters

authed GET "/api/collections/$coll/objects/$id1/" -G --data-urlencode 'match[version]=all'
expect_taxii_ok "GET the new object, all versions -> 200"
json --arg i "$id1" '[.objects[] | select(.id == $i)] | length == 2' || fail "$last: expected 2 versions"
[[ -n $(header X-TAXII-Date-Added-First) && -n $(header X-TAXII-Date-Added-Last) ]] ||
    fail "$last: X-TAXII-Date-Added-First/Last missing"
[[ $(header X-TAXII-Date-Added-First) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?Z$ ]] ||
    fail "$last: X-TAXII-Date-Added-First is not a Z timestamp: $(header X-TAXII-Date-Added-First)"
[[ $(header X-TAXII-Date-Added-First) < $(header X-TAXII-Date-Added-Last) ]] ||
    fail "$last: the two versions should have increasing date_added"
ok "X-TAXII-Date-Added-First/Last on a two-version object"

authed GET "/api/collections/$coll/manifest/" -G --data-urlencode "match[id]=$id1,$id2" --data-urlencode 'match[version]=all'
expect_taxii_ok "GET manifest filtered by two ids -> 200"
json '(.objects | length == 3) and ([.objects[].date_added] | . == sort)' || fail "$last: expected 3 records in date_added order"
json '[.objects[] | .media_type] | all(. == "application/stix+json;version=2.1")' || fail "$last: manifest media_type"

authed GET "/api/collections/$coll/objects/" -G --data-urlencode "match[type]=no-such-type"
expect_taxii_ok "GET objects of an absent type -> 200"
json '(.objects // [] | length == 0) and (.more // false) == false' || fail "$last: expected an empty envelope"
[[ -z $(header X-TAXII-Date-Added-First) ]] || fail "$last: X-TAXII-Date-Added-First on an empty page"
ok "an empty page has no X-TAXII-Date-Added headers"

authed GET "/api/collections/$coll/objects/" -G --data-urlencode 'limit=1'
expect_taxii_ok "GET objects limit=1 -> 200"
json '(.objects | length == 1) and .more == true and (.next | type == "string" and length > 0)' ||
    fail "$last: limit=1 should give one object, more=true and a next"
cursor=$(jq -r .next "$work/body")
authed GET "/api/collections/$coll/objects/" -G --data-urlencode 'limit=1' --data-urlencode "next=$cursor"
expect_taxii_ok "GET objects with the next cursor -> 200"
authed GET "/api/collections/$coll/objects/" -G --data-urlencode 'limit=5000'
expect_taxii_ok "GET objects limit=5000 is clamped, not refused -> 200"
json '.objects | length <= 1000' || fail "$last: more than 1000 objects in a page"

for q in 'limit=0' 'limit=-1' 'limit=abc' 'limit=1.5' 'limit=' 'added_after=yesterday' 'added_after=2026-13-01T00:00:00Z' \
    'added_after=2026-01-01' 'next=not-a-cursor' 'next=' 'match[version]=newest' 'match[version]=2026-01-01'; do
    authed GET "/api/collections/$coll/objects/" -G --data-urlencode "$q"
    expect_error 400 "GET objects with $q"
done
authed GET "/api/collections/$coll/manifest/" -G --data-urlencode 'limit=0'
expect_error 400 "GET manifest with limit=0"
authed GET "/api/collections/$coll/objects/$id1/versions/" -G --data-urlencode 'added_after=nope'
expect_error 400 "GET versions with added_after=nope"

authed PUT "/api/collections/$coll/objects/" -H "Content-Type: $TAXII" --data-binary @"$work/envelope"
expect_error 405 "PUT on objects"

# --------------------------------------------------------------------------- log endpoints

authed GET "/api/collections/$coll/log/checkpoint"
expect_code 200
[[ $(header Content-Type) == text/plain* ]] || fail "$last: checkpoint Content-Type is '$(header Content-Type)'"
origin=$(sed -n 1p "$work/body")
size=$(sed -n 2p "$work/body")
root_hash=$(sed -n 3p "$work/body")
[[ -n $origin && $size =~ ^[0-9]+$ && $size -ge 3 ]] || fail "$last: checkpoint should name an origin and a size >= 3"
[[ $root_hash =~ ^[A-Za-z0-9+/]{43}=$ ]] || fail "$last: third line is not a base64 SHA-256 root"
[[ -z $(sed -n 4p "$work/body") ]] && grep -q $'^\xe2\x80\x94 ' "$work/body" ||
    fail "$last: not a signed note (blank line then signature lines)"
ok "checkpoint: text/plain signed note, origin '$origin', size $size"
authed GET "/api/collections/default/log/checkpoint"
expect_code 200
[[ $(sed -n 2p "$work/body") == "$size" ]] || fail "$last: checkpoint by alias differs"
ok "checkpoint by alias"

# The last level-0 tile and entry bundle (partial unless the size is a multiple of 256).
n=$(((size - 1) / 256))
w=$((size - n * 256))
n_path=$(tile_index "$n")
suffix=""
((w < 256)) && suffix=".p/$w"
authed GET "/api/collections/$coll/log/tile/0/$n_path$suffix"
expect_code 200
[[ $(header Content-Type) == application/octet-stream* ]] || fail "$last: tile Content-Type is '$(header Content-Type)'"
bytes=$(wc -c <"$work/body")
[[ $bytes -eq $((32 * w)) ]] || fail "$last: a level-0 tile of width $w has $((32 * w)) bytes, got $bytes"
ok "tile 0/$n_path$suffix: $bytes bytes"
authed GET "/api/collections/$coll/log/tile/entries/$n_path$suffix"
expect_code 200
[[ $(header Content-Type) == application/octet-stream* ]] || fail "$last: entries Content-Type is '$(header Content-Type)'"
# An entry bundle is w entries, each a big-endian u16 length and that many bytes.
count=$(od -An -v -tu1 "$work/body" | tr -s ' \n' '\n' | sed '/^$/d' | awk '
    { b[NR] = $1 } END { i = 1; n = 0; while (i < NR) { len = b[i] * 256 + b[i + 1]; i += 2 + len; n++ }
                          if (i != NR + 1) print -1; else print n }')
[[ $count -eq $w ]] || fail "$last: entry bundle holds $count well-formed entries, expected $w"
ok "entry bundle entries/$n_path$suffix: $w entries"
# A client holding the checkpoint from before our POST asks for the narrower partial
# tile of that size: it must be kept, and be a prefix of the current one.
w0=$((prev_size - n * 256))
if ((w0 >= 1 && w0 < w)); then
    authed GET "/api/collections/$coll/log/tile/0/$n_path$suffix"
    cp "$work/body" "$work/wide"
    authed GET "/api/collections/$coll/log/tile/0/$n_path.p/$w0"
    expect_code 200
    [[ $(wc -c <"$work/body") -eq $((32 * w0)) ]] || fail "$last: expected $((32 * w0)) bytes"
    cmp -s "$work/body" <(head -c $((32 * w0)) "$work/wide") || fail "$last: not a prefix of the width-$w tile"
    authed GET "/api/collections/$coll/log/tile/entries/$n_path.p/$w0"
    expect_code 200
    ok "the narrower partial tile 0/$n_path.p/$w0 is kept and is a prefix of the current one"
else
    echo "note: the size before our POST ($prev_size) ends in another tile; older partial tile not checked"
fi
for bad in "0/$n_path.p/0" "0/$n_path.p/256" "0/$n_path.p/0$w" "0/0000" "0/00" "0/x000/$n_path" "64/000"; do
    authed GET "/api/collections/$coll/log/tile/$bad"
    [[ $code == 400 || $code == 404 ]] || fail "$last: a non-canonical tile path should be 400 or 404, got $code"
done
ok "non-canonical tile paths (width 0, 256, leading zero, 4 digits, missing x, level 64) -> 400/404"
authed GET "/api/collections/$coll/log/tile/0/$(tile_index $((n + 1)))"
[[ $code == 404 ]] || fail "$last: a tile beyond the log should be 404, got $code"
ok "a tile beyond the log -> 404"
authed GET "/api/collections/$coll/log/tile/0/abc"
[[ $code == 400 || $code == 404 ]] || fail "$last: a malformed tile path should be 400 or 404, got $code"
ok "a malformed tile path -> $code"
req GET "/api/collections/$coll/log/tile/0/$n_path$suffix"
[[ $code == 401 ]] || fail "$last: tiles need credentials, got $code"
ok "tiles without credentials -> 401"

# Every tile of the log, mirrored into a C2SP tile tree; with the entente binary, it
# must pass the offline audit against the node's key.
mirror=$work/mirror
mkdir -p "$mirror"
authed GET "/api/collections/$coll/log/checkpoint"
expect_code 200
cp "$work/body" "$mirror/checkpoint"
count=$(sed -n 2p "$mirror/checkpoint")
level=0
tiles=0
while ((count > 0)); do
    full=$((count / 256))
    part=$((count % 256))
    kinds=("$level")
    ((level == 0)) && kinds+=(entries)
    for kind in "${kinds[@]}"; do
        for ((i = 0; i <= full; i++)); do
            tile="tile/$kind/$(tile_index "$i")"
            if ((i == full)); then
                ((part > 0)) || continue
                tile="$tile.p/$part"
            fi
            authed GET "/api/collections/$coll/log/$tile"
            expect_code 200
            if [[ $kind != entries ]]; then
                want=$((32 * (i == full ? part : 256)))
                [[ $(wc -c <"$work/body") -eq $want ]] || fail "$last: expected $want bytes"
            fi
            mkdir -p "$(dirname "$mirror/$tile")"
            cp "$work/body" "$mirror/$tile"
            tiles=$((tiles + 1))
        done
    done
    count=$((count / 256))
    level=$((level + 1))
done
ok "fetched all $tiles tiles of the log (levels 0-$((level - 1)) and entry bundles)"
if [[ -n ${ENTENTE_BIN:-} && -n ${ENTENTE_VKEY:-} ]]; then
    out=$("$ENTENTE_BIN" audit --tiles "$mirror" --key "$ENTENTE_VKEY" 2>&1) ||
        fail "entente audit --tiles refused the tiles served over HTTP: $out"
    [[ $out == OK* ]] || fail "entente audit --tiles said: $out"
    ok "the served checkpoint and tiles pass the offline audit"
fi

authed GET "/api/collections/$coll/log/proof/$id1/" -G --data-urlencode 'version=2026-01-02T00:00:00.000Z'
expect_code 200
json --arg i "$id1" --arg c "$coll" '.format == "entente-proof/v1" and .object_id == $i and .collection == $c and
    (.index | type == "number") and (.proof | type == "array") and (.checkpoint | type == "string") and (.entry | type == "string")' ||
    fail "$last: not an entente-proof/v1 bundle for $id1"
json '.version == "2026-01-02T00:00:00.000Z"' || fail "$last: the proof is for another version"
cp "$work/body" "$work/proof.json"
ok "proof bundle for $id1 version 2026-01-02"
if [[ -n ${ENTENTE_BIN:-} && -n ${ENTENTE_VKEY:-} ]]; then
    out=$("$ENTENTE_BIN" log verify-proof "$work/proof.json" --key "$ENTENTE_VKEY" 2>&1) ||
        fail "entente log verify-proof refused the served proof: $out"
    [[ $out == OK* ]] || fail "entente log verify-proof said: $out"
    ok "the served proof verifies offline with the node's key"
    jq '.index += 1' "$work/proof.json" >"$work/bad.json"
    if "$ENTENTE_BIN" log verify-proof "$work/bad.json" --key "$ENTENTE_VKEY" >/dev/null 2>&1; then
        fail "a tampered proof verified"
    fi
    ok "a tampered served proof is refused offline"
fi
authed GET "/api/collections/$coll/log/proof/$id1/"
expect_code 200
json '.version == "2026-01-02T00:00:00.000Z"' || fail "$last: without ?version the proof should be for the latest"
ok "proof without ?version is for the latest version"
authed GET "/api/collections/$coll/log/proof/indicator--$(new_uuid)/"
[[ $code == 404 ]] || fail "$last: proof of an unknown object should be 404, got $code"
ok "proof of an unknown object -> 404"

# --------------------------------------------------------------------------- delete

authed DELETE "/api/collections/$coll/objects/$id2/"
expect_code 200
ok "DELETE an object -> 200"
authed GET "/api/collections/$coll/objects/$id2/"
expect_error 404 "GET a deleted object"
authed GET "/api/collections/$coll/manifest/" -G --data-urlencode "match[id]=$id2" --data-urlencode 'match[version]=all'
expect_taxii_ok "manifest after delete -> 200"
json '(.objects // []) | length == 0' || fail "$last: the deleted object is still in the manifest"
ok "the deleted object left the manifest"
authed GET "/api/collections/$coll/log/checkpoint"
[[ $(sed -n 2p "$work/body") -eq $((size + 1)) ]] || fail "$last: a withdrawal appends one entry (size $size -> $(sed -n 2p "$work/body"))"
ok "the withdrawal appended one log entry"

echo "http checks: OK, $passed checks against $base/"
