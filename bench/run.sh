#!/usr/bin/env bash
# bench/run.sh - orders per second through HTTP against `oms serve`, next to SQLite doing one
# transaction per order (bench/sqlite_baseline.c), measured in the same run, cell by cell.
# What is measured and why: bench/README.md.
#
#   bash bench/run.sh                   # full run, 10 s per cell (make bench does this)
#   BENCH_SECONDS=3 bash bench/run.sh   # quick run
#
# Environment:
#   BENCH_SECONDS  seconds per cell (default 10)
#   BENCH_SKUS     SKUs of the uniform ("many") skew (default 100000)
#   BENCH_CLIENTS  client counts (default "1 8 64")
#   OMS_BIN        the oms binary (default build/oms; build it RelWithDebInfo, no sanitizers)
#   OMS_COMMIT     what OMS_BIN was built from, for the report (default: this checkout's HEAD)
#   BENCH_WORK     working folder for databases and logs (default a new /var/tmp/oms-bench.*;
#                  on disk, never tmpfs, so that fsync means what it says)
#   BENCH_CALLGRIND_ORDERS  orders counted under callgrind per skew and side (default 1000;
#                  0 skips the instruction counts; valgrind missing skips them too, saying so)
#   BENCH_OUT      results file (default bench/results/<date>.md, <date>-2.md for a second run
#                  that day, ...; <date>-<S>s.md when BENCH_SECONDS is not 10)
#
# Needs wrk, curl, jq, sqlite3 (the CLI, for the post-run check of the server's database), cc
# and libsqlite3-dev: `sh scripts/install-deps.sh --bench` installs them.
# Exit status: 0 when every check passed, 1 when any check failed, 2 when the run could not
# be carried out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER_CELL="${BENCH_SECONDS:-10}"
SKUS="${BENCH_SKUS:-100000}"
CLIENTS="${BENCH_CLIENTS:-1 8 64}"
CG_ORDERS="${BENCH_CALLGRIND_ORDERS:-1000}"
OMS_BIN="${OMS_BIN:-$ROOT/build/oms}"
WORK="${BENCH_WORK:-$(mktemp -d /var/tmp/oms-bench.XXXXXX)}"
DATE="$(date -u +%Y-%m-%d)"
if [ -n "${BENCH_OUT:-}" ]; then
    OUT="$BENCH_OUT"
else # <date>.md, <date>-2.md, ... for later runs of the same day; -<S>s when not 10 s per cell
    stem="$ROOT/bench/results/$DATE"
    [ "$SECONDS_PER_CELL" = 10 ] || stem="$stem-${SECONDS_PER_CELL}s"
    OUT="$stem.md"
    n=2
    while [ -e "$OUT" ]; do OUT="$stem-$n.md"; n=$((n + 1)); done
fi
SAFETY=10             # baselines.md: safety = 10 on both sides
BIG_ON_HAND=1000000000 # baselines.md: on_hand = 1e9, nothing stocks out in the measured cells
HOT=HOT
LOCATION=L1
CHANNEL=web

die() { echo "bench: $*" >&2; exit 2; }
for tool in wrk curl jq sqlite3 cc; do
    command -v "$tool" >/dev/null || die "$tool is missing: run sh scripts/install-deps.sh --bench"
done
[ -x "$OMS_BIN" ] || die "$OMS_BIN is missing: build oms first (make all, or set OMS_BIN)"
mkdir -p "$WORK/logs" "$(dirname "$OUT")"

SERVER_PID=""
SERVER_WRAP=() # a command the server runs under (valgrind for the instruction counts)
PORT=""
BASE=""
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT

log() { echo "bench: $*" >&2; }

# --- the SQLite baseline --------------------------------------------------------------------
cc -std=c11 -O2 -Wall -Wextra -o "$WORK/sqlite_baseline" "$ROOT/bench/sqlite_baseline.c" \
    -lsqlite3 -lpthread || die "cannot build bench/sqlite_baseline.c (libsqlite3-dev?)"

