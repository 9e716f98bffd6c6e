#!/usr/bin/env python3
"""Interoperability check of an Entente node against the OASIS TAXII 2.1 client.

    taxii_client.py BASE_URL USER TOKEN READER READER_SECRET

BASE_URL is the node's root (e.g. http://127.0.0.1:9440/). USER must be able to
read and write the collection aliased `default`; READER must only be able to read
it. TOKEN and READER_SECRET (a token or a password) are sent as HTTP Basic
passwords, as taxii2-client does.

Everything goes through taxii2-client 2.3.0 (requirements-test.txt); the requests
session it uses is borrowed only where the client hides what is checked (response
headers, status codes of refused requests). Every object the server returns is
checked with stix2-validator (strict, STIX 2.1).

Other collections the writer sees are checked for per-caller rights (can_read and
can_write as listed, 403 otherwise; a collection the reader may not read is refused
to the reader). The collection may already hold objects: the script models the whole collection
from its manifest and checks every answer against that model. Its own objects get
fresh ids on every run.

Exits 1 with a message on the first failed check, 0 with a summary otherwise.
"""

import datetime
import json
import logging
import re
import sys
import threading
import traceback
import uuid
from urllib.parse import urljoin

import requests
from stix2validator import ValidationOptions, validate_instance
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from checks import CHECKS, CheckFailed, check, failed, report

TAXII = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
PER_REQUEST = 7
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
VALIDATOR_OPTIONS = ValidationOptions(version="2.1", strict=True)


def check_eq(got, want, what):
    check(got == want, what, "expected %r, got %r" % (want, got))


def expect_http_error(status, what, func, *args, **kwargs):
    """Calls func; it must raise requests' HTTPError with `status`."""
    try:
        func(*args, **kwargs)
    except requests.exceptions.HTTPError as e:
        got = e.response.status_code if e.response is not None else None
        check_eq(got, status, what)
        return e.response
    raise CheckFailed("%s: expected HTTP %d, the call succeeded" % (what, status))


# --------------------------------------------------------------------------- timestamps

TS = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$")


def instant(ts):
    """A STIX/TAXII timestamp as a comparable instant (fraction compared as a number)."""
    m = TS.match(ts if isinstance(ts, str) else "")
    if m is None:
        raise CheckFailed("timestamps are RFC 3339 UTC with a Z: %r" % (ts,))
    frac = (m.group(2) or "").rstrip("0")
    return (m.group(1), frac.ljust(9, "0"))


def drop_trailing_zeros(ts):
    """2026-01-01T00:00:00.500Z -> 2026-01-01T00:00:00.5Z; .000Z -> Z."""
    base, _, rest = ts.partition(".")
    if not rest:
        return ts
    frac = rest.rstrip("Z").rstrip("0")
    return base + ("." + frac if frac else "") + "Z"


# --------------------------------------------------------------------------- objects


def new_id(kind):
    return "%s--%s" % (kind, uuid.uuid4())


def sco_id(kind, contributing):
    canon = json.dumps(contributing, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "%s--%s" % (kind, uuid.uuid5(SCO_NAMESPACE, canon))


def indicator(oid, n, modified, created="2026-01-01T00:00:00.000Z", tag=""):
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": oid,
        "created": created,
        "modified": modified,
        "name": "Interop indicator %d%s" % (n, tag),
        "description": "Phishing domain seen in election-themed mail, revision %s" % modified,
        "indicator_types": ["malicious-activity"],
        "pattern": "[domain-name:value = 'interop-%d-%s.example']" % (n, oid[-12:]),
        "pattern_type": "stix",
        "valid_from": "2026-01-01T00:00:00Z",
    }


def make_scos(run):
    ip = "198.51.100.%d" % (run % 250 + 1)
    dom = "sco-%s.example" % run
    url = "https://sco-%s.example/login" % run
    mail = "sco-%s@example.com" % run
    sha = uuid.uuid4().hex * 2
    return [
        # No spec_version: an SCO without created/modified is STIX 2.1.
        {"type": "ipv4-addr", "id": sco_id("ipv4-addr", {"value": ip}), "value": ip},
        {"type": "domain-name", "spec_version": "2.1", "id": sco_id("domain-name", {"value": dom}), "value": dom},
        {"type": "url", "spec_version": "2.1", "id": sco_id("url", {"value": url}), "value": url},
        {"type": "email-addr", "spec_version": "2.1", "id": sco_id("email-addr", {"value": mail}), "value": mail},
        {
            "type": "file",
            "spec_version": "2.1",
            "id": sco_id("file", {"hashes": {"SHA-256": sha}}),
            "hashes": {"SHA-256": sha},
        },
    ]


def make_invalid():
    missing_pattern = indicator(new_id("indicator"), 9001, "2026-01-01T00:00:00.000Z", tag=" bad")
    del missing_pattern["pattern"]
    bad_confidence = indicator(new_id("indicator"), 9002, "2026-01-01T00:00:00.000Z", tag=" bad")
    bad_confidence["confidence"] = 101
    bad_date = indicator(new_id("indicator"), 9003, "2026-01-01T00:00:00.000Z", tag=" bad")
    bad_date["valid_from"] = "2026-13-01T00:00:00Z"
    bad_pattern = indicator(new_id("indicator"), 9004, "2026-01-01T00:00:00.000Z", tag=" bad")
    bad_pattern["pattern"] = "[domain-name:value = 'unterminated]"
    bad_id = indicator("indicator--not-a-uuid", 9005, "2026-01-01T00:00:00.000Z", tag=" bad")
    return [missing_pattern, bad_confidence, bad_date, bad_pattern, bad_id]


