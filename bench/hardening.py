#!/usr/bin/env python3
"""Bursts against the release binary: logins, exports, stalled bodies.

    python3 bench/hardening.py [--bin target/release/yizhan] [--count 200000] [--write]

Makes a fresh SQLite database in a temporary folder with --count synthetic
stations (`yizhan gen-synthetic`) and one city administrator, starts
`yizhan serve` on a free 127.0.0.1 port and measures, one after the other:

1. 100 parallel logins. Each client fetches the login form (its own CSRF
   cookie), all wait at a barrier, then all POST a wrong password for an
   unknown user at once. The per-address login limit is raised for this run
   (YIZHAN_LOGIN_PER_15_MIN=100000) so that every attempt reaches the password
   hashing, as a burst from 100 addresses would. Reported: the answers by status,
   the server's RSS before, at its peak and 1 s, 10 s, 60 s after the burst,
   and the slowest /healthz answer while it ran.
2. 8 parallel exports of /api/stations.geojson, without gzip (the heaviest
   answer: the kept gzip unpacked piece by piece), read to the end. The first
   run includes building the export for this data version; a second run serves
   the kept copy. RSS before and peak, slowest /healthz, seconds per export.
3. 1,000 stalled bodies: each socket sends a POST head announcing 1,000 bytes,
   then 10 bytes, then nothing. Reported: seconds until the server had closed
   every one of them, and its open files before, with them open, and after.
   One more socket sends a body at 1 byte/s: seconds until it is closed.

RSS is VmRSS from /proc/<pid>/status, sampled every 20 ms. /healthz is fetched
every 50 ms on its own connection. Everything runs on 127.0.0.1. With --write,
the "## Hardening" section of bench/RESULTS.md is replaced (or added at the end).
"""

import argparse
import http.client
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADMIN_PASSWORD = "bench-password-1234"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def open_files(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


class Watch:
    """Samples the server's RSS and /healthz latency on two threads."""

    def __init__(self, pid, port):
        self.pid, self.port = pid, port
        self.peak_rss = 0.0
        self.slowest_health = 0.0
        self.health_failures = 0
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._rss), threading.Thread(target=self._health)]

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join()

    def _rss(self):
        while not self.stop.is_set():
            self.peak_rss = max(self.peak_rss, rss_mb(self.pid))
            time.sleep(0.02)

    def _health(self):
        while not self.stop.is_set():
            start = time.monotonic()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                c.request("GET", "/healthz")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status != 200:
                    self.health_failures += 1
            except OSError:
                self.health_failures += 1
            self.slowest_health = max(self.slowest_health, time.monotonic() - start)
            time.sleep(0.05)


def write_section(heading, section):
    """Replaces the section of bench/RESULTS.md that starts with `heading` (a "## "
    line) by `section`, or adds it at the end."""
    path = os.path.join(ROOT, "bench/RESULTS.md")
    text = open(path, encoding="utf-8").read()
    pattern = re.compile(re.escape(heading) + r"\n.*?(?=\n## |\Z)", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    open(path, "w", encoding="utf-8").write(text)


def run(cmd, env):
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return done.stdout


def start_server(binary, env, log):
    server = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
    port = int(env["YIZHAN_BIND"].rsplit(":", 1)[1])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit("the server stopped at start; see its log")
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("the server did not answer /healthz within 180 s")


def login_burst(pid, port, n=100):
    forms = []
    for i in range(n):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        c.request("GET", "/admin/login")
        r = c.getresponse()
        page = r.read().decode()
        cookies = "; ".join(v.split(";", 1)[0] for k, v in r.getheaders() if k.lower() == "set-cookie")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode(
            {"csrf": csrf, "next": "/admin", "username": f"nobody{i}", "password": "wrong password 123"}
        )
        forms.append((c, cookies, body))
    statuses = Counter()
    barrier = threading.Barrier(n)

    def post(form):
        c, cookies, body = form
        barrier.wait()
        try:
            c.request(
                "POST",
                "/admin/login",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies},
            )
            r = c.getresponse()
            r.read()
            statuses[r.status] += 1
        except OSError as e:
            statuses[type(e).__name__] += 1

    before = rss_mb(pid)
    with Watch(pid, port) as w:
        start = time.monotonic()
        threads = [threading.Thread(target=post, args=(f,)) for f in forms]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.monotonic() - start
    after = {}
    t0 = time.monotonic()
    for mark in (1, 10, 60):
        time.sleep(max(0.0, t0 + mark - time.monotonic()))
        after[mark] = rss_mb(pid)
    return {
        "statuses": dict(statuses),
        "seconds": took,
        "before": before,
        "peak": max(w.peak_rss, before),
        "after": after,
        "health": w.slowest_health,
        "health_failures": w.health_failures,
    }


