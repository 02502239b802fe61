#!/usr/bin/env python3
"""SQLite disk full under feedback load: what is acknowledged must be stored.

    python3 bench/disk_full.py [--bin target/release/yizhan] [--write]

1. Mounts a 24 MB tmpfs on a new temporary folder
   (`mount -t tmpfs -o size=24m tmpfs DIR`, as root). When the mount fails the
   script says so and falls back to a file-size limit: the server runs as
   `bash -c "trap '' XFSZ; exec prlimit --fsize=BYTES -- BIN serve"`, BYTES being
   the database's size after `migrate` + 1 MiB (--prlimit forces this mode).
2. `yizhan migrate` creates and seeds a fresh SQLite database in that folder;
   its write-ahead log is then checkpointed into the database file (read with
   Python's sqlite3 module: `PRAGMA wal_checkpoint(TRUNCATE)`), so that "the
   database's size" is that one file's size.
3. `yizhan serve` on a free 127.0.0.1 port with YIZHAN_FEEDBACK_PER_HOUR=1000000
   and YIZHAN_LOG=warn (its output goes to a log outside the tmpfs).
4. 4 client threads post feedback continuously (bodies "disk-full #N", each
   form its own GET of /stations/{id} for the csrf and submission fields of
   `form.feedback-form`, then one POST; never sent again). Every answer is
   recorded: 303 to /feedback/{receipt} = acknowledged; 503 = refused; other
   statuses and connection errors/timeouts (10 s per request) counted apart; a
   500 is a failure of the product. GET /healthz is polled every 0.5 s for its
   "writes" field ("ok", or {"status": "failing", "last_failure_kind": …};
   "absent" for a binary without it).
5. After 2 s: `dd if=/dev/zero of=DIR/filler bs=1M` fills the tmpfs (it stops
   when full); posting goes on 5 s while the disk is full. Then the filler is
   deleted and posting goes on 5 s more: "recovered without restart" means
   that every post sent from 3 s after the freeing on got a 303 whose receipt
   is in the database after the restart (reported, not a reason to fail). In prlimit mode
   the limit does the filling: posting goes on 2 + 5 s, and there is no freeing.
6. The server gets SIGTERM and is started again on the same database (no
   filler; in prlimit mode without the limit). One more form is posted to it.
   Every acknowledged receipt must resolve (GET /feedback/{receipt} → 200) and
   be in the database (read-only sqlite3: `feedback.receipt` with the body that
   was sent). Posts are never retried, so a body that got a 503 must NOT be in
   the database ("refused but stored").

Prints "acknowledged vs present" and the figures, and the RESULTS.md section;
with --write, replaces the "## Fault: SQLite disk full" section of
bench/RESULTS.md (or adds it at the end). Exits 1 when an acknowledged receipt
is lost (or does not resolve, or holds another body), a refused body is stored,
or any request got a 500; 2 when the run could not be made (no mount and no
prlimit, migrate or start-up failed, the hard time limit of --limit seconds,
120 by default, ran out). The tmpfs is unmounted and the servers stopped in
every case. Python 3 standard library only; builds nothing; loopback only.
"""

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from faultload import (  # noqa: E402
    HardTimeout, HealthPoller, Poster, Server, arm_hard_timeout, binary_line, command_line, commit_line, counts,
    default_binary, find_stations, on_backstop, fmt_counts, free_port, listing, now, post_once, resolve, summarize_warns,
    report, timeline,
)

HEADING = "## Fault: SQLite disk full"
PREFIX = "disk-full #"
MIB = 1024 * 1024


class CannotRun(Exception):
    """The run could not be made (exit 2)."""


