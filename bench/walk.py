#!/usr/bin/env python3
"""Walks the status endpoint's session list page by page, the way a
client of ?list=1 does, and prints one JSON line: the seconds it took,
the bytes and pages it read, the sessions it saw (and how many of them
twice)."""

import json
import sys
import time
import urllib.parse
import urllib.request


def main():
    base = sys.argv[1]
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    cursor = None
    pages = size = count = 0
    seen = set()
    dup = 0
    start = time.monotonic()

    while True:
        query = {"list": "1", "limit": str(limit)}
        if cursor:
            query["cursor"] = cursor
        url = base + "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url) as resp:
            body = resp.read()
            status = resp.status
        pages += 1
        size += len(body)
        page = json.loads(body)
        for s in page["sessions"]:
            count += 1
            if s["sid"] in seen:
                dup += 1
            seen.add(s["sid"])
        cursor = page.get("next")
        if not cursor:
            break

    print(json.dumps({"seconds": round(time.monotonic() - start, 6),
                      "bytes": size, "pages": pages, "sessions": count,
                      "duplicates": dup, "http": status}))


if __name__ == "__main__":
    main()
