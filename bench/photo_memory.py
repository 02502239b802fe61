#!/usr/bin/env python3
"""Memory of photo conversions under the shared budget, against the release binary.

    pip install pillow   # to make the test pictures
    python3 bench/photo_memory.py [--bin target/release/yizhan] [--synthetic 0] [--burst 26] [--write]

Makes a fresh SQLite database in a temporary folder (`yizhan migrate`: the seed
stations; `--synthetic N` adds N more with `gen-synthetic`) and a city
administrator (`create-admin`), and makes three pictures in memory with Pillow:

- an 8100 x 8100 lossless WebP (RGB: gradients with tiles of noise, lossless=True),
- an 8100 x 8100 PNG (RGB, the same picture),
- a 4000 x 3000 phone-like JPEG (noise over a gradient at quality 92, with EXIF;
  the one bench/photos.py uploads).

Each measurement runs against its own fresh `yizhan serve` (YIZHAN_LOG=warn, on
a free 127.0.0.1 port, the same database), signed in as the administrator; the
upload is a multipart POST to /admin/stations/{id}/photos with the csrf field:

1. for each picture, one upload as a door photo of its own station: the answer,
   RSS before, peak, peak - before, RSS 2 s after the answer, the kernel's VmHWM
   (the process's RSS high-water mark since it started), and the memory
   `memory_needed` (src/domain/photo.rs) estimates for it, computed here from the
   same formula;
2. --burst uploads of the WebP at once (all wait at a barrier, then send), each as
   an inside photo, spread over the stations round-robin (at most 5 inside photos
   a station, src/store/photos.rs INSIDE_PHOTOS): answers by status (busy 429 /
   503 apart), RSS idle (just before), peak, peak - idle, VmHWM, RSS 5 s after,
   compared with the budget (src/web/photos.rs MEMORY_BUDGET_MB = 480) plus the
   upload bodies held (at most UPLOADS_AT_ONCE = 24 of them). The server's
   Prometheus gauges photo_memory_in_use_megabytes and upload_slots_in_use are
   read from its metrics address every 50 ms meanwhile (their largest values).

RSS is VmRSS from /proc/<pid>/status, sampled every 10 ms; MB here are MiB
(2^20 bytes), as VmRSS / 1024 and as the budget counts them. With --write, the
"## Photo memory" section of bench/RESULTS.md is replaced (or added at the end).
"""

import argparse
import http.client
import io
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hardening import run, start_server, write_section  # noqa: E402
from photos import Session, free_port, phone_jpeg  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password-1234"
BOUNDARY = "----yizhan-photo-memory-boundary"
HEADING = "## Photo memory"
MIB = 1024 * 1024

# From the sources (quoted in the section).
BUDGET_MB = 480  # src/web/photos.rs MEMORY_BUDGET_MB = MAX_CONVERSION / MiB
MAX_CONVERSION = 480 * MIB  # src/domain/photo.rs
MAX_ALLOC = 200 * MIB  # src/domain/photo.rs
LARGE = 1600  # src/domain/photo.rs
MAX_UPLOAD = 8 * MIB  # src/domain/photo.rs
UPLOADS_AT_ONCE = 24  # src/web/photos.rs
INSIDE_PHOTOS = 5  # src/store/photos.rs


# ------------------------------------------------------------------ measuring


