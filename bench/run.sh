#!/usr/bin/env bash
# Load benchmark of the station directory at 200,000 synthetic stations.
#
#   bash bench/run.sh
#
# Builds the release binary, fills a fresh SQLite database under bench/out/,
# starts `yizhan serve` on 127.0.0.1 (a free port), measures start-up time and
# memory, loads three URLs with wrk one after the other, then the map: the
# snapshot (incl. cluster index) build time from the server log, /api/map for
# three views next to static files, feature counts and gzipped sizes, the bytes
# of the first map view and of the full GeoJSON export; optionally Lighthouse.
# Stops the server and writes bench/RESULTS.md from the measured numbers,
# keeping the hand-quoted "## In-memory snapshot" section of the old file at
# the end. All traffic goes to 127.0.0.1 only. Exits non-zero if the server
# does not start.
#
# Knobs (environment): BENCH_COUNT (stations, 200000), BENCH_DURATION (wrk
# seconds per URL, 10), BENCH_CONNECTIONS (64), BENCH_THREADS (2),
# BENCH_LIGHTHOUSE (1 to run Lighthouse, default 0), BENCH_LH_DIR (where the
# npm package `lighthouse` is or gets installed, /tmp/lh), CHROME_PATH
# (/usr/bin/chromium).

set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

COUNT=${BENCH_COUNT:-200000}
DURATION=${BENCH_DURATION:-10}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
OUT=bench/out
DB="$OUT/bench.db"
DB_URL="sqlite://$DB"
BIN=target/release/yizhan
RESULTS=bench/RESULTS.md
SERVER_LOG="$OUT/server.log"
STARTUP_LIMIT_S=60
SERVER_LOG_LEVEL="warn,yizhan=info"
LIGHTHOUSE=${BENCH_LIGHTHOUSE:-0}
LH_DIR=${BENCH_LH_DIR:-/tmp/lh}
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
LH_CHROME_FLAGS="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"

# The hand-quoted criterion section of the previous RESULTS.md, kept at the end.
CRITERION_SECTION=""
[[ -f "$RESULTS" ]] && CRITERION_SECTION=$(sed -n '/^## In-memory snapshot/,$p' "$RESULTS")

SERVER_PID=""
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        # Up to 10 s for a graceful stop, then force it.
        for _ in $(seq 1 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            log "server $SERVER_PID did not stop on TERM; killing it"
            kill -KILL "$SERVER_PID" 2>/dev/null || true
        fi
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT
trap 'exit 130' INT TERM

now_ns() { date +%s%N; }

# VmRSS of a process, in kB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# A TCP port nobody listens on at 127.0.0.1.
free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port found"
}

# wrk prints latencies as 812.00us, 1.25ms, 1.02s or 2.00m; in milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n = n / 1000
        else if (v ~ /ms$/) n = n
        else if (v ~ /m$/) n = n * 60000
        else if (v ~ /s$/) n = n * 1000
        printf "%.2f", n
    }'
}

