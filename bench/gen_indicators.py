#!/usr/bin/env python3
"""Writes a STIX bundle of N unique ~1 KB indicators to stdout (for benchmarks)."""
import json
import sys
import uuid

n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
salt = sys.argv[2] if len(sys.argv) > 2 else "bench"
ns = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")
description = ("Credential-phishing domain imitating a national election authority's "
               "voter-registration portal; observed in e-mails to county election staff. ") * 3
out = sys.stdout
out.write('{"type":"bundle","id":"bundle--%s","objects":[' % uuid.uuid4())
for i in range(n):
    # A v4-shaped id derived from the index, so runs are reproducible.
    raw = bytearray(uuid.uuid5(ns, f"{salt}-{i}").bytes)
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{uuid.UUID(bytes=bytes(raw))}",
        "created": "2026-10-01T09:15:00.000Z",
        "modified": "2026-10-01T09:15:00.000Z",
        "name": f"Look-alike voter-registration domain {i}",
        "description": description,
        "indicator_types": ["malicious-activity"],
        "pattern": f"[domain-name:value = 'voter-registration-{i}.example'] OR [ipv4-addr:value = '203.0.113.{i % 256}']",
        "pattern_type": "stix",
        "pattern_version": "2.1",
        "valid_from": "2026-10-01T09:15:00Z",
        "confidence": 80,
        "labels": ["election-infrastructure"],
        "object_marking_refs": ["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],
    }
    if i:
        out.write(",")
    out.write("\n")
    json.dump(obj, out, separators=(",", ":"))
out.write("\n]}\n")
