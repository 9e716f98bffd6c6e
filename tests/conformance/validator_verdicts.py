#!/usr/bin/env python3
"""Print stix2-validator's verdict on each JSON document read from stdin.

Input: one JSON document per line (an object, an array of objects or a bundle).
Output: one JSON line per input line, in the same order:

    {"valid": true, "messages": []}
    {"valid": false, "messages": ["indicator--...: 'valid_from' is a required property", ...]}

The options are those of `stix2_validator --strict --version 2.1` (every SHOULD check
is an error), or with `--default` those of `stix2_validator --version 2.1` (only MUST
violations are errors; SHOULD findings are warnings). Everything runs in one process,
so the schemas are loaded once.

A document the validator cannot process (bad JSON, or an exception inside the
validator, which happens on some malformed input) is reported as invalid with a
message starting with "could not be validated:"; the command-line tool exits with
code 16 in that case, never with 0, so it never counts as an acceptance.

Used by crates/stix/tests/conformance.rs and bench/validate-vs-reference.sh.
"""

import io
import json
import logging
import sys

from stix2validator import ValidationOptions, validate_string


def verdict(line, options):
    try:
        results = validate_string(line, options)
    except Exception as exc:  # the validator's own crash on malformed input
        return {"valid": False, "messages": ["could not be validated: %s: %s" % (type(exc).__name__, exc)]}
    if not isinstance(results, list):
        results = [results]
    messages = []
    valid = True
    for result in results:
        if not result.is_valid:
            valid = False
        for error in getattr(result, "errors", None) or []:
            messages.append(str(error))
        if getattr(result, "error", None):  # ValidationErrorResults
            messages.append(str(result.error))
    return {"valid": valid, "messages": messages}


def main():
    logging.disable(logging.CRITICAL)  # the validator logs warnings we already report
    strict = "--default" not in sys.argv[1:]
    options = ValidationOptions(version="2.1", strict=strict)
    out = sys.stdout
    for raw in io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8"):
        line = raw.rstrip("\n")
        if not line.strip():
            result = {"valid": False, "messages": ["could not be validated: empty line"]}
        else:
            result = verdict(line, options)
        out.write(json.dumps(result) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
