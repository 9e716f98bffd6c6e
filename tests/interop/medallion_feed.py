#!/usr/bin/env python3
"""The OASIS reference TAXII 2.1 server (medallion 3.0.0) as a plain feed for the
interop test of `entente peer add --taxii` and `entente sync`.

    medallion_feed.py serve CONFIG REQUEST_LOG
        Runs medallion with the configuration file CONFIG (its memory backend,
        users and `taxii.max_page_size`) on 127.0.0.1 at a free port, in a threaded
        werkzeug server. The first line on stdout is
        `listening on http://127.0.0.1:PORT/`; then it serves until it is killed.
        Every request is appended to REQUEST_LOG as one JSON line: method, path,
        query (a dict of lists), status, the X-TAXII-Date-Added-Last header, and
        for an envelope the number of objects and its `more` and `next`.

    medallion_feed.py post OBJECTS_URL USER PASSWORD FILE
        POSTs the envelope in FILE to OBJECTS_URL (TAXII 2.1 media types, HTTP
        Basic) and prints the status resource. Exits 1 unless medallion answered
        202 with every object a success.

Only the standard library and medallion (requirements-test.txt) are used.
"""

import base64
import json
import sys
import threading
import urllib.error
import urllib.request
from urllib.parse import parse_qs

TAXII = "application/taxii+json;version=2.1"


def serve(config, request_log):
    from medallion import load_app
    from werkzeug.serving import make_server

    app = load_app(config)
    lock = threading.Lock()
    log = open(request_log, "a", encoding="utf-8")

    def logged(environ, start_response):
        seen = {}

        def start(status, headers, exc_info=None):
            seen["status"] = int(status.split()[0])
            seen["headers"] = dict((k.lower(), v) for k, v in headers)
            return start_response(status, headers, exc_info)

        body = b"".join(app(environ, start))
        line = {
            "method": environ["REQUEST_METHOD"],
            "path": environ.get("PATH_INFO", ""),
            "query": parse_qs(environ.get("QUERY_STRING", "")),
            "accept": environ.get("HTTP_ACCEPT"),
            "status": seen.get("status"),
            "date_added_last": seen.get("headers", {}).get("x-taxii-date-added-last"),
        }
        try:
            doc = json.loads(body) if body else None
        except ValueError:
            doc = None
        if isinstance(doc, dict) and line["path"].endswith("/objects/"):
            line["objects"] = len(doc.get("objects", []))
            line["more"] = doc.get("more")
            line["next"] = doc.get("next")
        with lock:
            log.write(json.dumps(line) + "\n")
            log.flush()
        return [body]

    server = make_server("127.0.0.1", 0, logged, threaded=True)
    print(f"listening on http://127.0.0.1:{server.server_port}/", flush=True)
    server.serve_forever()


def post(url, user, password, path):
    with open(path, "rb") as f:
        body = f.read()
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Accept": TAXII, "Content-Type": TAXII, "Authorization": f"Basic {auth}"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    print(text)
    sent = len(json.loads(body)["objects"])
    if status != 202:
        sys.exit(f"POST {url}: HTTP {status}")
    result = json.loads(text)
    if result.get("success_count") != sent or result.get("failure_count"):
        sys.exit(f"POST {url}: {sent} objects sent, status resource says otherwise")


def main(argv):
    if len(argv) == 4 and argv[1] == "serve":
        serve(argv[2], argv[3])
    elif len(argv) == 6 and argv[1] == "post":
        post(*argv[2:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
