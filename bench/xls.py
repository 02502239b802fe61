#!/usr/bin/env python3
"""Memory of an `.xls` ledger at the 20 MB size limit, against a CSV of the same rows.

    pip install xlwt   # writes .xls (BIFF8); PyPI, BSD licence
    python3 bench/xls.py [--bin target/release/yizhan] [--write]

calamine reads a whole `.xls` workbook when it opens it, so its memory is bounded
only by the file size limit. This writes the largest `.xls` ledger under 20 MB
(xlwt keeps one sheet to 65,536 rows, so 65,000 rows of long texts) and a UTF-8
CSV of the first rows of the same data that fits under 20 MB, and times
`yizhan import FILE --dry-run` of each on a fresh SQLite database: wall-clock
seconds and peak RSS (`/usr/bin/time -f %M`). With --write, the "## Ledger
import: .xls at the size limit" section of bench/RESULTS.md is replaced (or
added at the end).
"""

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hardening import write_section  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIMIT = 20 * 1024 * 1024
HEADER = "站点编号,站点名称,所属区,详细地址,经度,纬度,坐标系,开放时间,节假日开放,设施,服务对象,承建单位类型,联系电话,服务项目".split(",")


def row(i):
    return [
        f"XL-{i:06d}",
        f"测试驿站{i}号很长的名字用来占空间",
        "丰台区",
        f"丰台区某某街道某某路{i}号院内一层东侧",
        f"{116.2 + (i % 1000) * 0.0001:.6f}",
        f"{39.8 + (i // 1000) * 0.0001:.6f}",
        "高德",
        "周一至周五 9:00-17:30",
        "否",
        "饮水、厕所、充电、微波炉、座椅",
        "快递员、外卖骑手",
        "社区服务中心",
        "010-63700000",
        "免费饮水；手机充电；临时休息；应急药品；图书阅读" * 2,
    ]


def measure(binary, path, db):
    env = dict(os.environ, YIZHAN_DATABASE_URL=f"sqlite://{db}")
    start = time.monotonic()
    out = subprocess.run(
        ["/usr/bin/time", "-f", "%M", binary, "import", path, "--dry-run"],
        env=env, capture_output=True, text=True,
    )
    seconds = time.monotonic() - start
    if out.returncode != 0:
        sys.exit(f"{path}: exit {out.returncode}: {out.stderr[-500:]}")
    kib = int(out.stderr.strip().splitlines()[-1])
    return seconds, kib / 1024


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(ROOT, "target/release/yizhan"))
    p.add_argument("--write", action="store_true")
    a = p.parse_args()
    import xlwt

    tmp = tempfile.mkdtemp(prefix="yizhan-xls-")
    xls = os.path.join(tmp, "ledger.xls")
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("台账")
    rows = 65000
    for c, h in enumerate(HEADER):
        ws.write(0, c, h)
    for i in range(1, rows + 1):
        for c, v in enumerate(row(i)):
            ws.write(i, c, v)
    wb.save(xls)
    xls_size = os.path.getsize(xls)
    assert xls_size < LIMIT, xls_size
    csv_path = os.path.join(tmp, "ledger.csv")
    csv_rows = 0
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for i in range(1, rows + 1):
            line = row(i)
            if f.tell() + len(",".join(line).encode()) + 64 > LIMIT:
                break
            w.writerow(line)
            csv_rows += 1
    csv_size = os.path.getsize(csv_path)
    results = []
    for name, path, n, size in [(".xls", xls, rows, xls_size), ("CSV (UTF-8)", csv_path, csv_rows, csv_size)]:
        seconds, mib = measure(a.bin, path, os.path.join(tmp, f"{n}.db"))
        results.append((name, n, size, seconds, mib))
        print(f"{name}: {n} rows, {size / 1e6:.1f} MB: dry run {seconds:.2f} s, peak {mib:.0f} MiB")
    if a.write:
        lines = [
            "## Ledger import: .xls at the size limit",
            "",
            "`pip install xlwt; python3 bench/xls.py --write` (release build; a dry run on a fresh SQLite database).",
            "calamine reads a whole `.xls` when it opens it: the file size limit (20 MB) is what bounds it.",
            "",
            "| File | Rows | Size | Dry run | Peak RSS | Per row |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, n, size, seconds, mib in results:
            lines.append(f"| {name} | {n:,} | {size / 1e6:.1f} MB | {seconds:.2f} s | {mib:.0f} MiB | {mib * 1024 / n:.1f} KiB |")
        write_section("## Ledger import: .xls at the size limit", "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