# calc EXPR [DECIMALS]: EXPR is evaluated by awk (numbers and + - * / only).
calc() { awk "BEGIN { printf \"%.${2:-2}f\", ($1) }"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; }
verdict() { if "$@"; then echo "met"; else echo "**not met**"; fi; }
# Thousands separators for a whole number.
fmt() { printf '%s' "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }

# ---------------------------------------------------------------- tools
if ! command -v wrk >/dev/null 2>&1; then
    log "wrk is missing; installing the Debian package"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO=sudo
    timeout 300 $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 300 $SUDO apt-get install -y -qq wrk >/dev/null
fi
command -v wrk >/dev/null || die "wrk is not installed"
command -v curl >/dev/null || die "curl is not installed"
if ! command -v jq >/dev/null 2>&1; then
    log "jq is missing; installing the Debian package"
    SUDO=""
    [[ $(id -u) -eq 0 ]] || SUDO=sudo
    timeout 300 $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 300 $SUDO apt-get install -y -qq jq >/dev/null
fi
command -v jq >/dev/null || die "jq is not installed"

# ---------------------------------------------------------------- build
log "cargo build --release"
build_started=$(now_ns)
timeout 1800 cargo build --release
build_s=$(calc "($(now_ns) - $build_started) / 1e9" 0)
[[ -x "$BIN" ]] || die "$BIN was not built"

# ---------------------------------------------------------------- data
mkdir -p "$OUT"
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal" "$SERVER_LOG" "$OUT"/wrk-*.txt "$OUT"/lighthouse-* "$OUT"/map-*.json
log "gen-synthetic --count $COUNT into $DB"
gen_started=$(now_ns)
YIZHAN_DATABASE_URL="$DB_URL" YIZHAN_LOG=warn timeout 1200 "$BIN" gen-synthetic --count "$COUNT" >"$OUT/gen.log" 2>&1 ||
    { cat "$OUT/gen.log" >&2; die "gen-synthetic failed"; }
gen_s=$(calc "($(now_ns) - $gen_started) / 1e9" 1)
gen_line=$(tail -n 1 "$OUT/gen.log")
db_mb=$(calc "$(stat -c %s "$DB") / 1048576" 0)

# ---------------------------------------------------------------- start
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
log "starting $BIN serve on 127.0.0.1:$PORT"
start_ns=$(now_ns)
YIZHAN_DATABASE_URL="$DB_URL" YIZHAN_BIND="127.0.0.1:$PORT" YIZHAN_LOG="$SERVER_LOG_LEVEL" "$BIN" serve >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
deadline=$((start_ns + STARTUP_LIMIT_S * 1000000000))
startup_ms=""
while :; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        tail -n 20 "$SERVER_LOG" >&2 || true
        die "the server exited during start-up"
    fi
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$BASE/healthz" || true)
    if [[ "$code" == 200 ]]; then
        startup_ms=$(( ($(now_ns) - start_ns) / 1000000 ))
        break
    fi
    if (($(now_ns) > deadline)); then
        tail -n 20 "$SERVER_LOG" >&2 || true
        die "GET /healthz did not answer 200 within ${STARTUP_LIMIT_S} s"
    fi
    sleep 0.01
done
rss_start_kb=$(rss_kb "$SERVER_PID")
health=$(curl -s --max-time 5 "$BASE/healthz")
log "serving after $startup_ms ms, RSS $rss_start_kb kB; $health"

# ---------------------------------------------------------------- URLs
home=$(curl -s --max-time 10 "$BASE/")
css_path=$(grep -o '<link rel="stylesheet" href="[^"]*"' <<<"$home" | head -n 1 | sed -e 's/.*href="//' -e 's/"$//' -e 's/&amp;/\&/g' || true)
[[ "$css_path" == /static/app.css\?v=* ]] || die "no versioned app.css link in the home page (got '$css_path')"
api=$(curl -s --max-time 10 "$BASE/api/stations?district=110105&per_page=1")
station_id=$(grep -o '"id":[0-9]*' <<<"$api" | head -n 1 | cut -d: -f2 || true)
[[ -n "$station_id" ]] || die "no station id from /api/stations (got: ${api:0:200})"

NAMES=(static list station)
declare -A URL LABEL
URL[static]="$BASE$css_path"
URL[list]="$BASE/stations?district=110105&facility=water&open_now=1"
URL[station]="$BASE/stations/$station_id"
LABEL[static]="static file \`$css_path\`"
LABEL[list]="filtered list \`/stations?district=110105&facility=water&open_now=1\`"
LABEL[station]="station page \`/stations/$station_id\`"

declare -A STATUS BYTES RPS P50 P99 NON2XX ERRS
for n in "${NAMES[@]}"; do
    read -r STATUS[$n] BYTES[$n] < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' --max-time 10 "${URL[$n]}")
    [[ "${STATUS[$n]}" == 200 ]] || log "WARNING: ${URL[$n]} answered ${STATUS[$n]}"
done
list_total=$(grep -o '<p class="count" id="count">[^<]*' <<<"$(curl -s --max-time 10 "${URL[list]}")" | sed 's/.*>//' || true)

# ---------------------------------------------------------------- load
# Other processes busy on this (shared) machine just before the load, over 1 s.
busy=$(top -b -n 2 -d 1 -w 200 2>/dev/null | awk -v self="$SERVER_PID" '
    /^top -/ { frame++ }
    frame == 2 && $1 ~ /^[0-9]+$/ && $1 != self && $9 + 0 >= 20 { printf "%s%s %s%%", sep, $12, $9; sep = ", " }' || true)
load_at_load=$(cut -d' ' -f1-3 /proc/loadavg)
run_wrk() { # NAME: loads URL[NAME], fills RPS P50 P99 NON2XX ERRS
    local n=$1 wrk_out
    log "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency ${URL[$n]}"
    wrk_out=$(timeout $((DURATION + 60)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${URL[$n]}")
    printf '%s\n' "$wrk_out" >"$OUT/wrk-$n.txt"
    RPS[$n]=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$wrk_out")
    P50[$n]=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$wrk_out")")
    P99[$n]=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$wrk_out")")
    NON2XX[$n]=$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' <<<"$wrk_out")
    NON2XX[$n]=${NON2XX[$n]:-0}
    ERRS[$n]=$(awk '/Socket errors/ { sub(/.*Socket errors: */, ""); print }' <<<"$wrk_out")
    ERRS[$n]=${ERRS[$n]:-none}
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server died under load"
}
for n in "${NAMES[@]}"; do
    run_wrk "$n"
done
# ---------------------------------------------------------------- map
# Snapshot build time, from the server's info line (tracing; ANSI colours stripped).
snap_line=$(sed 's/\x1b\[[0-9;]*m//g' "$SERVER_LOG" | grep -m 1 'snapshot built' || true)
snap_load_ms=$(grep -o 'load_ms=[0-9]*' <<<"$snap_line" | cut -d= -f2 || true)
snap_build_ms=$(grep -o ' build_ms=[0-9]*' <<<"$snap_line" | cut -d= -f2 || true)
snap_cluster_ms=$(grep -o 'cluster_ms=[0-9]*' <<<"$snap_line" | cut -d= -f2 || true)
snap_stations=$(grep -o 'stations=[0-9]*' <<<"$snap_line" | cut -d= -f2 || true)
[[ -n "$snap_build_ms" ]] || log "WARNING: no 'snapshot built ... build_ms=' line in $SERVER_LOG"

# The versioned assets the /map page references (stylesheets, icon, scripts).
map_html=$(curl -s --max-time 10 "$BASE/map")
mapfile -t MAP_ASSETS < <(grep -oE '<(link|script)[^>]*(href|src)="/static/[^"]*"' <<<"$map_html" |
    sed -E 's/.*(href|src)="//; s/"$//; s/&amp;/\&/g' | awk '!seen[$0]++')
asset_path() { printf '%s\n' "${MAP_ASSETS[@]}" | grep -m 1 "^$1?v=" || true; }

MAP_VIEWS=(city district street)
declare -A MAP_Q MAP_LABEL MAP_FEATURES MAP_CLUSTERS MAP_COVERED MAP_GZ MAP_ENC REF
MAP_Q[city]="bbox=115.4,39.4,117.6,41.1&zoom=9"
MAP_Q[district]="bbox=116.38,39.86,116.62,40.05&zoom=12"
MAP_Q[street]="bbox=116.43,39.90,116.46,39.92&zoom=16"
MAP_LABEL[city]="city-wide"
MAP_LABEL[district]="district"
MAP_LABEL[street]="street"
for v in "${MAP_VIEWS[@]}"; do
    n="map_$v"
    URL[$n]="$BASE/api/map?${MAP_Q[$v]}"
    LABEL[$n]="${MAP_LABEL[$v]} \`/api/map?${MAP_Q[$v]}\`"
    body=$(curl -s --max-time 30 -w '\n%{http_code} %{size_download}' "${URL[$n]}")
    read -r STATUS[$n] BYTES[$n] <<<"$(tail -n 1 <<<"$body")"
    body=$(sed '$d' <<<"$body")
    printf '%s\n' "$body" >"$OUT/map-$v.json"
    [[ "${STATUS[$n]}" == 200 ]] || log "WARNING: ${URL[$n]} answered ${STATUS[$n]}"
    MAP_FEATURES[$v]=$(jq '.features | length' <<<"$body" 2>/dev/null || echo "?")
    MAP_CLUSTERS[$v]=$(jq '[.features[] | select(.properties.cluster)] | length' <<<"$body" 2>/dev/null || echo "?")
    MAP_COVERED[$v]=$(jq '[.features[] | if .properties.cluster then .properties.count else 1 end] | add // 0' <<<"$body" 2>/dev/null || echo "?")
    MAP_GZ[$v]=$(curl -s --max-time 30 -H 'Accept-Encoding: gzip' "${URL[$n]}" | wc -c)
    MAP_ENC[$v]=$(curl -s --max-time 30 -o /dev/null -D - -H 'Accept-Encoding: gzip' "${URL[$n]}" |
        awk -F': *' 'tolower($1) == "content-encoding" { gsub(/\r/, "", $2); print $2 }')
done

# Static files of other sizes, served by the same binary: each view is also set
# next to the one closest to its uncompressed size (by ratio, |ln(a/b)|).
STATIC_CANDIDATES=(static)
for p in /static/vendor/leaflet/leaflet.css /static/map.js /static/vendor/leaflet/leaflet.js; do
    path=$(asset_path "$p")
    [[ -n "$path" ]] || { log "WARNING: $p is not referenced by /map"; continue; }
    n="static_$(basename "$p" | tr '.' '_')"
    URL[$n]="$BASE$path"
    LABEL[$n]="static file \`$path\`"
    read -r STATUS[$n] BYTES[$n] < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' --max-time 10 "${URL[$n]}")
    STATIC_CANDIDATES+=("$n")
done
declare -A NEED
for v in "${MAP_VIEWS[@]}"; do
    best="" best_d=""
    for c in "${STATIC_CANDIDATES[@]}"; do
        d=$(awk -v a="${BYTES[map_$v]}" -v b="${BYTES[$c]}" 'BEGIN { x = log((a + 1) / (b + 1)); printf "%.6f", x < 0 ? -x : x }')
        if [[ -z "$best" ]] || awk -v a="$d" -v b="$best_d" 'BEGIN { exit !(a < b) }'; then
            best=$c best_d=$d
        fi
    done
    REF[$v]=$best
    [[ $best == static ]] || NEED[$best]=1
done
EXTRA_STATIC=()
for c in "${STATIC_CANDIDATES[@]}"; do
    [[ -n "${NEED[$c]:-}" ]] && EXTRA_STATIC+=("$c")
done
for n in "${EXTRA_STATIC[@]}"; do
    run_wrk "$n"
done
for v in "${MAP_VIEWS[@]}"; do
    run_wrk "map_$v"
done
rss_load_kb=$(rss_kb "$SERVER_PID")

# ---------------------------------------------------------------- gzip
GZ_URL="$BASE/stations?district=110105"
gz_bytes=$(curl -s --max-time 10 -H 'Accept-Encoding: gzip' "$GZ_URL" | wc -c)
gz_encoding=$(curl -s --max-time 10 -o /dev/null -D - -H 'Accept-Encoding: gzip' "$GZ_URL" |
    awk -F': *' 'tolower($1) == "content-encoding" { gsub(/\r/, "", $2); print $2 }')
gz_rows=$(curl -s --max-time 10 "$GZ_URL" | grep -o 'class="station-link"' | wc -l)
gz_plain=$(curl -s --max-time 10 -o /dev/null -w '%{size_download}' "$GZ_URL")

# ---------------------------------------------------------------- first map view
# What a phone downloads for the first /map view, tiles excluded, each item
# fetched with Accept-Encoding: gzip (bytes on the wire, body only).
FIRST_MAP_Q="bbox=116.15,39.78,116.65,40.08&zoom=10"
FV_PATHS=(/map "${MAP_ASSETS[@]}" "/api/map?$FIRST_MAP_Q")
declare -A FV_BYTES FV_ENC FV_STATUS
fv_total=0
for p in "${FV_PATHS[@]}"; do
    read -r FV_STATUS[$p] FV_BYTES[$p] < <(curl -s -o /dev/null -w '%{http_code} %{size_download}\n' --max-time 30 -H 'Accept-Encoding: gzip' "$BASE$p")
    FV_ENC[$p]=$(curl -s --max-time 30 -o /dev/null -D - -H 'Accept-Encoding: gzip' "$BASE$p" |
        awk -F': *' 'tolower($1) == "content-encoding" { gsub(/\r/, "", $2); print $2 }')
    fv_total=$((fv_total + FV_BYTES[$p]))
done

# The full GeoJSON export, for comparison.
EXPORT_URL="$BASE/api/stations.geojson"
read -r export_status export_plain export_plain_s < <(curl -s -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' --max-time 300 "$EXPORT_URL")
read -r export_gz export_gz_s < <(curl -s -o /dev/null -w '%{size_download} %{time_total}\n' --max-time 300 -H 'Accept-Encoding: gzip' "$EXPORT_URL")
export_features=$(curl -s --max-time 300 "$EXPORT_URL" | jq '.features | length' 2>/dev/null || echo "?")

# ---------------------------------------------------------------- lighthouse
LH_NAMES=(map list station)
declare -A LH_TRIES LH_RETRIED LH_URL LH_PERF LH_A11Y LH_FCP LH_LCP LH_TBT LH_CLS LH_SI LH_FAILS LH_TILES LH_API LH_NOTE
LH_URL[map]="$BASE/map"
LH_URL[list]="$BASE/stations?district=110105"
LH_URL[station]="$BASE/stations/$station_id"
LH_BIN="$LH_DIR/node_modules/.bin/lighthouse"
lh_version=""
lh_api_path=""
lh_problem=""
if [[ "$LIGHTHOUSE" == 1 ]]; then
    if [[ ! -x "$LH_BIN" ]]; then
        log "installing lighthouse into $LH_DIR (npm install --no-save lighthouse)"
        mkdir -p "$LH_DIR"
        (cd "$LH_DIR" && timeout 600 npm install --no-save --no-audit --no-fund lighthouse >"$ROOT/$OUT/lighthouse-install.log" 2>&1) ||
            lh_problem="\`npm install --no-save lighthouse\` in $LH_DIR failed: $(tail -n 3 "$ROOT/$OUT/lighthouse-install.log" | tr '\n' ' ')"
    fi
    [[ -n "$lh_problem" || -x "$CHROME_PATH" ]] || lh_problem="no Chromium at $CHROME_PATH"
    if [[ -z "$lh_problem" && -x "$LH_BIN" ]]; then
        lh_version=$("$LH_BIN" --version 2>/dev/null || true)
        for n in "${LH_NAMES[@]}"; do
            json="$OUT/lighthouse-$n.json"
            # Headless Chromium sometimes loses the trace (NO_NAVSTART); up to 3 attempts.
            lh_ok=""
            LH_TRIES[$n]=0
            for attempt in 1 2 3; do
                rm -f "$json"
                LH_TRIES[$n]=$attempt
                log "lighthouse ${LH_URL[$n]} (attempt $attempt)"
                if timeout 300 "$LH_BIN" "${LH_URL[$n]}" --only-categories=performance,accessibility \
                    --output=json --output-path="$json" --quiet --chrome-flags="$LH_CHROME_FLAGS" \
                    >"$OUT/lighthouse-$n.log" 2>&1 && [[ -s "$json" ]]; then
                    lh_ok=1
                    break
                fi
                LH_NOTE[$n]="lighthouse failed: $(grep -v '^\s*$' "$OUT/lighthouse-$n.log" | tail -n 2 | tr '\n' ' ')"
                log "WARNING: ${LH_NOTE[$n]}"
            done
            [[ -n "$lh_ok" ]] || { LH_NOTE[$n]="${LH_NOTE[$n]} (3 attempts)"; continue; }
            if ((LH_TRIES[$n] > 1)); then LH_RETRIED[$n]="${LH_TRIES[$n]} attempts, the first failed with: ${LH_NOTE[$n]#lighthouse failed: }"; fi
            LH_PERF[$n]=$(jq '(.categories.performance.score // empty) * 100 | round' "$json")
            LH_A11Y[$n]=$(jq '(.categories.accessibility.score // empty) * 100 | round' "$json")
            LH_FCP[$n]=$(jq -r '.audits["first-contentful-paint"].displayValue // "?"' "$json")
            LH_LCP[$n]=$(jq -r '.audits["largest-contentful-paint"].displayValue // "?"' "$json")
            LH_TBT[$n]=$(jq -r '.audits["total-blocking-time"].displayValue // "?"' "$json")
            LH_CLS[$n]=$(jq -r '.audits["cumulative-layout-shift"].displayValue // "?"' "$json")
            LH_SI[$n]=$(jq -r '.audits["speed-index"].displayValue // "?"' "$json")
            LH_FAILS[$n]=$(jq -r '[.categories.accessibility.auditRefs[].id as $id | .audits[$id]
                | select(.score != null and .score < 1 and (.scoreDisplayMode == "binary" or .scoreDisplayMode == "numeric"))
                | "`\(.id)`"] | join(", ")' "$json")
            LH_TILES[$n]=$(jq '[.audits["network-requests"].details.items[]? | select(.url | test("tile\\.openstreetmap\\.org"))]
                | "\(length) tile requests, \(map(select(.statusCode == 200)) | length) loaded"' -r "$json")
            LH_API[$n]=$(jq -r '[.audits["network-requests"].details.items[]? | select(.url | test("/api/map"))
                | "`\(.url | sub("^https?://[^/]+"; ""))` (\(.transferSize) bytes transferred)"] | join("; ")' "$json")
            LH_NOTE[$n]=$(jq -r '[.runWarnings[]?] | join(" ")' "$json")
        done
        # The first /api/map call the browser made on /map, fetched again gzipped.
        lh_api_path=$(jq -r '[.audits["network-requests"].details.items[]? | select(.url | test("/api/map"))][0].url // empty
            | sub("^https?://[^/]+"; "")' "$OUT/lighthouse-map.json" 2>/dev/null || true)
        if [[ -n "$lh_api_path" ]]; then
            lh_api_gz=$(curl -s --max-time 30 -H 'Accept-Encoding: gzip' "$BASE$lh_api_path" | wc -c)
            lh_api_features=$(curl -s --max-time 30 "$BASE$lh_api_path" | jq '.features | length' 2>/dev/null || echo "?")
        fi
    fi
fi

# ---------------------------------------------------------------- stop
stop_server
log_lines=$(wc -l <"$SERVER_LOG")
log_warn=$(grep -c -E 'WARN|ERROR' "$SERVER_LOG" || true)

# ---------------------------------------------------------------- report
rss_start_mb=$(calc "$rss_start_kb / 1024" 1)
rss_load_mb=$(calc "$rss_load_kb / 1024" 1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$([[ -n "$(git status --porcelain 2>/dev/null)" ]] && echo " (work tree has uncommitted changes)" || true)
wrk_version=$(wrk -v 2>&1 | head -n 1 | awk '{ print $1, $2 }' || true)

{
    echo "# Load benchmark results"
    echo
    echo "Generated by \`bash bench/run.sh\` from the numbers it measured; do not edit by hand"
    echo "(except the criterion section at the end, if present, which quotes \`cargo bench\`)."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "- Machine: $(nproc) cores, $(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/^MemTotal/ { printf "%.0f GB RAM", $2 / 1048576 }' /proc/meminfo)"
    echo "- Load average (1/5/15 min): $LOAD_BEFORE before the run, $load_at_load just before the load, $(cut -d' ' -f1-3 /proc/loadavg) at the end"
    echo "- Other processes using ≥ 20 % CPU just before the load: ${busy:-none}"
    echo "- Code: commit $commit$dirty; \`$BIN\` built by \`cargo build --release\` in $build_s s"
    echo "- Data: $COUNT synthetic stations + the bundled seed, SQLite \`$DB\` ($db_mb MB); \`$gen_line\` (command took $gen_s s)"
    echo "- Load generator: $wrk_version on the same machine, sharing its $(nproc) cores with the server"
    echo "  (so requests/s are a floor, not the server's ceiling). wrk sends no \`Accept-Encoding\`,"
    echo "  so every response under load is uncompressed."
    echo
    echo "## Commands"
    echo
    echo '```sh'
    echo "cargo build --release"
    echo "YIZHAN_DATABASE_URL=$DB_URL $BIN gen-synthetic --count $COUNT"
    echo "YIZHAN_DATABASE_URL=$DB_URL YIZHAN_BIND=127.0.0.1:$PORT YIZHAN_LOG=$SERVER_LOG_LEVEL $BIN serve &"
    echo "# start-up: from launching serve until GET /healthz answers 200, polled every 10 ms"
    echo "# RSS: VmRSS from /proc/<pid>/status"
    for n in "${NAMES[@]}"; do
        echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency '${URL[$n]}'"
    done
    echo "curl -s -H 'Accept-Encoding: gzip' '$GZ_URL' | wc -c"
    for n in "${EXTRA_STATIC[@]}" "${MAP_VIEWS[@]/#/map_}"; do
        echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency '${URL[$n]}'"
    done
    echo "curl -s 'URL' | jq '.features | length'                # each /api/map view"
    echo "curl -s -H 'Accept-Encoding: gzip' 'URL' | wc -c        # each /api/map view, each first-view item, the export"
    echo '```'
    echo
    echo "## Server"
    echo
    echo "| Measure | Value | Target | |"
    echo "|---|---:|---:|---|"
    echo "| Start-up to serving (ms) | $startup_ms | ≤ 2000 | $(verdict le "$startup_ms" 2000) |"
    echo "| RSS after start (MB) | $rss_start_mb | ≤ 300 | $(verdict le "$rss_start_mb" 300) |"
    echo "| RSS after load (MB) | $rss_load_mb | ≤ 300 | $(verdict le "$rss_load_mb" 300) |"
    echo "| Gzipped 20-station list page (bytes) | $gz_bytes | ≤ 14,336 | $(verdict le "$gz_bytes" 14336) |"
    echo
    echo "Health at start: \`$health\`"
    echo
    echo "The gzipped page is \`/stations?district=110105\`: $gz_rows station rows, Content-Encoding: \`${gz_encoding:-none}\`,"
    echo "$gz_plain bytes uncompressed."
    echo
    echo "## Requests ($THREADS threads, $CONNECTIONS connections, ${DURATION} s each, one URL after the other)"
    echo
    echo "| URL | Status | Size (bytes, uncompressed) | Req/s | p50 (ms) | p99 (ms) | p99 ≤ 20 ms | Req/s ÷ static | Ratio ≥ 0.5 | Non-2xx | Socket errors |"
    echo "|---|---:|---:|---:|---:|---:|---|---:|---|---:|---|"
    for n in "${NAMES[@]}"; do
        if [[ $n == static ]]; then
            ratio="1.00"
            ratio_ok="(reference)"
        else
            ratio=$(calc "${RPS[$n]} / ${RPS[static]}" 2)
            ratio_ok=$(verdict ge "$ratio" 0.5)
        fi
        echo "| ${LABEL[$n]} | ${STATUS[$n]} | ${BYTES[$n]} | $(calc "${RPS[$n]}" 0) | ${P50[$n]} | ${P99[$n]} | $(verdict le "${P99[$n]}" 20) | $ratio | $ratio_ok | ${NON2XX[$n]} | ${ERRS[$n]} |"
    done
    echo
    echo "The filtered list's page says: \"${list_total:-?}\"."
    echo
    echo "Server log (\`YIZHAN_LOG=$SERVER_LOG_LEVEL\`): $log_lines lines, $log_warn of them WARN or ERROR."
    if ((log_warn > 0)); then
        echo
        echo '```'
        grep -E 'WARN|ERROR' "$SERVER_LOG" | sed 's/\x1b\[[0-9;]*m//g' | head -n 10
        echo '```'
    fi
    echo
    echo "Raw wrk output: \`$OUT/wrk-*.txt\` (not committed)."
    echo
    echo "## Map"
    echo
    echo "Same run, same server. The snapshot build time comes from the server's info log line"
    echo "(\`YIZHAN_LOG=$SERVER_LOG_LEVEL\`, ANSI colours stripped):"
    echo
    echo '```'
    echo "${snap_line:-(no snapshot built line found)}"
    echo '```'
    echo
    echo "| Measure | Value | Target | |"
    echo "|---|---:|---:|---|"
    if [[ -n "$snap_cluster_ms" ]]; then
        echo "| Cluster index build, \`cluster_ms\` ($(fmt "${snap_stations:-?}") stations) | $snap_cluster_ms ms | ≤ 500 ms | $(verdict le "$snap_cluster_ms" 500) |"
    else
        echo "| Cluster index build, \`cluster_ms\` | not found in the log | ≤ 500 ms | unknown |"
    fi
    echo "| Whole snapshot build, \`build_ms\` | ${snap_build_ms:-?} ms | | |"
    echo "| Loading the stations from SQLite before that, \`load_ms\` | ${snap_load_ms:-?} ms | | |"
    echo "| First map view, gzipped, tiles excluded (bytes) | $(fmt "$fv_total") | ≤ 102,400 | $(verdict le "$fv_total" 102400) |"
    echo
    echo "\`cluster_ms\` times \`ClusterIndex::build\` alone (Morton sort, prefix sums, per-level cell tables);"
    echo "it runs on a second thread beside the rest of \`Snapshot::build\`, whose whole time is \`build_ms\`."
    echo
    echo "### \`/api/map\` views ($THREADS threads, $CONNECTIONS connections, ${DURATION} s each, after the requests above)"
    echo
    echo "Each response's size is uncompressed (wrk sends no \`Accept-Encoding\`). \"Req/s ÷ app.css\" uses the"
    echo "run's first static-file measurement; \"Reference\" is the static file of this run closest in"
    echo "uncompressed size to the response (by ratio), among app.css, leaflet.css, map.js and leaflet.js"
    echo "(the versioned URLs of the /map page), and the ≥ 0.5 verdict is on that ratio."
    echo
    echo "| URL | Status | Size (bytes, uncompressed) | Req/s | p50 (ms) | p99 (ms) | Req/s ÷ app.css | Reference (size) | Req/s ÷ reference | Ratio ≥ 0.5 | Non-2xx | Socket errors |"
    echo "|---|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---|"
    for v in "${MAP_VIEWS[@]}"; do
        n="map_$v" r="${REF[$v]}"
        ratio_app=$(calc "${RPS[$n]} / ${RPS[static]}" 2)
        ratio=$(calc "${RPS[$n]} / ${RPS[$r]}" 2)
        echo "| ${LABEL[$n]} | ${STATUS[$n]} | ${BYTES[$n]} | $(calc "${RPS[$n]}" 0) | ${P50[$n]} | ${P99[$n]} | $ratio_app | \`$(basename "${URL[$r]%%\?*}")\` (${BYTES[$r]}) | $ratio | $(verdict ge "$ratio" 0.5) | ${NON2XX[$n]} | ${ERRS[$n]} |"
    done
    echo
    echo "Raw wrk output: \`$OUT/wrk-map_*.txt\`, \`$OUT/wrk-static*.txt\`; the three /api/map bodies: \`$OUT/map-*.json\` (not committed)."
    echo
    echo "Static files used as references:"
    echo
    echo "| Static file | Size (bytes) | Req/s | p50 (ms) | p99 (ms) | Non-2xx | Socket errors |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    for n in static "${EXTRA_STATIC[@]}"; do
        echo "| ${LABEL[$n]} | ${BYTES[$n]} | $(calc "${RPS[$n]}" 0) | ${P50[$n]} | ${P99[$n]} | ${NON2XX[$n]} | ${ERRS[$n]} |"
    done
    echo
    echo "### Features and gzipped size per view"
    echo
    echo "| View | Features (\`jq '.features \| length'\`) | of which clusters | Stations covered (cluster counts + single stations) | ≤ 300 features | Gzipped (bytes) | Content-Encoding | ≤ 10,240 bytes |"
    echo "|---|---:|---:|---:|---|---:|---|---|"
    for v in "${MAP_VIEWS[@]}"; do
        echo "| ${MAP_LABEL[$v]} \`${MAP_Q[$v]}\` | ${MAP_FEATURES[$v]} | ${MAP_CLUSTERS[$v]} | $(fmt "${MAP_COVERED[$v]}") | $(verdict le "${MAP_FEATURES[$v]}" 300) | $(fmt "${MAP_GZ[$v]}") | ${MAP_ENC[$v]:-none} | $(verdict le "${MAP_GZ[$v]}" 10240) |"
    done
    echo
    echo "### First map view, tiles excluded"
    echo
    echo "Each item fetched once with \`curl -s -H 'Accept-Encoding: gzip' URL | wc -c\`. The /api/map call"
    echo "approximates the client's first call: map.js starts at 39.93,116.40, zoom 10; in a 360×740"
    echo "viewport that is about \`$FIRST_MAP_Q\` (the browser computes the exact bbox from its viewport)."
    echo
    echo "| Item | Status | Content-Encoding | Bytes (gzipped) |"
    echo "|---|---:|---|---:|"
    for p in "${FV_PATHS[@]}"; do
        echo "| \`$p\` | ${FV_STATUS[$p]} | ${FV_ENC[$p]:-none} | $(fmt "${FV_BYTES[$p]}") |"
    done
    echo "| **Total** | | | **$(fmt "$fv_total")** (target ≤ 102,400: $(verdict le "$fv_total" 102400)) |"
    if [[ -n "$lh_api_path" ]]; then
        echo
        echo "Lighthouse's browser (412×823 emulated screen, see below) actually requested \`$lh_api_path\` first:"
        echo "$(fmt "$lh_api_gz") bytes gzipped, $lh_api_features features; with that call instead of the approximation"
        echo "the first view totals $(fmt "$((fv_total - FV_BYTES["/api/map?$FIRST_MAP_Q"] + lh_api_gz))") bytes."
    fi
    echo
    echo "Full export \`/api/stations.geojson\` (status $export_status, $(fmt "$export_features") features):"
    echo "$(fmt "$export_plain") bytes uncompressed (fetched in $(calc "$export_plain_s" 2) s), $(fmt "$export_gz") bytes gzipped (fetched in $(calc "$export_gz_s" 2) s);"
    echo "gzipped export ÷ gzipped first view = $(calc "$export_gz / $fv_total" 1)×."
    echo
    echo "## Lighthouse"
    echo
    if [[ "$LIGHTHOUSE" != 1 ]]; then
        echo "Not run in this run (set \`BENCH_LIGHTHOUSE=1\` to run it)."
    elif [[ -n "$lh_problem" ]]; then
        echo "Lighthouse could not run: $lh_problem"
    else
        echo "Lighthouse $lh_version (npm package \`lighthouse\`, installed with \`npm install --no-save lighthouse\` in"
        echo "\`$LH_DIR\`), Debian $("$CHROME_PATH" --version 2>/dev/null | awk '{ print $1, $2 }'), default mobile preset (form factor mobile,"
        echo "412×823 emulated screen, simulated slow-4G and 4× CPU throttling), categories performance and"
        echo "accessibility, one run per page against the same server after the load above:"
        echo
        echo '```sh'
        echo "CHROME_PATH=$CHROME_PATH $LH_BIN URL --only-categories=performance,accessibility \\"
        echo "    --output=json --output-path=$OUT/lighthouse-NAME.json --quiet \\"
        echo "    --chrome-flags=\"$LH_CHROME_FLAGS\""
        echo '```'
        echo
        echo "| Page | Performance | ≥ 90 | Accessibility | ≥ 95 | FCP | LCP | TBT | CLS | Speed Index | Accessibility audits failed |"
        echo "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---|"
        for n in "${LH_NAMES[@]}"; do
            path="${LH_URL[$n]#"$BASE"}"
            if [[ -z "${LH_PERF[$n]:-}" ]]; then
                echo "| \`$path\` | – | – | – | – | | | | | | ${LH_NOTE[$n]:-no result} |"
                continue
            fi
            echo "| \`$path\` | ${LH_PERF[$n]} | $(verdict ge "${LH_PERF[$n]}" 90) | ${LH_A11Y[$n]} | $(verdict ge "${LH_A11Y[$n]}" 95) | ${LH_FCP[$n]} | ${LH_LCP[$n]} | ${LH_TBT[$n]} | ${LH_CLS[$n]} | ${LH_SI[$n]} | ${LH_FAILS[$n]:-none} |"
        done
        echo
        echo "Map tiles come from tile.openstreetmap.org, which this machine cannot reach (loopback only), so on"
        if [[ -n "${LH_PERF[map]:-}" ]]; then
            echo "\`/map\` every tile request fails (${LH_TILES[map]:-?}); the score is of the page without tiles."
            echo "The map's own data calls seen by Lighthouse's browser: ${LH_API[map]:-none}."
        else
            echo "\`/map\` tiles cannot load; Lighthouse gave no result for \`/map\` in this run."
        fi
        for n in "${LH_NAMES[@]}"; do
            [[ -n "${LH_RETRIED[$n]:-}" && -n "${LH_PERF[$n]:-}" ]] && echo "\`${LH_URL[$n]#"$BASE"}\` took ${LH_RETRIED[$n]}"
        done
        for n in "${LH_NAMES[@]}"; do
            [[ -n "${LH_NOTE[$n]:-}" && -n "${LH_PERF[$n]:-}" ]] && echo "Lighthouse warnings for \`${LH_URL[$n]#"$BASE"}\`: ${LH_NOTE[$n]}"
        done
        echo
        echo "Raw reports: \`$OUT/lighthouse-*.json\` (not committed)."
    fi
    if [[ -n "$CRITERION_SECTION" ]]; then
        echo
        printf '%s\n' "$CRITERION_SECTION"
    fi
} >"$RESULTS"

log "wrote $RESULTS"
cat "$RESULTS"
