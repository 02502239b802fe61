#!/usr/bin/env python3
"""Bursts of 100 against the public figure pages: /stats, the bulletins, /showcase.

    python3 bench/figures.py [--bin target/release/yizhan] [--count 200000] [--write]

Makes a fresh SQLite database with --count synthetic stations (`yizhan
gen-synthetic`), one city administrator, and written straight into the tables:
100,000 pieces of workers' feedback over the last 120 days (70% with a first
staff step 1 to 72 hours later) and 50,000 audit rows of station edits (a
district or status change each). Starts `yizhan serve` and sends, one burst after
the other, 100 parallel GETs of:

- `/stations` (the station list: the baseline measured alongside);
- `/stats` (snapshot figures plus two queries: feedback of the last 90 days and
  open follow-ups);
- `/bulletin/<last month>` (the whole history read once; the other 99 wait for it
  and are served the kept result);
- `/bulletin/<this month>` (provisional, kept for a minute);
- `/showcase`.

Reported per burst: answers by status, seconds until the last answer, the slowest
and the median answer, the server's peak RSS, and the slowest /healthz while it
ran. With --write, the "## Figure pages" section of bench/RESULTS.md is replaced
(or added at the end).
"""

import argparse
import datetime
import http.client
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hardening import ROOT, Watch, free_port, rss_mb, run, start_server, write_section  # noqa: E402


def fill(db_path, feedback, audits):
    now = int(time.time())
    con = sqlite3.connect(db_path)
    stations = con.execute("SELECT id, district_code FROM stations").fetchall()
    staff = con.execute("SELECT id FROM staff").fetchone()[0]
    rng = random.Random(7)
    rows, events = [], []
    for i in range(feedback):
        sid, district = rng.choice(stations)
        created = now - rng.randint(0, 120 * 86400)
        rows.append((f"B{i:08d}", f"bench-{i}", sid, district, "suggestion", "希望多放几把椅子", "published", created, created))
        if rng.random() < 0.7:
            events.append((i + 1, staff, created + rng.randint(3600, 72 * 3600), "publish"))
    con.executemany(
        "INSERT INTO feedback (receipt, submission, station_id, district_code, kind, body, state, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    first = con.execute("SELECT MIN(id) FROM feedback WHERE submission LIKE 'bench-%'").fetchone()[0]
    con.executemany(
        "INSERT INTO feedback_events (feedback_id, staff_id, at, action) VALUES (?, ?, ?, ?)",
        [(first + fid - 1, s, at, a) for fid, s, at, a in events],
    )
    audit = []
    for _ in range(audits):
        sid, district = rng.choice(stations)
        at = now - rng.randint(0, 120 * 86400)
        if rng.random() < 0.5:
            audit.append((at, staff, "station", str(sid), sid, "edit", '{"status":"open"}', '{"status":"temporarily_closed"}'))
        else:
            audit.append((at, staff, "station", str(sid), sid, "edit", '{"district":"110106"}', f'{{"district":"{district}"}}'))
    con.executemany(
        "INSERT INTO audit_log (at, staff_id, entity, entity_key, station_id, action, before, after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        audit,
    )
    con.commit()
    con.close()


def burst(pid, port, path, n=100):
    barrier = threading.Barrier(n)
    results = [None] * n

    def one(i):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        barrier.wait()
        start = time.monotonic()
        try:
            c.request("GET", path, headers={"Accept-Language": "zh-CN"})
            r = c.getresponse()
            r.read()
            results[i] = (r.status, time.monotonic() - start)
        except OSError as e:
            results[i] = (type(e).__name__, time.monotonic() - start)
        finally:
            c.close()

    with Watch(pid, port) as w:
        start = time.monotonic()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        total = time.monotonic() - start
    times = [r[1] for r in results]
    return {
        "path": path,
        "statuses": Counter(r[0] for r in results),
        "total": total,
        "slowest": max(times),
        "median": statistics.median(times),
        "peak_rss": w.peak_rss,
        "health": w.slowest_health,
    }


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(ROOT, "target/release/yizhan"))
    p.add_argument("--count", type=int, default=200000)
    p.add_argument("--write", action="store_true")
    a = p.parse_args()
    tmp = tempfile.mkdtemp(prefix="yizhan-figures-")
    db = os.path.join(tmp, "bench.db")
    port = free_port()
    env = dict(os.environ, YIZHAN_DATABASE_URL=f"sqlite://{db}", YIZHAN_BIND=f"127.0.0.1:{port}",
               YIZHAN_ADMIN_PASSWORD="bench-password-1234")
    run([a.bin, "migrate"], env)
    run([a.bin, "gen-synthetic", "--count", str(a.count)], env)
    run([a.bin, "create-admin", "--username", "bench", "--name", "测试"], env)
    fill(db, 100_000, 50_000)
    today = datetime.date.today()
    this_month = today.strftime("%Y-%m")
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).strftime("%Y-%m")
    with open(os.path.join(tmp, "server.log"), "w") as log:
        server, port = start_server(a.bin, env, log)
        try:
            idle = rss_mb(server.pid)
            out = [burst(server.pid, port, path) for path in
                   ["/stations", "/stats", f"/bulletin/{last_month}", f"/bulletin/{this_month}", "/showcase"]]
        finally:
            server.terminate()
            server.wait()
    lines = [
        "## Figure pages: bursts of 100",
        "",
        f"`python3 bench/figures.py --count {a.count} --write` (release build, SQLite; {a.count:,} synthetic stations, "
        "100,000 pieces of feedback, 50,000 audit rows; 100 parallel GETs of each page, one page after the other; "
        f"`/stations` is the baseline measured alongside). Server RSS at rest: {idle:.0f} MB.",
        "",
        "| Page | Answers | Last answer | Median | Slowest | vs /stations (median) | Peak RSS | Slowest /healthz |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    base = out[0]["median"]
    for r in out:
        statuses = ", ".join(f"{k}: {v}" for k, v in sorted(r["statuses"].items(), key=str))
        lines.append(
            f"| `{r['path']}` | {statuses} | {r['total']:.2f} s | {r['median'] * 1000:.0f} ms | {r['slowest'] * 1000:.0f} ms "
            f"| {r['median'] / base:.1f}× | {r['peak_rss']:.0f} MB | {r['health'] * 1000:.0f} ms |"
        )
    section = "\n".join(lines) + "\n"
    print(section)
    if a.write:
        write_section("## Figure pages: bursts of 100", section)


if __name__ == "__main__":
    main()
