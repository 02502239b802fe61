#!/usr/bin/env python3
"""Ledger import and export through the release binary's command line.

    python3 bench/ledger.py [--bin target/release/yizhan] [--rows 10000]
        [--postgres postgres://postgres@127.0.0.1:5432/test] [--export 200000] [--write]

Writes a ledger of --rows stations as a GBK CSV (Chinese headers, hours written
as offices write them: 8:00-18:00, 周一至周五 9:00-17:30, 24小时 …, coordinates
in GCJ-02), then on a fresh SQLite database (and, with --postgres, a fresh
PostgreSQL database made under that server) times:

1. `yizhan import FILE --dry-run` (read, check and match every row);
2. `yizhan import FILE` (the same, then every row written in one transaction);

each as wall-clock seconds and peak RSS (`/usr/bin/time -f %M`, or the
resource module's ru_maxrss of the child when /usr/bin/time is missing). With
--export N, also adds N synthetic stations to the SQLite database and times
`yizhan export ledger.xlsx` of the whole city. With --write, the "## Ledger
import" section of bench/RESULTS.md is replaced (or added at the end).
"""

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEADER = "站点编号,站点名称,所属区,详细地址,经度,纬度,坐标系,开放时间,节假日开放,设施,服务对象,承建单位类型,联系电话"
DISTRICTS = [("丰台区", 39.86, 116.29), ("朝阳区", 39.95, 116.48), ("大兴区", 39.73, 116.34), ("顺义区", 40.13, 116.65)]
HOURS = ["8:00-18:00", "周一至周五 9:00-17:30", "24小时", "全天", "周一至周六 8:30-17:00", "８：００－２０：００"]
FACILITIES = ["饮水", "厕所", "充电", "微波炉", "座椅", "急救药品", "雨具", "维修工具", "无线网络"]
HOSTS = ["加油站", "社区服务中心", "商场商圈", "物流园区", "企业"]


def ledger(rows, seed=7):
    rnd = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        name, lat, lon = DISTRICTS[i % len(DISTRICTS)]
        lines.append(
            ",".join(
                [
                    f"BX-{i:06d}",
                    f"压测驿站{i:06d}",
                    name,
                    f"{name}压测路{i}号",
                    f"{lon + rnd.uniform(-0.08, 0.08):.6f}",
                    f"{lat + rnd.uniform(-0.06, 0.06):.6f}",
                    "GCJ-02",
                    rnd.choice(HOURS),
                    rnd.choice(["是", "否"]),
                    "、".join(rnd.sample(FACILITIES, rnd.randint(2, 6))),
                    "",
                    rnd.choice(HOSTS),
                    f"010-6{rnd.randint(1000000, 9999999)}",
                ]
            )
        )
    return ("\r\n".join(lines) + "\r\n").encode("gbk")


def timed(cmd, env):
    """Seconds and peak RSS (MB) of one run; fails loudly."""
    use_time = os.path.exists("/usr/bin/time")
    full = (["/usr/bin/time", "-f", "%M"] if use_time else []) + cmd
    started = time.monotonic()
    done = subprocess.run(full, env=env, capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    if use_time:
        peak_kb = int(done.stderr.strip().splitlines()[-1])
    else:
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return took, peak_kb / 1024, done.stdout


def run_on(binary, url, path, env):
    env = dict(env, YIZHAN_DATABASE_URL=url, YIZHAN_LOG="warn")
    subprocess.run([binary, "migrate"], env=env, check=True, capture_output=True)
    dry = timed([binary, "import", path, "--dry-run"], env)
    real = timed([binary, "import", path], env)
    summary = [l for l in real[2].splitlines() if " added, " in l]
    return dry, real, summary[-1] if summary else ""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(ROOT, "target/release/yizhan"))
    p.add_argument("--rows", type=int, default=10000)
    p.add_argument("--postgres")
    p.add_argument("--export", type=int, default=0)
    p.add_argument("--write", action="store_true")
    args = p.parse_args()
    env = dict(os.environ)
    tmp = tempfile.mkdtemp(prefix="yizhan-ledger-bench-")
    path = os.path.join(tmp, "ledger.csv")
    with open(path, "wb") as f:
        f.write(ledger(args.rows))
    size_mb = os.path.getsize(path) / 1e6
    results = []
    sqlite_url = f"sqlite://{tmp}/bench.db"
    results.append(("SQLite", run_on(args.bin, sqlite_url, path, env)))
    if args.postgres:
        base, _ = args.postgres.rsplit("/", 1)
        name = f"yizhan_ledger_bench_{os.getpid()}"
        subprocess.run(["psql", args.postgres, "-qc", f"CREATE DATABASE {name}"], check=True)
        try:
            results.append(("PostgreSQL", run_on(args.bin, f"{base}/{name}", path, env)))
        finally:
            subprocess.run(["psql", args.postgres, "-qc", f"DROP DATABASE {name}"], check=False)
    export = None
    if args.export:
        env_db = dict(env, YIZHAN_DATABASE_URL=sqlite_url, YIZHAN_LOG="warn")
        subprocess.run([args.bin, "gen-synthetic", "--count", str(args.export)], env=env_db, check=True, capture_output=True)
        out = os.path.join(tmp, "city.xlsx")
        took, peak, _ = timed([args.bin, "export", out], env_db)
        export = (took, peak, os.path.getsize(out) / 1e6)

    lines = [
        "## Ledger import",
        "",
        f"`python3 bench/ledger.py --rows {args.rows}"
        + (" --postgres …" if args.postgres else "")
        + (f" --export {args.export}" if args.export else "")
        + f"` (release binary, command line). A GBK CSV of {args.rows} new stations, {size_mb:.1f} MB,"
        " Chinese hours and GCJ-02 coordinates.",
        "",
        "| Database | Dry run: s / peak RSS MB | Import: s / peak RSS MB | Target |",
        "| --- | --- | --- | --- |",
    ]
    for db, (dry, real, summary) in results:
        target = "≤ 3 s, ≤ 200 MB" if db == "SQLite" else ""
        lines.append(f"| {db} | {dry[0]:.2f} / {dry[1]:.0f} | {real[0]:.2f} / {real[1]:.0f} | {target} |")
    for db, (_, _, summary) in results:
        lines.append(f"\n{db}: `{summary}`")
    if export:
        lines.append(
            f"\nExport of the whole city ({args.export} synthetic stations + seed) to .xlsx: "
            f"{export[0]:.1f} s, peak RSS {export[1]:.0f} MB, file {export[2]:.1f} MB."
        )
    lines.append("")
    section = "\n".join(lines)
    print(section)
    if args.write:
        results_path = os.path.join(ROOT, "bench/RESULTS.md")
        text = open(results_path).read()
        pattern = re.compile(r"## Ledger import\n.*?(?=\n## |\Z)", re.S)
        if pattern.search(text):
            text = pattern.sub(lambda _: section.rstrip("\n") + "\n", text)
        else:
            text = text.rstrip("\n") + "\n\n" + section
        open(results_path, "w").write(text)


if __name__ == "__main__":
    main()