def stix_version(obj):
    return obj.get("modified") or obj.get("created")


VALIDATED = set()
POSTED = {}  # (id, version instant) or SCO id -> the object as first posted


def posted_key(obj):
    v = stix_version(obj)
    return (obj.get("id"), instant(v)) if v else obj.get("id")


def validate_returned(obj, where):
    """Every returned object passes stix2-validator and, if we posted it, is what we posted."""
    text = json.dumps(obj, sort_keys=True)
    if text in VALIDATED:
        CHECKS["returned objects pass stix2-validator (strict)"] += 1
        CHECKS["returned objects equal what was posted"] += 1
        return
    original = POSTED.get(posted_key(obj))
    if original is not None:
        check(obj == original, "returned objects equal what was posted",
              "%s from %s:\n got  %s\n want %s" % (obj.get("id"), where, text, json.dumps(original, sort_keys=True)))
    result = validate_instance(obj, VALIDATOR_OPTIONS)
    errors = "; ".join(str(e) for e in (getattr(result, "errors", None) or []))
    check(result.is_valid, "returned objects pass stix2-validator (strict)",
          "%s from %s: %s" % (obj.get("id"), where, errors))
    VALIDATED.add(text)


# --------------------------------------------------------------------------- the model


class Record:
    def __init__(self, oid, version, date_added, media_type):
        self.id = oid
        self.type = oid.split("--", 1)[0]
        self.version = version
        self.date_added = date_added
        self.media_type = media_type

    @property
    def key(self):
        return (self.id, instant(self.version))

    def __repr__(self):
        return "%s@%s" % (self.id, self.version)


class Model:
    """The collection as its version=all manifest describes it, in date_added order."""

    def __init__(self, records):
        self.records = records

    def by_id(self):
        out = {}
        for r in self.records:
            out.setdefault(r.id, []).append(r)
        return out

    def select(self, added_after=None, ids=None, types=None, versions=("last",), spec_versions=None,
               added_after_first=False):
        """The records a query must return, in date_added order.

        Where added_after and a first/last version selection meet, the spec leaves the
        order open: the version may be chosen among all versions and then kept only if
        added after the cut (the default here), or chosen among the versions added after
        the cut (`added_after_first`, as medallion does). The results differ only when an
        older version was added later than a newer one.
        """
        spec_ok = lambda r: spec_versions is None or r.media_type == "application/stix+json;version=" + spec_versions
        later = lambda r: added_after is None or instant(r.date_added) > instant(added_after)
        pool = [r for r in self.records if later(r)] if added_after_first else self.records
        by_id = {}
        for r in pool:
            by_id.setdefault(r.id, []).append(r)
        keep = set()
        for oid, recs in by_id.items():
            if ids is not None and oid not in ids:
                continue
            if types is not None and recs[0].type not in types:
                continue
            recs = [r for r in recs if spec_ok(r)]
            if not recs:
                continue
            ordered = sorted(recs, key=lambda r: instant(r.version))
            chosen = set()
            for v in versions:
                if v == "all":
                    chosen.update(r.key for r in ordered)
                elif v == "first":
                    chosen.add(ordered[0].key)
                elif v == "last":
                    chosen.add(ordered[-1].key)
                else:
                    chosen.update(r.key for r in ordered if instant(r.version) == instant(v))
            keep |= chosen
        return [r for r in pool if r.key in keep and later(r)]


# --------------------------------------------------------------------------- paging


def walk(label, func, *args, **filters):
    """All pages of `func` via taxii2client's as_pages; checks page bounds and more/next."""
    pages = []
    for page in as_pages(func, PER_REQUEST, *args, **filters):
        pages.append(page)
        items = page.get("objects", page.get("versions", []))
        # as_pages counts only "objects": on a Versions resource it drops the limit after page 1.
        if "versions" not in page or len(pages) == 1:
            check(len(items) <= PER_REQUEST, "pages hold at most `limit` items",
                  "%s: %d items" % (label, len(items)))
        if page.get("more", False):
            check(isinstance(page.get("next"), str) and page["next"] != "",
                  "more=true comes with a next", label)
            check(len(items) > 0, "a page with more=true is not empty", label)
        check(len(pages) < 2000, "paging terminates", label)
    return pages


def manifest_walk(coll, label, **filters):
    records = []
    for page in walk(label, coll.get_manifest, **filters):
        for m in page.get("objects", []):
            for field in ("id", "date_added", "version"):
                check(isinstance(m.get(field), str), "manifest records have id, date_added and version",
                      "%s: %r" % (label, m))
            check(m.get("media_type") in (None, STIX) or m["media_type"].startswith("application/stix+json;version="),
                  "manifest media_type is a STIX media type", repr(m))
            records.append(Record(m["id"], m["version"], m["date_added"], m.get("media_type") or STIX))
    dates = [instant(r.date_added) for r in records]
    check(all(a < b for a, b in zip(dates, dates[1:])), "date_added strictly increases across pages",
          label)
    keys = [r.key for r in records]
    check(len(keys) == len(set(keys)), "no record appears twice across pages", label)
    return records


