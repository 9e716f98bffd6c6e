#!/usr/bin/env python3
"""Interoperability of an Entente node with python-stix2's TAXII data store.

    taxii_store.py BASE_URL USER TOKEN

BASE_URL is the node's root (e.g. http://127.0.0.1:9440/); USER (with TOKEN, sent
as the HTTP Basic password) must be able to read and write the collection aliased
`default`, which must hold nothing but what this script adds.

Everything goes through stix2 3.0.2's TAXIICollectionStore over a taxii2-client
2.3.0 v21 Collection (requirements-test.txt), as an analyst's script would:

* adds an identity, two indicators (one with a custom property, made with
  allow_custom=True), a malware, a relationship and an object of a custom type
  (an `x-acme-thing`), each with store.add;
* reads each back with store.get, and queries with stix2.Filter: by type (a TAXII
  filter), by id, by a property (local filters: name, relationship_type, the
  custom property);
* adds a new version of an indicator and of the malware (new_version) and asks
  for all_versions of each: every version, identical;
* finally store.query over version=all: every object and version added comes
  back, identical (as JSON), and nothing else.

Exits 1 with a message on the first failed check, 0 with a summary otherwise.
"""

import datetime
import json
import logging
import sys
import traceback
import uuid

import stix2
from stix2 import Filter, TAXIICollectionStore
from taxii2client.v21 import ApiRoot

from checks import CheckFailed, check, failed, report

def as_json(obj):
    """A STIX object (python-stix2 or dict) as a plain JSON value."""
    if isinstance(obj, dict) and not hasattr(obj, "serialize"):
        return json.loads(json.dumps(obj))
    return json.loads(obj.serialize())


def check_same(got, want, what):
    g, w = as_json(got), as_json(want)
    check(g == w, what, "\n  sent: %s\n  got:  %s" % (json.dumps(w, sort_keys=True), json.dumps(g, sort_keys=True)))


def key(obj):
    return (obj["id"], obj.get("modified", ""))


def later(ts, ms):
    """A STIX timestamp `ms` milliseconds after `ts` (a datetime)."""
    return ts + datetime.timedelta(milliseconds=ms)


