#!/usr/bin/env python3
"""Photo uploads against the release binary.

    pip install pillow   # to make the test photo
    python3 bench/photos.py [--bin target/release/yizhan] [--count 20000] [--write]

Makes a fresh SQLite database in a temporary folder with --count synthetic
stations and a city administrator, starts `yizhan serve` on a free 127.0.0.1
port, signs in, and makes a phone-like JPEG of 4000 x 3000 pixels (noise over a
gradient at quality 92, about 6 MB, with an EXIF block). Then:

1. one upload of it as a door photo: seconds from the first byte sent to the
   303 answer (received, checked, converted to 1600 and 320 px, stored), and the
   server's RSS before and at its peak;
2. 20 uploads of it at once (each as an inside photo of its own station):
   answers by status, seconds for all, RSS before / peak / 10 s after, and the
   p50/p99 of a list page (/stations?district=110105) fetched over and over
   on one connection meanwhile, next to the same measured before the burst.

RSS is VmRSS from /proc/<pid>/status, sampled every 20 ms. Everything runs on
127.0.0.1. With --write, the "## Photo uploads" section of bench/RESULTS.md is
replaced (or added at the end).
"""

import argparse
import http.client
import io
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-1234"
BOUNDARY = "----yizhan-bench-boundary"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class PeakRss:
    def __init__(self, pid):
        self.pid, self.peak, self.stop = pid, 0.0, threading.Event()
        self.thread = threading.Thread(target=self.run)

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            time.sleep(0.02)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def phone_jpeg():
    from PIL import Image

    random.seed(7)
    w, h = 4000, 3000
    noise = Image.frombytes("RGB", (w, h), random.randbytes(w * h * 3))
    gradient = Image.linear_gradient("L").resize((w, h)).convert("RGB")
    img = Image.blend(gradient, noise, 0.25)
    exif = Image.Exif()
    exif[0x0110] = "Bench Phone"
    out = io.BytesIO()
    img.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


class Session:
    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        for k, v in r.getheaders():
            if k.lower() == "set-cookie":
                name, value = v.split(";", 1)[0].split("=", 1)
                self.cookies[name] = value
        c.close()
        return r.status, dict(r.getheaders()), data

    def csrf(self, path):
        _, _, page = self.request("GET", path)
        return re.search(r'name="csrf" value="([^"]+)"', page.decode()).group(1)


def multipart(fields, photo):
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    out.write(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="IMG_0001.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
    )
    out.write(photo)
    out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


def upload(session, station, kind, photo, csrf):
    body = multipart({"csrf": csrf, "kind": kind}, photo)
    start = time.monotonic()
    status, headers, _ = session.request(
        "POST",
        f"/admin/stations/{station}/photos",
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    location = next((v for k, v in headers.items() if k.lower() == "location"), "")
    return status, location, time.monotonic() - start


def list_latencies(port, stop, out):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        start = time.monotonic()
        c.request("GET", "/stations?district=110105")
        c.getresponse().read()
        out.append(time.monotonic() - start)


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(len(s) * p))] * 1000 if s else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/yizhan"))
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="yizhan-photos-")
    port = free_port()
    env = dict(os.environ)
    env.update(
        YIZHAN_DATABASE_URL=f"sqlite://{tmp}/bench.db",
        YIZHAN_BIND=f"127.0.0.1:{port}",
        YIZHAN_LOG="warn",
        YIZHAN_ADMIN_PASSWORD=PASSWORD,
    )
    for cmd in ([args.bin, "gen-synthetic", "--count", str(args.count)], [args.bin, "create-admin", "--username", "bench"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stderr)
    photo = phone_jpeg()
    print(f"[photos] test photo: {len(photo) / 1e6:.1f} MB", file=sys.stderr)
    log = open(os.path.join(tmp, "server.log"), "w")
    server = subprocess.Popen([args.bin, "serve"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(900):
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/healthz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        s = Session(port)
        csrf = s.csrf("/admin/login")
        body = urllib.parse.urlencode({"csrf": csrf, "next": "/admin", "username": "bench", "password": PASSWORD})
        status, _, _ = s.request(
            "POST", "/admin/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 303, status
        _, _, listing = s.request("GET", "/api/stations?district=110105&per_page=30")
        ids = [int(x) for x in re.findall(rb'"id":(\d+)', listing)][:21]
        csrf = s.csrf(f"/admin/stations/{ids[0]}")
        time.sleep(1)
        before_one = rss_mb(server.pid)
        with PeakRss(server.pid) as peak_one:
            status_one, where_one, took_one = upload(s, ids[0], "door", photo, csrf)
        # The list page alone, for comparison.
        quiet = []
        stop = threading.Event()
        t = threading.Thread(target=list_latencies, args=(port, stop, quiet))
        t.start()
        time.sleep(5)
        stop.set()
        t.join()
        # 20 at once.
        results = []
        lock = threading.Lock()
        barrier = threading.Barrier(20)

        def one(station):
            barrier.wait()
            r = upload(s, station, "inside", photo, csrf)
            with lock:
                results.append(r)

        busy = []
        stop = threading.Event()
        before_burst = rss_mb(server.pid)
        with PeakRss(server.pid) as peak_burst:
            lister = threading.Thread(target=list_latencies, args=(port, stop, busy))
            lister.start()
            start = time.monotonic()
            threads = [threading.Thread(target=one, args=(st,)) for st in ids[1:21]]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            burst_took = time.monotonic() - start
            stop.set()
            lister.join()
        time.sleep(10)
        after_burst = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(30)
    statuses = Counter(
        f"{st} ({loc.split('done=')[-1].split('#')[0] if 'done=' in loc else '-'})" for st, loc, _ in results
    )
    slowest = max(r[2] for r in results)
    lines = [
        "## Photo uploads",
        "",
        f"`python3 bench/photos.py --count {args.count}` on {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
        f"release build, SQLite, {args.count:,} synthetic stations. The photo: 4000 × 3000 JPEG, "
        f"{len(photo) / 1e6:.1f} MB, with EXIF. Conversions run one per core at a time.",
        "",
        "| Measure | Result | Target |",
        "| --- | --- | --- |",
        f"| One upload: answer, seconds to store | {status_one} ({where_one.split('done=')[-1]}), {took_one:.2f} s | |",
        f"| One upload: RSS before / peak (MB) | {before_one:.0f} / {max(peak_one.peak, before_one):.0f} | |",
        f"| 20 uploads at once: answers | {', '.join(f'{v}× {k}' for k, v in sorted(statuses.items()))}; all in {burst_took:.1f} s, slowest {slowest:.1f} s | no 5xx |",
        f"| 20 uploads at once: RSS before / peak / 10 s after (MB) | {before_burst:.0f} / {max(peak_burst.peak, before_burst):.0f} / {after_burst:.0f} | bounded |",
        f"| List page p50 / p99, alone (ms, {len(quiet)} requests) | {pct(quiet, 0.5):.1f} / {pct(quiet, 0.99):.1f} | |",
        f"| List page p50 / p99, during the 20 uploads (ms, {len(busy)} requests) | {pct(busy, 0.5):.1f} / {pct(busy, 0.99):.1f} | pages unaffected |",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        path = os.path.join(ROOT, "bench/RESULTS.md")
        text = open(path).read()
        pattern = re.compile(r"## Photo uploads\n.*?(?=\n## |\Z)", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text)
        else:
            text = text.rstrip("\n") + "\n\n" + section
        open(path, "w").write(text)


if __name__ == "__main__":
    main()
