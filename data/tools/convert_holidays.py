#!/usr/bin/env python3
"""Extract the mainland China public-holiday calendar from the npm package
`chinese-days` into data/holidays.csv.

Usage:
    python3 convert_holidays.py PACKAGE_DIR [OUTPUT_CSV] [--from-year YEAR]

PACKAGE_DIR is the unpacked npm tarball (the directory that contains
package.json and dist/chinese-days.json), e.g. obtained with
    npm pack chinese-days && tar xzf chinese-days-*.tgz   # -> ./package
OUTPUT_CSV defaults to ../holidays.csv relative to this script.
Only years >= --from-year (default 2024) are written; every later year the
package contains is included.

Columns: date (YYYY-MM-DD), kind ("holiday" = statutory day off / 放假,
"workday" = make-up working day on a weekend / 调休补班), name (Chinese
festival name only; the package stores "English,中文,days" strings).
Standard library only.
"""
import csv
import datetime
import json
import os
import sys
from collections import Counter


def chinese_name(raw):
    # Package format: "Spring Festival,春节,4" -> "春节".
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) == 3:
        return parts[1]
    # Fallback: keep only the parts that contain CJK characters.
    cjk = [p for p in parts if any("\u4e00" <= ch <= "\u9fff" for ch in p)]
    if not cjk:
        raise ValueError("no Chinese name in %r" % raw)
    return cjk[0]


def main(argv):
    args = argv[1:]
    from_year = 2024
    if "--from-year" in args:
        i = args.index("--from-year")
        from_year = int(args[i + 1])
        del args[i:i + 2]
    if not args:
        sys.exit(__doc__)
    pkg = args[0]
    out = args[1] if len(args) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "holidays.csv")
    out = os.path.normpath(out)

    with open(os.path.join(pkg, "package.json"), encoding="utf-8") as f:
        meta = json.load(f)
    with open(os.path.join(pkg, "dist", "chinese-days.json"), encoding="utf-8") as f:
        data = json.load(f)

    rows = {}
    problems = []
    for table, kind in (("holidays", "holiday"), ("workdays", "workday")):
        for date, raw in data[table].items():
            d = datetime.date.fromisoformat(date)
            if d.year < from_year:
                continue
            if date in rows:
                problems.append("%s is in both tables" % date)
            if kind == "workday" and d.weekday() < 5:
                problems.append("workday %s is not on a weekend" % date)
            rows[date] = (d.isoformat(), kind, chinese_name(raw))

    ordered = [rows[k] for k in sorted(rows)]
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["date", "kind", "name"])
        w.writerows(ordered)

    print("%s %s -> %s: %d rows" % (meta["name"], meta["version"], out, len(ordered)))
    per = Counter((r[0][:4], r[1]) for r in ordered)
    for y in sorted({r[0][:4] for r in ordered}):
        print("  %s: %d holiday, %d workday" % (y, per[(y, "holiday")], per[(y, "workday")]))
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
