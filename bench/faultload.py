"""Shared parts of the fault scripts bench/disk_full.py and bench/pg_restart.py.

Not a script itself. Python 3 standard library only; everything goes to 127.0.0.1.

- `Server`: starts `yizhan serve` (any argv, e.g. under prlimit), copies its output
  to a log file through a pipe (so a file-size limit on the server never cuts its
  log), waits for "yizhan is serving on http://" and GET /healthz 200; stops it
  with SIGTERM (SIGKILL after 20 s).
- `Poster`: N client threads that post feedback continuously until stopped. Each
  post is a new form: GET /stations/{id} (own cookie jar per client) for the csrf
  and submission hidden inputs of `form.feedback-form`, then POST
  /stations/{id}/feedback with csrf, submission, kind=praise, rating=5, a body
  unique to the run ("<prefix>N"), reporter=courier, phone='', website=''. A post
  is never sent again: every POST is recorded once with its send time, its answer
  (the HTTP status, or the name of the connection error / timeout) and, for a 303
  to /feedback/{receipt}, the receipt.
- `HealthPoller`: GET /healthz every 0.5 s; records what its "writes" field says
  ("ok", "failing (<last_failure_kind>)", or "absent" when the binary has no such
  field) and its "database" field.
- `resolve`: GET /feedback/{receipt} for many receipts.
- `HardTimeout` / `arm_hard_timeout`: SIGALRM after the overall limit raises
  HardTimeout in the main thread (so that `finally` blocks clean up), and a
  backstop timer 30 s later kills what it was told about and ends the process.
"""

import http.client
import http.cookiejar
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from feedback_kill import NoRedirect, brief, error_name, free_port  # noqa: E402,F401
from hardening import write_section  # noqa: E402,F401

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RECEIPT_RE = re.compile(r"/feedback/([A-Z0-9-]+)$")
CSRF_RE = re.compile(r'<input type="hidden" name="csrf" value="([^"]+)">')
SUBMISSION_RE = re.compile(r'<input type="hidden" name="submission" value="([^"]+)">')


def now():
    return time.monotonic()


def default_binary(arg):
    binary = arg or "target/release/yizhan"
    path = binary if os.path.isabs(binary) else os.path.join(ROOT, binary)
    if not os.access(path, os.X_OK):
        sys.exit(f"no binary at {binary}: build with `cargo build --release` or pass --bin")
    return binary, os.path.abspath(path)


