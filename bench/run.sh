#!/usr/bin/env bash
# Load benchmark of the station directory at 200,000 synthetic stations.
#
#   bash bench/run.sh
#
# Builds the release binary, fills a fresh SQLite database under bench/out/,
# starts `yizhan serve` on 127.0.0.1 (a free port), measures start-up time and
# memory, loads three URLs with wrk one after the other, stops the server and
# writes bench/RESULTS.md from the measured numbers. All traffic goes to
# 127.0.0.1 only. Exits non-zero if the server does not start.
#
# Knobs (environment): BENCH_COUNT (stations, 200000), BENCH_DURATION (wrk
# seconds per URL, 10), BENCH_CONNECTIONS (64), BENCH_THREADS (2).

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

# ---------------------------------------------------------------- build
log "cargo build --release"
build_started=$(now_ns)
timeout 1800 cargo build --release
build_s=$(calc "($(now_ns) - $build_started) / 1e9" 0)
[[ -x "$BIN" ]] || die "$BIN was not built"

# ---------------------------------------------------------------- data
mkdir -p "$OUT"
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-journal" "$SERVER_LOG"
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
YIZHAN_DATABASE_URL="$DB_URL" YIZHAN_BIND="127.0.0.1:$PORT" YIZHAN_LOG=warn "$BIN" serve >"$SERVER_LOG" 2>&1 &
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
for n in "${NAMES[@]}"; do
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
done
rss_load_kb=$(rss_kb "$SERVER_PID")

# ---------------------------------------------------------------- gzip
GZ_URL="$BASE/stations?district=110105"
gz_bytes=$(curl -s --max-time 10 -H 'Accept-Encoding: gzip' "$GZ_URL" | wc -c)
gz_encoding=$(curl -s --max-time 10 -o /dev/null -D - -H 'Accept-Encoding: gzip' "$GZ_URL" |
    awk -F': *' 'tolower($1) == "content-encoding" { gsub(/\r/, "", $2); print $2 }')
gz_rows=$(curl -s --max-time 10 "$GZ_URL" | grep -o 'class="station-link"' | wc -l)
gz_plain=$(curl -s --max-time 10 -o /dev/null -w '%{size_download}' "$GZ_URL")

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
    echo "YIZHAN_DATABASE_URL=$DB_URL YIZHAN_BIND=127.0.0.1:$PORT YIZHAN_LOG=warn $BIN serve &"
    echo "# start-up: from launching serve until GET /healthz answers 200, polled every 10 ms"
    echo "# RSS: VmRSS from /proc/<pid>/status"
    for n in "${NAMES[@]}"; do
        echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency '${URL[$n]}'"
    done
    echo "curl -s -H 'Accept-Encoding: gzip' '$GZ_URL' | wc -c"
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
    echo "Server log (\`YIZHAN_LOG=warn\`): $log_lines lines, $log_warn of them WARN or ERROR."
    if ((log_warn > 0)); then
        echo
        echo '```'
        grep -E 'WARN|ERROR' "$SERVER_LOG" | sed 's/\x1b\[[0-9;]*m//g' | head -n 10
        echo '```'
    fi
    echo
    echo "Raw wrk output: \`$OUT/wrk-*.txt\` (not committed)."
} >"$RESULTS"

log "wrote $RESULTS"
cat "$RESULTS"