def proc_status(pid, field):
    """A /proc/<pid>/status field in kB as MiB (0 once the process is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def rss(pid):
    return proc_status(pid, "VmRSS")


class PeakRss:
    """VmRSS every 10 ms on its own thread; the largest value seen."""

    def __init__(self, pid, every=0.01):
        self.pid, self.every, self.peak, self.samples = pid, every, 0.0, 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, rss(self.pid))
            self.samples += 1
            self.stop.wait(self.every)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


class Gauges:
    """The largest photo_memory_in_use_megabytes and upload_slots_in_use seen on /metrics."""

    NAMES = ("photo_memory_in_use_megabytes", "upload_slots_in_use")

    def __init__(self, port, every=0.05):
        self.port, self.every = port, every
        self.max = {n: None for n in self.NAMES}
        self.failures = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.is_set():
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                c.request("GET", "/metrics")
                text = c.getresponse().read().decode()
                c.close()
                for name in self.NAMES:
                    m = re.search(rf"^\w*{name} ([0-9.e+-]+)$", text, re.M)
                    if m:
                        v = float(m.group(1))
                        self.max[name] = v if self.max[name] is None else max(self.max[name], v)
            except (OSError, http.client.HTTPException):
                self.failures += 1
            self.stop.wait(self.every)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


# ------------------------------------------------------------------ pictures


def big_rgb(side=8100):
    """An RGB picture of side x side: three gradients, with 256-px tiles of noise in a checkerboard."""
    from PIL import Image, ImageChops

    rnd = random.Random(11)
    across = Image.linear_gradient("L").rotate(90).resize((side, side))
    down = Image.linear_gradient("L").resize((side, side))
    img = Image.merge("RGB", (across, down, ImageChops.invert(across)))
    tile = Image.frombytes("RGB", (256, 256), rnd.randbytes(256 * 256 * 3))
    for ty in range(0, side, 512):
        for tx in range(((ty // 512) % 2) * 256, side, 512):
            img.paste(tile, (tx, ty))
    return img


def encoded(img, fmt, **kw):
    out = io.BytesIO()
    img.save(out, fmt, **kw)
    return out.getvalue()


def channels(data):
    """Bytes per pixel of the decoded picture, as the Rust decoders report it
    (image-webp: 4 when the VP8L header's alpha_is_used bit or VP8X's alpha flag is set)."""
    from PIL import Image

    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        chunk = data[12:16]
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return 4 if (bits >> 28) & 1 else 3
        if chunk == b"VP8X":
            return 4 if data[20] & 0x10 else 3
        return 3
    mode = Image.open(io.BytesIO(data)).mode
    return {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "P": 3, "I;16": 2}.get(mode, 3)


def memory_needed(data, fmt):
    """src/domain/photo.rs memory_needed: picture + beside + 1600*1600*4 + upload size."""
    from PIL import Image

    w, h = Image.open(io.BytesIO(data)).size
    picture = w * h * channels(data)
    beside = {"WebP": w * h * 4, "PNG": picture // 4}.get(fmt, picture // 2)
    large = LARGE * LARGE * 4
    needed = picture + beside + large + len(data)
    refused = picture > MAX_ALLOC or needed > MAX_CONVERSION
    parts = dict(picture=picture, beside=beside, large=large, upload=len(data))
    return needed, -(-needed // MIB), refused, parts


# ------------------------------------------------------------------ the server


def multipart(fields, photo, filename, ctype):
    out = io.BytesIO()
    for k, v in fields.items():
        out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
    out.write(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="photo"; filename="{filename}"\r\n'
        f"Content-Type: {ctype}\r\n\r\n".encode()
    )
    out.write(photo)
    out.write(f"\r\n--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


def upload(session, station, kind, body):
    """(status or error name, done= key or '', Retry-After or None, seconds)."""
    start = time.monotonic()
    try:
        status, headers, _ = session.request(
            "POST",
            f"/admin/stations/{station}/photos",
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        )
    except (OSError, http.client.HTTPException) as e:
        return type(e).__name__, "", None, time.monotonic() - start
    h = {k.lower(): v for k, v in headers.items()}
    loc = h.get("location", "")
    done = loc.split("done=")[-1].split("#")[0] if "done=" in loc else ""
    return status, done, h.get("retry-after"), time.monotonic() - start


class Serving:
    """A fresh `yizhan serve` on the test database, signed in; stopped on exit."""

    def __init__(self, binary, base_env, tmp, name):
        self.binary, self.tmp, self.name = binary, tmp, name
        self.env = dict(base_env)
        self.env["YIZHAN_BIND"] = f"127.0.0.1:{free_port()}"
        self.metrics_port = free_port()
        self.env["YIZHAN_METRICS_BIND"] = f"127.0.0.1:{self.metrics_port}"
        self.server = None

    def __enter__(self):
        self.log = open(os.path.join(self.tmp, f"server-{self.name}.log"), "w")
        self.server, self.port = start_server(self.binary, self.env, self.log)
        self.pid = self.server.pid
        try:
            s = Session(self.port)
            csrf = s.csrf("/admin/login")
            body = urllib.parse.urlencode({"csrf": csrf, "next": "/admin", "username": "bench", "password": PASSWORD})
            status, _, _ = s.request(
                "POST", "/admin/login", body=body, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
            if status != 303:
                raise RuntimeError(f"sign-in answered {status}")
            self.session = s
        except BaseException:
            self.stop()
            raise
        return self

    def csrf(self, station):
        return self.session.csrf(f"/admin/stations/{station}")

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                self.server.kill()
                self.server.wait(10)
        self.log.close()

    def __exit__(self, *exc):
        self.stop()


# ------------------------------------------------------------------ the runs


def one_upload(binary, env, tmp, name, station, data, filename, ctype):
    with Serving(binary, env, tmp, name) as srv:
        body = multipart({"csrf": srv.csrf(station), "kind": "door"}, data, filename, ctype)
        time.sleep(1)
        before = rss(srv.pid)
        with PeakRss(srv.pid) as peak:
            status, done, _, took = upload(srv.session, station, "door", body)
        time.sleep(2)
        after = rss(srv.pid)
        hwm = proc_status(srv.pid, "VmHWM")
    return dict(before=before, peak=max(peak.peak, before), after=after, hwm=hwm, status=status, done=done,
                took=took, samples=peak.samples)


def burst(binary, env, tmp, stations, n, data):
    with Serving(binary, env, tmp, "burst") as srv:
        csrf = srv.csrf(stations[0])
        body = multipart({"csrf": csrf, "kind": "inside"}, data, "IMG_8100.webp", "image/webp")
        results, lock = [], threading.Lock()
        barrier = threading.Barrier(n)

        def one(station):
            barrier.wait()
            r = upload(srv.session, station, "inside", body)
            with lock:
                results.append(r)

        time.sleep(1)
        idle = rss(srv.pid)
        print(f"[photo_memory] {n} WebP uploads at once ...", file=sys.stderr)
        with PeakRss(srv.pid) as peak, Gauges(srv.metrics_port) as gauges:
            start = time.monotonic()
            threads = [threading.Thread(target=one, args=(stations[i % len(stations)],)) for i in range(n)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            took = time.monotonic() - start
        hwm = proc_status(srv.pid, "VmHWM")
        time.sleep(5)
        after = rss(srv.pid)
    return dict(idle=idle, peak=max(peak.peak, idle), hwm=hwm, after=after, took=took,
                results=results, gauges=gauges.max, gauge_failures=gauges.failures, samples=peak.samples)


def classify(status, retry_after):
    if isinstance(status, str):
        return "no answer"
    if 200 <= status < 400:
        return "answered 2xx/3xx"
    if status == 429:
        return "busy 429"
    if status == 503:
        return "busy 503" if retry_after is not None else "error 503 without Retry-After"
    if status >= 500:
        return "error"
    return "other 4xx"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default="target/release/yizhan")
    ap.add_argument("--synthetic", type=int, default=0, help="synthetic stations to add (0: the seed only)")
    ap.add_argument("--burst", type=int, default=26)
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    binary = args.bin if os.path.isabs(args.bin) else os.path.join(ROOT, args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"no binary at {args.bin}")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.stat(binary).st_mtime))
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())

    from PIL import Image

    print("[photo_memory] making the pictures ...", file=sys.stderr)
    img = big_rgb()
    webp = encoded(img, "WEBP", lossless=True)
    png = encoded(img, "PNG")
    del img
    jpeg = phone_jpeg()
    pictures = [
        ("WebP", "8100 × 8100 lossless WebP (RGB)", webp, "IMG_8100.webp", "image/webp"),
        ("PNG", "8100 × 8100 PNG (RGB)", png, "IMG_8100.png", "image/png"),
        ("JPEG", "4000 × 3000 phone-like JPEG (quality 92, EXIF)", jpeg, "IMG_0001.jpg", "image/jpeg"),
    ]
    for _, label, data, _, _ in pictures:
        assert len(data) <= MAX_UPLOAD, f"{label}: {len(data)} bytes is over the 8 MB upload limit"
        Image.open(io.BytesIO(data)).verify()

    tmp = tempfile.mkdtemp(prefix="yizhan-photo-memory-")
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
        env.update(YIZHAN_DATABASE_URL=f"sqlite://{tmp}/bench.db", YIZHAN_LOG="warn", YIZHAN_ADMIN_PASSWORD=PASSWORD)
        run([binary, "migrate"], env)
        if args.synthetic:
            run([binary, "gen-synthetic", "--count", str(args.synthetic)], env)
        run([binary, "create-admin", "--username", "bench"], env)

        # The stations (ids) from the public API, on a server started once for it.
        with Serving(binary, env, tmp, "list") as srv:
            _, _, listing = srv.session.request("GET", "/api/stations?per_page=100")
            stations = [int(x) for x in re.findall(rb'"id":(\d+)', listing)]
            total = int(re.search(rb'"total":(\d+)', listing).group(1))
        if len(stations) * INSIDE_PHOTOS < args.burst or len(stations) < len(pictures):
            sys.exit(f"only {len(stations)} stations: use --synthetic")

        singles = []
        for i, (fmt, label, data, filename, ctype) in enumerate(pictures):
            print(f"[photo_memory] one {fmt} upload ...", file=sys.stderr)
            r = one_upload(binary, env, tmp, fmt, stations[i], data, filename, ctype)
            r.update(zip(("needed", "needed_mb", "refused_by_estimate", "parts"), memory_needed(data, fmt)))
            singles.append((fmt, label, data, r))
        b = burst(binary, env, tmp, stations, args.burst, webp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    # ------------------------------------------------------------------ the section
    webp_needed_mb = singles[0][3]["needed_mb"]
    held = min(args.burst, UPLOADS_AT_ONCE)
    bound_max = BUDGET_MB + held * MAX_UPLOAD / MIB
    bound_here = BUDGET_MB + held * len(webp) / MIB
    rise = b["peak"] - b["idle"]
    rise_hwm = b["hwm"] - b["idle"]
    classes = Counter(classify(st, ra) for st, _, ra, _ in b["results"])
    statuses = Counter(
        f"{st}" + (f" (done={d})" if d else "") + (f", Retry-After {ra}" if ra is not None else "")
        for st, d, ra, _ in b["results"]
    )
    times = {}
    for st, d, ra, t in b["results"]:
        times.setdefault(f"{st}" + (f" {d}" if d else ""), []).append(t)
    at_once = (BUDGET_MB // webp_needed_mb) if webp_needed_mb else 0

    def mb(v):
        return f"{v:.0f}"

    lines = [
        HEADING,
        "",
        f"`python3 bench/photo_memory.py{' --write' if args.write else ''}"
        f"{f' --synthetic {args.synthetic}' if args.synthetic else ''}"
        f"{f' --burst {args.burst}' if args.burst != 26 else ''}` on {date}; commit `{commit}`"
        f"{' (work tree has uncommitted changes)' if dirty else ''}; `target/release/yizhan` built {built}; "
        f"{os.cpu_count()} cores (so 2 conversion threads at most, one per core); SQLite, "
        f"{total} stations (`migrate`{f' + `gen-synthetic --count {args.synthetic}`' if args.synthetic else ''}), "
        "`YIZHAN_LOG=warn`. Each measurement runs on its own freshly started server; uploads are multipart POSTs "
        "to `/admin/stations/{id}/photos` (csrf, kind, photo) by a signed-in city administrator, over 127.0.0.1.",
        "",
        "The budget: all conversions in flight share `MEMORY_BUDGET_MB` = 480 MB (src/web/photos.rs); a "
        "conversion waits (at most 20 s, then 429 busy) until its share is free. Its share is "
        "`memory_needed` (src/domain/photo.rs), from the header alone: picture (`total_bytes()` = w × h × "
        "bytes per pixel) + beside (WebP: w × h × 4; PNG: picture / 4; JPEG: picture / 2) + 1600 × 1600 × 4 + "
        "the upload's bytes, rounded up to whole MB (at most 480). MB are MiB (2^20 bytes), as VmRSS / 1024 and the "
        "budget count them. RSS is VmRSS from /proc/PID/status sampled every 10 ms; VmHWM is the kernel's "
        "high-water mark of RSS since the server started (catches a peak between two samples).",
        "",
        "### One upload (door photo, fresh server each)",
        "",
        "| Picture | File (bytes) | Estimate `memory_needed` (MB) | RSS before (MB) | Peak (MB) | Peak − before (MB) "
        "| VmHWM − before (MB) | RSS 2 s after (MB) | Answer, seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for fmt, label, data, r in singles:
        p = r["parts"]
        est = (f"{r['needed'] / MIB:.1f} → {r['needed_mb']} (picture {p['picture'] / MIB:.1f} + beside "
               f"{p['beside'] / MIB:.1f} + large {p['large'] / MIB:.1f} + upload {p['upload'] / MIB:.1f})"
               + (" — **over the limit: refused**" if r["refused_by_estimate"] else ""))
        answer = f"{r['status']}" + (f" (done={r['done']})" if r["done"] else "") + f", {r['took']:.2f} s"
        lines.append(
            f"| {label} | {len(data):,} | {est} | {mb(r['before'])} | {mb(r['peak'])} | {r['peak'] - r['before']:+.0f} "
            f"| {r['hwm'] - r['before']:+.0f} | {mb(r['after'])} | {answer} |"
        )
    lines += [
        "",
        f"### {args.burst} uploads of the WebP at once (inside photos, {len(stations)} stations round-robin)",
        "",
        "| Measure | Value |",
        "| --- | --- |",
        f"| Answers by status | {', '.join(f'{v}× {k}' for k, v in sorted(statuses.items()))} |",
        f"| By class | {', '.join(f'{v} {k}' for k, v in sorted(classes.items()))} |",
        "| Seconds to the answer, by status | "
        + "; ".join(f"{k}: {min(v):.1f}–{max(v):.1f}" for k, v in sorted(times.items())) + f"; all in {b['took']:.1f} s |",
        f"| RSS idle (just before) / peak / VmHWM (MB) | {mb(b['idle'])} / {mb(b['peak'])} / {mb(b['hwm'])} |",
        f"| Peak − idle (MB) | **{rise:+.0f}** (VmHWM − idle: {rise_hwm:+.0f}) |",
        f"| RSS 5 s after the last answer (MB), − idle | {mb(b['after'])}, {b['after'] - b['idle']:+.0f} |",
        f"| Largest `photo_memory_in_use_megabytes` / `upload_slots_in_use` seen (every 50 ms) | "
        f"{b['gauges']['photo_memory_in_use_megabytes']} / {b['gauges']['upload_slots_in_use']}"
        + (f" ({b['gauge_failures']} scrapes failed)" if b["gauge_failures"] else "") + " |",
        f"| The bound the budget promises: 480 + {held} bodies × 8 MB | {bound_max:.0f} MB "
        f"(with this {len(webp) / MIB:.1f} MB file: 480 + {held} × {len(webp) / MIB:.1f} = {bound_here:.0f} MB) |",
        f"| Peak − idle against the bound | {'within' if rise <= bound_max else '**over**'} {bound_max:.0f}; "
        f"{'within' if rise <= bound_here else '**over**'} {bound_here:.0f}; "
        f"{'within' if rise <= BUDGET_MB else 'over'} the budget alone (480) |",
        "",
        f"The WebP's share is {webp_needed_mb} MB of 480, so {at_once} conversion of it at a time fits in the budget "
        "(the two conversion threads cannot both run it). At most 24 uploads are received or converted at once; "
        "more are answered 429 before their body is read; an upload that waits 20 s for its share is answered 429. "
        f"`done=photo_already` is the same picture a second time on the same station ({args.burst} uploads over "
        f"{len(stations)} stations): it was converted all the same, then stored once. "
        "`photo_memory_in_use_megabytes` counts the budget's permits not available: tokio's semaphore hands free "
        "permits to the first waiter bit by bit, so while a conversion waits the gauge reads the share running plus "
        "what the waiter has been handed so far (up to 480), not only the conversions running.",
        "",
        "Estimate against the measured rise of one upload (estimate − (VmHWM − before)): "
        + "; ".join(f"{fmt} {r['needed_mb'] - (r['hwm'] - r['before']):+.0f} MB" for fmt, _, _, r in singles)
        + " (positive: the estimate covers what was measured).",
        "",
        "Before the budget (as measured in the issue): one such WebP raised RSS by 438–465 MB; 26 concurrent "
        "uploads peaked at 903 MB with 2 conversions at a time.",
        "",
    ]
    section = "\n".join(lines)
    print(section)
    if args.write:
        write_section(HEADING, section)


if __name__ == "__main__":
    main()
