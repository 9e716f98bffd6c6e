#!/usr/bin/env python3
"""Checks and request lists for bench/taxii.sh (standard library only).

    check.py verify URL AUTH DATES N [TIMEOUT]
        URL is a collection's objects endpoint, AUTH the Authorization header value,
        DATES a file of the collection's date_added values in order (N of them; the
        objects are the first N of bench/gen_indicators.py, in order). Fetches the
        first page, five pages after sampled added_after values and the last page;
        each must be 200 with a TAXII content type and exactly the expected objects
        (by their index in the generated corpus). Prints the slowest page time.
        Exit 0 ok, 1 wrong answer, 3 a page took longer than TIMEOUT seconds.

    check.py walk URL AUTH N DATES NEXTS
        Walks a collection through its manifest (limit=1000) and then through its
        objects (limit=100, following `next`): both must list N objects, once each,
        in date_added order. Writes the date_added values to DATES and the `next`
        cursors to NEXTS.

    check.py count URL AUTH
        Counts a collection's objects by walking its manifest (limit=1000).

    check.py paths DATES PATH COUNT OUT [NEXTS]
        Writes COUNT request paths PATH?limit=100&added_after=D, D sampled
        (seeded) from DATES so that each request is a full page; with NEXTS,
        PATH?limit=100&next=C for sampled cursors instead.

    check.py table RESULTS.jsonl
        Prints the results table and our ratios.
"""
import json
import random
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ACCEPT = "application/taxii+json;version=2.1"
NAME = re.compile(r"domain (\d+)$")


def get(url, auth, timeout=60):
    req = urllib.request.Request(url, headers={"Accept": ACCEPT, "Authorization": auth})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body, status, headers = r.read(), r.status, r.headers
    except urllib.error.HTTPError as e:
        body, status, headers = e.read(), e.code, e.headers
    return status, headers, body, time.perf_counter() - t


def fail(msg):
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def page(url, auth, params, timeout):
    sep = "&" if "?" in url else "?"
    full = url + (sep + urllib.parse.urlencode(params) if params else "")
    try:
        status, headers, body, dt = get(full, auth, timeout)
    except (TimeoutError, OSError) as e:
        if "timed out" in str(e):
            print(f"TIMEOUT: {full} took longer than {timeout}s", file=sys.stderr)
            sys.exit(3)
        raise
    if status != 200:
        fail(f"GET {full}: status {status}: {body[:300]!r}")
    ctype = headers.get("Content-Type", "")
    if not ctype.startswith("application/taxii+json"):
        fail(f"GET {full}: Content-Type {ctype!r}")
    return json.loads(body or b"{}"), dt


def indices(env):
    out = []
    for obj in env.get("objects", []):
        m = NAME.search(obj.get("name", ""))
        out.append(int(m.group(1)) if m else -1)
    return out


def verify(url, auth, dates_file, n, timeout=60.0):
    with open(dates_file) as f:
        dates = [line.strip() for line in f if line.strip()]
    if len(dates) != n:
        fail(f"{dates_file}: {len(dates)} dates, expected {n}")
    rng = random.Random(7)
    cases = [(None, 0)] + [(k, k + 1) for k in sorted(rng.sample(range(n - 100), 5))]
    slowest = 0.0
    for k, first in cases:
        params = {"limit": "100"}
        if k is not None:
            params["added_after"] = dates[k]
        env, dt = page(url, auth, params, timeout)
        slowest = max(slowest, dt)
        got, want = indices(env), list(range(first, first + 100))
        if sorted(got) != want:
            fail(f"page after {k}: got objects {got[:3]}..{got[-3:]} ({len(got)}), "
                 f"expected {first}..{first + 99}")
        if not env.get("more", False) and first + 100 < n:
            fail(f"page after {k}: `more` is not true")
    env, dt = page(url, auth, {"limit": "100", "added_after": dates[n - 2]}, timeout)
    slowest = max(slowest, dt)
    if indices(env) != [n - 1] or env.get("more", False):
        fail(f"last page: got {indices(env)}, more={env.get('more')}; expected [{n - 1}]")
    print(f"ok: 7 pages checked, slowest {slowest:.3f}s")


def walk_manifest(url, auth):
    base = url.split("?")[0].rstrip("/").rsplit("/", 1)[0] + "/manifest/"
    params, out = {"limit": "1000"}, []
    while True:
        env, _ = page(base, auth, params, 60)
        out.extend(env.get("objects", []))
        if not env.get("more"):
            return out
        params = {"limit": "1000", "next": env["next"]}


