#!/usr/bin/env python3
"""PostgreSQL restarted under feedback load: what is acknowledged must be stored.

    python3 bench/pg_restart.py [--bin target/release/yizhan] [--write]

Needs the local PostgreSQL at 127.0.0.1:5432 (user postgres, trust
authentication, database `test`) and root, for `pg_ctlcluster`.

1. `psql -h 127.0.0.1 -U postgres -d test -c 'CREATE DATABASE yizhan_pgrestart_<pid>'`,
   then `yizhan migrate` on it.
2. `yizhan serve` on a free 127.0.0.1 port with
   YIZHAN_DATABASE_URL=postgres://postgres@127.0.0.1:5432/yizhan_pgrestart_<pid>,
   YIZHAN_FEEDBACK_PER_HOUR=1000000 and YIZHAN_LOG=warn.
3. 4 client threads post feedback continuously for 12 s (bodies
   "pg-restart #N", each form its own GET of /stations/{id} for the csrf and
   submission fields of `form.feedback-form`, then one POST; never sent again;
   10 s per request). Every answer is recorded with its time: 303 to
   /feedback/{receipt} = acknowledged; 503 = refused; other statuses and
   connection errors/timeouts counted apart. GET /healthz is polled every 0.5 s
   (its "writes" field: "ok", {"status": "failing", …}, or absent).
4. 3 s into the load, PostgreSQL is restarted:
   `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main restart`
   (run through bash as written; fast shutdown: open sessions are cut). The
   client sessions of other databases at that moment are printed, and
   `pg_isready -h 127.0.0.1` runs every 0.1 s from then on, to tell when
   PostgreSQL stopped and started accepting connections. Posting goes
   on; if no POST sent after the restart command returned has got a 303 by the
   end of the 12 s, posting goes on until one does or 15 s after the restart.
5. Then every acknowledged receipt must resolve (GET /feedback/{receipt} → 200)
   and be in the database with the body sent (psql: `SELECT receipt, body FROM
   feedback`). Posts are never retried, so a refused body should not be stored;
   one that is stored after a 503 is printed as "ambiguous: the connection
   dropped at COMMIT" (the server may have committed what the client saw fail),
   not counted as a failure; stored after another 5xx or after no answer is
   printed apart.
6. SIGTERM to the server; the database is dropped (`DROP DATABASE … WITH
   (FORCE)`); PostgreSQL is checked with `pg_isready -h 127.0.0.1` (and started
   with `pg_ctlcluster … start` if it is not up).

Prints "acknowledged vs present", the answers over time (1 s buckets from the
restart) and the time to the first 303 after the restart, and the RESULTS.md
section; with --write, replaces the "## Fault: PostgreSQL restart under load"
section of bench/RESULTS.md (or adds it at the end). Exits 1 when an
acknowledged item is missing (not in the database, not resolving, or holding
another body) or when no POST sent after the restart got a 303 within 15 s of
the restart command's return; 2 when the run could not be made (PostgreSQL not
ready, database not created, migrate or start-up failed, the hard time limit of
--limit seconds, 120 by default, ran out). Python 3 standard library and the
PostgreSQL client tools; builds nothing; loopback only.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultload import (  # noqa: E402
    HardTimeout, HealthPoller, Poster, Server, arm_hard_timeout, binary_line, command_line, commit_line, counts,
    default_binary, find_stations, fmt_counts, free_port, listing, now, on_backstop, resolve, summarize_warns,
    report, timeline,
)

HEADING = "## Fault: PostgreSQL restart under load"
PREFIX = "pg-restart #"
RESTART = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main restart"
START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start"
SEP = "\x1f"


class CannotRun(Exception):
    """The run could not be made (exit 2)."""


def psql(db, sql, timeout=30):
    return subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-v", "ON_ERROR_STOP=1",
                           "-X", "-q", "-At", "-F", SEP, "-c", sql], capture_output=True, text=True, timeout=timeout)


def pg_ready(timeout=5):
    try:
        r = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-t", str(timeout)], capture_output=True, text=True,
                           timeout=timeout + 5)
        return r.returncode == 0, r.stdout.strip()
    except subprocess.TimeoutExpired:
        return False, "pg_isready timed out"


def ensure_pg_up():
    """pg_isready; when not ready, `pg_ctlcluster … start` and wait up to 30 s. Returns a sentence."""
    ok, out = pg_ready()
    if ok:
        return f"ready ({out})"
    start = subprocess.run(["bash", "-c", START], capture_output=True, text=True, timeout=60)
    deadline = now() + 30
    while now() < deadline:
        ok, out = pg_ready(2)
        if ok:
            return f"was not ready; started with pg_ctlcluster (exit {start.returncode}); now ready ({out})"
        time.sleep(0.5)
    return f"NOT READY: pg_ctlcluster start exited {start.returncode}: {start.stderr.strip()}; {out}"


class ReadyWatch:
    """`pg_isready` every 0.1 s on its own thread: when PostgreSQL stopped and started accepting connections."""

    def __init__(self):
        self.samples = []  # (t, ready)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self):
        while not self.stop_event.is_set():
            t = now()
            ready = pg_ready(1)[0]
            self.samples.append((now(), ready))  # when the answer came
            self.stop_event.wait(max(0.0, 0.1 - (now() - t)))

    def outage(self):
        """(first sample not ready, first ready sample after it), or (None, None)."""
        down = next((t for t, ok in self.samples if not ok), None)
        if down is None:
            return None, None
        up = next((t for t, ok in self.samples if ok and t > down), None)
        return down, up


def longest_gap(posts, t_from, t_to):
    """Longest time within [t_from, t_to] without a 303 arriving: (seconds, start)."""
    times = sorted(p["t_done"] for p in posts if p["answer"] == 303 and p["receipt"] and t_from <= p["t_done"] <= t_to)
    edges = [t_from] + times + [t_to]
    return max(((b - a, a) for a, b in zip(edges, edges[1:])), default=(0.0, t_from))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", help="server binary (default target/release/yizhan)")
    ap.add_argument("--write", action="store_true", help=f'replace the "{HEADING}" section of bench/RESULTS.md')
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--duration", type=float, default=12.0, help="seconds of posting")
    ap.add_argument("--restart-at", type=float, default=3.0, help="seconds into the load to restart PostgreSQL")
    ap.add_argument("--recover-limit", type=float, default=15.0,
                    help="seconds after the restart within which a POST must get a 303 again")
    ap.add_argument("--limit", type=float, default=120.0, help="hard overall time limit, seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder with the server log")
    args = ap.parse_args()
    binary, binary_abs = default_binary(args.bin)
    t_start = now()
    arm_hard_timeout(args.limit)

    dbname = f"yizhan_pgrestart_{os.getpid()}"
    db_url = f"postgres://postgres@127.0.0.1:5432/{dbname}"
    workdir = tempfile.mkdtemp(prefix="yizhan-pgrestart-")
    created = False
    server = None
    poster = poller = None
    problems = []
    exit_code = 0
    pg_end = dropped = None
    on_backstop(lambda: subprocess.run(["bash", "-c", START], capture_output=True, timeout=20))
    try:
        ok, out = pg_ready()
        if not ok:
            raise CannotRun(f"PostgreSQL is not ready at 127.0.0.1:5432: {out}")
        r = psql("test", f"CREATE DATABASE {dbname}")
        if r.returncode != 0:
            raise CannotRun(f"CREATE DATABASE {dbname}: {r.stderr.strip()}")
        created = True
        env = {"YIZHAN_DATABASE_URL": db_url, "YIZHAN_FEEDBACK_PER_HOUR": "1000000", "YIZHAN_LOG": "warn"}
        menv = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
        menv.update(env)
        mig = subprocess.run([binary_abs, "migrate"], env=menv, cwd=workdir, capture_output=True, text=True,
                             timeout=60)
        if mig.returncode != 0:
            raise CannotRun(f"migrate exited with {mig.returncode}: {mig.stderr.strip()[-500:]}")
        port = free_port()
        print(f"binary {binary}, database {db_url}, port {port}")
        server = Server([binary_abs, "serve"], env, port, workdir, name="server")
        try:
            start_ms = server.start()
        except RuntimeError as e:
            raise CannotRun(str(e))
        stations = find_stations(server.base)
        if not stations:
            raise CannotRun("no station page with a feedback form")

        # ------------------------------------------------------ load and restart
        poster = Poster(server.base, stations, PREFIX, clients=args.clients)
        poller = HealthPoller(port)
        t_load = now()
        poller.start()
        poster.start()
        time.sleep(args.restart_at)
        others = psql("test", "SELECT coalesce(datname, '-'), coalesce(nullif(application_name, ''), '-'), "
                              "coalesce(state, '-') FROM pg_stat_activity WHERE backend_type = 'client backend' "
                              f"AND pid <> pg_backend_pid() AND datname IS DISTINCT FROM '{dbname}'")
        other_sessions = [tuple(line.split(SEP)) for line in others.stdout.splitlines() if line]
        watch = ReadyWatch()
        watch.start()
        t_restart = now()
        rs = subprocess.run(["bash", "-c", RESTART], capture_output=True, text=True, timeout=90)
        t_back = now()
        restart_out = (rs.stdout + rs.stderr).strip()
        print(f"restart: `{RESTART}` exit {rs.returncode} in {t_back - t_restart:.2f} s"
              + (f": {restart_out}" if restart_out else ""))
        if rs.returncode != 0:
            problems.append(f"pg_ctlcluster restart exited {rs.returncode}: {restart_out}")

        def first_ok_after_back():
            with poster.lock:
                return min((p["t_done"] for p in poster.posts
                            if p["t_sent"] >= t_back and p["answer"] == 303 and p["receipt"]), default=None)

        while True:
            t = now()
            if t >= t_load + args.duration and (first_ok_after_back() is not None
                                                or t >= t_back + args.recover_limit):
                break
            time.sleep(0.05)
        t_end = now()
        watch.stop()
        still = poster.stop()
        if still:
            problems.append(f"{still} client threads still waiting on a request after stopping")
        poller.stop()
        posts = sorted(poster.posts, key=lambda p: p["t_sent"])
        pg_after, pg_after_out = pg_ready()

        # ------------------------------------------------------ checks
        acked = [p for p in posts if p["answer"] == 303 and p["receipt"]]
        receipts = {p["receipt"]: p["body"] for p in acked}
        resolved = resolve(server.base, receipts)
        q = psql(dbname, f"SELECT receipt, body FROM feedback WHERE body LIKE '{PREFIX}%'")
        if q.returncode != 0:
            problems.append(f"the database could not be read: {q.stderr.strip()}")
        rows = [tuple(line.split(SEP, 1)) for line in q.stdout.splitlines() if SEP in line]
        server_alive = server.running()
        stop_code = server.stop()

        by_receipt = dict(rows)
        stored_bodies = Counter(b for _, b in rows)
        present = [r for r in receipts if r in by_receipt]
        lost = [r for r in receipts if r not in by_receipt]
        wrong_body = [r for r in present if by_receipt[r] != receipts[r]]
        unresolved = {r: s for r, s in resolved.items() if s != 200}
        refused = [p for p in posts if p["answer"] == 503]
        ambiguous = [p["body"] for p in refused if p["body"] in stored_bodies]
        fivexx = [p for p in posts if isinstance(p["answer"], int) and p["answer"] >= 500 and p["answer"] != 503]
        fivexx_stored = [p["body"] for p in fivexx if p["body"] in stored_bodies]
        noanswer = [p for p in posts if not isinstance(p["answer"], int)]
        noanswer_stored = [p["body"] for p in noanswer if p["body"] in stored_bodies]
        other = [p for p in posts if isinstance(p["answer"], int) and p["answer"] < 500 and
                 not (p["answer"] == 303 and p["receipt"])]
        dup_bodies = [b for b, n in stored_bodies.items() if n > 1]

        first_ok = first_ok_after_back()
        bad_after = [p for p in posts if p["t_done"] >= t_restart and not (p["answer"] == 303 and p["receipt"])]
        first_bad = min((p["t_done"] for p in bad_after), default=None)
        last_bad = max((p["t_done"] for p in bad_after), default=None)
        recovered = first_ok is not None and first_ok - t_back <= args.recover_limit
        unstable = [p for p in posts if first_ok is not None and p["t_sent"] >= first_ok
                    and not (p["answer"] == 303 and p["receipt"])]

        pg_down, pg_up = watch.outage()
        first_ok_after_bad = min((p["t_done"] for p in posts if first_bad is not None and p["t_sent"] >= first_bad
                                  and p["answer"] == 303 and p["receipt"]), default=None)
        gap, gap_start = longest_gap(posts, t_restart, t_end)

        def rel(t, ref=t_restart):
            return f"{t - ref:+.2f} s" if t is not None else "never"

        phases = [("before the restart", t_load, t_restart), ("during pg_ctlcluster restart", t_restart, t_back),
                  ("after it returned", t_back, t_end + 60)]
        phase_lines = [
            f"{name} ({min(t1, t_end) - t0:.1f} s): "
            f"{fmt_counts(counts([p for p in posts if t0 <= p['t_sent'] < t1]))}" for name, t0, t1 in phases]
        health_lines = [f"{name}: {poller.states(t0, t1)}" for name, t0, t1 in phases]
        tl = timeline(posts, t_restart, t_load, t_end)
        warns = server.warn_lines()

        if lost:
            problems.append(f"{len(lost)} acknowledged receipts are not in the database (e.g. {listing(lost, 3)})")
        if unresolved:
            problems.append(f"{len(unresolved)} acknowledged receipts do not resolve "
                            f"(e.g. {listing((f'{r} → {s}' for r, s in unresolved.items()), 3)})")
        if wrong_body:
            problems.append(f"{len(wrong_body)} receipts hold another body (e.g. {listing(wrong_body, 3)})")
        if not recovered:
            problems.append(f"no POST sent after the restart got a 303 within {args.recover_limit:g} s "
                            f"(first: {rel(first_ok, t_back)} after pg_ctlcluster returned)")
        recovery = (f"first 303 of a POST sent after pg_ctlcluster returned: {rel(first_ok, t_back)} after it "
                    f"returned ({rel(first_ok)} after the restart began)")

        # ------------------------------------------------------ print
        print()
        print(f"posting:                        {args.clients} clients, {len(posts)} POSTs in {t_end - t_load:.1f} s; "
              f"form GET failures: {fmt_counts(poster.get_failures)}")
        print(f"other client sessions at the restart: "
              + (", ".join(f"{d} ({a}, {s})" for d, a, s in other_sessions) or "none"))
        print(f"pg_ctlcluster restart:          exit {rs.returncode}, {t_back - t_restart:.2f} s")
        for line in phase_lines:
            print(f"  {line}")
        print("POSTs by send time (s after the restart began):")
        for line in tl:
            print(f"  {line}")
        print(f"pg_isready (every 0.1 s):       not ready from {rel(pg_down)} to {rel(pg_up)} after the restart began"
              if pg_down else "pg_isready (every 0.1 s):       never seen not ready")
        print(f"failed answers after the restart began: first at {rel(first_bad)}, last at {rel(last_bad)}; "
              f"first 303 of a POST sent after the first failure: {rel(first_ok_after_bad)}"
              if first_bad is not None else "failed answers after the restart began: none")
        print(f"longest time without a 303 from the restart on: {gap:.2f} s (from {rel(gap_start)})")
        print(f"recovery:                       {recovery}; non-303 answers to posts sent after it: {len(unstable)}")
        print(f"acknowledged (303 + receipt):   {len(receipts)}")
        print(f"present in the database:        {len(present)}; resolving over HTTP: "
              f"{sum(1 for s in resolved.values() if s == 200)} of {len(resolved)}")
        print(f"lost:                           {len(lost)}" + (f"  {listing(lost)}" if lost else ""))
        print(f"acknowledged vs present:        {len(receipts)} acknowledged, {len(present)} present, "
              f"{len(lost)} lost")
        print(f"refused (503):                  {len(refused)}; stored anyway (ambiguous: the connection dropped "
              f"at COMMIT): {len(ambiguous)}" + (f"  {listing(ambiguous)}" if ambiguous else ""))
        print(f"other 5xx:                      {fmt_counts(counts(fivexx))}; stored anyway: {len(fivexx_stored)}"
              + (f"  {listing(fivexx_stored)}" if fivexx_stored else ""))
        print(f"no answer (connection/timeout): {fmt_counts(counts(noanswer))}; stored anyway: "
              f"{len(noanswer_stored)}")
        print(f"other answers:                  {fmt_counts(counts(other))}")
        for k, v in sorted(poster.samples.items()):
            print(f"    {k}: {v[:120]}")
        print(f"receipts holding another body:  {len(wrong_body)}; bodies stored twice: {len(dup_bodies)}")
        print("/healthz writes:")
        for line in health_lines:
            print(f"  {line}")
        print(f"/healthz database field:        {poller.database_states()}")
        print(f"PostgreSQL after the load:      {'ready' if pg_after else 'NOT READY'} ({pg_after_out})")
        print(f"server:                         start-up {start_ms:.0f} ms; "
              f"{'running' if server_alive else 'HAD EXITED'} at the end; SIGTERM → {stop_code}")
        print(f"server WARN/ERROR lines:        {len(warns)}")
        for msg, n in summarize_warns(warns):
            print(f"    {n}× {msg}")

        # ------------------------------------------------------ the section
        lines = [
            HEADING,
            "",
            f"`{command_line()}` on {time.strftime('%Y-%m-%d')}; commit {commit_line()}; binary "
            f"{binary_line(binary, binary_abs)}; PostgreSQL "
            f"{(psql('test', 'SHOW server_version').stdout.strip() or '?')} at 127.0.0.1:5432, a fresh database; "
            f"{args.clients} clients posting new forms continuously for {args.duration:g} s, never retrying; "
            f"{args.restart_at:g} s into the load `{RESTART}` (fast shutdown; took {t_back - t_restart:.1f} s). "
            "Then every acknowledged receipt looked up (GET /feedback/{receipt} and `feedback` through psql). "
            f"Other client sessions at the restart: "
            + (", ".join(f"{d} ({a})" for d, a, _ in other_sessions) or "none") + ".",
            "",
            "| Measure | Value |",
            "| --- | --- |",
        ]
        lines += [f"| POST answers, {line.split(': ', 1)[0]} | {line.split(': ', 1)[1]} |" for line in phase_lines]
        lines += [
            f"| POST answers by send time, 1 s buckets from the restart | {'; '.join(' '.join(l.split()) for l in tl)} |",
            f"| PostgreSQL not accepting connections (`pg_isready` every 0.1 s) | "
            + (f"from {rel(pg_down)} to {rel(pg_up)} after the restart began |" if pg_down else "never seen |"),
            (f"| First / last failed answer after the restart began; first 303 of a POST sent after the first "
             f"failure | {rel(first_bad)} / {rel(last_bad)}; {rel(first_ok_after_bad)} |" if first_bad is not None
             else "| Failed answers after the restart began | none |"),
            f"| Longest time without a 303 from the restart on | {gap:.2f} s (from {rel(gap_start)}) |",
            f"| First 303 of a POST sent after pg_ctlcluster returned | {rel(first_ok, t_back)} after it returned "
            f"({rel(first_ok)} after the restart began); non-303 after it: {len(unstable)} |",
            f"| Acknowledged (303 with a receipt) / present / lost | {len(receipts)} / {len(present)} / "
            f"**{len(lost)}** |",
            f"| Acknowledged receipts resolving over HTTP | {sum(1 for s in resolved.values() if s == 200)} "
            f"of {len(resolved)} |",
            f"| Refused (503) / stored anyway (ambiguous: the connection dropped at COMMIT) | {len(refused)} / "
            f"{len(ambiguous)} |",
            f"| Other 5xx / stored anyway | {fmt_counts(counts(fivexx))} / {len(fivexx_stored)} |",
            f"| No answer (connection error, timeout) / stored anyway | {fmt_counts(counts(noanswer))} / "
            f"{len(noanswer_stored)} |",
        ]
        lines += [f"| /healthz `writes`, {line.split(': ', 1)[0]} | {line.split(': ', 1)[1]} |" for line in health_lines]
        lines += [
            f"| Server WARN/ERROR log lines / exit on SIGTERM | {len(warns)} / {stop_code} |",
            f"| Verdict | {'FAIL: ' + '; '.join(problems) if problems else 'PASS'} |",
            "",
        ]
        exit_code = report(HEADING, "\n".join(lines), problems, args.write)
    except CannotRun as e:
        print(f"\nFAIL: cannot run: {e}")
        exit_code = 2
    except HardTimeout as e:
        print(f"\nFAIL: {e} (after {now() - t_start:.0f} s)")
        exit_code = 2
    finally:
        signal.alarm(0)
        if poster:
            poster.stop_event.set()
        if poller:
            poller.stop_event.set()
        if server and server.running():
            server.stop()
        pg_end = ensure_pg_up()
        if created:
            d = psql("test", f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
            dropped = "dropped" if d.returncode == 0 else f"NOT dropped: {d.stderr.strip()}"
            print(f"database {dbname}: {dropped}")
        print(f"PostgreSQL at the end: {pg_end}")
        if args.keep or exit_code:
            print(f"kept {workdir} (server log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"total time {now() - t_start:.1f} s")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
