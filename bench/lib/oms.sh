# bench/lib/oms.sh - `oms serve` in bench/run.sh: the template databases, the server, the
# order cells with their checks, the availability read cell, instructions per order under
# callgrind. Sourced by bench/run.sh, never run. Uses WORK, OMS_BIN, SKUS, SAFETY, HOT,
# LOCATION, CHANNEL, BIG_ON_HAND, SECONDS_PER_CELL, ROOT from run.sh.

SERVER_PID=""
SERVER_WRAP=() # a command the server runs under (valgrind for the instruction counts)
PORT=""
BASE=""
declare -A IMPORT_SECONDS

oms_cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
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

# Bytes the server asked to write so far (write syscalls, /proc/PID/io wchar).
server_wchar() { awk '$1 == "wchar:" { print $2 }' "/proc/$SERVER_PID/io"; }

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


# stock_counters SKU: "on_hand allocated reserved safety unavailable free" at L1, over HTTP.
stock_counters() {
    api GET "/v1/stock/$1" | jq -r --arg loc "$LOCATION" \
        '.locations[] | select(.location == $loc) | "\(.on_hand) \(.allocated) \(.reserved) \(.safety) \(.unavailable) \(.free)"'
}

# oms_cell NAME SKEW CLIENTS [ON_HAND]: one order cell of oms (set_result: RES_*).
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
    local wchar0 wchar1 rc=0 f="$WORK/logs/$name.wrk"
    meter_start "$SERVER_PID"
    wchar0=$(server_wchar)
    timed "$f" wrk -t "$threads" -c "$clients" -d "${SECONDS_PER_CELL}s" --timeout 30s \
        -s "$ROOT/bench/orders.lua" "$BASE" -- "$name" "$skus" "$HOT" || rc=$?
    wchar1=$(server_wchar)
    meter_stop $(cat "$f.time")
    OMS_LINE=$(grep '^WRK ' "$f.out" || true)
    [ -n "$OMS_LINE" ] || { cat "$f.err" >&2; die "wrk printed no result (cell $name, status $rc)"; }
    OMS_LINE="$OMS_LINE $METER wchar_per_order=$(awk -v a="$wchar0" -v b="$wchar1" \
        -v n="$(kv requests "$OMS_LINE")" 'BEGIN { printf "%.0f", (n > 0 ? (b - a) / n : 0) }')"

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
    OMS_LINE="$OMS_LINE db_orders=$db_orders db_alloc_lines=$db_alloc_lines db_rejected_lines=$db_rej_lines db_level_allocated=$db_level_alloc hot_counters=[${hot_counters// /,}]"
    rm -f "$db" "$db"-*
    # orders/s = 201 answers / wrk's duration.
    set_result "$OMS_LINE" "$(awk -v c="$created" -v d="$(kv duration_s "$OMS_LINE")" \
        'BEGIN { printf "%.0f", c / d }')" "$(kv p50_ms "$OMS_LINE")" "$(kv p99_ms "$OMS_LINE")" \
        "${problems[@]}"
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


# --- the availability read cell ----------------------------------------------------------------
# read_sample_path: the request of READ_SKUS SKUs (S000001 ..) whose answer nginx serves.
read_sample_path() {
    local i p="/v1/availability?channel=$CHANNEL"
    for i in $(seq 1 "$READ_SKUS"); do p="$p&sku=$(printf 'S%06d' "$i")"; done
    echo "$p"
}

# oms_read_cell NAME CLIENTS: GET /v1/availability with READ_SKUS random SKUs per request, on
# the 100,000-SKU template, keep-alive. Leaves the answer to read_sample_path in
# $WORK/availability.json (the file nginx serves). set_result: RES_*.
oms_read_cell() {
    local name="$1" clients="$2" db="$WORK/cell.db" f="$WORK/logs/$1.wrk" rc=0 threads=2
    [ "$clients" -lt 2 ] && threads=1
    copy_db "$WORK/template-many.db" "$db"
    start_server "$db" "$name"
    curl -fsS "$BASE$(read_sample_path)" >"$WORK/availability.json" ||
        die "GET $(read_sample_path) failed"
    meter_start "$SERVER_PID"
    timed "$f" wrk -t "$threads" -c "$clients" -d "${SECONDS_PER_CELL}s" --timeout 30s \
        -s "$ROOT/bench/availability.lua" "$BASE" -- "$SKUS" "$READ_SKUS" "$CHANNEL" || rc=$?
    meter_stop $(cat "$f.time")
    local line problems=() counters
    line=$(grep '^WRK ' "$f.out" || true)
    [ -n "$line" ] || { cat "$f.err" >&2; die "wrk printed no result (cell $name, status $rc)"; }
    # Reads change nothing: the first SKU's counters are still the template's.
    counters=$(stock_counters S000001)
    stop_server
    rm -f "$db" "$db"-*
    read_checks "$line"
    read -r s_on s_alloc _ s_safety _ _ <<<"$counters"
    [ "$s_on" = "$BIG_ON_HAND" ] && [ "$s_alloc" = 0 ] && [ "$s_safety" = "$SAFETY" ] ||
        problems+=("S000001 changed: $counters")
    line="$line $METER answer_bytes=$(wc -c <"$WORK/availability.json")"
    set_result "$line" "$(kv rps "$line")" "$(kv p50_ms "$line")" "$(kv p99_ms "$line")" \
        "${problems[@]}"
}

# read_checks WRK_LINE: the checks both sides of the read cell share; adds to problems.
read_checks() {
    local e
    [ "$(kv other "$1")" = 0 ] || problems+=("$(kv other "$1") answers other than 200")
    [ "$(kv ok "$1")" -gt 0 ] || problems+=("no answer")
    [ "$(kv checked "$1")" -gt 0 ] && [ "$(kv bad "$1")" = 0 ] ||
        problems+=("$(kv bad "$1") of $(kv checked "$1") checked answers without $READ_SKUS in_stock items")
    for e in connect_err read_err write_err timeouts; do
        [ "$(kv "$e" "$1")" = 0 ] || problems+=("wrk $e $(kv "$e" "$1")")
    done
}
