#!/usr/bin/env python3
"""What a phone downloads on its first visit to the home page, and what the service
worker then keeps for offline use, in bytes on the wire (gzip asked for, as phones do;
response bodies only, headers left out).

    python3 bench/first_visit.py http://127.0.0.1:8080

Prints a Markdown table for bench/RESULTS.md.
"""
import json
import re
import sys
import urllib.request
from html.parser import HTMLParser

BASE = sys.argv[1].rstrip("/") if len(sys.argv) > 1 else "http://127.0.0.1:8080"


def get(path):
    req = urllib.request.Request(BASE + path, headers={"Accept-Encoding": "gzip", "Accept-Language": "zh-CN"})
    with urllib.request.urlopen(req) as res:
        body = res.read()
        return len(body), res.headers.get("Content-Encoding") or "-", body


class Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("rel") in ("stylesheet", "icon", "manifest"):
            self.refs.append(a["href"])
        elif tag in ("script", "img") and a.get("src", "").startswith("/"):
            self.refs.append(a["src"])


def plain(path):
    req = urllib.request.Request(BASE + path, headers={"Accept-Language": "zh-CN"})
    with urllib.request.urlopen(req) as res:
        return res.read()


rows = []
size, enc, _ = get("/")
rows.append(("page", "/", size, enc))
parser = Refs()
parser.feed(plain("/").decode())
seen = {"/"}
for ref in parser.refs:
    if ref not in seen:
        seen.add(ref)
        size, enc, _ = get(ref)
        rows.append(("page", ref, size, enc))
manifest = json.loads(plain(next(r for r in parser.refs if "manifest" in r)))
size, enc, sw = get("/sw.js")
rows.append(("worker", "/sw.js", size, enc))
source = plain("/sw.js").decode()
shell = json.loads(re.search(r"var SHELL_FILES = (\[.*?\]);", source).group(1))
pages = json.loads(re.search(r"var SHELL_PAGES = (\[.*?\]);", source).group(1).replace("'", '"'))
for ref in shell + pages:
    if ref not in seen:
        seen.add(ref)
        size, enc, _ = get(ref)
        rows.append(("worker", ref, size, enc))

page_total = sum(r[2] for r in rows if r[0] == "page")
worker_total = sum(r[2] for r in rows if r[0] == "worker")
print("| who asks | URL | bytes | encoding |")
print("|---|---|---:|---|")
for who, url, size, enc in rows:
    print(f"| {who} | `{url.split('?')[0]}` | {size:,} | {enc} |")
print(f"| | **the page and what it loads** | **{page_total:,}** | |")
print(f"| | **the service worker's install (files the page did not load)** | **{worker_total:,}** | |")
print(f"| | **first visit in all** | **{page_total + worker_total:,}** | |")
