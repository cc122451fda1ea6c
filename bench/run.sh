#!/usr/bin/env bash
# bench/run.sh - `oms serve` over HTTP next to its baselines, measured in the same run, cell by
# cell, reported as ratios (issue 4). What is measured and why: bench/README.md.
#
#  orders: POST /v1/orders (one line, qty 1), 1/8/64 clients, one hot SKU and 100,000 SKUs,
#          against SQLite (one transaction per order, in process), PostgreSQL 15 (pgbench,
#          synchronous_commit=on) and Redis 7 (EVALSHA, appendfsync always); a stock-out cell
#          per system; every cell checked for oversell and lost or extra lines.
#  reads:  GET /v1/availability with READ_SKUS SKUs per request, keep-alive, against nginx
#          serving a static copy of one oms answer (the HTTP ceiling of the machine).
#
#   make bench                           # builds build/oms, installs the tools, full run
#   bash bench/run.sh                    # full run: 10 s per cell, about 8 minutes
#   BENCH_QUICK=1 bash bench/run.sh      # smoke run: 2 s per cell, 1 and 8 clients, no callgrind
#
# Environment:
#   BENCH_SECONDS   seconds per cell (default 10; 2 with BENCH_QUICK=1)
#   BENCH_QUICK     1: a smoke run of the harness (2 s cells, clients "1 8", no callgrind);
#                   its figures mean nothing
#   BENCH_SYSTEMS   which systems run (default "oms sqlite pg redis nginx")
#   BENCH_SKUS      SKUs of the uniform ("many") skew (default 100000)
#   BENCH_CLIENTS   client counts of the order cells (default "1 8 64"; the largest one runs
#                   the stock-out cell and is the one the targets speak of)
#   BENCH_READ_SKUS     SKUs per availability request (default 20)
#   BENCH_READ_CLIENTS  connections of the read cell (default 64, as wrk -t2 -c64)
#   OMS_BIN         the oms binary (default build/oms; build it RelWithDebInfo, no sanitizers)
#   OMS_COMMIT      what OMS_BIN was built from, for the report (default: this checkout's HEAD)
#   PG_BINDIR       PostgreSQL's programs (default /usr/lib/postgresql/15/bin)
#   BENCH_WORK      working folder for databases and logs (default a new /var/tmp/oms-bench.*;
#                   on disk, never tmpfs, so that fsync means what it says); the databases are
#                   removed at the end, the logs stay
#   BENCH_KEEP      1: keep the databases too
#   BENCH_CALLGRIND_ORDERS  orders counted under callgrind per skew, oms and SQLite (default
#                   1000; 0 skips the instruction counts; valgrind missing skips them too)
#   BENCH_OUT       results file (default bench/results/<date>.md, <date>-2.md for a second run
#                   that day, ...; <date>-<S>s.md when BENCH_SECONDS is not 10; <date>-quick.md
#                   with BENCH_QUICK=1)
#
# Needs wrk, curl, jq, sqlite3, cc, libsqlite3-dev, PostgreSQL 15 (server and pgbench),
# redis-server and redis-benchmark, nginx: `sh scripts/install-deps.sh --bench`.
# Every server is private: its own data folder under BENCH_WORK, a free port on 127.0.0.1,
# stopped on exit (also on error or Ctrl-C). System services are never touched.
# Exit status: 0 when every check passed, 1 when any check failed, 2 when the run could not
# be carried out.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUICK="${BENCH_QUICK:-0}"
if [ "$QUICK" = 1 ]; then
    SECONDS_PER_CELL="${BENCH_SECONDS:-2}"
    CLIENTS="${BENCH_CLIENTS:-1 8}"
    CG_ORDERS="${BENCH_CALLGRIND_ORDERS:-0}"
else
    SECONDS_PER_CELL="${BENCH_SECONDS:-10}"
    CLIENTS="${BENCH_CLIENTS:-1 8 64}"
    CG_ORDERS="${BENCH_CALLGRIND_ORDERS:-1000}"