def objects_walk(coll, model, label, **filters):
    """(id, version) of every object of a paged Get Objects, validated."""
    versions_of = model.by_id()
    out = []
    for page in walk(label, coll.get_objects, **filters):
        for obj in page.get("objects", []):
            validate_returned(obj, label)
            v = stix_version(obj)
            if v is None:  # an SCO: the server's version for it, from the manifest
                recs = versions_of.get(obj["id"], [])
                check(len(recs) == 1, "an SCO has exactly one version", obj["id"])
                v = recs[0].version
            out.append((obj["id"], instant(v)))
    check(len(out) == len(set(out)), "no object appears twice across pages", label)
    return out


def expect_records(label, got, want):
    got_keys = [r.key for r in got]
    want_keys = [r.key for r in want]
    if got_keys != want_keys:
        missing = [k for k in want_keys if k not in set(got_keys)]
        extra = [k for k in got_keys if k not in set(want_keys)]
        raise CheckFailed("%s: %d records, expected %d (missing %s, unexpected %s, first of each shown)"
                          % (label, len(got_keys), len(want_keys), missing[:3], extra[:3]))
    CHECKS["filtered results equal the model"] = CHECKS.get("filtered results equal the model", 0) + 1


def query_both(coll, model, label, expected_kwargs, **filters):
    """Runs the same filtered query on the manifest and on objects; both must equal the model."""
    want = model.select(**expected_kwargs)
    got = manifest_walk(coll, "manifest " + label, **filters)
    if "added_after" in expected_kwargs:
        other = model.select(added_after_first=True, **expected_kwargs)
        if [r.key for r in got] == [r.key for r in other]:
            want = other
    expect_records("manifest " + label, got, want)
    got_objects = objects_walk(coll, model, "objects " + label, **filters)
    check(got_objects == [r.key for r in want], "Get Objects returns what Get Manifest lists",
          "%s: %d objects, %d manifest records" % (label, len(got_objects), len(want)))
    return want


# --------------------------------------------------------------------------- posting


def envelopes(objects, max_len):
    """Splits objects into envelopes of at most max_len bytes (one when it fits)."""
    out, cur, size = [], [], len(b'{"objects": []}')
    for obj in objects:
        n = len(json.dumps(obj, ensure_ascii=False).encode("utf-8")) + 2
        if cur and size + n > max_len:
            out.append(cur)
            cur, size = [], len(b'{"objects": []}')
        cur.append(obj)
        size += n
    if cur:
        out.append(cur)
    return out


def post(coll, objects, max_len):
    """Posts objects; returns the Status of each POST, each checked for consistency."""
    statuses = []
    for obj in objects:
        if isinstance(obj.get("id"), str):
            POSTED.setdefault(posted_key(obj), obj)
    for env in envelopes(objects, max_len):
        status = coll.add_objects({"objects": env})
        check_eq(status.status, "complete", "the status of a POST is complete")
        check_eq(status.total_count, len(env), "status total_count counts every posted object")
        check_eq(status.pending_count, 0, "status pending_count is 0")
        statuses.append(status)
    return statuses


# --------------------------------------------------------------------------- raw requests


def raw_get(session, url, params=None):
    resp = session.get(url, headers={"Accept": TAXII}, params=params)
    return resp


def check_taxii_content_type(resp, what):
    ct = resp.headers.get("Content-Type", "")
    tokens = ct.replace(" ", "").split(";")
    check(tokens[0] == "application/taxii+json" and "version=2.1" in tokens,
          "responses carry Content-Type application/taxii+json;version=2.1", "%s: %r" % (what, ct))


def check_date_headers(resp, first, last, what):
    f = resp.headers.get("X-TAXII-Date-Added-First")
    l = resp.headers.get("X-TAXII-Date-Added-Last")
    if first is None:
        check(f is None and l is None, "no X-TAXII-Date-Added headers on empty pages",
              "%s: %r %r" % (what, f, l))
        return
    check(f is not None and l is not None, "X-TAXII-Date-Added-First/Last on non-empty pages", what)
    check_eq(instant(f), instant(first), "X-TAXII-Date-Added-First is the first item's date_added")
    check_eq(instant(l), instant(last), "X-TAXII-Date-Added-Last is the last item's date_added")


# --------------------------------------------------------------------------- the run


