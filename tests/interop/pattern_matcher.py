#!/usr/bin/env python3
"""Randomised interop check of entente's STIX pattern matching against the OASIS
reference matcher (stix2-matcher 3.0.0, stix2-patterns 2.1.2), run live.

Usage: pattern_matcher.py ENTENTE_BINARY

Part 1: about 600 random (pattern, observed) cases built from small pools of
values, so that patterns hit often, are decided by `entente pattern match
--cases` and by `stix2matcher.matcher.match(..., stix_version='2.1')`. Where the
reference answers true/false entente must give the same answer; where the
reference raises, entente must answer `error: ...` or `false`.

Part 2: about 150 indicators with single-observation patterns are run by
`entente match --indicators --format stix` over about 400 one-observation events;
every indicator's sighting count must equal the number of events the reference
matches.

The generator keeps clear of the documented differences between the STIX 2.1
text and the reference (shared/testdata/stix-patterns/README.md): timestamps are
whole seconds (no sub-microsecond digits), there are no newlines in data or
patterns, ISSUBSET only takes IPv4 CIDRs with a prefix of 1..32 and is applied to
IPv4 values only, regexes use syntax Python `re` and PCRE read alike (no `$`,
`\\z` or PCRE-only constructs), no deprecated embedded `objects`, and EXISTS is
always alone in its `[...]` (the reference crashes on EXISTS combined with AND,
and also with OR when both sides hold for the same object, and ignores NOT
EXISTS). `AND` inside one `[...]` only joins comparisons on one object type
(spec 9.5; the validator and the reference accept the rest, entente refuses
it). Observation timestamps are all an even number of seconds apart and
WITHIN windows are odd, so no two observations are ever exactly a window apart
(the reference matches at the window, the spec does not).

Deterministic (fixed seed); prints every disagreement and exits 1 on any.
"""

import datetime
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid

from stix2matcher.matcher import Pattern, match
from stix2patterns.validator import validate

# Fixed; ENTENTE_INTEROP_SEED overrides it to explore other cases by hand.
SEED = int(os.environ.get("ENTENTE_INTEROP_SEED", "0x5717E"), 0)
CASES = 600
MIN_COMPARED = 500
MIN_TRUE = 150
INDICATORS = 150
EVENTS = 400
MIN_HIT_INDICATORS = 40
TIMEOUT = 120

rng = random.Random(SEED)

