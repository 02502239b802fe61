#!/usr/bin/env python3
"""Feedback under SIGKILL (issue #5).

    python3 bench/feedback_kill.py [--bin target/release/yizhan] [--json out.json]

Starts `yizhan serve` on a fresh SQLite file in a temporary folder and a free
127.0.0.1 port, then runs 32 client threads that share 200 feedback
submissions (bodies "kill-test #0" … "kill-test #199", stations 1..16). Each
client keeps its own cookie jar, GETs the station page for the csrf and
submission fields, and POSTs the form. On a connection error, a timeout or a
5xx it sends the SAME form again (same submission key, same csrf, same body)
with a short backoff until it gets the 303 with its receipt; it gives up after
60 s. Before each such re-send it reads the database (read-only) to see
whether an earlier attempt had already committed the row: those are the
"retried after commit" cases (the kill fell between the commit and the 303),
and the receipt of the final 303 must equal the one already stored.

Once --kill-after receipts have arrived (by default a number drawn from 60..80),
the server gets SIGKILL, and after 0.5 s it is started again on the same
database and port while the clients keep retrying.

When every client is done, each client posts each of its forms once more (the
"replay": a client retry after the fact, which must return the same receipt
and store nothing), the server is stopped with SIGTERM and the database is
checked:

  * every receipt a client received is stored exactly once;
  * exactly one row per submission body, and 200 rows with a body "kill-test…";
  * no submission key is stored twice;
  * the row of each submission has the key the client sent and the receipt it got;
  * retried submissions (across the kill or not) got the stored receipt;
  * no submission gave up, no unexpected status (4xx other than the 303).

Prints a summary and exits 1 if a check fails (2 if the server does not start).
Python 3 standard library only; builds nothing. All traffic goes to 127.0.0.1.
"""

import argparse
import http.client
import http.cookiejar
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BODY_PREFIX = "kill-test #"
RECEIPT_RE = re.compile(r"/feedback/(FK-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4})$")
CSRF_RE = re.compile(r'<input type="hidden" name="csrf" value="([0-9a-f]{32})">')
SUBMISSION_RE = re.compile(r'<input type="hidden" name="submission" value="([0-9a-f]{32})">')
RETRYABLE = (
    urllib.error.URLError,  # connection refused/reset while connecting (HTTPError is caught before)
    http.client.HTTPException,  # RemoteDisconnected, BadStatusLine, IncompleteRead
    ConnectionError,
    TimeoutError,
    socket.timeout,
    OSError,
)


def now():
    return time.monotonic()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def error_name(e):
    """A short name for a failed request: 'refused', 'reset', 'timeout', 'http-500', …"""
    if isinstance(e, urllib.error.HTTPError):
        return f"http-{e.code}"
    if isinstance(e, urllib.error.URLError):
        e = e.reason if isinstance(e.reason, BaseException) else e
    if isinstance(e, ConnectionRefusedError):
        return "refused"
    if isinstance(e, ConnectionResetError):
        return "reset"
    if isinstance(e, BrokenPipeError):
        return "broken-pipe"
    if isinstance(e, http.client.RemoteDisconnected):
        return "disconnected"
    if isinstance(e, (TimeoutError, socket.timeout)):
        return "timeout"
    return type(e).__name__


def brief(html):
    """The <title> of an error page, else its first 120 characters."""
    m = re.search(r"<title>(.*?)</title>", html, re.S)
    return m.group(1).strip() if m else html[:120]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 303 surfaces as an HTTPError with its Location


# ------------------------------------------------------------------ the server