# --- the server -----------------------------------------------------------------------------
free_port() {
    local port
    for _ in $(seq 1 50); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "no free port"
}

# start_server DB NAME: oms serve on DB, stderr to $WORK/logs/NAME.err; waits for /healthz.
# A port taken between the probe and the bind (other people's tests share the machine) is
# retried on another port.
start_server() {
    local attempt
    for attempt in 1 2 3 4 5; do
        PORT="$(free_port)"
        BASE="http://127.0.0.1:$PORT"
        "${SERVER_WRAP[@]}" "$OMS_BIN" serve --db "$1" --port "$PORT" --threads 2 \
            >"$WORK/logs/$2.out" 2>"$WORK/logs/$2.err" &
        SERVER_PID=$!
        for _ in $(seq 1 600); do
            if curl -fsS "$BASE/healthz" >/dev/null 2>&1; then return 0; fi
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.05
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            die "oms serve did not answer /healthz (log: $WORK/logs/$2.err)"
        fi
        wait "$SERVER_PID" || true
        SERVER_PID=""
        grep -q 'already in use' "$WORK/logs/$2.err" || break
        log "port $PORT was taken (attempt $attempt), trying another"
    done
    cat "$WORK/logs/$2.err" >&2
    die "oms serve exited early (log: $WORK/logs/$2.err)"
}

stop_server() {
    local rc=0
    kill -TERM "$SERVER_PID"
    wait "$SERVER_PID" || rc=$?
    SERVER_PID=""
    [ "$rc" -eq 0 ] || log "oms serve exited with status $rc on SIGTERM"
    return 0
}

# api METHOD PATH [BODY]: prints the answer body; fails unless 2xx.
api() {
    local body=()
    [ $# -ge 3 ] && body=(-H 'Content-Type: application/json' --data-binary "$3")
    curl -fsS -X "$1" "$BASE$2" "${body[@]}"
}

# Bytes the server asked to write so far (write syscalls, /proc/PID/io wchar).
server_wchar() { awk '$1 == "wchar:" { print $2 }' "/proc/$SERVER_PID/io"; }

# User-mode CPU seconds the whole machine spent so far (every core: user + nice), from
# /proc/stat. User time only: kernel time includes our own loopback traffic and disk I/O
# completions, which no process is charged for.
machine_user() {
    awk -v hz="$(getconf CLK_TCK)" '$1 == "cpu" { printf "%.2f", ($2 + $3) / hz }' /proc/stat
}

# User-mode CPU seconds the server used so far.
server_user() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", $12 / hz }' \
        "/proc/$SERVER_PID/stat"
}

# CPU seconds (user + system) the server used so far.
server_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
        "/proc/$SERVER_PID/stat"
}