def main(argv):
    if len(argv) != 4:
        print(__doc__, file=sys.stderr)
        return 2
    base, user, token = argv[1:]
    if not base.endswith("/"):
        base += "/"
    logging.getLogger("taxii2client").setLevel(logging.ERROR)

    root = ApiRoot(base + "api/", user=user, password=token)
    matches = [c for c in root.collections if c.alias == "default"]
    check(len(matches) == 1, "exactly one collection is aliased default", repr([c.title for c in root.collections]))
    collection = matches[0]
    store = TAXIICollectionStore(collection, allow_custom=True)
    check(store.source.collection.can_read and store.sink.collection.can_write,
          "the store's collection can be read and written")

    # -- objects, as python-stix2 makes them (fresh ids on every run)
    author = stix2.Identity(name="Interop test CSIRT", identity_class="organization")
    indicator = stix2.Indicator(
        name="Vote-count phishing domain",
        description="A lookalike of the results site.",
        indicator_types=["malicious-activity"],
        pattern="[domain-name:value = 'vote-count-results.example']",
        pattern_type="stix",
        valid_from="2026-01-01T00:00:00Z",
        created_by_ref=author.id,
    )
    custom = stix2.Indicator(
        name="Ballot-scanner C2",
        description="Contacted by the implant.",
        indicator_types=["malicious-activity"],
        pattern="[ipv4-addr:value = '198.51.100.7']",
        pattern_type="stix",
        valid_from="2026-01-02T00:00:00Z",
        created_by_ref=author.id,
        x_acme_score=7,
        x_acme_tags=["elections", "c2"],
        allow_custom=True,
    )
    malware = stix2.Malware(name="BallotRAT", is_family=True, malware_types=["remote-access-trojan"],
                            created_by_ref=author.id)
    relationship = stix2.Relationship(indicator, "indicates", malware, created_by_ref=author.id)
    now = stix2.utils.format_datetime(stix2.utils.get_timestamp())
    thing = {
        "type": "x-acme-thing",
        "spec_version": "2.1",
        "id": "x-acme-thing--" + str(uuid.uuid4()),
        "created": now,
        "modified": now,
        "name": "a custom object type",
        "x_acme_rank": 3,
    }
    added = [author, indicator, custom, malware, relationship, thing]

    for obj in added:
        store.add(obj)

    # -- get each back
    for obj in added:
        got = store.get(obj["id"])
        check(got is not None, "store.get finds each object", obj["id"])
        check_same(got, obj, "store.get returns the object as added")
        raw = collection.get_object(obj["id"])["objects"]
        check(len(raw) == 1, "the collection serves one version of each object", repr(raw))
        check_same(raw[0], obj, "the raw TAXII object is the object as added")

    # -- queries
    def ids(objs):
        return sorted(o["id"] for o in objs)

    got = store.query([Filter("type", "=", "indicator")])
    check(ids(got) == sorted([indicator.id, custom.id]), "query by type (a TAXII filter)", repr(ids(got)))
    got = store.query([Filter("type", "=", "x-acme-thing")])
    check(ids(got) == [thing["id"]], "query by a custom type", repr(ids(got)))
    check_same(got[0], thing, "the custom-type object comes back identical")
    got = store.query([Filter("id", "=", malware.id)])
    check(ids(got) == [malware.id], "query by id (a TAXII filter)", repr(ids(got)))
    check_same(got[0], malware, "query by id returns the object as added")
    got = store.query([Filter("type", "=", "indicator"), Filter("name", "=", "Ballot-scanner C2")])
    check(ids(got) == [custom.id], "query by type and a property (name)", repr(ids(got)))
    got = store.query([Filter("x_acme_score", ">", 5)])
    check(ids(got) == [custom.id], "query by a custom property", repr(ids(got)))
    check_same(got[0], custom, "the custom-property object comes back identical")
    check(got[0]["x_acme_tags"] == ["elections", "c2"], "custom properties survive parsing")
    got = store.query([Filter("relationship_type", "=", "indicates")])
    check(ids(got) == [relationship.id], "query by relationship_type", repr(ids(got)))
    got = store.query([Filter("created_by_ref", "=", author.id)])
    check(ids(got) == sorted([indicator.id, custom.id, malware.id, relationship.id]),
          "query by created_by_ref", repr(ids(got)))
    related = store.related_to(indicator, relationship_type="indicates", source_only=True)
    check(ids(related) == [malware.id], "related_to follows the relationship", repr(ids(related)))

    # -- new versions
    indicator2 = indicator.new_version(modified=later(indicator.modified, 1000), valid_until="2027-01-01T00:00:00Z",
                                       name="Vote-count phishing domain (confirmed)")
    custom2 = custom.new_version(modified=later(custom.modified, 1), x_acme_score=9)
    malware2 = malware.new_version(modified=later(malware.modified, 5),
                                   description="Now with a keylogger.")
    malware3 = malware2.new_version(modified=later(malware2.modified, 7), aliases=["BRAT"])
    versions = {
        indicator.id: [indicator, indicator2],
        custom.id: [custom, custom2],
        malware.id: [malware, malware2, malware3],
    }
    for obj in [indicator2, custom2, malware2, malware3]:
        store.add(obj)
    for obj_id, objs in versions.items():
        got = store.all_versions(obj_id)
        check(sorted(key(o) for o in got) == sorted(key(o) for o in objs),
              "all_versions returns every version", "%s: %r" % (obj_id, sorted(key(o) for o in got)))
        by_key = {key(o): o for o in got}
        for o in objs:
            check_same(by_key[key(o)], o, "each version comes back identical")
        check_same(store.get(obj_id), objs[-1], "store.get returns the latest version")
    got = store.query([Filter("id", "=", indicator.id)])
    check([key(o) for o in got] == [key(indicator2)], "without match[version] only the latest version is served",
          repr([key(o) for o in got]))
    got = store.query([Filter("id", "=", indicator.id), Filter("version", "=", "first")])
    check([key(o) for o in got] == [key(indicator)], "match[version]=first", repr([key(o) for o in got]))

    # -- nothing lost, nothing extra
    everything = added + [indicator2, custom2, malware2, malware3]
    got = store.query([Filter("version", "=", "all")])
    want = {key(o): as_json(o) for o in everything}
    have = {key(o): as_json(o) for o in got}
    check(len(have) == len(got), "no version is served twice", "%d objects, %d distinct" % (len(got), len(have)))
    missing = sorted(set(want) - set(have))
    extra = sorted(set(have) - set(want))
    check(not missing and not extra, "every object and version added comes back, and nothing else",
          "missing %r, extra %r" % (missing, extra))
    for k in want:
        check(have[k] == want[k], "every version is identical after the round trip",
              "%r:\n  sent: %s\n  got:  %s" % (k, json.dumps(want[k], sort_keys=True), json.dumps(have[k], sort_keys=True)))

    report("stix2 TAXIICollectionStore interop: OK, %d objects and versions, %%(total)d checks (%%(kinds)d kinds) against %s"
           % (len(everything), base))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except CheckFailed as e:
        failed(e)
    except Exception:
        traceback.print_exc()
        failed("an exception in python-stix2 or taxii2-client (above)")
