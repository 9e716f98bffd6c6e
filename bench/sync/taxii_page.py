#!/usr/bin/env python3
"""Pages a whole TAXII 2.1 collection with the reference client, taxii2-client,
keeping nothing: the baseline of bench/sync.sh.

    taxii_page.py COLLECTION_URL TOKEN LIMIT

Follows `next` while `more` is true (taxii2client.v21.as_pages), counts the
objects and prints one JSON line: objects, pages, seconds (from the first
request to the last page, interpreter start-up excluded), bytes of the pages.
"""
import json
import sys
import time

import requests
from taxii2client.v21 import Collection, as_pages


class Bearer(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def main():
    url, token, limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    t0 = time.perf_counter()
    collection = Collection(url, auth=Bearer(token))
    objects = pages = 0
    first_ids = set()
    for envelope in as_pages(collection.get_objects, per_request=limit):
        page = envelope.get("objects", [])
        objects += len(page)
        pages += 1
        if pages == 1:
            first_ids = {o["id"] for o in page}
    seconds = time.perf_counter() - t0
    print(json.dumps({"objects": objects, "pages": pages, "seconds": seconds,
                      "first_page_ids": len(first_ids)}))


if __name__ == "__main__":
    main()