# --- template databases, made once and copied for every cell ----------------------------------
# hot: one item HOT; many: items S000001 .. S<SKUS>. Both: location L1, channel web on L1 (no
# backorders), policy deny, on_hand 1e9, safety 10. Items, locations and stock through
# `oms import` of generated CSVs; the channel (no CSV import exists for channels) over HTTP.
make_template() { # NAME SKU_COUNT
    local name="$1" count="$2" dir="$WORK/csv"
    mkdir -p "$dir"
    printf 'code,name,kind,region,priority,timezone,handling_days,working_days\n%s,Bench warehouse,warehouse,UK,1,Europe/London,0,mon tue wed thu fri\n' \
        "$LOCATION" >"$dir/locations.csv"
    if [ "$count" -eq 1 ]; then
        printf 'sku,name,policy\n%s,Hot item,deny\n' "$HOT" >"$dir/$name-items.csv"
        printf 'sku,location,on_hand,safety\n%s,%s,%s,%s\n' "$HOT" "$LOCATION" "$BIG_ON_HAND" \
            "$SAFETY" >"$dir/$name-stock.csv"
    else
        awk -v n="$count" 'BEGIN { print "sku,name,policy";
            for (i = 1; i <= n; i++) printf "S%06d,Item %d,deny\n", i, i }' >"$dir/$name-items.csv"
        awk -v n="$count" -v loc="$LOCATION" -v oh="$BIG_ON_HAND" -v sf="$SAFETY" \
            'BEGIN { print "sku,location,on_hand,safety";
            for (i = 1; i <= n; i++) printf "S%06d,%s,%s,%s\n", i, loc, oh, sf }' >"$dir/$name-stock.csv"
    fi
    local db="$WORK/template-$name.db" t0 t1
    rm -f "$db" "$db"-*
    t0=$(date +%s.%N)
    : >"$WORK/logs/import-$name.log"
    local kind file
    for kind in locations items stock; do
        file="$dir/$name-$kind.csv"
        [ "$kind" = locations ] && file="$dir/locations.csv"
        "$OMS_BIN" import --db "$db" "$kind" "$file" >>"$WORK/logs/import-$name.log" 2>&1 || {
            cat "$WORK/logs/import-$name.log" >&2
            die "oms import --db $db $kind $file failed"
        }
    done
    t1=$(date +%s.%N)
    IMPORT_SECONDS[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
    start_server "$db" "setup-$name"
    api PUT "/v1/channels/$CHANNEL" \
        "{\"name\":\"Web\",\"locations\":[\"$LOCATION\"],\"allow_backorder\":false,\"priority\":1}" >/dev/null
    stop_server
}

# copy_db FROM TO: a fresh database for one cell (the file and its WAL, not any lock file).
copy_db() {
    rm -f "$2" "$2"-*
    cp "$1" "$2"
    [ -f "$1-wal" ] && cp "$1-wal" "$2-wal"
    return 0
}

# kv KEY LINE: the value of key=value in a RESULT/WRK line.
kv() { tr ' ' '\n' <<<"$2" | sed -n "s/^$1=//p" | head -n 1; }

declare -A IMPORT_SECONDS
FAILED=0
ROWS=()
RAW=()

# stock_counters SKU: "on_hand allocated reserved safety unavailable free" at L1, over HTTP.
stock_counters() {
    api GET "/v1/stock/$1" | jq -r --arg loc "$LOCATION" \
        '.locations[] | select(.location == $loc) | "\(.on_hand) \(.allocated) \(.reserved) \(.safety) \(.unavailable) \(.free)"'
}