fi
SYSTEMS=" ${BENCH_SYSTEMS:-oms sqlite pg redis nginx} "
SKUS="${BENCH_SKUS:-100000}"
READ_SKUS="${BENCH_READ_SKUS:-20}"
READ_CLIENTS="${BENCH_READ_CLIENTS:-64}"
OMS_BIN="${OMS_BIN:-$ROOT/build/oms}"
WORK="${BENCH_WORK:-$(mktemp -d /var/tmp/oms-bench.XXXXXX)}"
DATE="$(date -u +%Y-%m-%d)"
if [ -n "${BENCH_OUT:-}" ]; then
    OUT="$BENCH_OUT"
else # <date>.md, <date>-2.md, ... for later runs of the same day; -<S>s when not 10 s per cell
    stem="$ROOT/bench/results/$DATE"
    if [ "$QUICK" = 1 ]; then
        stem="$stem-quick"
    elif [ "$SECONDS_PER_CELL" != 10 ]; then
        stem="$stem-${SECONDS_PER_CELL}s"
    fi
    OUT="$stem.md"
    n=2
    while [ -e "$OUT" ]; do OUT="$stem-$n.md"; n=$((n + 1)); done
fi
SAFETY=10              # baselines.md: safety = 10 everywhere
BIG_ON_HAND=1000000000 # baselines.md: on_hand = 1e9, nothing stocks out in the measured cells
HOT=HOT
LOCATION=L1
CHANNEL=web
FAILED=0

# shellcheck source=bench/lib/common.sh
. "$ROOT/bench/lib/common.sh"
# shellcheck source=bench/lib/oms.sh
. "$ROOT/bench/lib/oms.sh"
# shellcheck source=bench/lib/sqlite.sh
. "$ROOT/bench/lib/sqlite.sh"
# shellcheck source=bench/lib/pg.sh
. "$ROOT/bench/lib/pg.sh"
# shellcheck source=bench/lib/redis.sh
. "$ROOT/bench/lib/redis.sh"
# shellcheck source=bench/lib/nginx.sh
. "$ROOT/bench/lib/nginx.sh"

on() { [[ "$SYSTEMS" == *" $1 "* ]]; }

need() { command -v "$1" >/dev/null || die "$1 is missing: run sh scripts/install-deps.sh --bench"; }
for tool in curl jq; do need "$tool"; done
if on oms || on nginx; then need wrk; fi
if on oms; then
    need sqlite3
    [ -x "$OMS_BIN" ] || die "$OMS_BIN is missing: build oms first (make all, or set OMS_BIN)"
fi
if on sqlite; then need cc; fi
if on pg; then need psql; need pgbench; fi
if on redis; then need redis-server; need redis-benchmark; need redis-cli; fi
if on nginx; then
    need nginx
    on oms || die "the nginx cell serves an answer of oms: BENCH_SYSTEMS needs oms too"
fi
mkdir -p "$WORK/logs" "$(dirname "$OUT")"

cleanup() {
    oms_cleanup
    redis_stop
    nginx_stop
    pg_stop
    # The databases go (the 100,000-SKU template is large); logs and callgrind files stay.
    [ "${BENCH_KEEP:-0}" = 1 ] ||
        rm -rf "$WORK/csv" "$WORK"/template-*.db* "$WORK"/cell.db* "$WORK"/sqlite-cell.db*
}
trap cleanup EXIT
trap 'exit 2' INT TERM

# --- results ----------------------------------------------------------------------------------
# R_RATE[system|cell] and friends; ORDER lists "system|cell" as they ran.
declare -A R_RATE R_P50 R_P99 R_CHECK R_LINE R_SKEW R_CLIENTS
ORDER=()
declare -A NAMES=([oms]=oms [sqlite]=SQLite [pg]=PostgreSQL [redis]=Redis [nginx]=nginx)