def sh(cmd, timeout=30):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", help="server binary (default target/release/yizhan)")
    ap.add_argument("--write", action="store_true", help=f'replace the "{HEADING}" section of bench/RESULTS.md')
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--size-mb", type=int, default=24, help="tmpfs size")
    ap.add_argument("--before", type=float, default=2.0, help="seconds of posting before the fill")
    ap.add_argument("--full", type=float, default=5.0, help="seconds of posting while full")
    ap.add_argument("--after", type=float, default=5.0, help="seconds of posting after freeing")
    ap.add_argument("--prlimit", action="store_true", help="do not mount: use the file-size limit")
    ap.add_argument("--limit", type=float, default=120.0, help="hard overall time limit, seconds")
    ap.add_argument("--keep", action="store_true", help="keep the temporary folder (copied off the tmpfs)")
    args = ap.parse_args()
    binary, binary_abs = default_binary(args.bin)
    t_start = now()
    arm_hard_timeout(args.limit)

    workdir = tempfile.mkdtemp(prefix="yizhan-diskfull-")
    disk = os.path.join(workdir, "disk")
    os.mkdir(disk)
    db = os.path.join(disk, "disk.db")
    filler = os.path.join(disk, "filler")
    mounted = False
    mode = None
    mount_note = ""
    servers = []
    poster = poller = None
    problems = []
    fig = {}
    exit_code = 0
    try:
        # ------------------------------------------------------ 1. the small disk
        if args.prlimit:
            mount_note = "mount not tried (--prlimit)"
        else:
            m = sh(["mount", "-t", "tmpfs", "-o", f"size={args.size_mb}m", "tmpfs", disk])
            if m.returncode == 0:
                mounted = True
                on_backstop(lambda: sh(["umount", "-l", disk]))
            else:
                mount_note = f"mount failed (exit {m.returncode}: {(m.stderr or m.stdout).strip()})"
                print(f"{mount_note}: falling back to prlimit --fsize")
        mode = "tmpfs" if mounted else "prlimit"
        if not mounted and shutil.which("prlimit") is None:
            raise CannotRun("no tmpfs and no prlimit: cannot make the disk full")

        # ------------------------------------------------------ 2. migrate
        env = {"YIZHAN_DATABASE_URL": f"sqlite://{db}", "YIZHAN_FEEDBACK_PER_HOUR": "1000000", "YIZHAN_LOG": "warn"}
        menv = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
        menv.update(env)
        mig = subprocess.run([binary_abs, "migrate"], env=menv, cwd=workdir, capture_output=True, text=True,
                             timeout=60)
        if mig.returncode != 0:
            raise CannotRun(f"migrate exited with {mig.returncode}: {mig.stderr.strip()[-500:]}")
        con = sqlite3.connect(db)
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        con.close()
        db_size = os.path.getsize(db)
        fsize = db_size + MIB
        port = free_port()
        if mode == "tmpfs":
            argv = [binary_abs, "serve"]
        else:
            argv = ["bash", "-c", f"trap '' XFSZ; exec prlimit --fsize={fsize} -- {binary_abs} serve"]
        print(f"binary {binary}, mode {mode}" + (f" ({args.size_mb} MB tmpfs on {disk})" if mounted else
                                                  f" (--fsize={fsize})") +
              f", database {db} ({db_size} bytes after migrate), port {port}")

        # ------------------------------------------------------ 3. serve
        server = Server(argv, env, port, workdir, name="server-1")
        servers.append(server)
        try:
            fig["start_ms"] = server.start()
        except RuntimeError as e:
            raise CannotRun(str(e))
        stations = find_stations(server.base)
        if not stations:
            raise CannotRun("no station page with a feedback form")

        # ------------------------------------------------------ 4./5. load, fill, free
        poster = Poster(server.base, stations, PREFIX, clients=args.clients)
        poller = HealthPoller(port)
        t_load = now()
        poller.start()
        poster.start()
        time.sleep(args.before)
        t_fill = now()
        t_full = t_freed = None
        if mode == "tmpfs":
            dd = sh(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], timeout=60)
            t_full = now()
            fig["dd"] = (dd.stderr.strip().splitlines() or ["?"])[-1]
            fig["dd_exit"] = dd.returncode
            fig["filler_mb"] = os.path.getsize(filler) / MIB if os.path.exists(filler) else 0
            st = os.statvfs(disk)
            fig["free_when_full"] = st.f_bavail * st.f_frsize
            print(f"dd: exit {dd.returncode}, {fig['filler_mb']:.1f} MiB written in {t_full - t_fill:.2f} s "
                  f"({fig['dd']}); free on the tmpfs: {fig['free_when_full']} bytes")
            time.sleep(args.full)
            os.remove(filler)
            t_freed = now()
            st = os.statvfs(disk)
            print(f"filler deleted: {st.f_bavail * st.f_frsize / MIB:.1f} MiB free")
            time.sleep(args.after)
        else:
            t_full = t_fill
            time.sleep(args.full)
        t_end = now()
        still = poster.stop()
        if still:
            problems.append(f"{still} client threads still waiting on a request after stopping")
        poller.stop()
        posts = sorted(poster.posts, key=lambda p: p["t_sent"])

        # ------------------------------------------------------ 6. restart, check
        alive_before_stop = server.running()
        fig["stop_1"] = server.stop()
        server2 = Server([binary_abs, "serve"], env, port, workdir, name="server-2")
        servers.append(server2)
        restart_error = None
        try:
            fig["restart_ms"] = server2.start()
        except RuntimeError as e:
            restart_error = str(e)
            problems.append(f"restart on the same database failed: {e}")
        after_restart = post_once(server2.base, stations[0], "disk-full after restart") if not restart_error \
            else ("not tried", None)

        acked = [p for p in posts if p["answer"] == 303 and p["receipt"]]
        receipts = {p["receipt"]: p["body"] for p in acked}
        resolved = resolve(server2.base, receipts) if not restart_error else {}

        rows, integrity, db_error = [], None, None
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
            rows = con.execute("SELECT receipt, body FROM feedback WHERE body LIKE ?", (PREFIX + "%",)).fetchall()
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
            con.close()
        except sqlite3.Error as e:
            db_error = str(e)
            problems.append(f"the database could not be read: {e}")
        fig["stop_2"] = server2.stop()

        # ------------------------------------------------------ figures
        by_receipt = {r: b for r, b in rows}
        stored_bodies = Counter(b for _, b in rows)
        present = [r for r in receipts if r in by_receipt]
        lost = [r for r in receipts if r not in by_receipt]
        wrong_body = [r for r in present if by_receipt[r] != receipts[r]]
        unresolved = {r: s for r, s in resolved.items() if s != 200}
        refused = [p for p in posts if p["answer"] == 503]
        refused_stored = [p["body"] for p in refused if p["body"] in stored_bodies]
        p500 = [p for p in posts if p["answer"] == 500]
        p500_stored = [p["body"] for p in p500 if p["body"] in stored_bodies]
        other = [p for p in posts if p["answer"] not in (303, 503, 500) or (p["answer"] == 303 and not p["receipt"])]
        other_stored = [p["body"] for p in other if p["body"] in stored_bodies]
        get_500 = poster.get_failures.get("500", 0)
        dup_bodies = [b for b, n in stored_bodies.items() if n > 1]

        def phase(t0, t1):
            return [p for p in posts if t0 <= p["t_sent"] < t1]

        if mode == "tmpfs":
            phases = [("before the fill", t_load, t_fill), ("while dd fills", t_fill, t_full),
                      ("full", t_full, t_freed), ("after freeing", t_freed, t_end + 60)]
            # A 303 counts as a success only when its receipt is stored.
            late = [p for p in posts if p["t_sent"] >= t_freed + 3]
            late_ok = [p for p in late if p["answer"] == 303 and p["receipt"] in by_receipt]
            recovered = bool(late) and len(late_ok) == len(late)
            first_ok = min((p["t_done"] for p in posts if p["t_sent"] >= t_freed and p["answer"] == 303
                            and p["receipt"] in by_receipt), default=None)
            recovery = (f"{'yes' if recovered else 'NO'}: of {len(late)} posts sent from 3 s after the freeing on, "
                        f"{sum(1 for p in late if p['answer'] == 303)} got a 303, {len(late_ok)} of them stored; "
                        "first stored 303 after the freeing "
                        + (f"{first_ok - t_freed:.2f} s after it" if first_ok else "never"))
        else:
            first_bad = min((p["t_sent"] for p in posts if p["answer"] != 303), default=None)
            phases = [("before the first non-303", t_load, first_bad or t_end + 60)]
            if first_bad:
                phases.append(("from the first non-303 on", first_bad, t_end + 60))
            recovery = "not applicable (prlimit mode: the limit cannot be lifted without a restart)"
        phase_lines = [f"{name} ({(min(t1, t_end) - t0):.1f} s): {fmt_counts(counts(phase(t0, t1)))}"
                       for name, t0, t1 in phases]
        lost_set = set(lost)
        lost_by_phase = "; ".join(
            f"{name}: {sum(1 for p in phase(t0, t1) if p['receipt'] in lost_set)} of "
            f"{sum(1 for p in phase(t0, t1) if p['answer'] == 303 and p['receipt'])}"
            for name, t0, t1 in phases)
        health_lines = [f"{name}: {poller.states(t0, t1)}" for name, t0, t1 in phases]
        t_ref = t_full if mode == "tmpfs" else t_load
        tl = timeline(posts, t_ref, t_load, t_end)
        warns = server.warn_lines() + server2.warn_lines()

        if lost:
            problems.append(f"{len(lost)} acknowledged receipts are not in the database (e.g. {listing(lost, 3)})")
        if unresolved:
            problems.append(f"{len(unresolved)} acknowledged receipts do not resolve "
                            f"(e.g. {listing((f'{r} → {s}' for r, s in unresolved.items()), 3)})")
        if wrong_body:
            problems.append(f"{len(wrong_body)} receipts hold another body (e.g. {listing(wrong_body, 3)})")
        if refused_stored:
            problems.append(f"{len(refused_stored)} bodies refused with 503 are stored "
                            f"(e.g. {listing(refused_stored, 3)})")
        if p500 or get_500:
            problems.append(f"500 answers: {len(p500)} to POSTs, {get_500} to form GETs")
        if integrity not in (None, "ok"):
            problems.append(f"PRAGMA integrity_check: {integrity}")

        # ------------------------------------------------------ print
        print()
        print(f"mode:                           {mode}" + (f" ({mount_note})" if mount_note else ""))
        print(f"posting:                        {args.clients} clients, {len(posts)} POSTs in {t_end - t_load:.1f} s; "
              f"form GET failures: {fmt_counts(poster.get_failures)}")
        for line in phase_lines:
            print(f"  {line}")
        print("POSTs by send time (s after the disk was full):" if mode == "tmpfs" else
              "POSTs by send time (s after the load started):")
        for line in tl:
            print(f"  {line}")
        print(f"acknowledged (303 + receipt):   {len(receipts)}")
        print(f"present after restart:          {len(present)} (in the database); resolving over HTTP: "
              f"{sum(1 for s in resolved.values() if s == 200)} of {len(resolved)}")
        print(f"lost:                           {len(lost)}" + (f"  {listing(lost)}" if lost else ""))
        print(f"acknowledged vs present:        {len(receipts)} acknowledged, {len(present)} present, "
              f"{len(lost)} lost")
        print(f"lost of acknowledged, by phase: {lost_by_phase}")
        print(f"refused (503):                  {len(refused)}; refused but stored: {len(refused_stored)}")
        print(f"500 answers:                    {len(p500)} to POSTs (stored anyway: {len(p500_stored)}), "
              f"{get_500} to form GETs")
        print(f"other answers:                  {fmt_counts(counts(other))} (stored anyway: {len(other_stored)})")
        for k, v in sorted(poster.samples.items()):
            print(f"    {k}: {v[:120]}")
        print(f"receipts holding another body:  {len(wrong_body)}; bodies stored twice: {len(dup_bodies)}")
        print(f"/healthz writes:")
        for line in health_lines:
            print(f"  {line}")
        print(f"/healthz database field:        {poller.database_states()}")
        print(f"posting again without restart:  {recovery}")
        print(f"server 1:                       {'running' if alive_before_stop else 'HAD EXITED'} at the end "
              f"of the load; SIGTERM → {fig['stop_1']}")
        print(f"restart on the same database:   "
              + (f"{fig['restart_ms']:.0f} ms; one new form posted: {after_restart[0]}" if not restart_error
                 else restart_error))
        print(f"integrity_check after restart:  {integrity if integrity else db_error}; "
              f"rows with a '{PREFIX}' body: {len(rows)}")
        print(f"server WARN/ERROR lines:        {len(warns)}")
        for msg, n in summarize_warns(warns):
            print(f"    {n}× {msg}")

        # ------------------------------------------------------ the section
        today = time.strftime("%Y-%m-%d")
        setup = (f"a {args.size_mb} MB tmpfs (`mount -t tmpfs -o size={args.size_mb}m`), filled by "
                 f"`dd if=/dev/zero of=DIR/filler bs=1M` {args.before:g} s into the load "
                 f"({fig.get('filler_mb', 0):.1f} MiB written in {t_full - t_fill:.1f} s), "
                 f"full for {args.full:g} s, then the filler deleted and {args.after:g} s more of posting"
                 if mode == "tmpfs" else
                 f"no tmpfs ({mount_note}); the server under `prlimit --fsize={fsize}` (database after migrate "
                 f"{db_size} bytes + 1 MiB, SIGXFSZ ignored), posting {args.before + args.full:g} s")
        lines = [
            HEADING,
            "",
            f"`{command_line()}` on {today}; commit {commit_line()}; binary {binary_line(binary, binary_abs)}; "
            f"SQLite; {args.clients} clients posting new forms continuously, never retrying; {setup}. "
            "Then SIGTERM, a restart on the same database, and every acknowledged receipt looked up "
            "(GET /feedback/{receipt} and read-only `feedback` table).",
            "",
            "| Measure | Value |",
            "| --- | --- |",
        ]
        lines += [f"| POST answers, {line.split(': ', 1)[0]} | {line.split(': ', 1)[1]} |" for line in phase_lines]
        lines += [
            f"| Acknowledged (303 with a receipt) / present after restart / lost | "
            f"{len(receipts)} / {len(present)} / **{len(lost)}** |",
            f"| Lost of acknowledged, by phase the POST was sent in | {lost_by_phase} |",
            f"| Acknowledged receipts resolving over HTTP after restart | "
            f"{sum(1 for s in resolved.values() if s == 200)} of {len(resolved)} |",
            f"| Refused (503) / refused but stored | {len(refused)} / **{len(refused_stored)}** |",
            f"| 500 answers (POST / form GET) | **{len(p500)}** / {get_500} |",
            f"| Other answers | {fmt_counts(counts(other))} |",
        ]
        lines += [f"| /healthz `writes`, {line.split(': ', 1)[0]} | {line.split(': ', 1)[1]} |" for line in health_lines]
        lines += [
            f"| Posting again without restart | {recovery} |",
            f"| Server at the end of the load / exit on SIGTERM | {'running' if alive_before_stop else 'had exited'} "
            f"/ {fig['stop_1']} |",
            f"| Restart on the same database / `PRAGMA integrity_check` | "
            f"{'%.0f ms' % fig['restart_ms'] if not restart_error else 'failed'} / {integrity or db_error} |",
            f"| Server WARN/ERROR log lines | {len(warns)} |",
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
        for s in servers:
            if s.running():
                s.stop()
        if mounted:
            if args.keep or exit_code:
                shutil.copytree(disk, os.path.join(workdir, "disk-copy"), ignore=shutil.ignore_patterns("filler"))
            if os.path.exists(filler):
                os.remove(filler)
            u = sh(["umount", disk])
            if u.returncode != 0:
                print(f"umount {disk}: {u.stderr.strip()}; trying umount -l")
                sh(["umount", "-l", disk])
        if args.keep or exit_code:
            print(f"kept {workdir} (server logs" + (", database in disk-copy/" if mounted else ", database") + ")")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
        print(f"total time {now() - t_start:.1f} s")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