def main(argv):
    if len(argv) != 6:
        print(__doc__, file=sys.stderr)
        return 2
    base, user, token, reader, reader_token = argv[1:]
    if not base.endswith("/"):
        base += "/"
    logging.getLogger("taxii2client").setLevel(logging.ERROR)
    run = uuid.uuid4().int % 100000

    # -- our own data must be what we think it is
    scos = make_scos(run)
    invalid = make_invalid()
    for obj in invalid:
        check(not validate_instance(obj, VALIDATOR_OPTIONS).is_valid,
              "the test's invalid objects are invalid for stix2-validator", obj["id"])

    # -- discovery
    server = Server(base + "taxii2/", user=user, password=token)
    check(bool(server.title), "discovery has a title")
    check(server.default is not None, "discovery names a default API root that is in api_roots")
    check_eq(server.default.url, urljoin(base, "api/"), "the default API root is /api/")
    check(server.default.url in [r.url for r in server.api_roots], "the default API root is listed")
    expect_http_error(401, "discovery without credentials is 401",
                      Server(base + "taxii2/").refresh)
    expect_http_error(401, "discovery with a wrong token is 401",
                      Server(base + "taxii2/", user=user, password=token + "x").refresh)

    # -- API root
    root = server.default
    check(bool(root.title), "the API root has a title")
    check(TAXII in root.versions, "the API root lists the TAXII 2.1 media type", repr(root.versions))
    check(isinstance(root.max_content_length, int) and root.max_content_length > 0,
          "max_content_length is a positive integer", repr(root.max_content_length))

    # -- collections
    colls = root.collections
    matches = [c for c in colls if c.alias == "default" or c.title == "default"]
    check_eq(len(matches), 1, "exactly one collection is aliased or titled default")
    coll = matches[0]
    check(coll.can_read and coll.can_write, "the writer can read and write default")
    check(not coll.media_types or STIX in coll.media_types, "a collection's media_types include STIX 2.1",
          repr(coll.media_types))
    session = coll._conn.session
    resp = raw_get(session, coll.url)
    check_eq(resp.status_code, 200, "GET collection by id")
    check_taxii_content_type(resp, "collection")
    check_eq(resp.json()["id"], coll.id, "the collection resource has its own id")

    reader_root = ApiRoot(root.url, user=reader, password=reader_token)
    reader_coll = [c for c in reader_root.collections if c.id == coll.id]
    check_eq(len(reader_coll), 1, "the reader sees default")
    reader_coll = reader_coll[0]
    check(reader_coll.can_read, "the reader has can_read true")
    check(not reader_coll.can_write, "the reader has can_write false")
    try:
        reader_coll.add_objects({"objects": []})
        raise CheckFailed("taxii2-client let a reader add objects")
    except AccessError:
        CHECKS["the client refuses to write for a reader"] = 1
    resp = reader_coll._conn.session.post(
        reader_coll.objects_url, headers={"Accept": TAXII, "Content-Type": TAXII},
        data=json.dumps({"objects": [indicator(new_id("indicator"), 1, "2026-01-01T00:00:00.000Z")]}))
    check_eq(resp.status_code, 403, "a reader's POST is 403")
    check_taxii_content_type(resp, "403")
    check_eq(resp.json().get("http_status"), "403", "the 403 body is a TAXII error")

    # -- the collection before we add anything
    baseline = manifest_walk(coll, "baseline", version="all")

    # -- what we post
    single = [indicator(new_id("indicator"), n, "2026-01-01T00:00:00.000Z") for n in range(200)]
    # Non-ASCII text, quotes and backslashes must come back unchanged.
    single.append(indicator(new_id("indicator"), 200, "2026-01-01T00:00:00.000Z",
                            tag=" \u2014 \u00c9lection \u9078\u6319 \U0001f5f3 \"quoted\" \\ back\\slash"))
    multi_ids = [new_id("indicator") for _ in range(20)]
    v1 = [indicator(oid, 1000 + n, "2026-01-01T00:00:00.000Z") for n, oid in enumerate(multi_ids)]
    v2 = [indicator(oid, 1000 + n, "2026-02-01T00:00:00.500Z") for n, oid in enumerate(multi_ids)]
    v3 = [indicator(oid, 1000 + n, "2026-03-01T12:30:00.123Z") for n, oid in enumerate(multi_ids)]
    many_id = new_id("indicator")
    many = [indicator(many_id, 5000, "2026-04-%02dT00:00:00.000Z" % (d + 1)) for d in range(20)]
    first_batch = single[:100] + v1 + v3 + many[:10] + scos + invalid + single[100:]
    for obj in single + v1 + v2 + v3 + many + scos:
        check(validate_instance(obj, VALIDATOR_OPTIONS).is_valid,
              "the test's valid objects are valid for stix2-validator", obj["id"])

    max_len = root.max_content_length
    statuses = post(coll, first_batch, max_len)
    for obj in invalid:
        POSTED.pop(posted_key(obj), None)
    valid_first = [o for o in first_batch if o not in invalid]
    check_eq(sum(s.success_count for s in statuses), len(valid_first),
             "status success_count counts the valid objects")
    check_eq(sum(s.failure_count for s in statuses), len(invalid), "status failure_count counts the invalid objects")
    all_failures = [f for s in statuses for f in s.failures]
    check_eq(len(all_failures), len(invalid), "status lists every failure")
    failures = {f.get("id"): f for f in all_failures}
    for obj in invalid:
        f = failures.get(obj["id"])
        check(f is not None, "every invalid object is a failure", obj["id"])
        check(isinstance(f.get("message"), str) and f["message"].strip() != "",
              "failures carry the validator's message", repr(f))
        check(isinstance(f.get("version"), str) and instant(f["version"]) == instant(obj["modified"]),
              "failures carry the object's version", repr(f))
    successes = [x for s in statuses for x in s.successes]
    if successes:
        got = sorted((s["id"], instant(s["version"])) for s in successes)
        want = sorted((o["id"], instant(stix_version(o))) for o in valid_first if stix_version(o))
        got_stix = [g for g in got if not g[0].split("--")[0] in {s["type"] for s in scos}]
        check_eq(got_stix, want, "status successes name every stored SDO version")

    for status in statuses:
        again = root.get_status(status.id)
        for field in ("id", "status", "total_count", "success_count", "failure_count", "pending_count"):
            check_eq(getattr(again, field), getattr(status, field), "GET status/{id}/ matches the POST's status")
        check_eq(len(again.failures), len(status.failures), "GET status/{id}/ lists the failures")
    expect_http_error(404, "an unknown status id is 404", root.get_status, str(uuid.uuid4()))

    # Second POST: new versions (v2, older than v3 but added later), the rest of the
    # many-versioned object, and re-posts of stored objects (success, nothing stored).
    reposted = single[:30] + v1[:5] + scos[:2]
    second_batch = v2 + many[10:] + reposted
    statuses = post(coll, second_batch, max_len)
    check_eq(sum(s.success_count for s in statuses), len(second_batch), "re-posting identical objects succeeds")
    check_eq(sum(s.failure_count for s in statuses), 0, "re-posting identical objects is no failure")

    # A different object under a stored (id, version) must not replace or join it.
    conflicting = dict(single[1], name="Changed without a new modified")
    status = coll.add_objects({"objects": [conflicting]})
    check_eq(status.total_count, 1, "status total_count counts every posted object")
    check_eq(coll.get_object(single[1]["id"], version="all")["objects"], [single[1]],
             "a conflicting object with a stored version leaves the stored one alone")

    # -- the whole collection
    posted = single + v1 + v2 + v3 + many + scos
    records = manifest_walk(coll, "manifest version=all", version="all")
    check_eq([r.key for r in records[:len(baseline)]], [r.key for r in baseline],
             "adding objects leaves the earlier manifest in place")
    ours = records[len(baseline):]
    sco_ids = {s["id"] for s in scos}
    got = sorted(r.key for r in ours if r.id not in sco_ids)
    want = sorted((o["id"], instant(o["modified"])) for o in posted if o["id"] not in sco_ids)
    check_eq(got, want, "the manifest holds exactly the posted versions, once each")
    check_eq(sorted(r.id for r in ours if r.id in sco_ids), sorted(sco_ids),
             "the manifest holds each posted SCO once")
    for r in ours:
        check_eq(r.media_type, STIX, "manifest records of 2.1 objects have the STIX 2.1 media type")
    check_eq(len(ours), len(single) + 60 + 20 + len(scos), "the collection grew by the number of posted versions")
    model = Model(records)
    by_id = model.by_id()

    # Re-posts did not move anything: v1[:5] and single[:30] kept their first date_added.
    first_dates = {r.key: r.date_added for r in ours}
    check(all(first_dates[(o["id"], instant(o["modified"]))] < min(first_dates[(x["id"], instant(x["modified"]))] for x in v2)
              for o in single[:30] + v1[:5]),
          "a re-posted object keeps its original date_added")

    # -- every filter, through paging, on manifest and objects alike
    query_both(coll, model, "(no filter)", {})
    query_both(coll, model, "version=all", {"versions": ("all",)}, version="all")
    query_both(coll, model, "version=first", {"versions": ("first",)}, version="first")
    query_both(coll, model, "version=last", {"versions": ("last",)}, version="last")
    query_both(coll, model, "version=first,last", {"versions": ("first", "last")}, version=["first", "last"])
    ts = "2026-02-01T00:00:00.500Z"
    for spelled in (ts, drop_trailing_zeros(ts), "2026-02-01T00:00:00.500000Z", "2026-02-01T00:00:00.500000000Z"):
        want = query_both(coll, model, "version=" + spelled, {"versions": (spelled,)}, version=spelled)
        check_eq(len(want), 20, "an explicit version timestamp selects that version of each object")
    want = query_both(coll, model, "version=datetime", {"versions": (ts,)},
                      version=datetime.datetime(2026, 2, 1, 0, 0, 0, 500000, tzinfo=datetime.timezone.utc))
    check_eq(len(want), 20, "a datetime version (sent as .5Z) selects that version")
    want = query_both(coll, model, "version=ts,ts", {"versions": ("2026-01-01T00:00:00.000Z", "2026-03-01T12:30:00.123Z")},
                      version=["2026-01-01T00:00:00Z", "2026-03-01T12:30:00.123Z"])
    check(len(want) >= 200 + 40, "several explicit versions are ORed", str(len(want)))
    query_both(coll, model, "version=last,ts", {"versions": ("last", ts)}, version=["last", ts])
    query_both(coll, model, "version=absent ts", {"versions": ("1999-01-01T00:00:00Z",)}, version="1999-01-01T00:00:00Z")
    near = "2026-02-01T00:00:00.501Z"
    query_both(coll, model, "version=near miss", {"versions": (near,)}, version=near)

    query_both(coll, model, "type=indicator", {"types": {"indicator"}}, type="indicator")
    want = query_both(coll, model, "type=ipv4-addr,domain-name", {"types": {"ipv4-addr", "domain-name"}},
                      type=["ipv4-addr", "domain-name"])
    check(len(want) >= 2, "match[type] with two types finds both SCOs")
    query_both(coll, model, "type=malware", {"types": {"malware"}}, type="malware")

    ids = [single[3]["id"], multi_ids[4], scos[2]["id"], many_id]
    want = query_both(coll, model, "id=...", {"ids": set(ids)}, id=ids)
    check_eq(len(want), 4, "match[id] with four ids returns four objects")
    want = query_both(coll, model, "id=... version=all", {"ids": set(ids), "versions": ("all",)}, id=ids, version="all")
    check_eq(len(want), 1 + 3 + 1 + 20, "match[id] with version=all returns every version")
    query_both(coll, model, "id=unknown", {"ids": {"indicator--" + str(uuid.uuid4())}},
               id="indicator--" + str(uuid.uuid4()))
    want = query_both(coll, model, "id+type+version", {"ids": set(ids), "types": {"indicator"}, "versions": ("first",)},
                      id=ids, type="indicator", version="first")
    check_eq(len(want), 3, "match[id], match[type] and match[version] are ANDed")

    query_both(coll, model, "spec_version=2.1", {"spec_versions": "2.1"}, spec_version="2.1")
    query_both(coll, model, "spec_version=2.1 version=all", {"spec_versions": "2.1", "versions": ("all",)},
               spec_version="2.1", version="all")
    want_sv = model.select(spec_versions="2.1", types={s["type"] for s in scos})
    check(sco_ids <= {r.id for r in want_sv}, "SCOs count as STIX 2.1")
    got = [r for r in manifest_walk(coll, "manifest spec_version=2.1 SCOs", spec_version="2.1",
                                    type=sorted({s["type"] for s in scos}))]
    check(sco_ids <= {r.id for r in got}, "match[spec_version]=2.1 returns SCOs without spec_version",
          repr(sorted(sco_ids - {r.id for r in got})))
    query_both(coll, model, "spec_version=2.0", {"spec_versions": "2.0"}, spec_version="2.0")

    # added_after: strictly later date_added, whatever the object's own timestamps
    n = len(records)
    for cut in sorted({len(baseline), len(baseline) + 1, n // 2, n - 21, n - 2}):
        if 0 <= cut < n:
            after = records[cut].date_added
            got = query_both(coll, model, "added_after=record %d version=all" % cut,
                             {"added_after": after, "versions": ("all",)}, added_after=after, version="all")
            check_eq(len(got), n - cut - 1, "added_after returns exactly the later records")
            query_both(coll, model, "added_after=record %d" % cut, {"added_after": after}, added_after=after)
    # added_after spelled with fewer fractional digits than date_added has
    mid = records[n // 2].date_added
    coarse = mid[:19] + "Z"
    got = query_both(coll, model, "added_after=seconds", {"added_after": coarse, "versions": ("all",)},
                     added_after=coarse, version="all")
    check(any(r.key == records[n // 2].key for r in got) or instant(mid) == instant(coarse),
          "added_after compares instants, not strings")
    query_both(coll, model, "added_after=2000", {"added_after": "2000-01-01T00:00:00Z", "versions": ("all",)},
               added_after="2000-01-01T00:00:00Z", version="all")
    query_both(coll, model, "added_after=last", {"added_after": records[-1].date_added},
               added_after=records[-1].date_added)
    # The v2 versions were added after v3: added_after the last v3 keeps v2 (and "all" shows it).
    last_v3 = max((r for r in records if r.id in set(multi_ids) and r.version.startswith("2026-03")),
                  key=lambda r: instant(r.date_added))
    got = query_both(coll, model, "added_after=v3 version=all type=indicator",
                     {"added_after": last_v3.date_added, "versions": ("all",), "types": {"indicator"}},
                     added_after=last_v3.date_added, version="all", type="indicator")
    check(sum(1 for r in got if r.id in set(multi_ids)) == 20, "versions added later but older are found by added_after")

    # last/first compare versions as instants, not by date_added
    lasts = {r.id: r.version for r in model.select(ids=set(multi_ids))}
    check(all(instant(v) == instant("2026-03-01T12:30:00.123Z") for v in lasts.values()) and len(lasts) == 20,
          "version=last is the newest modified even when an older version was added later")

    # -- headers: manifest and objects pages carry the same first/last date_added
    for filters in ({}, {"version": "all"}, {"type": "indicator", "version": "first"}):
        params = {"limit": PER_REQUEST}
        params.update({("match[%s]" % k): v for k, v in filters.items()})
        next_m = None
        pages = 0
        while True:
            p = dict(params)
            if next_m:
                p["next"] = next_m
            rm = raw_get(session, coll.url + "manifest/", p)
            ro = raw_get(session, coll.objects_url, p)
            check_eq((rm.status_code, ro.status_code), (200, 200), "paged GETs answer 200")
            check_taxii_content_type(rm, "manifest")
            check_taxii_content_type(ro, "objects")
            m, o = rm.json(), ro.json()
            items = m.get("objects", [])
            check_eq(len(o.get("objects", [])), len(items), "objects and manifest pages have equal sizes")
            check_date_headers(rm, items[0]["date_added"] if items else None,
                               items[-1]["date_added"] if items else None, "manifest")
            check_date_headers(ro, items[0]["date_added"] if items else None,
                               items[-1]["date_added"] if items else None, "objects")
            check_eq(m.get("more", False), o.get("more", False), "objects and manifest agree on more")
            pages += 1
            check(pages < 1000, "paging terminates")
            if not m.get("more", False):
                break
            next_m = m["next"]
    resp = raw_get(session, coll.objects_url, {"match[type]": "malware"})
    check_date_headers(resp, None, None, "empty objects")
    check_eq(resp.json().get("more", False), False, "an empty page has more=false")

    # A next cursor keeps working with the same filters from a new connection.
    first_page = coll.get_manifest(limit=3, version="all")
    check(first_page.get("more") is True, "a 3-record page of a larger collection has more=true")
    fresh = ApiRoot(root.url, user=user, password=token)
    fresh_coll = [c for c in fresh.collections if c.id == coll.id][0]
    second = fresh_coll.get_manifest(limit=3, version="all", next=first_page["next"])
    check_eq([(m["id"], m["version"]) for m in second["objects"]],
             [(r.id, r.version) for r in records[3:6]], "next is stateless and resumes after the last record")

    # -- Get an Object and its versions
    obj_env = coll.get_object(multi_ids[0])
    check_eq([o["modified"] for o in obj_env["objects"]], ["2026-03-01T12:30:00.123Z"],
             "get_object returns the last version by default")
    for o in obj_env["objects"]:
        validate_returned(o, "get_object")
    obj_env = coll.get_object(multi_ids[0], version="all")
    got = [instant(o["modified"]) for o in obj_env["objects"]]
    want = [instant(r.version) for r in by_id[multi_ids[0]]]
    check_eq(got, want, "get_object version=all returns every version in date_added order")
    obj_env = coll.get_object(multi_ids[0], version="first")
    check_eq([o["modified"] for o in obj_env["objects"]], ["2026-01-01T00:00:00.000Z"], "get_object version=first")
    obj_env = coll.get_object(multi_ids[0], version=drop_trailing_zeros("2026-02-01T00:00:00.500Z"))
    check_eq([o["modified"] for o in obj_env["objects"]], ["2026-02-01T00:00:00.500Z"],
             "get_object with an explicit version without trailing zeros")
    got = []
    for page in walk("get_object many", coll.get_object, many_id, version="all"):
        for o in page.get("objects", []):
            validate_returned(o, "get_object many")
            got.append(o["modified"])
    check_eq([instant(v) for v in got], [instant(r.version) for r in by_id[many_id]],
             "get_object pages through 20 versions in date_added order")
    resp = raw_get(session, coll.objects_url + many_id + "/", {"match[version]": "all"})
    check_taxii_content_type(resp, "get_object")
    check_date_headers(resp, by_id[many_id][0].date_added, by_id[many_id][-1].date_added, "get_object")
    sco = coll.get_object(scos[0]["id"])
    check_eq(len(sco["objects"]), 1, "get_object returns an SCO")
    check_eq(sco["objects"][0]["value"], scos[0]["value"], "an SCO comes back unchanged")
    validate_returned(sco["objects"][0], "get_object SCO")
    expect_http_error(404, "get_object of an unknown id is 404", coll.get_object, "indicator--" + str(uuid.uuid4()))

    vers = coll.object_versions(multi_ids[1])
    check_eq(sorted(instant(v) for v in vers.get("versions", [])),
             sorted(instant(v) for v in ("2026-01-01T00:00:00.000Z", "2026-02-01T00:00:00.500Z",
                                          "2026-03-01T12:30:00.123Z")),
             "object_versions lists every version once")
    got = []
    cursor = None
    pages = 0
    while True:
        page = coll.object_versions(many_id, limit=PER_REQUEST, next=cursor) if cursor else \
            coll.object_versions(many_id, limit=PER_REQUEST)
        got += page.get("versions", [])
        check(len(page.get("versions", [])) <= PER_REQUEST, "version pages hold at most `limit` items")
        pages += 1
        check(pages < 100, "paging terminates")
        if not page.get("more", False):
            break
        check(bool(page.get("next")), "more=true comes with a next", "versions")
        cursor = page["next"]
    check_eq(pages, 3, "20 versions take 3 pages of 7")
    check_eq(sorted(instant(v) for v in got), sorted(instant(m["modified"]) for m in many),
             "versions paged with limit=7 list every version once")
    got = []
    for page in walk("versions as_pages", coll.object_versions, many_id):
        got += page.get("versions", [])
    check_eq(sorted(instant(v) for v in got), sorted(instant(m["modified"]) for m in many),
             "versions through as_pages list every version once")
    resp = raw_get(session, coll.objects_url + many_id + "/versions/")
    check_taxii_content_type(resp, "versions")
    check_date_headers(resp, by_id[many_id][0].date_added, by_id[many_id][-1].date_added, "versions")
    vers = coll.object_versions(scos[1]["id"])
    check_eq(len(vers.get("versions", [])), 1, "an SCO has one version")
    check_eq(instant(vers["versions"][0]), instant(by_id[scos[1]["id"]][0].version),
             "an SCO's version is the same in versions and manifest")
    vers = coll.object_versions(multi_ids[2], spec_version="2.1")
    check_eq(len(vers.get("versions", [])), 3, "object_versions with match[spec_version]=2.1")
    expect_http_error(404, "object_versions of an unknown id is 404", coll.object_versions,
                      "indicator--" + str(uuid.uuid4()))

    # -- the reader reads the same thing
    got = manifest_walk(reader_coll, "reader manifest", version="all")
    check_eq([r.key for r in got], [r.key for r in records], "a reader sees the same manifest")
    check_eq(reader_coll.get_object(single[0]["id"])["objects"][0]["id"], single[0]["id"], "a reader can get an object")
    try:
        reader_coll.delete_object(single[0]["id"])
        raise CheckFailed("taxii2-client let a reader delete")
    except AccessError:
        CHECKS["the client refuses to delete for a reader"] = 1
    resp = reader_coll._conn.session.delete(reader_coll.objects_url + single[0]["id"] + "/",
                                            headers={"Accept": TAXII})
    check_eq(resp.status_code, 403, "a reader's DELETE is 403")
    check_eq(len(coll.get_object(single[0]["id"])["objects"]), 1, "a refused DELETE deletes nothing")

    # -- delete
    gone = [multi_ids[5], single[7]["id"], scos[3]["id"]]
    for oid in gone:
        coll.delete_object(oid)
        expect_http_error(404, "a deleted object is 404", coll.get_object, oid)
        expect_http_error(404, "a deleted object is 404 with version=all", coll.get_object, oid, version="all")
        expect_http_error(404, "a deleted object's versions are 404", coll.object_versions, oid)
        expect_http_error(404, "deleting a deleted object is 404", coll.delete_object, oid)
    after = manifest_walk(coll, "manifest after delete", version="all")
    check_eq([r.key for r in after], [r.key for r in records if r.id not in gone],
             "deleted objects leave the manifest, nothing else does")
    model = Model(after)
    query_both(coll, model, "after delete version=all", {"versions": ("all",)}, version="all")
    query_both(coll, model, "after delete", {})
    got = manifest_walk(coll, "deleted ids", id=gone, version="all")
    check_eq(got, [], "match[id] of deleted objects finds nothing")
    check_eq(len(records) - len(after), 3 + 1 + 1, "delete removes every version")

    # -- a next cursor survives writes: paging while objects are added
    before = manifest_walk(coll, "manifest before paging while writing", version="all")
    page = coll.get_manifest(limit=PER_REQUEST, version="all")
    seen = [(m["id"], instant(m["version"])) for m in page.get("objects", [])]
    added = [indicator(new_id("indicator"), 7000 + n, "2026-01-01T00:00:00.000Z") for n in range(10)]
    post(coll, added, max_len)
    pages = 1
    while page.get("more", False):
        check(bool(page.get("next")), "more=true comes with a next", "paging while writing")
        page = coll.get_manifest(limit=PER_REQUEST, version="all", next=page["next"])
        seen += [(m["id"], instant(m["version"])) for m in page.get("objects", [])]
        pages += 1
        check(pages < 1000, "paging terminates")
    want = [r.key for r in before] + sorted((o["id"], instant(o["modified"])) for o in added)
    check_eq(seen[:len(before)], [r.key for r in before],
             "paging while objects are added sees every earlier record once, in order")
    check_eq(sorted(seen[len(before):]), want[len(before):],
             "paging while objects are added ends with the new records")

    # -- concurrent writers: nothing lost, date_added still strictly increasing
    before = manifest_walk(coll, "manifest before concurrent POSTs", version="all")
    results = {}

    def writer(k):
        c = Collection(coll.url, user=user, password=token)
        try:
            objs = [indicator(new_id("indicator"), 8000 + 100 * k + n, "2026-01-01T00:00:00.000Z") for n in range(20)]
            sts = []
            for i in range(0, len(objs), 4):
                sts.append(c.add_objects({"objects": objs[i:i + 4]}))
            results[k] = (objs, sts)
        except Exception as e:  # reported below
            results[k] = e
        finally:
            c.close()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        check(not t.is_alive(), "concurrent POSTs finish")
    concurrent = []
    for k in range(6):
        r = results.get(k)
        check(isinstance(r, tuple), "concurrent POSTs succeed", repr(r))
        objs, sts = r
        for st in sts:
            check(st.status == "complete" and st.success_count == 4 and st.failure_count == 0,
                  "each concurrent POST stores its four objects", repr(st._raw))
        concurrent += objs
    after = manifest_walk(coll, "manifest after concurrent POSTs", version="all")
    check_eq([r.key for r in after[:len(before)]], [r.key for r in before],
             "concurrent POSTs leave the earlier manifest in place")
    check_eq(sorted(r.key for r in after[len(before):]),
             sorted((o["id"], instant(o["modified"])) for o in concurrent),
             "concurrent POSTs store every object exactly once")

    # -- other collections: rights are per collection and per caller
    reader_view = {c.id: c for c in reader_root.collections}
    others = 0
    for other in root.collections:
        if other.id == coll.id:
            continue
        others += 1
        r = raw_get(session, other.objects_url)
        check_eq(r.status_code, 200 if other.can_read else 403,
                 "the writer's GET objects of another collection follows its can_read")
        if not other.can_write:
            r = session.post(other.objects_url, headers={"Accept": TAXII, "Content-Type": TAXII},
                             data=json.dumps({"objects": [indicator(new_id("indicator"), 1, "2026-01-01T00:00:00.000Z")]}))
            check_eq(r.status_code, 403, "POST to a collection with can_write false is 403")
            check_taxii_content_type(r, "403")
        seen_by_reader = reader_view.get(other.id)
        if seen_by_reader is None or not seen_by_reader.can_read:
            rs = reader_coll._conn.session
            for path in ("objects/", "manifest/", "log/checkpoint"):
                r = rs.get(other.url + path, headers={"Accept": TAXII})
                allowed = (403,) if seen_by_reader is not None else (403, 404)
                check(r.status_code in allowed, "a collection the reader may not read is refused",
                      "%s: %d" % (path, r.status_code))
            r = rs.get(other.url, headers={"Accept": TAXII})
            if seen_by_reader is None:
                check(r.status_code in (403, 404), "a collection hidden from the reader stays hidden",
                      str(r.status_code))
    print("(%d other collection%s checked for per-caller rights)" % (others, "" if others == 1 else "s"))

    # -- TAXII client closes cleanly
    for thing in (coll, root, reader_coll, reader_root, fresh, server):
        thing.close()

    report("taxii2-client interop: OK, %%(total)d checks (%%(kinds)d kinds) against %s" % base)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except CheckFailed as e:
        failed(e)
    except requests.exceptions.HTTPError as e:
        r = e.response
        body = r.text[:2000] if r is not None else ""
        print("FAILED: unexpected HTTP error: %s\n%s" % (e, body), file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
    except Exception as e:  # the client's own validation errors, bad JSON, ...
        print("FAILED: %s: %s" % (type(e).__name__, e), file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