# record SYSTEM CELL SKEW CLIENTS: keeps RES_* of the cell that just ran.
record() {
    local k="$1|$2"
    R_RATE[$k]="$RES_RATE" R_P50[$k]="$RES_P50" R_P99[$k]="$RES_P99" R_CHECK[$k]="$RES_CHECK"
    R_LINE[$k]="$RES_LINE" R_SKEW[$k]="$3" R_CLIENTS[$k]="$4"
    ORDER+=("$k")
    log "  $1 $2: $RES_RATE/s, p50 ${RES_P50:-?} ms, p99 ${RES_P99:-?} ms, check $RES_CHECK, $(kv others_user_s "$RES_LINE") s others' CPU"
}

# run_cell SYSTEM CELL SKEW CLIENTS [ON_HAND [REDIS_REQUESTS]]
run_cell() {
    local sys="$1" cell="$2" skew="$3" clients="$4"
    shift 4
    log "cell $cell: ${NAMES[$sys]}${1:+, on_hand $1}"
    case "$sys" in
    oms) oms_cell "$cell" "$skew" "$clients" "$@" ;;
    sqlite) sqlite_cell "$cell" "$skew" "$clients" "$@" ;;
    pg) pg_cell "$cell" "$skew" "$clients" "$@" ;;
    redis) redis_cell "$cell" "$skew" "$clients" "$@" ;;
    esac
    record "$sys" "$cell" "$skew" "$clients"
}

# --- setup ------------------------------------------------------------------------------------
T_START=$(date +%s)
log "work folder $WORK, $SECONDS_PER_CELL s per cell, $SKUS SKUs in the uniform skew, systems:$SYSTEMS"
if on oms; then
    log "making the template databases (oms import)"
    make_template hot 1
    make_template many "$SKUS"
    log "import of $SKUS SKUs (locations, items, stock): ${IMPORT_SECONDS[many]} s"
fi
if on sqlite; then sqlite_build; fi
if on pg; then
    log "starting a private PostgreSQL"
    pg_start
    log "PostgreSQL $PG_VERSION on port $PG_PORT: $PG_SETTINGS"
fi

# --- the order cells --------------------------------------------------------------------------
ORDER_SYSTEMS=()
for s in oms sqlite pg redis; do on "$s" && ORDER_SYSTEMS+=("$s"); done
for skew in hot many; do
    for c in $CLIENTS; do
        for s in "${ORDER_SYSTEMS[@]}"; do run_cell "$s" "$skew-c$c" "$skew" "$c"; done
    done
done

# Stock-out: hot SKU, the largest client count, on_hand about 1/10 of what that system sold
# in its hot cell with as many clients, plus the safety.
SO_CLIENTS=1
for c in $CLIENTS; do SO_CLIENTS=$c; done
declare -A SO_ON_HAND
for s in "${ORDER_SYSTEMS[@]}"; do
    SO_ON_HAND[$s]=$(awk -v r="${R_RATE[$s|hot-c$SO_CLIENTS]}" -v s="$SECONDS_PER_CELL" -v f="$SAFETY" \
        'BEGIN { n = int(r * s / 10); if (n < 100) n = 100; print n + f }')
    if [ "$s" = redis ]; then # a count, not a duration: as many order lines as the hot cell's
        run_cell redis stockout hot "$SO_CLIENTS" "${SO_ON_HAND[$s]}" \
            "$(awk -v r="${R_RATE[redis|hot-c$SO_CLIENTS]}" -v s="$SECONDS_PER_CELL" 'BEGIN { printf "%d", r * s }')"
    else
        run_cell "$s" stockout hot "$SO_CLIENTS" "${SO_ON_HAND[$s]}"
    fi
done
pg_stop