def walk(url, auth, n, dates_file, nexts_file):
    manifest = walk_manifest(url, auth)
    if len(manifest) != n or len({m["id"] for m in manifest}) != n:
        fail(f"manifest lists {len(manifest)} records, expected {n} distinct")
    dates = [m["date_added"] for m in manifest]
    if any(a >= b for a, b in zip(dates, dates[1:])):
        fail("manifest: date_added not strictly increasing")
    params, seen, nexts, t = {"limit": "100"}, [], [], time.perf_counter()
    while True:
        env, _ = page(url, auth, params, 60)
        seen.extend(indices(env))
        if not env.get("more"):
            break
        nexts.append(env["next"])
        params = {"limit": "100", "next": env["next"]}
    t = time.perf_counter() - t
    if seen != list(range(n)):
        fail(f"objects walk: {len(seen)} objects, not 0..{n - 1} in order")
    with open(dates_file, "w") as f:
        f.write("".join(d + "\n" for d in dates))
    with open(nexts_file, "w") as f:
        f.write("".join(c + "\n" for c in nexts))
    print(f"ok: manifest and objects walks list {n} objects in order "
          f"({len(nexts) + 1} pages in {t:.2f}s, one connection each)")


def count(url, auth):
    print(len(walk_manifest(url, auth)))


def paths(dates_file, path, count_, out, nexts_file=None):
    rng = random.Random(42)
    lines = []
    path += "&" if "?" in path else "?"
    if nexts_file:
        with open(nexts_file) as f:
            nexts = [line.strip() for line in f if line.strip()]
        # Leave out the last cursors so that every request is a full page.
        for _ in range(count_):
            c = rng.choice(nexts[:-1] or nexts)
            lines.append(f"{path}limit=100&next={urllib.parse.quote(c, safe='')}")
    else:
        with open(dates_file) as f:
            dates = [line.strip() for line in f if line.strip()]
        for _ in range(count_):
            d = dates[rng.randrange(len(dates) - 100)]
            lines.append(f"{path}limit=100&added_after={urllib.parse.quote(d, safe='')}")
    with open(out, "w") as f:
        f.write("".join(line + "\n" for line in lines))


def table(results_file):
    rows = [json.loads(line) for line in open(results_file) if line.strip()]

    def fmt(x, unit=""):
        if x is None:
            return "—"
        if x >= 100:
            return f"{x:,.0f}{unit}"
        if x >= 10:
            return f"{x:.1f}{unit}"
        return f"{x:.2f}{unit}"

    order = ["entente", "medallion", "opentaxii"]
    tests = []
    for r in rows:
        if (r["test"], r["conns"]) not in tests:
            tests.append((r["test"], r["conns"]))
    print()
    print("| test | conns | server | collection | rate | p50 | p99 | requests | errors |")
    print("|---|---|---|---|---|---|---|---|---|")
    for test, conns in tests:
        for server in order:
            for r in rows:
                if r["test"] != test or r["conns"] != conns or r["server"] != server:
                    continue
                post = test.startswith("POST")
                rate = r.get("objects_per_s") if post else r.get("rps")
                unit = " objects/s" if post else " pages/s"
                errs = r["non2xx"] + r["connect_errors"] + r["read_errors"] + \
                    r["write_errors"] + r["timeouts"] + r.get("objects_failed", 0)
                size = f"{r['size']:,}" if r["size"] else "empty at start"
                print(f"| {test} | {conns} | {server} | {size} | {fmt(rate, unit)} | "
                      f"{fmt(r['p50_ms'], ' ms')} | {fmt(r['p99_ms'], ' ms')} | "
                      f"{r['requests']:,} | {errs} |")
    print()
    print("Ratios (entente / reference: throughput; reference / entente: p99):")
    for test, conns in tests:
        ours = [r for r in rows if r["test"] == test and r["conns"] == conns
                and r["server"] == "entente"]
        if not ours:
            continue
        o = ours[0]
        post = test.startswith("POST")
        key = "objects_per_s" if post else "rps"
        for r in rows:
            if r["test"] != test or r["conns"] != conns or r["server"] == "entente":
                continue
            if not r.get(key):
                print(f"  {test}, {conns} conns, vs {r['server']}: reference completed nothing")
                continue
            sizes = (f" ({o['size']:,} objects vs {r['size']:,})" if r["size"] else "")
            print(f"  {test}, {conns} conns, vs {r['server']}{sizes}: "
                  f"{o[key] / r[key]:,.0f}x throughput, "
                  f"p99 {r['p99_ms'] / o['p99_ms']:,.0f}x lower")


if __name__ == "__main__":
    a = sys.argv[1:]
    if not a:
        sys.exit(__doc__)
    if a[0] == "verify":
        verify(a[1], a[2], a[3], int(a[4]), float(a[5]) if len(a) > 5 else 60.0)
    elif a[0] == "walk":
        walk(a[1], a[2], int(a[3]), a[4], a[5])
    elif a[0] == "count":
        count(a[1], a[2])
    elif a[0] == "paths":
        paths(a[1], a[2], int(a[3]), a[4], a[5] if len(a) > 5 else None)
    elif a[0] == "table":
        table(a[1])
    else:
        sys.exit(__doc__)