def export_burst(pid, port, n=8):
    times = []
    sizes = []
    lock = threading.Lock()

    def fetch():
        start = time.monotonic()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        c.request("GET", "/api/stations.geojson", headers={"Accept-Encoding": "identity"})
        r = c.getresponse()
        size = 0
        while True:
            chunk = r.read(65536)
            if not chunk:
                break
            size += len(chunk)
        with lock:
            times.append(time.monotonic() - start)
            sizes.append((r.status, size))

    before = rss_mb(pid)
    with Watch(pid, port) as w:
        threads = [threading.Thread(target=fetch) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    time.sleep(1)
    return {
        "before": before,
        "peak": max(w.peak_rss, before),
        "after": rss_mb(pid),
        "health": w.slowest_health,
        "health_failures": w.health_failures,
        "seconds": max(times),
        "answers": Counter(sizes),
    }


def stalled_bodies(pid, port, n=1000):
    before = open_files(pid)
    socks = []
    head = (
        "POST /admin/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
        "csrf=aaaaa"
    ).encode()
    start = time.monotonic()
    for _ in range(n):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(head)
        s.setblocking(False)
        socks.append(s)
    time.sleep(0.5)
    during = open_files(pid)
    open_socks = set(range(n))
    closed_at = None
    while open_socks and time.monotonic() - start < 90:
        for i in list(open_socks):
            try:
                data = socks[i].recv(65536)
                if data == b"":
                    open_socks.discard(i)
            except BlockingIOError:
                pass
            except OSError:
                open_socks.discard(i)
        if not open_socks:
            closed_at = time.monotonic() - start
            break
        time.sleep(0.1)
    for s in socks:
        s.close()
    time.sleep(1)
    after = open_files(pid)

    # One body at 1 byte a second.
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(head[: head.index(b"\r\n\r\n") + 4])
    trickle_start = time.monotonic()
    trickle_closed = None
    s.settimeout(1.0)
    while time.monotonic() - trickle_start < 120:
        try:
            s.sendall(b"a")
        except OSError:
            trickle_closed = time.monotonic() - trickle_start
            break
        try:
            if s.recv(65536) == b"":
                trickle_closed = time.monotonic() - trickle_start
                break
        except socket.timeout:
            pass
        except OSError:
            trickle_closed = time.monotonic() - trickle_start
            break
    s.close()
    return {
        "before": before,
        "during": during,
        "after": after,
        "all_closed": closed_at,
        "still_open": len(open_socks),
        "trickle": trickle_closed,
    }


def fmt_after(after):
    return " / ".join(f"{after[k]:.0f}" for k in sorted(after))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/yizhan"))
    ap.add_argument("--count", type=int, default=200000)
    ap.add_argument("--write", action="store_true", help="write the section into bench/RESULTS.md")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))

    tmp = tempfile.mkdtemp(prefix="yizhan-hardening-")
    env = dict(os.environ)
    env.update(
        YIZHAN_DATABASE_URL=f"sqlite://{tmp}/bench.db",
        YIZHAN_BIND=f"127.0.0.1:{free_port()}",
        YIZHAN_LOGIN_PER_15_MIN="100000",
        YIZHAN_LOG="warn",
        YIZHAN_ADMIN_PASSWORD=ADMIN_PASSWORD,
    )
    print(f"[hardening] {args.count} synthetic stations in {tmp}", file=sys.stderr)
    run([args.bin, "gen-synthetic", "--count", str(args.count)], env)
    run([args.bin, "create-admin", "--username", "bench-admin"], env)
    log = open(os.path.join(tmp, "server.log"), "w")
    server, port = start_server(args.bin, env, log)
    try:
        time.sleep(2)
        print("[hardening] login burst", file=sys.stderr)
        logins = login_burst(server.pid, port)
        print("[hardening] exports", file=sys.stderr)
        exports_first = export_burst(server.pid, port)
        exports_kept = export_burst(server.pid, port)
        print("[hardening] stalled bodies", file=sys.stderr)
        stalled = stalled_bodies(server.pid, port)
        health = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        health.request("GET", "/healthz")
        health_body = health.getresponse().read().decode()
    finally:
        server.terminate()
        server.wait(30)
    panics = re.search(r'"panics":\s*(\d+)', health_body)
    cores = os.cpu_count()
    lines = [
        "## Hardening: bursts against the release binary",
        "",
        f"`python3 bench/hardening.py --count {args.count}` on {time.strftime('%Y-%m-%d')}, "
        f"{cores} cores, release build, SQLite, {args.count:,} synthetic stations. "
        "Limits in force: the defaults, except the per-address login limit, raised so that every "
        "attempt of the burst reaches the password hashing.",
        "",
        "| Burst | Measured | Target |",
        "| --- | --- | --- |",
        f"| 100 parallel logins: answers | {', '.join(f'{v}× {k}' for k, v in sorted(logins['statuses'].items(), key=str))}"
        f" in {logins['seconds']:.1f} s | no 5xx |",
        f"| RSS before / peak / 1 s, 10 s, 60 s after (MB) | {logins['before']:.0f} / {logins['peak']:.0f} / "
        f"{fmt_after(logins['after'])} | peak ≤ before + 300, back within 60 s |",
        f"| slowest /healthz meanwhile | {logins['health'] * 1000:.0f} ms ({logins['health_failures']} failed) | ≤ 500 ms |",
    ]
    for label, e in (("first (builds the export)", exports_first), ("again (kept copy)", exports_kept)):
        answers = ", ".join(f"{v}× {s} ({b / 1e6:.1f} MB)" for (s, b), v in e["answers"].items())
        lines += [
            f"| 8 parallel GeoJSON exports, {label}: answers | {answers}; slowest {e['seconds']:.1f} s | |",
            f"| RSS before / peak / 1 s after (MB) | {e['before']:.0f} / {e['peak']:.0f} / {e['after']:.0f} | peak ≤ before + 150 |",
            f"| slowest /healthz meanwhile | {e['health'] * 1000:.0f} ms ({e['health_failures']} failed) | ≤ 50 ms |",
        ]
    closed = f"{stalled['all_closed']:.1f} s" if stalled["all_closed"] is not None else f"{stalled['still_open']} still open at 90 s"
    trickle = f"{stalled['trickle']:.1f} s" if stalled["trickle"] is not None else "still open at 120 s"
    lines += [
        f"| 1,000 stalled bodies: all closed by the server after | {closed} | ≤ 30 s |",
        f"| server's open files before / with them / after | {stalled['before']} / {stalled['during']} / {stalled['after']} | |",
        f"| a body at 1 byte/s closed after | {trickle} | |",
        f"| panics counted in /healthz at the end | {panics.group(1) if panics else 'not reported'} | 0 |",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        write_section("## Hardening: bursts against the release binary", section)


if __name__ == "__main__":
    main()
