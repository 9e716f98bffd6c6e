"""OpenTAXII's WSGI app (opentaxii.http:app) with the fix for its issue #243.

OpenTAXII 0.9.3, the latest release on PyPI, answers every TAXII 2.1 POST (and other
responses that carry a status id) with a 500: `json.dumps` meets a uuid.UUID
("Object of type UUID is not JSON serializable"), after the objects are committed.
Upstream fixed it in pull request #289 (unreleased); this applies the one-line fix
given in the issue, `json.dumps(data, default=str)`, without touching the package.
"""
import json

import opentaxii.server
import opentaxii.taxii2.http

_make = opentaxii.taxii2.http.make_taxii2_response


def make_taxii2_response(data, status=200, extra_headers=None):
    if not isinstance(data, str):
        data = json.dumps(data, default=str)
    return _make(data, status, extra_headers)


opentaxii.taxii2.http.make_taxii2_response = make_taxii2_response
opentaxii.server.make_taxii2_response = make_taxii2_response

from opentaxii.http import app  # noqa: E402  (after the patch)