class Server:
    def __init__(self, binary, db_path, port, workdir, feedback_per_hour):
        self.binary = binary
        self.db_url = f"sqlite://{db_path}"
        self.port = port
        self.workdir = workdir
        self.base = f"http://127.0.0.1:{port}"
        self.proc = None
        self.generation = 0
        self.logs = []
        env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
        env.update(
            YIZHAN_DATABASE_URL=self.db_url,
            YIZHAN_BIND=f"127.0.0.1:{port}",
            YIZHAN_FEEDBACK_PER_HOUR=str(feedback_per_hour),
            YIZHAN_LOG="warn",
        )
        self.env = env

    def start(self, limit_s=60.0):
        """Starts `serve`; returns the ms until the stdout line and GET /healthz 200, or raises."""
        self.generation += 1
        log_path = os.path.join(self.workdir, f"server-{self.generation}.log")
        self.logs.append(log_path)
        log = open(log_path, "wb")
        t0 = now()
        self.proc = subprocess.Popen(
            [self.binary, "serve"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        announced = False
        while now() - t0 < limit_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; log: {log_path}")
            if not announced:
                with open(log_path, "rb") as f:
                    announced = b"yizhan is serving on http://" in f.read()
            if announced:
                try:
                    with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                        if r.status == 200:
                            return (now() - t0) * 1000
                except Exception:
                    pass
            time.sleep(0.01)
        raise RuntimeError(f"server not answering after {limit_s} s; log: {log_path}")

    def stop(self):
        """SIGTERM, then SIGKILL after 20 s; returns the exit code."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            return "killed after 20 s"

    def warn_lines(self):
        out = []
        for path in self.logs:
            with open(path, "rb") as f:
                for line in f.read().decode("utf-8", "replace").splitlines():
                    if "WARN" in line or "ERROR" in line:
                        out.append(re.sub(r"\x1b\[[0-9;]*m", "", line))
        return out


# ------------------------------------------------------------------ the test


class Run:
    def __init__(self, args, server, db_path):
        self.args = args
        self.server = server
        self.db_path = db_path
        self.lock = threading.Lock()
        self.receipt_cond = threading.Condition(self.lock)
        self.next_index = 0
        self.receipts_total = 0
        self.killed_at = None  # monotonic time of the SIGKILL
        self.ready_again_at = None  # monotonic time the restarted server answered
        self.receipts_at_kill = None
        self.restart_ms = None
        self.restart_error = None
        self.t0 = now()
        # Per submission index: what happened.
        self.subs = {}
        # Failed requests: (monotonic time, method, error name)
        self.failures = []
        self.unexpected = []  # (index, method, status, snippet)
        self.samples_5xx = []

    # -------------------------------------------------- helpers

    def opener(self):
        jar = http.cookiejar.CookieJar()
        return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect()), jar

    def note_failure(self, method, e, index):
        name = error_name(e)
        with self.lock:
            self.failures.append((now(), method, name))
            if isinstance(e, urllib.error.HTTPError) and len(self.samples_5xx) < 5:
                try:
                    snippet = brief(e.read(2000).decode("utf-8", "replace"))
                except Exception:
                    snippet = ""
                self.samples_5xx.append((index, method, e.code, snippet))
        return name

    def stored_receipt(self, submission):
        """The receipt stored for a submission key right now (read-only), or None; 'error: …' if unreadable."""
        try:
            con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=5)
            try:
                row = con.execute("SELECT receipt FROM feedback WHERE submission = ?", (submission,)).fetchone()
            finally:
                con.close()
            return row[0] if row else None
        except sqlite3.Error as e:
            return f"error: {e}"

    def backoff(self, attempt):
        time.sleep(min(0.5, 0.05 * (1.5**attempt)) * random.uniform(0.8, 1.2))

    # -------------------------------------------------- one client

    def client(self, client_no):
        opener, _jar = self.opener()
        base = self.server.base
        while True:
            with self.lock:
                if self.next_index >= self.args.submissions:
                    return
                index = self.next_index
                self.next_index += 1
            station = 1 + index % 16
            body = f"{BODY_PREFIX}{index}"
            rec = {
                "index": index,
                "client": client_no,
                "opener": opener,
                "station": station,
                "body": body,
                "csrf": None,
                "submission": None,
                "receipts": [],
                "get_attempts": 0,
                "post_attempts": 0,
                "post_errors": [],
                "committed_before_retry": None,  # receipt found stored before a re-send
                "probe_errors": 0,
                "outcome": None,  # 'receipt', 'gave-up', 'unexpected'
                "across_kill": False,
            }
            with self.lock:
                self.subs[index] = rec
            started = now()
            deadline = started + self.args.give_up
            # 1. the form
            attempt = 0
            while rec["csrf"] is None:
                if now() > deadline:
                    rec["outcome"] = "gave-up"
                    break
                rec["get_attempts"] += 1
                try:
                    with opener.open(f"{base}/stations/{station}", timeout=self.args.timeout) as r:
                        html = r.read().decode("utf-8", "replace")
                    c, s = CSRF_RE.search(html), SUBMISSION_RE.search(html)
                    if not (c and s):
                        rec["outcome"] = "unexpected"
                        with self.lock:
                            self.unexpected.append((index, "GET", 200, "no csrf/submission in the page"))
                        break
                    rec["csrf"], rec["submission"] = c.group(1), s.group(1)
                except urllib.error.HTTPError as e:
                    if e.code >= 500:
                        self.note_failure("GET", e, index)
                        self.backoff(attempt)
                        attempt += 1
                        continue
                    rec["outcome"] = "unexpected"
                    with self.lock:
                        self.unexpected.append((index, "GET", e.code, brief(e.read(2000).decode("utf-8", "replace"))))
                    break
                except RETRYABLE as e:
                    self.note_failure("GET", e, index)
                    self.backoff(attempt)
                    attempt += 1
            if rec["outcome"]:
                continue
            # 2. the post, re-sent unchanged until a 303
            data = urllib.parse.urlencode(
                {
                    "csrf": rec["csrf"],
                    "submission": rec["submission"],
                    "kind": "suggestion",
                    "rating": str(1 + index % 5),
                    "body": body,
                }
            ).encode()
            attempt = 0
            while True:
                if now() > deadline:
                    rec["outcome"] = "gave-up"
                    break
                if rec["post_attempts"] > 0:
                    # A re-send: was the row already committed by an earlier attempt?
                    stored = self.stored_receipt(rec["submission"])
                    if stored and stored.startswith("error:"):
                        rec["probe_errors"] += 1
                    elif stored and rec["committed_before_retry"] is None:
                        rec["committed_before_retry"] = stored
                rec["post_attempts"] += 1
                req = urllib.request.Request(f"{base}/stations/{station}/feedback", data=data, method="POST")
                try:
                    with opener.open(req, timeout=self.args.timeout) as r:
                        status, snippet = r.status, brief(r.read(2000).decode("utf-8", "replace"))
                    rec["outcome"] = "unexpected"
                    with self.lock:
                        self.unexpected.append((index, "POST", status, snippet))
                    break
                except urllib.error.HTTPError as e:
                    if e.code == 303:
                        location = e.headers.get("Location", "")
                        e.close()
                        m = RECEIPT_RE.search(urllib.parse.urlparse(location).path)
                        if not m:
                            rec["outcome"] = "unexpected"
                            with self.lock:
                                self.unexpected.append((index, "POST", 303, f"Location: {location}"))
                            break
                        rec["receipts"].append(m.group(1))
                        rec["outcome"] = "receipt"
                        with self.receipt_cond:
                            self.receipts_total += 1
                            if self.killed_at is None and self.receipts_total >= self.args.kill_after:
                                # SIGKILL right here, under the lock: no other receipt is counted first.
                                self.receipts_at_kill = self.receipts_total
                                self.killed_at = now()
                                self.server.proc.send_signal(signal.SIGKILL)
                            self.receipt_cond.notify_all()
                        break
                    if e.code >= 500:
                        rec["post_errors"].append(self.note_failure("POST", e, index))
                        self.backoff(attempt)
                        attempt += 1
                        continue
                    rec["outcome"] = "unexpected"
                    with self.lock:
                        self.unexpected.append((index, "POST", e.code, brief(e.read(2000).decode("utf-8", "replace"))))
                    break
                except RETRYABLE as e:
                    rec["post_errors"].append(self.note_failure("POST", e, index))
                    if self.killed_at is not None and self.ready_again_at is None:
                        rec["across_kill"] = True
                    self.backoff(attempt)
                    attempt += 1
            rec["seconds"] = now() - started

    # -------------------------------------------------- the killer

    def killer(self):
        """Waits for the SIGKILL (sent by the client that counts the kill_after-th receipt), restarts."""
        with self.receipt_cond:
            while self.killed_at is None:
                if all_done(self):
                    return
                self.receipt_cond.wait(timeout=0.05)
        self.server.proc.wait()
        time.sleep(self.args.restart_delay)
        try:
            self.restart_ms = self.server.start()
        except RuntimeError as e:
            self.restart_error = str(e)
            return
        with self.lock:
            self.ready_again_at = now()

    # -------------------------------------------------- replay

    def replay(self, index):
        rec = self.subs[index]
        if rec["outcome"] != "receipt":
            return None
        data = urllib.parse.urlencode(
            {
                "csrf": rec["csrf"],
                "submission": rec["submission"],
                "kind": "suggestion",
                "rating": str(1 + index % 5),
                "body": rec["body"],
            }
        ).encode()
        req = urllib.request.Request(
            f"{self.server.base}/stations/{rec['station']}/feedback", data=data, method="POST"
        )
        try:
            with rec["opener"].open(req, timeout=self.args.timeout) as r:
                return f"status {r.status}"
        except urllib.error.HTTPError as e:
            if e.code == 303:
                m = RECEIPT_RE.search(urllib.parse.urlparse(e.headers.get("Location", "")).path)
                e.close()
                return m.group(1) if m else "bad Location"
            return f"status {e.code}"
        except RETRYABLE as e:
            return error_name(e)


def all_done(run):
    return run.next_index >= run.args.submissions and all(r["outcome"] for r in run.subs.values())


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", help="server binary (default target/release/yizhan, else target/debug/yizhan)")
    p.add_argument("--submissions", type=int, default=200)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--kill-after", type=int, help="receipts before the SIGKILL (default: drawn from 60..80)")
    p.add_argument("--restart-delay", type=float, default=0.5, help="seconds between SIGKILL and restart")
    p.add_argument("--give-up", type=float, default=60.0, help="seconds per submission before giving up")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per HTTP request")
    p.add_argument("--feedback-per-hour", type=int, default=100000, help="YIZHAN_FEEDBACK_PER_HOUR")
    p.add_argument("--no-replay", action="store_true", help="skip posting every form once more at the end")
    p.add_argument("--seed", type=int, help="random seed (backoff jitter, kill point)")
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary folder (kept anyway on failure)")
    args = p.parse_args()

    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    random.seed(seed)
    if args.kill_after is None:
        args.kill_after = random.randint(60, 80)
    binary = args.bin
    if binary is None:
        for cand in ("target/release/yizhan", "target/debug/yizhan"):
            if os.access(os.path.join(ROOT, cand), os.X_OK):
                binary = cand
                break
        else:
            sys.exit("no binary: build with `cargo build --release` or pass --bin")
    binary_abs = os.path.abspath(os.path.join(ROOT, binary)) if not os.path.isabs(binary) else binary

    workdir = tempfile.mkdtemp(prefix="yizhan-kill-")
    db_path = os.path.join(workdir, "kill.db")
    port = free_port()
    server = Server(binary_abs, db_path, port, workdir, args.feedback_per_hour)
    print(f"binary {binary}, database {db_path}, port {port}, seed {seed}, kill after {args.kill_after} receipts")
    try:
        first_start_ms = server.start()
    except RuntimeError as e:
        print(f"FAIL: {e}")
        sys.exit(2)

    run = Run(args, server, db_path)
    replay = {}
    try:
        t_load = now()
        threads = [threading.Thread(target=run.client, args=(i,), daemon=True) for i in range(args.clients)]
        killer = threading.Thread(target=run.killer, daemon=True)
        killer.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        load_s = now() - t_load
        with run.receipt_cond:
            run.receipt_cond.notify_all()
        killer.join()

        if not args.no_replay and run.ready_again_at is not None:
            with ThreadPoolExecutor(max_workers=args.clients) as pool:
                for index, result in zip(sorted(run.subs), pool.map(run.replay, sorted(run.subs))):
                    if result is not None:
                        replay[index] = result
    finally:
        stop_code = server.stop()
    warn_lines = server.warn_lines()

    # ---------------------------------------------------------- the database
    con = sqlite3.connect(db_path)
    rows = con.execute(
        "SELECT receipt, submission, body, station_id FROM feedback WHERE body LIKE ?", (BODY_PREFIX.split(" ")[0] + "%",)
    ).fetchall()
    all_rows = con.execute("SELECT COUNT(*) FROM feedback").fetchone()[0]
    integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
    con.close()

    by_receipt, by_submission, by_body = {}, {}, {}
    for receipt, submission, body, station_id in rows:
        by_receipt.setdefault(receipt, []).append((submission, body))
        by_submission.setdefault(submission, []).append((receipt, body))
        by_body.setdefault(body, []).append((receipt, submission))

    subs = [run.subs[i] for i in sorted(run.subs)]
    got = [r for r in subs if r["outcome"] == "receipt"]
    received = [(r, rc) for r in got for rc in r["receipts"]]
    problems = []

    missing_receipts = [rc for _, rc in received if rc not in by_receipt]
    dup_receipts = [rc for rc, v in by_receipt.items() if len(v) > 1]
    dup_submissions = [s for s, v in by_submission.items() if len(v) > 1]
    dup_bodies = [b for b, v in by_body.items() if len(v) > 1]
    expected_bodies = {f"{BODY_PREFIX}{i}" for i in range(args.submissions)}
    missing_bodies = sorted(expected_bodies - set(by_body), key=lambda b: int(b.split("#")[1]))
    stray_bodies = sorted(set(by_body) - expected_bodies)
    mismatched = []  # the stored row of a submission differs from what the client sent / got
    for r in got:
        stored = by_submission.get(r["submission"], [])
        if len(stored) != 1 or stored[0][0] != r["receipts"][-1] or stored[0][1] != r["body"]:
            mismatched.append((r["index"], r["submission"], r["receipts"], stored))
    multi_receipts = [r["index"] for r in subs if len(set(r["receipts"])) > 1]

    retried = [r for r in got if r["post_attempts"] > 1]
    across_kill = [r for r in subs if r["across_kill"]]
    after_commit = [r for r in got if r["committed_before_retry"]]
    after_commit_mismatch = [
        (r["index"], r["committed_before_retry"], r["receipts"][-1])
        for r in after_commit
        if r["committed_before_retry"] != r["receipts"][-1]
    ]
    gave_up = [r["index"] for r in subs if r["outcome"] == "gave-up"]
    replay_mismatch = [
        (i, res, run.subs[i]["receipts"][-1]) for i, res in replay.items() if res != run.subs[i]["receipts"][-1]
    ]

    def in_outage(t):
        return run.killed_at is not None and t >= run.killed_at and (run.ready_again_at is None or t <= run.ready_again_at)

    fail_outage = [f for f in run.failures if in_outage(f[0])]
    fail_other = [f for f in run.failures if not in_outage(f[0])]
    kinds = {}
    for _, method, name in run.failures:
        kinds[f"{method} {name}"] = kinds.get(f"{method} {name}", 0) + 1
    post_5xx = sum(1 for _, m, n in run.failures if n.startswith("http-5"))

    if run.killed_at is None:
        problems.append(f"the kill never happened ({run.receipts_total} receipts)")
    if run.restart_error:
        problems.append(f"restart failed: {run.restart_error}")
    if gave_up:
        problems.append(f"{len(gave_up)} submissions gave up after {args.give_up} s: {gave_up[:10]}")
    if run.unexpected:
        problems.append(f"{len(run.unexpected)} unexpected responses: {run.unexpected[:3]}")
    if post_5xx:
        problems.append(f"{post_5xx} 5xx responses: {run.samples_5xx[:3]}")
    if missing_receipts:
        problems.append(f"{len(missing_receipts)} receipts given to clients are not stored: {missing_receipts[:10]}")
    if dup_receipts:
        problems.append(f"{len(dup_receipts)} receipts stored more than once: {dup_receipts[:10]}")
    if dup_submissions:
        problems.append(f"{len(dup_submissions)} submission keys stored more than once: {dup_submissions[:10]}")
    if dup_bodies:
        problems.append(f"{len(dup_bodies)} bodies stored more than once: {dup_bodies[:10]}")
    if len(rows) != args.submissions:
        problems.append(f"{len(rows)} rows with a 'kill-test' body, expected {args.submissions}")
    if missing_bodies:
        problems.append(f"{len(missing_bodies)} bodies not stored: {missing_bodies[:10]}")
    if stray_bodies:
        problems.append(f"{len(stray_bodies)} stored bodies nobody sent: {stray_bodies[:10]}")
    if mismatched:
        problems.append(f"{len(mismatched)} submissions whose stored row differs from the client's: {mismatched[:3]}")
    if multi_receipts:
        problems.append(f"{len(multi_receipts)} submissions got more than one receipt: {multi_receipts[:10]}")
    if after_commit_mismatch:
        problems.append(f"{len(after_commit_mismatch)} retried-after-commit receipts differ: {after_commit_mismatch[:5]}")
    if replay_mismatch:
        problems.append(f"{len(replay_mismatch)} replayed forms did not return their receipt: {replay_mismatch[:5]}")
    if integrity != "ok":
        problems.append(f"PRAGMA integrity_check: {integrity}")

    figures = {
        "binary": binary,
        "seed": seed,
        "submissions": args.submissions,
        "clients": args.clients,
        "kill_after": args.kill_after,
        "receipts_at_kill": run.receipts_at_kill,
        "first_start_ms": round(first_start_ms),
        "restart_delay_s": args.restart_delay,
        "restart_ms": round(run.restart_ms) if run.restart_ms else None,
        "outage_ms": round((run.ready_again_at - run.killed_at) * 1000) if run.ready_again_at else None,
        "load_s": round(load_s, 2),
        "receipts": len(received),
        "submissions_with_receipt": len(got),
        "gave_up": len(gave_up),
        "unexpected": len(run.unexpected),
        "get_requests": sum(r["get_attempts"] for r in subs),
        "post_requests": sum(r["post_attempts"] for r in subs),
        "post_resends": sum(r["post_attempts"] - 1 for r in subs if r["post_attempts"]),
        "submissions_retried": len(retried),
        "submissions_failed_across_kill": len(across_kill),
        "retried_after_commit": len(after_commit),
        "retried_after_commit_same_receipt": len(after_commit) - len(after_commit_mismatch),
        "retried_after_commit_cases": [
            {"index": r["index"], "stored_before_resend": r["committed_before_retry"], "final_303": r["receipts"][-1],
             "post_attempts": r["post_attempts"], "errors": r["post_errors"]}
            for r in after_commit
        ],
        "probe_errors": sum(r["probe_errors"] for r in subs),
        "failed_requests": len(run.failures),
        "failed_requests_during_outage": len(fail_outage),
        "failed_requests_outside_outage": len(fail_other),
        "failures_by_kind": kinds,
        "responses_5xx": post_5xx,
        "replayed": len(replay),
        "replay_same_receipt": len(replay) - len(replay_mismatch),
        "rows_kill_test": len(rows),
        "rows_total_feedback": all_rows,
        "duplicate_receipts": len(dup_receipts),
        "duplicate_submissions": len(dup_submissions),
        "duplicate_bodies": len(dup_bodies),
        "missing_receipts": len(missing_receipts),
        "missing_bodies": len(missing_bodies),
        "mismatched_rows": len(mismatched),
        "integrity_check": integrity,
        "server_stop_exit": stop_code,
        "server_warn_error_lines": len(warn_lines),
        "server_warn_error_samples": warn_lines[:10],
        "problems": problems,
    }

    print()
    print(f"submissions:                     {args.submissions} from {args.clients} clients, load {load_s:.2f} s")
    print(f"first start-up:                  {first_start_ms:.0f} ms")
    print(f"SIGKILL after receipts:          {run.receipts_at_kill} (target {args.kill_after})")
    if run.ready_again_at:
        print(f"restart start-up / outage:       {run.restart_ms:.0f} ms / {figures['outage_ms']} ms "
              f"(SIGKILL to /healthz 200, incl. {args.restart_delay} s wait)")
    print(f"receipts received:               {len(received)} for {len(got)} submissions "
          f"(gave up {len(gave_up)}, unexpected {len(run.unexpected)})")
    print(f"requests:                        {figures['get_requests']} GET, {figures['post_requests']} POST "
          f"({figures['post_resends']} POST re-sends)")
    print(f"submissions retried:             {len(retried)} ({len(across_kill)} failed across the kill)")
    print(f"retried after commit:            {len(after_commit)} "
          f"(final receipt = stored receipt: {figures['retried_after_commit_same_receipt']})")
    for c in figures["retried_after_commit_cases"]:
        print(f"    kill-test #{c['index']}: stored {c['stored_before_resend']} before the re-send, "
              f"303 -> {c['final_303']} after {c['post_attempts']} POSTs ({', '.join(c['errors'])})")
    print(f"failed requests:                 {len(run.failures)} ({len(fail_outage)} during the outage, "
          f"{len(fail_other)} outside it): {kinds or '-'}")
    print(f"5xx responses:                   {post_5xx}")
    if replay:
        print(f"replayed forms:                  {len(replay)} (same receipt {figures['replay_same_receipt']})")
    print(f"rows found ('kill-test' bodies): {len(rows)} (feedback table: {all_rows} rows)")
    print(f"duplicates:                      receipts {len(dup_receipts)}, submission keys {len(dup_submissions)}, "
          f"bodies {len(dup_bodies)}")
    print(f"missing:                         receipts {len(missing_receipts)}, bodies {len(missing_bodies)}; "
          f"rows differing from the client {len(mismatched)}")
    print(f"integrity_check:                 {integrity}; server exit on SIGTERM: {stop_code}")
    print(f"server WARN/ERROR lines:         {len(warn_lines)}")
    for line in warn_lines[:10]:
        elapsed = re.search(r" elapsed=(\S+)", line)
        print(f"    {line[:160]}{' … elapsed=' + elapsed.group(1) if elapsed else ''}")

    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    if problems:
        print("\nFAIL")
        for pr in problems:
            print(f"  - {pr}")
        print(f"kept {workdir} (database and server logs)")
        sys.exit(1)
    print("\nPASS")
    if args.keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