def commit_line():
    """`abc1234` or `abc1234` (work tree has uncommitted changes)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                               timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"`{commit}`" + (" (work tree has uncommitted changes)" if dirty else "")


def binary_line(binary, binary_abs):
    try:
        built = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(os.stat(binary_abs).st_mtime))
    except OSError:
        built = "?"
    return f"`{binary}` (file modified {built})"


def command_line():
    """The command this script was started with, relative to the repository."""
    argv = list(sys.argv)
    script = os.path.abspath(argv[0])
    if script.startswith(ROOT + os.sep):
        argv[0] = os.path.relpath(script, ROOT)
    return "python3 " + " ".join(shlex.quote(a) for a in argv)


# ------------------------------------------------------------------ hard timeout


class HardTimeout(BaseException):
    """Raised in the main thread when the overall time limit is reached."""


_backstop_victims = []  # callables run by the backstop before it ends the process


def arm_hard_timeout(seconds):
    def on_alarm(signum, frame):
        raise HardTimeout(f"hard timeout: {seconds} s")

    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(int(seconds))

    def backstop():
        print(f"\nbackstop: still running {seconds + 30:.0f} s after the start; killing and exiting", flush=True)
        for victim in list(_backstop_victims):
            try:
                victim()
            except Exception:
                pass
        os._exit(2)

    t = threading.Timer(seconds + 30, backstop)
    t.daemon = True
    t.start()
    return t


def on_backstop(fn):
    _backstop_victims.append(fn)


# ------------------------------------------------------------------ the server


class Server:
    def __init__(self, argv, env_overrides, port, workdir, name="server"):
        self.argv = argv
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.workdir = workdir
        self.name = name
        self.proc = None
        self.log_path = None
        self.announced = threading.Event()
        env = {k: v for k, v in os.environ.items() if not k.startswith("YIZHAN_")}
        env.update(env_overrides)
        env["YIZHAN_BIND"] = f"127.0.0.1:{port}"
        self.env = env
        self.exited_by_itself = None  # exit code when it ended before stop()
        on_backstop(self.kill)

    def _pump(self, pipe, log):
        with log:
            for line in iter(pipe.readline, b""):
                log.write(line)
                log.flush()
                if b"yizhan is serving on http://" in line:
                    self.announced.set()

    def start(self, limit_s=30.0):
        """Starts the server; returns the ms until it announced itself and /healthz answered 200."""
        self.log_path = os.path.join(self.workdir, f"{self.name}.log")
        log = open(self.log_path, "ab")
        self.announced.clear()
        t0 = now()
        self.proc = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        threading.Thread(target=self._pump, args=(self.proc.stdout, log), daemon=True).start()
        while now() - t0 < limit_s:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; log: {self.log_path}")
            if self.announced.is_set():
                try:
                    with urllib.request.urlopen(self.base + "/healthz", timeout=2) as r:
                        if r.status == 200:
                            return (now() - t0) * 1000
                except Exception:
                    pass
            time.sleep(0.02)
        raise RuntimeError(f"{self.name} not answering after {limit_s} s; log: {self.log_path}")

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, then SIGKILL after 20 s; returns the exit code (or a sentence)."""
        if self.proc is None:
            return None
        if self.proc.poll() is not None:
            self.exited_by_itself = self.proc.returncode
            return f"had already exited with {self.proc.returncode}"
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return "killed after 20 s (SIGTERM did not stop it)"

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()

    def warn_lines(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        return [re.sub(r"\x1b\[[0-9;]*m", "", l) for l in text.splitlines() if "WARN" in l or "ERROR" in l]


def summarize_warns(lines, limit=6):
    """Distinct WARN/ERROR messages (time stamps cut), most frequent first."""
    counter = Counter()
    for line in lines:
        m = re.search(r"\b(WARN|ERROR)\b\s*(.*)", line)
        msg = m.group(1) + " " + m.group(2) if m else line
        msg = re.sub(r"\b(elapsed|elapsed_secs|request_id|id|peer|ip|path)=(\"[^\"]*\"|\S+)", r"\1=…", msg)
        msg = re.sub(r" db\.statement=.*", "", msg)
        counter[msg[:220]] += 1
    return counter.most_common(limit)


# ------------------------------------------------------------------ clients


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def read_form(html):
    """(csrf, submission) of form.feedback-form, or None."""
    start = html.find('class="feedback-form"')
    if start < 0:
        return None
    end = html.find("</form>", start)
    part = html[start:end if end > 0 else len(html)]
    c, s = CSRF_RE.search(part), SUBMISSION_RE.search(part)
    return (c.group(1), s.group(1)) if c and s else None


def find_stations(base, candidates=range(1, 41), want=16, timeout=10):
    """Station ids whose page has the feedback form."""
    found = []
    op = opener()
    for i in candidates:
        try:
            with op.open(f"{base}/stations/{i}", timeout=timeout) as r:
                if read_form(r.read().decode("utf-8", "replace")):
                    found.append(i)
        except Exception:
            pass
        if len(found) >= want:
            break
    return found


class Poster:
    """Client threads posting new feedback forms continuously; each form is posted once."""

    def __init__(self, base, stations, prefix, clients=4, timeout=10.0):
        self.base = base
        self.stations = stations
        self.prefix = prefix
        self.clients = clients
        self.timeout = timeout
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.paused = threading.Event()
        self.counter = 0
        self.posts = []  # dicts: t_sent, t_done, body, station, answer (int status or error name), receipt, note
        self.get_failures = Counter()  # answer -> count, for the form GETs
        self.samples = {}  # answer -> first page title seen with it
        self.threads = []

    def start(self):
        self.threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]
        for t in self.threads:
            t.start()

    def stop(self, wait=None):
        self.stop_event.set()
        deadline = now() + (wait if wait is not None else self.timeout + 5)
        for t in self.threads:
            t.join(timeout=max(0.0, deadline - now()))
        return sum(1 for t in self.threads if t.is_alive())

    def _next(self):
        with self.lock:
            n = self.counter
            self.counter += 1
        return n

    def _client(self, no):
        op = opener()
        while not self.stop_event.is_set():
            n = self._next()
            station = self.stations[n % len(self.stations)]
            body = f"{self.prefix}{n}"
            # 1. the form
            try:
                with op.open(f"{self.base}/stations/{station}", timeout=self.timeout) as r:
                    form = read_form(r.read().decode("utf-8", "replace"))
                if form is None:
                    with self.lock:
                        self.get_failures["200 without the form"] += 1
                    time.sleep(0.1)
                    continue
            except urllib.error.HTTPError as e:
                with self.lock:
                    self.get_failures[f"{e.code}"] += 1
                e.close()
                time.sleep(0.1)
                continue
            except Exception as e:  # connection refused/reset, timeout
                with self.lock:
                    self.get_failures[error_name(e)] += 1
                time.sleep(0.1)
                continue
            if self.stop_event.is_set():
                return
            # 2. the post, once
            data = urllib.parse.urlencode({
                "csrf": form[0], "submission": form[1], "kind": "praise", "rating": "5", "body": body,
                "reporter": "courier", "phone": "", "website": "",
            }).encode()
            req = urllib.request.Request(f"{self.base}/stations/{station}/feedback", data=data, method="POST")
            rec = {"t_sent": now(), "t_done": None, "body": body, "station": station, "answer": None,
                   "receipt": None, "note": None, "client": no}
            try:
                with op.open(req, timeout=self.timeout) as r:
                    rec["answer"] = r.status
                    rec["note"] = brief(r.read(4000).decode("utf-8", "replace"))
            except urllib.error.HTTPError as e:
                rec["answer"] = e.code
                if e.code == 303:
                    location = e.headers.get("Location", "")
                    m = RECEIPT_RE.search(urllib.parse.urlparse(location).path)
                    if m:
                        rec["receipt"] = m.group(1)
                    else:
                        rec["note"] = f"Location: {location}"
                else:
                    try:
                        rec["note"] = brief(e.read(4000).decode("utf-8", "replace"))
                    except Exception:
                        pass
                e.close()
            except Exception as e:
                rec["answer"] = error_name(e)
            rec["t_done"] = now()
            with self.lock:
                self.posts.append(rec)
                key = answer_key(rec)
                if key not in self.samples and key != "303":
                    self.samples[key] = rec["note"] or ""


