#!/usr/bin/env python3
"""Photo uploads against the release binary.

    pip install pillow   # to make the test photo
    python3 bench/photos.py [--bin target/release/yizhan] [--count 20000] [--write]

Makes a fresh SQLite database in a temporary folder with --count synthetic
stations (e.g. --count 200000; gen-synthetic takes about 90 s for that) and a
city administrator, starts `yizhan serve` on a free 127.0.0.1 port with
YIZHAN_LOG=info,sqlx=warn (its stdout and stderr go to server.log in the same
temporary folder), signs in, and makes a phone-like JPEG of 4000 x 3000 pixels
(noise over a gradient at quality 92, about 6 MB, with an EXIF block). Then:

1. one upload of it as a door photo: seconds from the first byte sent to the
   303 answer (received, checked, converted to 1600 and 320 px, stored), and the
   server's RSS before and at its peak;
2. 5 s quiet: the p50/p99 of a list page (/stations?district=110105) fetched
   over and over on one connection, and meanwhile the p50/p99/max of /healthz
   fetched every 20 ms on another connection from its own thread;
3. 20 uploads of it at once (each as an inside photo of its own station), with
   the same two samplers running from the first upload sent to the last answer:
   - answers by class: 2xx/3xx (stored), 429 (busy), 503 with Retry-After
     (busy: counted and reported, not an error), and errors: any other answer
     >= 500 (a 503 without Retry-After included), or no answer at all;
     other 4xx are listed as such;
   - RSS idle (just before the burst), peak during the burst, peak - idle,
     RSS 10 s after the last answer, and that - idle;
   - /healthz p50/p99/max during the burst next to the quiet figures, and the
     list page p50/p99 likewise;
   - the server log lines containing "snapshot built" written during the burst
     (each is a full rebuild of the in-memory snapshot: a burst of uploads
     should cause few or none), those in the 10 s after it, and in the whole
     run (the one at start-up included).

Targets, printed next to the figures as met / not met:
   peak <= idle + 300 MB; 10 s after <= idle + 80 MB;
   /healthz p99 <= 100 ms during the burst; 0 upload answers >= 500 other than
   a 503 with Retry-After.

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
    retry_after = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    return status, location, time.monotonic() - start, retry_after


def classify(status, retry_after):
    """stored / busy / error / other, as the targets count them."""
    if status is None:
        return "error"
    if 200 <= status < 400:
        return "stored"
    if status == 429 or (status == 503 and retry_after is not None):
        return "busy"
    if status >= 500:
        return "error"
    return "other"


def list_latencies(port, stop, out):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while not stop.is_set():
        start = time.monotonic()
        c.request("GET", "/stations?district=110105")
        c.getresponse().read()
        out.append(time.monotonic() - start)


def health_latencies(port, stop, out, failures, every=0.02):
    """GET /healthz every `every` seconds on its own connection: latencies of 200s in `out`."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    tick = time.monotonic()
    while not stop.is_set():
        start = time.monotonic()
        try:
            c.request("GET", "/healthz")
            r = c.getresponse()
            r.read()
            if r.status == 200:
                out.append(time.monotonic() - start)
            else:
                failures.append(r.status)
        except (OSError, http.client.HTTPException) as e:
            failures.append(type(e).__name__)
            c.close()
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        tick += every
        pause = tick - time.monotonic()
        if pause > 0:
            stop.wait(pause)
        else:
            tick = time.monotonic()