# --- the read cell ----------------------------------------------------------------------------
if on oms; then
    log "cell read: oms, GET /v1/availability with $READ_SKUS SKUs, $READ_CLIENTS connections"
    oms_read_cell read "$READ_CLIENTS"
    record oms read many "$READ_CLIENTS"
    if on nginx; then
        log "cell read: nginx, the same requests, a static copy of one answer ($(wc -c <"$WORK/availability.json") bytes)"
        nginx_read_cell read "$READ_CLIENTS"
        record nginx read many "$READ_CLIENTS"
    fi
fi

# --- instructions per order (callgrind) -------------------------------------------------------
CG_ROWS=()
CG_NOTE=""
if [ "$CG_ORDERS" -gt 0 ] && on oms && on sqlite; then
    if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
        for skew in hot many; do
            log "instructions per order under callgrind: $skew"
            callgrind_cell "$skew"
            CG_ROWS+=("| $skew | $CG_OMS | $CG_SQL | $(awk -v a="$CG_OMS" -v b="$CG_SQL" 'BEGIN { printf "%.1f", a / b }') |")
        done
    else
        CG_NOTE="valgrind is missing: no instruction counts (sh scripts/install-deps.sh --bench)."
        log "$CG_NOTE"
    fi
fi
T_END=$(date +%s)

# --- the report -------------------------------------------------------------------------------
# The baseline each ratio divides by: the same cell of the same run.
table() {
    echo "| cell | system | skew | clients | ops/s | p50 ms | p99 ms | oms / this | check | server CPU s | client CPU s | others' user CPU s |"
    echo "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|"
    local k sys cell r
    for k in "${ORDER[@]}"; do
        sys="${k%%|*}" cell="${k#*|}"
        r="—"
        [ "$sys" = oms ] || r="**$(ratio "${R_RATE[oms|$cell]:-}" "${R_RATE[$k]}")**"
        [ "$cell" = stockout ] && r="($(ratio "${R_RATE[oms|$cell]:-}" "${R_RATE[$k]}"))"
        [ "$sys" = oms ] && [ "$cell" = stockout ] && r="—"
        local label="$cell"
        [ "$cell" = stockout ] && label="stock-out (on_hand ${SO_ON_HAND[$sys]})"
        [ "$cell" = read ] && label="read ($READ_SKUS SKUs/request)"
        echo "| $label | ${NAMES[$sys]} | ${R_SKEW[$k]} | ${R_CLIENTS[$k]} | ${R_RATE[$k]} | ${R_P50[$k]:-} | ${R_P99[$k]:-} | $r | ${R_CHECK[$k]} | $(kv server_cpu_s "${R_LINE[$k]}") | $(kv client_cpu_s "${R_LINE[$k]}") | $(kv others_user_s "${R_LINE[$k]}") |"
    done
}

# target LABEL CELL BASELINE WANTED: a row of the targets table.
target() {
    local o="${R_RATE[oms|$2]:-}" b="${R_RATE[$3|$2]:-}" r met
    [ -n "$o" ] && [ -n "$b" ] || return 0
    r=$(ratio "$o" "$b")
    met=$(awk -v r="$r" -v w="$4" 'BEGIN { print (r + 0 >= w ? "yes" : "**no**") }')
    echo "| $1 | $o | ${NAMES[$3]} $b | $r | >= $4 | $met |"
}
targets() {
    local c="$SO_CLIENTS"
    echo "| target (issue 4) | oms ops/s | baseline ops/s | oms / baseline | wanted | met |"
    echo "|---|---:|---:|---:|---:|---|"
    target "(a) hot SKU, $c clients, vs PostgreSQL" "hot-c$c" pg 20
    target "(a) hot SKU, $c clients, vs SQLite" "hot-c$c" sqlite 5
    target "(a) 100k SKUs, $c clients, vs PostgreSQL" "many-c$c" pg 3
    target "(b) availability, $READ_SKUS SKUs, $READ_CLIENTS connections, vs nginx" read nginx 0.7
    target "(c) hot SKU, $c clients, vs Redis" "hot-c$c" redis 0.7
    target "(c) 100k SKUs, $c clients, vs Redis" "many-c$c" redis 0.7
}