BASE = datetime.datetime(2024, 3, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
CREATED = "2024-01-01T00:00:00.000Z"


def new_id(kind):
    return "%s--%s" % (kind, uuid.UUID(int=rng.getrandbits(128), version=4))


def ts(seconds):
    """A STIX timestamp `seconds` after BASE, in one of two spellings."""
    t = BASE + datetime.timedelta(seconds=seconds)
    if rng.random() < 0.5:
        return t.strftime("%Y-%m-%dT%H:%M:%SZ")
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ts_literal(seconds):
    t = BASE + datetime.timedelta(seconds=seconds)
    return "t'%s'" % t.strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------- value pools

IPV4 = ["198.51.100.1", "198.51.100.7", "198.51.100.200", "203.0.113.5",
        "203.0.113.77", "10.0.0.1", "10.20.30.40", "192.0.2.33"]
IPV4_OTHER = ["198.51.101.1", "8.8.8.8", "172.16.0.1"]
CIDRS = ["198.51.100.0/24", "198.51.100.0/25", "198.51.100.128/25",
         "203.0.113.0/24", "10.0.0.0/8", "192.0.2.32/31", "198.51.100.7/32",
         "128.0.0.0/1", "0.0.0.0/1", "203.0.113.64/26", "172.16.0.0/12"]
IPV6 = ["2001:db8::1", "2001:db8::beef", "2001:db8:1::7", "fe80::1"]
DOMAINS = ["example.com", "evil.example.com", "login.example.net",
           "mal-ware.test", "a_b.example.org", "cdn.example.com"]
DOMAINS_OTHER = ["example.org", "good.test"]
URLS = ["http://example.com/index.html",
        "https://evil.example.com/login.php?u=1",
        "http://198.51.100.7/payload.bin",
        "https://cdn.example.com/a/b/c.js",
        "ftp://files.example.net/x_y.zip"]
URLS_OTHER = ["http://example.com/", "https://example.org/login.php"]
FILES = [  # name, size, MD5, SHA-256
    ("invoice.pdf", 2048, "0123456789abcdef0123456789abcdef",
     "a" * 64),
    ("setup.exe", 4096, "ffeeddccbbaa99887766554433221100",
     "3b4a" * 16),
    ("r\u00e9sum\u00e9.doc", 100, "d41d8cd98f00b204e9800998ecf8427e",
     "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    ("a_b.txt", 0, "00000000000000000000000000000001",
     "0123456789" * 6 + "abcd"),
    ("payload.bin", 65536, "5d41402abc4b2a76b9719d911017c592",
     "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
]
FILE_NAMES_OTHER = ["invoice.pdf.exe", "SETUP.EXE", "notes.txt"]
PORTS = [53, 80, 443, 8080]
PORTS_OTHER = [22, 25, 65535]
PROTOCOLS = [["tcp"], ["udp"], ["ipv4", "tcp"], ["tcp", "http"],
             ["ipv4", "udp", "dns"]]
PROTOCOL_WORDS = ["tcp", "udp", "ipv4", "http", "dns", "tls"]
EMAILS = ["alice@example.com", "bob@evil.example.com", "carol@example.net",
          "x_y@mal-ware.test"]
EMAILS_OTHER = ["mallory@example.org"]
DISPLAY_NAMES = ["Alice", "Bob B.", "Carol 'C' Doe"]


# ------------------------------------------------------------------- SCOs

def sco(kind, **props):
    obj = {"type": kind, "spec_version": "2.1", "id": new_id(kind)}
    obj.update(props)
    return obj


def make_root(kind):
    """One root SCO of `kind` and the SCOs it references: (root, [all])."""
    if kind == "ipv4-addr":
        o = sco(kind, value=rng.choice(IPV4 if rng.random() < 0.9 else IPV4_OTHER))
        return o, [o]
    if kind == "ipv6-addr":
        o = sco(kind, value=rng.choice(IPV6))
        return o, [o]
    if kind == "domain-name":
        o = sco(kind, value=rng.choice(DOMAINS if rng.random() < 0.9 else DOMAINS_OTHER))
        return o, [o]
    if kind == "url":
        o = sco(kind, value=rng.choice(URLS if rng.random() < 0.9 else URLS_OTHER))
        return o, [o]
    if kind == "email-addr":
        props = {"value": rng.choice(EMAILS if rng.random() < 0.9 else EMAILS_OTHER)}
        if rng.random() < 0.5:
            props["display_name"] = rng.choice(DISPLAY_NAMES)
        o = sco(kind, **props)
        return o, [o]
    if kind == "file":
        name, size, md5, sha256 = rng.choice(FILES)
        props = {}
        if rng.random() < 0.9:
            props["name"] = name if rng.random() < 0.9 else rng.choice(FILE_NAMES_OTHER)
        if rng.random() < 0.8:
            props["size"] = size
        hashes = {}
        r = rng.random()
        if r < 0.8:
            hashes["MD5"] = md5
        if r > 0.4:
            hashes["SHA-256"] = sha256
        if hashes:
            props["hashes"] = hashes
        if not props:
            props["name"] = name
        o = sco(kind, **props)
        return o, [o]
    if kind == "network-traffic":
        src = sco("ipv4-addr", value=rng.choice(IPV4 if rng.random() < 0.9 else IPV4_OTHER))
        objs = [src]
        dst_kind = rng.choice(["ipv4-addr", "ipv4-addr", "ipv6-addr", "domain-name"])
        dst, more = make_root(dst_kind)
        objs.extend(more)
        props = {"src_ref": src["id"], "dst_ref": dst["id"],
                 "protocols": list(rng.choice(PROTOCOLS))}
        if rng.random() < 0.9:
            props["dst_port"] = rng.choice(PORTS if rng.random() < 0.9 else PORTS_OTHER)
        if rng.random() < 0.5:
            props["src_port"] = rng.choice([1024, 49152, 50000, 53])
        o = sco(kind, **props)
        return o, [o] + objs
    raise ValueError(kind)


ROOT_KINDS = ["ipv4-addr", "ipv6-addr", "domain-name", "url", "file",
              "network-traffic", "email-addr"]


def observation(start, number_observed=None, kinds=()):
    """An observed-data object and its SCOs, first observed `start` seconds after
    BASE (always an even number). Its root SCOs are drawn from `kinds` (the types
    a pattern tests, so that it hits often) and from all types."""
    objs = []
    for _ in range(rng.choice([1, 2, 2, 3])):
        pool = kinds if kinds and rng.random() < 0.7 else ROOT_KINDS
        _, more = make_root(rng.choice(pool))
        objs.extend(more)
    duration = rng.choice([0, 0, 0, 2, 6, 20])
    od = {
        "type": "observed-data", "spec_version": "2.1", "id": new_id("observed-data"),
        "created": CREATED, "modified": CREATED,
        "first_observed": ts(start), "last_observed": ts(start + duration),
        "number_observed": number_observed or rng.choice([1, 1, 1, 2, 3]),
        "object_refs": [o["id"] for o in objs],
    }
    return [od] + objs


TYPE_IN_PATTERN = re.compile(r"(?<![\w'-])([a-z][a-z0-9-]*):(?=[a-z_])")


def observed_case(pattern):
    """A flat list of 1..5 observations (and rarely an unreferenced SCO)."""
    kinds = sorted(set(TYPE_IN_PATTERN.findall(pattern)) & set(ROOT_KINDS))
    out = []
    for _ in range(rng.choice([1, 2, 2, 3, 3, 4, 5])):
        out.extend(observation(2 * rng.randrange(0, 61), kinds=kinds))
    if rng.random() < 0.05:
        _, stray = make_root(rng.choice(ROOT_KINDS))
        out.extend(stray)  # listed by no observed-data: never observed
    return out


# ------------------------------------------------------------------ patterns

def quote(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


# kind of value -> pool of values a literal is drawn from
PATHS = {
    "ipv4-addr": [("value", "ipv4")],
    "ipv6-addr": [("value", "ipv6")],
    "domain-name": [("value", "domain")],
    "url": [("value", "url")],
    "email-addr": [("value", "email"), ("display_name", "display")],
    "file": [("name", "fname"), ("size", "size"), ("hashes.MD5", "md5"),
             ("hashes.'SHA-256'", "sha256")],
    "network-traffic": [("dst_port", "port"), ("src_port", "sport"),
                        ("protocols[*]", "proto"), ("protocols[0]", "proto"),
                        ("src_ref.value", "ipv4"), ("dst_ref.value", "addr"),
                        ("dst_ref.type", "reftype")],
}

POOLS = {
    "ipv4": (IPV4, IPV4_OTHER),
    "ipv6": (IPV6, ["2001:db8::2"]),
    "domain": (DOMAINS, DOMAINS_OTHER),
    "url": (URLS, URLS_OTHER),
    "email": (EMAILS, EMAILS_OTHER),
    "display": (DISPLAY_NAMES, ["alice"]),
    "fname": ([f[0] for f in FILES], FILE_NAMES_OTHER),
    "size": ([f[1] for f in FILES], [1, 2047, 2049, 100000]),
    "md5": ([f[2] for f in FILES], ["ffffffffffffffffffffffffffffffff"]),
    "sha256": ([f[3] for f in FILES], ["f" * 64]),
    "port": (PORTS, PORTS_OTHER),
    "sport": ([1024, 49152, 50000, 53], [0]),
    "proto": (PROTOCOL_WORDS, ["TCP"]),
    "addr": (IPV4 + IPV6 + DOMAINS, IPV4_OTHER),
    "reftype": (["ipv4-addr", "ipv6-addr", "domain-name"], ["url"]),
}
INT_KINDS = {"size", "port", "sport"}
HASH_KINDS = {"md5", "sha256"}


def pool_value(kind):
    hits, misses = POOLS[kind]
    return rng.choice(hits if rng.random() < 0.85 else misses)


def literal(kind, value=None):
    v = pool_value(kind) if value is None else value
    return str(v) if kind in INT_KINDS else quote(v)


def like_of(s):
    """A LIKE pattern derived from `s` (mostly one that matches it)."""
    chars = list(s)
    r = rng.random()
    if r < 0.3 and len(chars) > 2:  # keep a suffix
        out = "%" + "".join(chars[rng.randrange(1, len(chars)):])
    elif r < 0.6 and len(chars) > 2:  # keep a prefix
        out = "".join(chars[:rng.randrange(1, len(chars))]) + "%"
    elif r < 0.8:  # replace single characters
        for _ in range(rng.choice([1, 2])):
            chars[rng.randrange(len(chars))] = "_"
        out = "".join(chars)
    else:  # a middle part
        i = rng.randrange(len(chars))
        j = rng.randrange(i, len(chars) + 1)
        out = "%" + "".join(chars[i:j]) + "%"
    if rng.random() < 0.1:
        out = out.upper()
    return out


REGEX_META = set(".^$*+?()[]{}|\\")


def regex_escape(s):
    return "".join("\\" + c if c in REGEX_META else c for c in s)


def regex_of(s):
    """A simple regex (same meaning in Python re and PCRE) searched in `s`."""
    i = rng.randrange(len(s))
    j = rng.randrange(i, len(s) + 1)
    if rng.random() < 0.3:
        i = 0
    part = s[i:j] or s[:1]
    body = []
    for c in part:
        r = rng.random()
        if r < 0.08:
            body.append(".")
        elif r < 0.14 and c.isdigit():
            body.append("\\d" if rng.random() < 0.5 else "[0-9]")
        elif r < 0.2 and c.isascii() and c.isalpha():
            body.append("[a-z]" if rng.random() < 0.5 else "\\w")
        else:
            body.append(regex_escape(c))
    if rng.random() < 0.15 and len(body) > 1:
        k = rng.randrange(1, len(body))
        body = body[:k] + ["(" + "".join(body[k:]) + "|zz)"]
    if rng.random() < 0.1 and body:
        body[-1] = body[-1] + rng.choice(["+", "*", "?", "{1,2}"])
    out = "".join(body)
    if i == 0 and rng.random() < 0.7:
        out = "^" + out
    if rng.random() < 0.08:
        out = "(?i)" + out.upper()
    return out


def comparison(otype):
    """One comparison on an object of type `otype`."""
    path, kind = rng.choice(PATHS[otype])
    full = "%s:%s" % (otype, path)
    neg = "NOT " if rng.random() < 0.12 else ""
    if rng.random() < 0.04:
        return "EXISTS " + full, True  # only ever alone in a [...]
    ops = ["=", "!=", "IN", "<", ">", "<=", ">="]
    if kind not in INT_KINDS and kind not in HASH_KINDS:
        ops += ["LIKE", "LIKE", "MATCHES", "MATCHES"]
    if kind == "ipv4":
        ops += ["ISSUBSET"] * 4
    if kind in HASH_KINDS:
        # the validator checks a hash literal's format and refuses IN sets of them
        ops = ["=", "=", "!="]
    op = rng.choice(ops)
    if op in ("=", "!=") and rng.random() < 0.05 and kind not in HASH_KINDS:
        # a type mismatch: false for =, true for !=
        v = pool_value(kind)
        lit = quote(str(v)) if kind in INT_KINDS else str(rng.choice(PORTS))
        return "%s %s%s %s" % (full, neg, op, lit), False
    if op == "IN":
        vals = []
        for _ in range(rng.choice([1, 2, 3])):
            vals.append(literal(kind))
        return "%s %sIN (%s)" % (full, neg, ", ".join(vals)), False
    if op == "LIKE":
        return "%s %sLIKE %s" % (full, neg, quote(like_of(str(pool_value(kind))))), False
    if op == "MATCHES":
        return "%s %sMATCHES %s" % (full, neg, quote(regex_of(str(pool_value(kind))))), False
    if op == "ISSUBSET":
        return "%s %sISSUBSET %s" % (full, neg, quote(rng.choice(CIDRS))), False
    return "%s %s%s %s" % (full, neg, op, literal(kind)), False


def comparison_expr(otype=None, depth=0, fixed=False):
    """A comparison expression; AND only between comparisons on one type (the
    spec's rule; an engine may refuse the rest, the reference does not). Under an
    AND (`fixed`) every comparison tests `otype`. Returns (text, has_exists)."""
    if otype is None:
        otype = rng.choice(list(PATHS))
    r = rng.random()
    if depth >= 2 or r < 0.5:
        return comparison(otype)
    if r < 0.7:
        a, ea = comparison_expr(otype, depth + 1, True)
        b, eb = comparison_expr(otype, depth + 1, True)
        text = "%s AND %s" % (paren(a), paren(b))
    else:
        a, ea = comparison_expr(otype if fixed or rng.random() < 0.5 else None, depth + 1, fixed)
        b, eb = comparison_expr(otype if fixed or rng.random() < 0.5 else None, depth + 1, fixed)
        text = "%s OR %s" % (a, b)
    return text, ea or eb


def paren(text):
    return "(%s)" % text if " OR " in text else text


def bracket():
    while True:
        text, has_exists = comparison_expr()
        if not has_exists:
            return "[%s]" % text
        if text.startswith("EXISTS ") and " AND " not in text and " OR " not in text:
            return "[%s]" % text


def start_stop(span):
    a = rng.randrange(-10, span + 10)
    b = rng.randrange(a + 1, span + 40)
    return "START %s STOP %s" % (ts_literal(a), ts_literal(b))


def qualifier(span):
    r = rng.random()
    if r < 0.4:
        return "REPEATS %d TIMES" % rng.choice([1, 2, 2, 3])
    if r < 0.75:
        return "WITHIN %d SECONDS" % (2 * rng.randrange(0, 70) + 1)  # odd
    return start_stop(span)


def observation_expr(depth=0, span=140):
    """An observation expression: [...], AND / OR / FOLLOWEDBY, qualifiers."""
    r = rng.random()
    if depth >= 2 or r < 0.4:
        expr = bracket()
    else:
        op = "AND" if r < 0.55 else "OR" if r < 0.8 else "FOLLOWEDBY"
        expr = "%s %s %s" % (observation_expr(depth + 1, span), op,
                             observation_expr(depth + 1, span))
        if depth > 0:
            expr = "(%s)" % expr
    if rng.random() < 0.25:
        if not (is_single_bracket(expr) or expr.startswith("(")):
            expr = "(%s)" % expr
        expr = "%s %s" % (expr, qualifier(span))
        if depth > 0:
            expr = "(%s)" % expr
    return expr


def is_single_bracket(expr):
    """Whether `expr` is one `[...]` (a comparison expression)."""
    if not expr.startswith("["):
        return False
    level = 0
    in_str = False
    i = 0
    while i < len(expr):
        c = expr[i]
        if in_str:
            if c == "\\":
                i += 1
            elif c == "'":
                in_str = False
        elif c == "'":
            in_str = True
        elif c == "[":
            level += 1
        elif c == "]":
            level -= 1
            if level == 0:
                return i == len(expr) - 1
        i += 1
    return False


def single_observation_pattern(span):
    """A pattern over one observation: a [...], an OR of a few, maybe START/STOP."""
    r = rng.random()
    if r < 0.75:
        expr = bracket()
    else:
        expr = " OR ".join(bracket() for _ in range(rng.choice([2, 3])))
    q = rng.random()
    if q < 0.12:
        expr = "%s %s" % (expr if is_single_bracket(expr) else "(%s)" % expr, start_stop(span))
    elif q < 0.16:
        expr = "%s WITHIN %d SECONDS" % (
            expr if is_single_bracket(expr) else "(%s)" % expr, 2 * rng.randrange(0, 30) + 1)
    return expr


# ------------------------------------------------------------------ reference

def bundle(objects):
    return [{"type": "bundle", "id": new_id("bundle"), "objects": objects}]


def reference(compiled, objects):
    """The verdict of a compiled pattern (what `match()` does after compiling)."""
    try:
        return "true" if compiled.match(bundle(objects)) else "false"
    except Exception as e:  # the reference raising: an error verdict
        return "error: %s: %s" % (type(e).__name__, e)


def compile_ref(pattern):
    try:
        return Pattern(pattern, stix_version="2.1"), None
    except Exception as e:
        return None, "error: %s: %s" % (type(e).__name__, e)


def run(cmd):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        sys.exit("%s timed out after %d s" % (cmd, TIMEOUT))
    if p.returncode != 0:
        sys.exit("%s exited %d\n--- stdout:\n%s\n--- stderr:\n%s" % (
            cmd, p.returncode, p.stdout.decode(errors="replace")[-4000:],
            p.stderr.decode(errors="replace")[-4000:]))
    return p.stdout.decode()


def valid(pattern):
    try:
        return bool(validate(pattern, stix_version="2.1"))
    except Exception:
        return False


# -------------------------------------------------------------------- part 1

def part1(entente, tmp):
    cases = []
    refused = 0
    while len(cases) < CASES:
        pattern = observation_expr()
        if not valid(pattern):
            refused += 1
            continue
        cases.append((pattern, observed_case(pattern)))
    path = os.path.join(tmp, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        for pattern, observed in cases:
            f.write(json.dumps({"pattern": pattern, "observed": observed}) + "\n")
    t0 = time.monotonic()
    out = run([entente, "pattern", "match", "--cases", path]).splitlines()
    t_entente = time.monotonic() - t0
    if len(out) != len(cases):
        print("entente printed %d lines for %d cases" % (len(out), len(cases)))
        return False
    t0 = time.monotonic()
    agree = disagree = ref_errors = trues = compared = 0
    for (pattern, observed), got in zip(cases, out):
        try:
            want = "true" if match(pattern, bundle(observed), stix_version="2.1") else "false"
        except Exception as e:  # the reference raising: an error verdict
            want = "error: %s: %s" % (type(e).__name__, e)
        if want.startswith("error"):
            ref_errors += 1
            ok = got == "false" or got.startswith("error:")
        else:
            compared += 1
            trues += want == "true"
            ok = got == want
        if ok:
            agree += 1
        else:
            disagree += 1
            print("DISAGREE pattern: %s" % pattern)
            print("  observed: %s" % json.dumps(observed))
            print("  reference: %s\n  entente:   %s" % (want, got))
    t_ref = time.monotonic() - t0
    print("pattern-matcher interop: %d cases, %d agree, %d disagree (%d reference errors)"
          % (len(cases), agree, disagree, ref_errors))
    print("  %d compared, %d true, %d false; %d generated patterns refused by the "
          "validator; entente %.2f s, reference %.2f s"
          % (compared, trues, compared - trues, refused, t_entente, t_ref))
    ok = disagree == 0 and compared >= MIN_COMPARED and trues >= MIN_TRUE
    if disagree == 0 and not ok:
        print("too few cases compared (%d, need %d) or too few true verdicts (%d, need %d)"
              % (compared, MIN_COMPARED, trues, MIN_TRUE))
    if ok:
        print("pattern-matcher interop: OK")
    return ok


# -------------------------------------------------------------------- part 2

def part2(entente, tmp):
    span = 2 * 3600  # events over two hours
    indicators = []
    refused = 0
    while len(indicators) < INDICATORS:
        pattern = single_observation_pattern(span)
        if not valid(pattern):
            refused += 1
            continue
        n = len(indicators)
        indicators.append({
            "type": "indicator", "spec_version": "2.1", "id": new_id("indicator"),
            "created": CREATED, "modified": CREATED,
            "name": "interop indicator %d" % n,
            "description": "random pattern %d for the stix2-matcher interop test" % n,
            "indicator_types": ["malicious-activity"],
            "pattern": pattern, "pattern_type": "stix",
            "valid_from": "2024-01-01T00:00:00Z",
        })
    events = [observation(2 * rng.randrange(0, span // 2), number_observed=1)
              for _ in range(EVENTS)]
    ind_path = os.path.join(tmp, "indicators.json")
    with open(ind_path, "w", encoding="utf-8") as f:
        json.dump({"type": "bundle", "id": new_id("bundle"), "objects": indicators}, f)
    ev_path = os.path.join(tmp, "events.ndjson")
    with open(ev_path, "w", encoding="utf-8") as f:
        for e in events:
            f.write(json.dumps(e) + "\n")
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    t0 = time.monotonic()
    out = run([entente, "--quiet", "match", "--data", data, "--indicators", ind_path,
               "--format", "stix", ev_path])
    t_entente = time.monotonic() - t0
    try:
        result = json.loads(out)
    except ValueError as e:
        print("entente match did not print JSON (%s):\n%s" % (e, out[:2000]))
        return False
    # The sightings bundle must pass the OASIS validator, strictly: it is what
    # the other party will receive.
    from stix2validator import ValidationOptions, validate_string
    checked = validate_string(out, ValidationOptions(strict=True))
    if not checked.is_valid:
        print("entente match's sightings bundle fails stix2-validator --strict:")
        for e in checked.errors:
            print("  %s" % e)
        return False
    print("sightings bundle: %d objects, valid under stix2-validator --strict"
          % len(result.get("objects", [])))
    got = {}
    for o in result.get("objects", []):
        if o.get("type") == "sighting":
            ref = o.get("sighting_of_ref")
            got[ref] = got.get(ref, 0) + int(o.get("count", 1))
    t0 = time.monotonic()
    disagree = hit = ref_errors = 0
    for ind in indicators:
        compiled, err = compile_ref(ind["pattern"])
        want = 0
        errors = []
        if err:
            errors.append(err)
        else:
            for e in events:
                v = reference(compiled, e)
                if v == "true":
                    want += 1
                elif v != "false":
                    errors.append(v)
        ref_errors += len(errors)
        have = got.pop(ind["id"], 0)
        hit += want > 0
        if have != want:
            disagree += 1
            print("DISAGREE indicator %s: %s" % (ind["id"], ind["pattern"]))
            print("  reference: %d events, entente: %d" % (want, have))
            shown = 0
            for e in events:
                if shown < 3 and reference(compiled, e) == "true":
                    print("  an event the reference matches: %s" % json.dumps(e))
                    shown += 1
            if errors:
                print("  reference errors: %s" % errors[0])
    for ref, n in got.items():
        disagree += 1
        print("DISAGREE: a sighting of %s (count %d), which is no indicator given" % (ref, n))
    t_ref = time.monotonic() - t0
    print("index interop: %d indicators, %d events, %d disagree" % (
        len(indicators), len(events), disagree))
    print("  %d indicators with a nonzero count; %d reference errors; %d generated patterns "
          "refused by the validator; entente %.2f s, reference %.2f s"
          % (hit, ref_errors, refused, t_entente, t_ref))
    if hit < MIN_HIT_INDICATORS:
        print("too few indicators with a nonzero count (%d, need %d)" % (hit, MIN_HIT_INDICATORS))
    return disagree == 0 and hit >= MIN_HIT_INDICATORS


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: pattern_matcher.py ENTENTE_BINARY")
    entente = sys.argv[1]
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="entente-pattern-interop-") as tmp:
        ok1 = part1(entente, tmp)
        ok2 = part2(entente, tmp)
    print("run time %.1f s" % (time.monotonic() - t0))
    sys.exit(0 if ok1 and ok2 else 1)


if __name__ == "__main__":
    main()
