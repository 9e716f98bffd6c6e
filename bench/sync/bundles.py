#!/usr/bin/env python3
"""Writes a curl config (for `curl -K`) that GETs every entry bundle of a
log of SIZE entries to /dev/null: the wire-only floor of bench/sync.sh.

    bundles.py LOG_URL SIZE TOKEN > curl.cfg     (LOG_URL ends in /log/)
"""
import sys


def index_path(n):
    groups = []
    while True:
        groups.append(n % 1000)
        n //= 1000
        if n == 0:
            break
    groups.reverse()
    return "/".join([f"x{g:03d}" for g in groups[:-1]] + [f"{groups[-1]:03d}"])


def main():
    base, size, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    print(f'header = "Authorization: Bearer {token}"')
    print('header = "Accept: application/octet-stream"')
    for index in range((size + 255) // 256):
        width = min(256, size - index * 256)
        path = "tile/entries/" + index_path(index) + ("" if width == 256 else f".p/{width}")
        print(f'url = "{base}{path}"')
        print('output = "/dev/null"')


if __name__ == "__main__":
    main()
