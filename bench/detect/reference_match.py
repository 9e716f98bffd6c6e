#!/usr/bin/env python3
"""The reference matcher (OASIS stix2-matcher) on the sample of bench/detect/gen.py.

    python3 bench/detect/reference_match.py --patterns reference_patterns.json \\
        --sample sample.ndjson [--limit N] [--mode compiled|match] [--meta sample_meta.ndjson]

Each line of the sample is one event: a JSON array of an observed-data and its SCOs.
Every event is wrapped in one bundle and checked against every pattern with
stix2matcher (stix_version 2.1). Prints one JSON object:

  {"events": n, "patterns": p, "seconds": s, "events_per_second": n/s, "hits": {id: count},
   "errors": e, "compile_seconds": c, "mode": ..., "matcher": "stix2-matcher 3.0.0", ...}

`seconds` is time.perf_counter() around the matching loop only. With --mode compiled
(the default) each pattern is parsed once, before the loop, with
stix2matcher.matcher.Pattern, and the loop calls Pattern.match([bundle]): the same work as
an index compiled once and then fed events. With --mode match the loop calls
stix2matcher.matcher.match(pattern, [bundle], stix_version='2.1'), which parses the pattern
again on every call. An exception from one call counts as an error, not a hit.

The default --limit (DEFAULT_LIMIT events) keeps a run near one minute on the benchmark
machine (2 cores, AMD EPYC) with 1,000 patterns in compiled mode; --limit 0 runs the
whole sample. With --meta, also reports whether every indicator planted in the events
that were run was found ("planted_found", "planted_missed").
"""

import argparse
import json
import sys
import time
from importlib.metadata import version

DEFAULT_LIMIT = 800


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--patterns", required=True, help="JSON list of indicators (or a bundle)")
    ap.add_argument("--sample", required=True, help="sample.ndjson of gen.py")
    ap.add_argument("--limit", type=int, default=DEFAULT_LIMIT,
                    help=f"events to run, from the start of the sample (default {DEFAULT_LIMIT}; 0: all)")
    ap.add_argument("--mode", choices=("compiled", "match"), default="compiled")
    ap.add_argument("--meta", help="sample_meta.ndjson of gen.py: check the planted indicators")
    a = ap.parse_args()

    from stix2matcher.matcher import Pattern, match  # noqa: E402 (after argument errors)

    with open(a.patterns) as f:
        doc = json.load(f)
    indicators = doc["objects"] if isinstance(doc, dict) else doc
    indicators = [o for o in indicators if o.get("type") == "indicator"]
    events = []
    with open(a.sample) as f:
        for line in f:
            if line.strip():
                events.append(json.loads(line))
                if a.limit and len(events) >= a.limit:
                    break
    bundles = [{"type": "bundle", "id": "bundle--" + objs[0]["id"].split("--", 1)[1],
                "objects": objs} for objs in events]

    errors = 0
    error_examples = []
    hits = {}
    t0 = time.perf_counter()
    compiled = []
    for ind in indicators:
        try:
            compiled.append((ind["id"], ind["pattern"], Pattern(ind["pattern"], stix_version="2.1")))
        except Exception as e:  # a pattern the reference cannot parse
            compiled.append((ind["id"], ind["pattern"], None))
            errors += 1
            if len(error_examples) < 5:
                error_examples.append(f"{ind['id']}: {type(e).__name__}: {e}")
    compile_seconds = time.perf_counter() - t0

    if a.mode == "compiled":
        calls = [(iid, pat.match) for iid, _, pat in compiled if pat is not None]
    else:
        calls = [(iid, (lambda text: lambda arg: match(text, arg, stix_version="2.1"))(text))
                 for iid, text, pat in compiled if pat is not None]
    events_with_hits = 0
    t0 = time.perf_counter()
    for bundle in bundles:
        arg = [bundle]
        hit = False
        for iid, call in calls:
            try:
                if call(arg):
                    hits[iid] = hits.get(iid, 0) + 1
                    hit = True
            except Exception as e:
                errors += 1
                if len(error_examples) < 5:
                    error_examples.append(f"{iid}: {type(e).__name__}: {e}")
        events_with_hits += hit
    seconds = time.perf_counter() - t0

    n = len(bundles)
    result = {
        "events": n,
        "patterns": len(indicators),
        "seconds": round(seconds, 3),
        "events_per_second": round(n / seconds, 2) if seconds > 0 else None,
        "hits": dict(sorted(hits.items())),
        "events_with_hits": events_with_hits,
        "errors": errors,
        "mode": a.mode,
        "compile_seconds": round(compile_seconds, 3),
        "limit": a.limit,
        "matcher": f"stix2-matcher {version('stix2-matcher')}, stix2-patterns {version('stix2-patterns')}",
    }
    if error_examples:
        result["error_examples"] = error_examples
    if a.meta:
        planted = []
        with open(a.meta) as f:
            for k, line in enumerate(f):
                if k >= n:
                    break
                p = json.loads(line).get("planted")
                if p:
                    planted.append(p)
        ids = {iid for iid, _, _ in compiled}
        wanted = [p for p in planted if p in ids]
        missed = sorted({p for p in wanted if p not in hits})
        result["planted_events"] = len(planted)
        result["planted_found"] = len(wanted) - sum(1 for p in wanted if p in missed)
        result["planted_missed"] = missed
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