class Samplers:
    """The list page over and over and /healthz every 20 ms, each on its own thread."""

    def __init__(self, port):
        self.stop = threading.Event()
        self.listing, self.health, self.health_failures = [], [], []
        self.threads = [
            threading.Thread(target=list_latencies, args=(port, self.stop, self.listing)),
            threading.Thread(target=health_latencies, args=(port, self.stop, self.health, self.health_failures)),
        ]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def log_lines(path, start, end, needle="snapshot built"):
    with open(path, "rb") as f:
        f.seek(start)
        text = f.read(end - start).decode(errors="replace")
    return [ANSI.sub("", line).strip() for line in text.splitlines() if needle in line]


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
        YIZHAN_LOG="info,sqlx=warn",
        YIZHAN_ADMIN_PASSWORD=PASSWORD,
    )
    print(f"[photos] {args.count:,} synthetic stations in {tmp} ...", file=sys.stderr)
    gen_start = time.monotonic()
    for cmd in ([args.bin, "gen-synthetic", "--count", str(args.count)], [args.bin, "create-admin", "--username", "bench"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(done.stderr)
    print(f"[photos] database ready in {time.monotonic() - gen_start:.0f} s", file=sys.stderr)
    photo = phone_jpeg()
    print(f"[photos] test photo: {len(photo) / 1e6:.1f} MB", file=sys.stderr)
    log_path = os.path.join(tmp, "server.log")
    log = open(log_path, "w")
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
            status_one, where_one, took_one, _ = upload(s, ids[0], "door", photo, csrf)
        # The list page and /healthz without uploads, for comparison.
        print("[photos] 5 s quiet sampling ...", file=sys.stderr)
        with Samplers(port) as quiet:
            time.sleep(5)
        # 20 at once.
        results = []
        lock = threading.Lock()
        barrier = threading.Barrier(20)

        def one(station):
            barrier.wait()
            try:
                r = upload(s, station, "inside", photo, csrf)
            except (OSError, http.client.HTTPException) as e:
                r = (None, type(e).__name__, time.monotonic() - start, None)
            with lock:
                results.append(r)

        time.sleep(1)
        idle = rss_mb(server.pid)
        log.flush()
        log_at_start = os.path.getsize(log_path)
        print("[photos] 20 uploads at once ...", file=sys.stderr)
        with PeakRss(server.pid) as peak_burst, Samplers(port) as busy:
            start = time.monotonic()
            threads = [threading.Thread(target=one, args=(st,)) for st in ids[1:21]]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            burst_took = time.monotonic() - start
        log_at_end = os.path.getsize(log_path)
        time.sleep(10)
        after_burst = rss_mb(server.pid)
        log_after = os.path.getsize(log_path)
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    rebuilds = log_lines(log_path, log_at_start, log_at_end)
    rebuilds_after = log_lines(log_path, log_at_end, log_after)
    rebuilds_all = log_lines(log_path, 0, os.path.getsize(log_path))
    peak = max(peak_burst.peak, idle)
    classes = Counter(classify(st, ra) for st, _, _, ra in results)
    statuses = Counter(
        f"{st if st is not None else loc} ({loc.split('done=')[-1].split('#')[0] if 'done=' in loc else '-'})"
        + (f", Retry-After {ra}" if ra is not None else "")
        for st, loc, _, ra in results
    )
    slowest = max(r[2] for r in results)
    errors = classes["error"]
    targets = [
        ("peak <= idle + 300 MB", f"{peak:.0f} <= {idle:.0f} + 300", peak <= idle + 300),
        ("10 s after <= idle + 80 MB", f"{after_burst:.0f} <= {idle:.0f} + 80", after_burst <= idle + 80),
        ("/healthz p99 <= 100 ms during the burst", f"{pct(busy.health, 0.99):.1f} ms", pct(busy.health, 0.99) <= 100),
        ("0 answers >= 500 (503 with Retry-After is busy)", f"{errors}", errors == 0),
    ]

    def met(ok):
        return "met" if ok else "**not met**"

    def health_failures(samples):
        return f", {len(samples.health_failures)} failed" if samples.health_failures else ""

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
        f"| 20 uploads at once: answers | {', '.join(f'{v}× {k}' for k, v in sorted(statuses.items()))}; all in {burst_took:.1f} s, slowest {slowest:.1f} s | |",
        f"| 20 uploads at once: stored (2xx/3xx) / busy (429, 503 + Retry-After) / errors (≥ 500) / other 4xx | "
        f"{classes['stored']} / {classes['busy']} / {errors} / {classes['other']} | 0 errors: {met(errors == 0)} |",
        f"| 20 uploads at once: RSS idle / peak (MB) | {idle:.0f} / {peak:.0f} | |",
        f"| 20 uploads at once: peak − idle (MB) | {peak - idle:+.0f} | ≤ +300: {met(peak <= idle + 300)} |",
        f"| 20 uploads at once: RSS 10 s after, and − idle (MB) | {after_burst:.0f}, {after_burst - idle:+.0f} | ≤ +80: {met(after_burst <= idle + 80)} |",
        f"| `/healthz` p50 / p99 / max, before the burst (ms, {len(quiet.health)} requests{health_failures(quiet)}) | "
        f"{pct(quiet.health, 0.5):.1f} / {pct(quiet.health, 0.99):.1f} / {pct(quiet.health, 1):.1f} | |",
        f"| `/healthz` p50 / p99 / max, during the burst (ms, {len(busy.health)} requests{health_failures(busy)}) | "
        f"{pct(busy.health, 0.5):.1f} / {pct(busy.health, 0.99):.1f} / {pct(busy.health, 1):.1f} | "
        f"p99 ≤ 100: {met(pct(busy.health, 0.99) <= 100)} |",
        f"| List page p50 / p99, before the burst (ms, {len(quiet.listing)} requests) | {pct(quiet.listing, 0.5):.1f} / {pct(quiet.listing, 0.99):.1f} | |",
        f"| List page p50 / p99, during the burst (ms, {len(busy.listing)} requests) | {pct(busy.listing, 0.5):.1f} / {pct(busy.listing, 0.99):.1f} | |",
        f"| Log lines \"snapshot built\" (full rebuilds): during the burst / 10 s after / whole run, start-up included | "
        f"{len(rebuilds)} / {len(rebuilds_after)} / {len(rebuilds_all)} | few or none during the burst |",
        "",
        "/healthz is fetched every 20 ms on its own connection from its own thread; the list page over and "
        "over on another; both for 5 s before the burst (quiet) and from the first upload sent to the last answer. "
        "The server runs with `YIZHAN_LOG=info,sqlx=warn`.",
        "",
        "Targets: " + "; ".join(f"{name}: {value} — {met(ok)}" for name, value, ok in targets) + ".",
        "",
    ]
    if rebuilds or rebuilds_after:
        lines += ["Snapshot rebuilds logged during the burst and the 10 s after:", "", "```"]
        lines += rebuilds + (["-- 10 s after --"] + rebuilds_after if rebuilds_after else [])
        lines += ["```", ""]
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