TABLE="$(table)"
TARGETS="$(targets)"
[ "$(wc -l <<<"$TARGETS")" -gt 2 ] || TARGETS="(no target: a target needs oms and its baseline in the run)"
echo "$TARGETS"
echo
echo "$TABLE"
if [ -n "${OMS_COMMIT:-}" ]; then # the binary was built elsewhere: say from what
    commit="$OMS_COMMIT"
else
    commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git -C "$ROOT" diff --quiet HEAD -- src 2>/dev/null || commit="$commit + uncommitted changes"
fi
{
    echo "# oms bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    [ "$QUICK" = 1 ] && { echo "**BENCH_QUICK=1: a smoke run of the harness; its figures mean nothing.**"; echo; }
    echo "$SECONDS_PER_CELL s per cell; clients $CLIENTS; uniform skew over $SKUS SKUs; safety $SAFETY; qty 1 per"
    echo "order line; on_hand $BIG_ON_HAND in the measured cells. Systems:$SYSTEMS. Whole run: $((T_END - T_START)) s."
    on oms && echo "oms: \`$OMS_BIN\` at $commit, \`oms serve --threads 2\`, fresh database per cell."
    on sqlite && echo "SQLite $(sqlite3 --version 2>/dev/null | cut -d' ' -f1): bench/sqlite_baseline.c, WAL, synchronous=FULL, one transaction per order line, in process."
    on pg && echo "PostgreSQL ${PG_VERSION:-?}: private cluster, $PG_SETTINGS; pgbench -M prepared bench/pg_order.sql, one transaction per order line."
    on redis && echo "Redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'): private server per cell, appendonly yes, appendfsync always; redis-benchmark EVALSHA bench/redis_order.lua."
    on nginx && echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///'): 2 workers, access_log off, a static copy ($(wc -c <"$WORK/availability.json") bytes) of oms's answer to $READ_SKUS SKUs."
    echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')),"
    echo "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr),"
    echo "data on $(df -T "$WORK" | awk 'NR == 2 { print $2 " (" $1 ")" }'); load generators, servers and baselines share the cores;"
    echo "the run's niceness: $(nice). $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)."
    on oms && echo "Import of $SKUS SKUs through \`oms import\` (locations, items, stock): ${IMPORT_SECONDS[many]} s."
    echo
    echo "## Targets"
    echo
    echo "$TARGETS"
    echo
    echo "## Every cell"
    echo
    echo "$TABLE"
    echo
    echo "ops/s: oms = 201 answers / wrk's duration (orders, one line each) or 200 answers / duration"
    echo "(reads); SQLite = transactions committed before the deadline / seconds; PostgreSQL = pgbench's"
    echo "tps (without connection time); Redis = redis-benchmark's requests/s; nginx = 200 answers /"
    echo "duration. p50/p99: per request at the client (wrk, pgbench's per-transaction log,"
    echo "redis-benchmark), per transaction in the client thread for SQLite."
    echo "oms / this: the oms figure of the same cell divided by this one (in brackets for the"
    echo "stock-out cell, whose on_hand differs per system). check: the invariants of the cell"
    echo "(bench/README.md). server CPU s: the server's process tree (user + system); client CPU s:"
    echo "the load generator's (for SQLite, the whole baseline). others' user CPU s: user-mode CPU"
    echo "the rest of the machine used meanwhile, out of 2 x the cell's seconds; above about 1 s a cell is disturbed."
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
    for k in "${ORDER[@]}"; do echo "$k: ${R_LINE[$k]}"; done
    echo '```'
} >"$OUT"
log "results: $OUT (logs: $WORK/logs)"
if [ "$FAILED" -ne 0 ]; then
    log "SOME CHECKS FAILED"
    exit 1
fi
log "all checks passed"