def answer_key(rec):
    a = rec["answer"]
    if a == 303 and not rec["receipt"]:
        return "303 (no receipt)"
    return str(a)


def post_once(base, station, body, timeout=10.0):
    """One new form posted once: (answer, receipt)."""
    op = opener()
    try:
        with op.open(f"{base}/stations/{station}", timeout=timeout) as r:
            form = read_form(r.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as e:
        return f"GET {e.code}", None
    except Exception as e:
        return f"GET {error_name(e)}", None
    if form is None:
        return "GET without the form", None
    data = urllib.parse.urlencode({
        "csrf": form[0], "submission": form[1], "kind": "praise", "rating": "5", "body": body,
        "reporter": "courier", "phone": "", "website": "",
    }).encode()
    req = urllib.request.Request(f"{base}/stations/{station}/feedback", data=data, method="POST")
    try:
        with op.open(req, timeout=timeout) as r:
            return r.status, None
    except urllib.error.HTTPError as e:
        receipt = None
        if e.code == 303:
            m = RECEIPT_RE.search(urllib.parse.urlparse(e.headers.get("Location", "")).path)
            receipt = m.group(1) if m else None
        e.close()
        return e.code, receipt
    except Exception as e:
        return error_name(e), None


def counts(posts):
    c = Counter(answer_key(p) for p in posts)
    return c


def fmt_counts(c):
    if not c:
        return "none"

    def order(k):
        return (0, int(k)) if k.isdigit() else (1, k)

    return ", ".join(f"{k}×{c[k]}" for k in sorted(c, key=order))


def timeline(posts, t_ref, t_from, t_to, bucket=1.0):
    """Lines "  +2 s  303×40, 503×3": POSTs by send time in buckets, relative to t_ref."""
    lines = []
    by = {}
    for p in posts:
        b = int((p["t_sent"] - t_ref) // bucket)
        by.setdefault(b, Counter())[answer_key(p)] += 1
    if not by:
        return lines
    for b in range(min(by), max(by) + 1):
        lines.append(f"{b * bucket:+5.0f} s  {fmt_counts(by.get(b, Counter()))}")
    return lines


# ------------------------------------------------------------------ /healthz


def writes_state(body):
    """What /healthz says of writes: 'ok', 'failing (kind)', 'absent', or something else as is."""
    if "writes" not in body:
        return "absent"
    w = body["writes"]
    if w == "ok":
        return "ok"
    if isinstance(w, dict):
        return f"{w.get('status', '?')} ({w.get('last_failure_kind', '?')})"
    return str(w)


class HealthPoller:
    def __init__(self, port, every=0.5):
        self.port = port
        self.every = every
        self.samples = []  # (t, http status or error, writes, database)
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=5)

    def _run(self):
        import json

        while not self.stop_event.is_set():
            t = now()
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                c.request("GET", "/healthz")
                r = c.getresponse()
                raw = r.read()
                c.close()
                try:
                    body = json.loads(raw)
                    self.samples.append((t, r.status, writes_state(body), body.get("database", "absent")))
                except ValueError:
                    self.samples.append((t, r.status, "not JSON", "?"))
            except Exception as e:
                self.samples.append((t, error_name(e), "-", "-"))
            self.stop_event.wait(max(0.0, self.every - (now() - t)))

    def states(self, t_from=None, t_to=None):
        """'writes' states seen in [t_from, t_to), in order of first appearance, with counts."""
        seen = Counter()
        order = []
        for t, status, writes, database in self.samples:
            if (t_from is not None and t < t_from) or (t_to is not None and t >= t_to):
                continue
            key = f"{writes}" if status == 200 else f"{status}"
            if key not in seen:
                order.append(key)
            seen[key] += 1
        return ", ".join(f"{k}×{seen[k]}" for k in order) or "no sample"

    def database_states(self):
        seen = Counter(database for _, status, _, database in self.samples if status == 200)
        return ", ".join(f"{k}×{v}" for k, v in seen.items()) or "no sample"


# ------------------------------------------------------------------ checks


def resolve(base, receipts, threads=4, timeout=10.0):
    """receipt -> status of GET /feedback/{receipt} (or an error name)."""

    def one(receipt):
        try:
            with urllib.request.urlopen(f"{base}/feedback/{receipt}", timeout=timeout) as r:
                r.read()
                return r.status
        except urllib.error.HTTPError as e:
            e.close()
            return e.code
        except Exception as e:
            return error_name(e)

    receipts = list(receipts)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip(receipts, pool.map(one, receipts)))


def report(heading, section, problems, write):
    """Prints the RESULTS.md section (and writes it there with --write), then the verdict
    with every problem; returns the exit code: 1 when a check failed, else 0."""
    print()
    print(section)
    if write:
        write_section(heading, section)
        print(f"wrote the \"{heading}\" section of bench/RESULTS.md")
    if problems:
        print("\nFAIL")
        for pr in problems:
            print(f"  - {pr}")
        return 1
    print("\nPASS")
    return 0


def listing(items, limit=8):
    items = list(items)
    more = f" … (+{len(items) - limit})" if len(items) > limit else ""
    return ", ".join(str(i) for i in items[:limit]) + more if items else "-"