# oms_cell NAME SKEW CLIENTS [ON_HAND]: one measured cell of oms. Sets OMS_LINE and OMS_CHECK.
oms_cell() {
    local name="$1" skew="$2" clients="$3" on_hand="${4:-}" db="$WORK/cell.db" skus=1 threads=2
    [ "$skew" = many ] && skus="$SKUS"
    [ "$clients" -lt 2 ] && threads=1
    copy_db "$WORK/template-$skew.db" "$db"
    start_server "$db" "$name"
    if [ -n "$on_hand" ]; then # the stock-out cell: count the hot SKU down to on_hand
        api POST /v1/stock/adjustments \
            "{\"sku\":\"$HOT\",\"location\":\"$LOCATION\",\"set\":$on_hand,\"reason\":\"bench stock-out cell\"}" >/dev/null
    fi
    local cpu0 cpu1 user0 user1 wchar0 wchar1 busy0 busy1 load out
    load=$(cut -d' ' -f1 /proc/loadavg)
    cpu0=$(server_cpu)
    wchar0=$(server_wchar)
    user0=$(server_user)
    busy0=$(machine_user)
    local TIMEFORMAT='%U %S'
    # wrk's own CPU time goes to .time (bash's time keyword), its stderr to .wrk.err.
    { time wrk -t "$threads" -c "$clients" -d "${SECONDS_PER_CELL}s" --timeout 30s \
        -s "$ROOT/bench/orders.lua" "$BASE" -- "$name" "$skus" "$HOT" \
        >"$WORK/logs/$name.wrk.out" 2>"$WORK/logs/$name.wrk.err"; } 2>"$WORK/logs/$name.time"
    busy1=$(machine_user)
    user1=$(server_user)
    cpu1=$(server_cpu)
    wchar1=$(server_wchar)
    out=$(cat "$WORK/logs/$name.wrk.out")
    OMS_LINE=$(grep '^WRK ' <<<"$out" || true)
    [ -n "$OMS_LINE" ] || { cat "$WORK/logs/$name.wrk.err" >&2; die "wrk printed no result (cell $name)"; }
    OMS_LINE="$OMS_LINE server_cpu_s=$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", b - a }')"
    OMS_LINE="$OMS_LINE wchar_per_order=$(awk -v a="$wchar0" -v b="$wchar1" -v n="$(kv requests "$OMS_LINE")" \
        'BEGIN { printf "%.0f", (n > 0 ? (b - a) / n : 0) }') loadavg_before=$load"
    # User CPU seconds the rest of the machine (neither the server nor wrk) used in the cell.
    OMS_LINE="$OMS_LINE wrk_cpu_s=$(awk '{ printf "%.2f", $1 + $2 }' "$WORK/logs/$name.time")"
    OMS_LINE="$OMS_LINE others_user_s=$(awk -v b0="$busy0" -v b1="$busy1" -v s0="$user0" \
        -v s1="$user1" -v w="$(awk '{ print $1 }' "$WORK/logs/$name.time")" \
        'BEGIN { x = b1 - b0 - (s1 - s0) - w; printf "%.2f", (x < 0 ? 0 : x) }')"

    local problems=() hot_counters=""
    # 1. Over HTTP, while the server runs: the hot SKU's counters.
    if [ "$skew" = hot ]; then
        hot_counters=$(stock_counters "$HOT")
        read -r s_on s_alloc s_res s_safety s_unavail s_free <<<"$hot_counters"
        [ "$s_alloc" -le "$s_on" ] || problems+=("allocated $s_alloc > on_hand $s_on")
        [ "$s_free" -ge 0 ] || problems+=("free $s_free < 0")
        [ $((s_alloc + s_res + s_safety + s_unavail)) -le "$s_on" ] ||
            problems+=("allocated+reserved+safety+unavailable > on_hand")
        if [ -n "$on_hand" ]; then
            [ "$s_free" -eq 0 ] && [ "$s_alloc" -eq $((on_hand - SAFETY)) ] ||
                problems+=("not sold out exactly: allocated $s_alloc, on_hand $s_on, safety $s_safety, free $s_free")
        fi
    fi
    stop_server
    # 2. In the database file, after a clean stop: every level, every line.
    local q
    q=$(sqlite3 -readonly -separator ' ' "$db" \
        "SELECT (SELECT count(*) FROM lines),
                (SELECT count(*) FROM lines WHERE allocs <> ''),
                (SELECT coalesce(sum(CAST(substr(allocs, instr(allocs, ':') + 1) AS INTEGER)), 0)
                   FROM lines WHERE allocs <> ''),
                (SELECT count(*) FROM lines WHERE rejected > 0),
                (SELECT coalesce(sum(allocated), 0) FROM stock_levels),
                (SELECT count(*) FROM stock_levels
                   WHERE allocated + reserved + safety + unavailable > on_hand),
                (SELECT count(*) FROM orders);") ||
        die "cannot read $db with sqlite3 (has the schema changed? see the query in bench/run.sh)"
    read -r db_lines db_alloc_lines db_alloc_units db_rej_lines db_level_alloc db_oversold db_orders <<<"$q"
    local created allocated rejected other
    created=$(kv created "$OMS_LINE")
    allocated=$(kv allocated "$OMS_LINE")
    rejected=$(kv rejected "$OMS_LINE")
    other=$(kv other "$OMS_LINE")
    if [ -n "$hot_counters" ]; then # what the server said before it stopped is what it stored
        [ "$s_alloc" -eq "$db_level_alloc" ] ||
            problems+=("GET /v1/stock said allocated $s_alloc, the database holds $db_level_alloc")
    fi
    [ "$db_oversold" -eq 0 ] || problems+=("$db_oversold stock levels oversold in the database")
    [ "$db_alloc_units" -eq "$db_level_alloc" ] ||
        problems+=("allocated units on lines $db_alloc_units != allocated counters $db_level_alloc")
    [ "$db_alloc_units" -eq "$db_alloc_lines" ] ||
        problems+=("allocated units $db_alloc_units != allocated lines $db_alloc_lines (qty 1 each)")
    [ "$db_lines" -eq "$db_orders" ] || problems+=("$db_lines lines for $db_orders orders")
    # Every acknowledged order is stored; at most one request per connection was in flight
    # when wrk stopped (committed, never answered to wrk).
    [ "$created" -le "$db_orders" ] && [ "$db_orders" -le $((created + clients)) ] ||
        problems+=("wrk saw $created orders created, the database holds $db_orders")
    [ "$allocated" -le "$db_alloc_lines" ] && [ "$db_alloc_lines" -le $((allocated + clients)) ] ||
        problems+=("wrk saw $allocated lines allocated, the database holds $db_alloc_lines")
    [ "$other" -eq 0 ] || problems+=("$other answers other than 201")
    if [ -n "$on_hand" ]; then
        # Sold out early: every allocated line was answered; all the rest rejected.
        [ "$allocated" -eq $((on_hand - SAFETY)) ] ||
            problems+=("wrk saw $allocated allocated, wanted exactly $((on_hand - SAFETY))")
        [ "$rejected" -gt 0 ] || problems+=("no rejected line")
        [ "$db_rej_lines" -eq $((db_lines - db_alloc_lines)) ] ||
            problems+=("$db_rej_lines rejected lines, wanted $((db_lines - db_alloc_lines))")
    else
        [ "$rejected" -eq 0 ] && [ "$db_rej_lines" -eq 0 ] ||
            problems+=("lines rejected while stock was plentiful")
    fi
    if [ ${#problems[@]} -eq 0 ]; then
        OMS_CHECK="ok"
    else
        OMS_CHECK="FAIL: $(IFS=';'; echo "${problems[*]}")"
        FAILED=1
    fi
    OMS_LINE="$OMS_LINE db_orders=$db_orders db_alloc_lines=$db_alloc_lines db_rejected_lines=$db_rej_lines db_level_allocated=$db_level_alloc hot_counters=[${hot_counters// /,}]"
    rm -f "$db" "$db"-*
}

# sqlite_cell NAME SKEW CLIENTS [ON_HAND]: one cell of the baseline. Sets SQL_LINE, SQL_CHECK.
sqlite_cell() {
    local name="$1" skew="$2" clients="$3" on_hand="${4:-}" skus=1 extra=()
    [ "$skew" = many ] && skus="$SKUS"
    [ -n "$on_hand" ] && extra=(--on-hand "$on_hand" --stockout)
    local db="$WORK/sqlite-cell.db"
    rm -f "$db" "$db"-*
    local load busy0 busy1
    load=$(cut -d' ' -f1 /proc/loadavg)
    busy0=$(machine_user)
    SQL_LINE=$("$WORK/sqlite_baseline" --db "$db" --threads "$clients" --skus "$skus" \
        --seconds "$SECONDS_PER_CELL" --safety "$SAFETY" "${extra[@]}" \
        2>"$WORK/logs/$name.sqlite.err" | grep '^RESULT ' || true)
    [ -n "$SQL_LINE" ] || { cat "$WORK/logs/$name.sqlite.err" >&2; die "sqlite_baseline failed (cell $name)"; }
    busy1=$(machine_user)
    # User CPU seconds the rest of the machine used while the baseline ran (its setup and
    # checks included).
    SQL_LINE="$SQL_LINE loadavg_before=$load others_user_s=$(awk -v b0="$busy0" -v b1="$busy1" \
        -v c="$(kv user_s "$SQL_LINE")" 'BEGIN { x = b1 - b0 - c; printf "%.2f", (x < 0 ? 0 : x) }')"
    SQL_CHECK=$(kv check "$SQL_LINE")
    [ "$SQL_CHECK" = ok ] || FAILED=1
    rm -f "$db" "$db"-*
}

# row LABEL SKEW CLIENTS: a table row from OMS_LINE/SQL_LINE.
row() {
    local oms_rate sql_rate ratio
    oms_rate=$(awk -v c="$(kv created "$OMS_LINE")" -v d="$(kv duration_s "$OMS_LINE")" \
        'BEGIN { printf "%.0f", c / d }')
    sql_rate=$(kv ops_per_s "$SQL_LINE")
    ratio=$(awk -v a="$oms_rate" -v b="$sql_rate" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    local kb_oms kb_sql
    kb_oms=$(awk -v b="$(kv wchar_per_order "$OMS_LINE")" 'BEGIN { printf "%.1f", b / 1024 }')
    kb_sql=$(awk -v b="$(kv wchar_per_op "$SQL_LINE")" 'BEGIN { printf "%.1f", b / 1024 }')
    ROWS+=("| $1 | $2 | $3 | $oms_rate | $(kv first_second "$OMS_LINE") → $(kv last_second "$OMS_LINE") | $(kv p50_ms "$OMS_LINE") | $(kv p99_ms "$OMS_LINE") | $sql_rate | $(kv p50_ms "$SQL_LINE") | $(kv p99_ms "$SQL_LINE") | **$ratio** | $OMS_CHECK | $SQL_CHECK | $(kv server_cpu_s "$OMS_LINE") | $kb_oms / $kb_sql | $(kv others_user_s "$OMS_LINE") / $(kv others_user_s "$SQL_LINE") |")
    RAW+=("$1/$2/$3 oms: $OMS_LINE" "$1/$2/$3 sqlite: $SQL_LINE")
    echo "${ROWS[-1]}"
    OMS_RATE="$oms_rate"
    SQL_RATE="$sql_rate"
}

# --- instructions per order (callgrind): repeatable where wall time is not ---------------------
# orders_config PREFIX COUNT SKUS: a curl config that POSTs COUNT orders, one after the other on
# one kept-alive connection, printing each answer's status.
orders_config() {
    awk -v prefix="$1" -v n="$2" -v skus="$3" -v hot="$HOT" -v base="$BASE" 'BEGIN {
        srand(1)
        for (i = 1; i <= n; i++) {
            sku = skus == 1 ? hot : sprintf("S%06d", 1 + int(rand() * skus))
            printf "url = \"%s/v1/orders\"\n", base
            print "header = \"Content-Type: application/json\""
            printf "data = \"{\\\"id\\\":\\\"%s-%d\\\",\\\"channel\\\":\\\"web\\\",", prefix, i
            printf "\\\"lines\\\":[{\\\"sku\\\":\\\"%s\\\",\\\"qty\\\":1}]}\"\n", sku
            print "output = \"/dev/null\""
            print "write-out = \"%{http_code}\\n\""
            if (i < n) print "next"
        }
    }'
}

# callgrind_cell SKEW: instructions per order, oms server (all threads, after 100 warm-up
# orders, 1 client) and the baseline (its worker loop, 1 thread). Sets CG_OMS, CG_SQL.
callgrind_cell() {
    local skew="$1" skus=1 db="$WORK/cell.db" out="$WORK/callgrind-oms-$1.out" ok
    [ "$skew" = many ] && skus="$SKUS"
    copy_db "$WORK/template-$skew.db" "$db"
    SERVER_WRAP=(valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out")
    start_server "$db" "callgrind-$skew"
    SERVER_WRAP=()
    orders_config cgwarm 100 "$skus" >"$WORK/cg-warm.cfg"
    orders_config cg "$CG_ORDERS" "$skus" >"$WORK/cg.cfg"
    curl -s -K "$WORK/cg-warm.cfg" >/dev/null
    callgrind_control -i on "$SERVER_PID" >/dev/null 2>&1
    ok=$(curl -s -K "$WORK/cg.cfg" | grep -c '^201$' || true)
    callgrind_control -i off "$SERVER_PID" >/dev/null 2>&1
    stop_server
    rm -f "$db" "$db"-*
    [ "$ok" -eq "$CG_ORDERS" ] || { log "callgrind $skew: only $ok of $CG_ORDERS orders got 201"; FAILED=1; }
    CG_OMS=$(awk -v n="$CG_ORDERS" '$1 == "totals:" { printf "%.0f", $2 / n }' "$out")
    local sdb="$WORK/sqlite-cell.db" sout="$WORK/callgrind-sqlite-$skew.out"
    rm -f "$sdb" "$sdb"-*
    valgrind --tool=callgrind --toggle-collect=run_worker --callgrind-out-file="$sout" \
        "$WORK/sqlite_baseline" --db "$sdb" --threads 1 --skus "$skus" --seconds 600 \
        --ops "$CG_ORDERS" --safety "$SAFETY" >"$WORK/logs/callgrind-$skew.sqlite.out" 2>&1 ||
        { log "callgrind $skew: the baseline failed"; FAILED=1; }
    rm -f "$sdb" "$sdb"-*
    CG_SQL=$(awk -v n="$CG_ORDERS" '$1 == "totals:" { printf "%.0f", $2 / n }' "$sout")
}

# --- the run --------------------------------------------------------------------------------
T_START=$(date +%s)
log "work folder $WORK, $SECONDS_PER_CELL s per cell, $SKUS SKUs in the uniform skew"
log "making the template databases (oms import)"
make_template hot 1
make_template many "$SKUS"
log "import of $SKUS SKUs (locations, items, stock): ${IMPORT_SECONDS[many]} s"

HEADER="| cell | skew | clients | oms orders/s | oms orders/s 1st → last second | oms p50 ms | oms p99 ms | SQLite orders/s | SQLite p50 ms | SQLite p99 ms | oms/SQLite | oms check | SQLite check | oms server CPU s | KB written/order oms / SQLite | others' user CPU s during oms / SQLite |
|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|"
echo "$HEADER"
declare -A HOT_RATE
for skew in hot many; do
    for c in $CLIENTS; do
        name="$skew-c$c"
        log "cell $name: oms"
        oms_cell "$name" "$skew" "$c"
        log "cell $name: SQLite"
        sqlite_cell "$name" "$skew" "$c"
        row measured "$skew" "$c"
        if [ "$skew" = hot ]; then HOT_RATE[oms-$c]=$OMS_RATE; HOT_RATE[sql-$c]=$SQL_RATE; fi
    done
done

# Stock-out: hot SKU, 64 clients, on_hand about 1/10 of what the 64-client hot cell sold.
SO_CLIENTS=64
for c in $CLIENTS; do SO_CLIENTS=$c; done # the largest client count given
oms_so=$(awk -v r="${HOT_RATE[oms-$SO_CLIENTS]}" -v s="$SECONDS_PER_CELL" -v f="$SAFETY" \
    'BEGIN { n = int(r * s / 10); if (n < 100) n = 100; print n + f }')
sql_so=$(awk -v r="${HOT_RATE[sql-$SO_CLIENTS]}" -v s="$SECONDS_PER_CELL" -v f="$SAFETY" \
    'BEGIN { n = int(r * s / 10); if (n < 100) n = 100; print n + f }')
log "cell stockout: oms, on_hand $oms_so (safety $SAFETY)"
oms_cell stockout hot "$SO_CLIENTS" "$oms_so"
log "cell stockout: SQLite, on_hand $sql_so (safety $SAFETY)"
sqlite_cell stockout hot "$SO_CLIENTS" "$sql_so"
row "stock-out (on_hand oms $oms_so / SQLite $sql_so)" hot "$SO_CLIENTS"

CG_ROWS=()
CG_NOTE=""
if [ "$CG_ORDERS" -gt 0 ] && command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
    for skew in hot many; do
        log "instructions per order under callgrind: $skew"
        callgrind_cell "$skew"
        CG_ROWS+=("| $skew | $CG_OMS | $CG_SQL | $(awk -v a="$CG_OMS" -v b="$CG_SQL" 'BEGIN { printf "%.1f", a / b }') |")
    done
    printf '\n| skew | oms instructions/order | SQLite instructions/order | oms/SQLite |\n|---|---:|---:|---:|\n'
    printf '%s\n' "${CG_ROWS[@]}"
elif [ "$CG_ORDERS" -gt 0 ]; then
    CG_NOTE="valgrind is missing: no instruction counts (sh scripts/install-deps.sh --bench)."
    log "$CG_NOTE"
fi
T_END=$(date +%s)

# --- the report -----------------------------------------------------------------------------
if [ -n "${OMS_COMMIT:-}" ]; then # the binary was built elsewhere: say from what
    commit="$OMS_COMMIT"
else
    commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || commit="$commit + uncommitted changes"
fi
{
    echo "# oms bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "$SECONDS_PER_CELL s per cell; uniform skew over $SKUS SKUs; safety $SAFETY; qty 1 per order;"
    echo "on_hand $BIG_ON_HAND in the measured cells. Whole run: $((T_END - T_START)) s."
    echo "oms: \`$OMS_BIN\` at $commit, \`oms serve --threads 2\`, fresh database per cell."
    echo "SQLite baseline: bench/sqlite_baseline.c, WAL, synchronous=FULL, one transaction per order."
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
    echo "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr),"
    echo "databases on $(df -T "$WORK" | awk 'NR == 2 { print $2 " (" $1 ")" }'); wrk, server and baseline share the cores;"
    echo "the run's niceness: $(nice) (\`nice -n -5 bash bench/run.sh\` puts it ahead of other work on a shared machine)."
    echo "Versions: $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), SQLite $(sqlite3 --version | cut -d' ' -f1)."
    echo "Import of $SKUS SKUs through \`oms import\` (locations, items, stock): ${IMPORT_SECONDS[many]} s."
    echo
    echo "$HEADER"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "oms orders/s = 201 answers / wrk's duration; p50/p99 from wrk (per request, client side)."
    echo "1st → last second = 201 answers in the first and in the last whole second of the cell."
    echo "SQLite orders/s = transactions committed before the deadline / seconds; p50/p99 per"
    echo "transaction, BEGIN IMMEDIATE to COMMIT's return, measured in the client thread."
    echo "oms server CPU s = CPU seconds (user + system) the server used during the cell."
    echo "KB written/order = bytes each process passed to write calls (/proc/PID/io wchar) per order;"
    echo "oms's include its HTTP answers (about 0.6 KB)."
    echo "others' user CPU s = user-mode CPU seconds the rest of the machine (not the server, wrk or"
    echo "the baseline) used during the cell, out of $((2 * SECONDS_PER_CELL)) available: other people's builds and tests."
    echo "Above about 1 s, the cell's figures are disturbed."
    echo
    if [ ${#CG_ROWS[@]} -gt 0 ]; then
        echo "## Instructions per order (callgrind, repeatable)"
        echo
        echo "1 client, $CG_ORDERS orders one after the other. oms: every thread of the server, counted"
        echo "after 100 warm-up orders, from curl sending the orders on one kept-alive connection"
        echo "(the kernel's work, fsync included, is not counted). SQLite: the baseline's worker loop"
        echo "(\`--toggle-collect=run_worker\`), one thread."
        echo
        echo "| skew | oms instructions/order | SQLite instructions/order | oms/SQLite |"
        echo "|---|---:|---:|---:|"
        printf '%s\n' "${CG_ROWS[@]}"
        echo
    fi
    [ -z "$CG_NOTE" ] || { echo "$CG_NOTE"; echo; }
    echo "## Raw results"
    echo
    echo '```'
    printf '%s\n' "${RAW[@]}"
    echo '```'
} >"$OUT"
log "results: $OUT (server logs: $WORK/logs)"
if [ "$FAILED" -ne 0 ]; then
    log "SOME CHECKS FAILED"
    exit 1
fi
log "all checks passed"
