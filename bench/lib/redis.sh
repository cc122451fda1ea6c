# bench/lib/redis.sh - the Redis baseline in bench/run.sh: a private redis-server per cell
# (a free port on 127.0.0.1, its own folder under $WORK, appendonly yes, appendfsync always,
# no RDB snapshots), each order line one EVALSHA of bench/redis_order.lua sent by
# redis-benchmark. Sourced by bench/run.sh, never run.

REDIS_PID=""

rcli() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }

redis_start() { # NAME
    REDIS_DIR="$WORK/redis-$1"
    rm -rf "$REDIS_DIR"
    mkdir -p "$REDIS_DIR"
    local attempt log="$WORK/logs/$1.redis.log"
    for attempt in 1 2 3 4 5; do
        REDIS_PORT="$(free_port)"
        : >"$log"
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$REDIS_DIR" --save '' \
            --appendonly yes --appendfsync always --daemonize no --logfile "$log" &
        REDIS_PID=$!
        if wait_port "$REDIS_PORT" "$REDIS_PID"; then
            for _ in $(seq 1 100); do
                [ "$(rcli PING 2>/dev/null)" = PONG ] && break
                sleep 0.05
            done
            [ "$(rcli CONFIG GET appendfsync | tail -n 1)" = always ] &&
                [ "$(rcli CONFIG GET appendonly | tail -n 1)" = yes ] ||
                die "Redis is not durable (appendonly yes, appendfsync always)"
            return 0
        fi
        wait "$REDIS_PID" 2>/dev/null || true
        REDIS_PID=""
        grep -q 'Address already in use' "$log" || break
        log "Redis: port $REDIS_PORT was taken (attempt $attempt), trying another"
    done
    cat "$log" >&2
    die "redis-server did not start (log: $log)"
}

redis_stop() {
    [ -n "$REDIS_PID" ] || return 0
    kill -TERM "$REDIS_PID" 2>/dev/null || true
    wait "$REDIS_PID" 2>/dev/null || true
    REDIS_PID=""
    rm -rf "$REDIS_DIR"
}

# redis_bench FILE CLIENTS REQUESTS SKUS SHA: redis-benchmark sending REQUESTS order lines
# over CLIENTS connections; prints "rps p50_ms p99_ms" from its CSV.
redis_bench() {
    local f="$1" clients="$2" n="$3" skus="$4" sha="$5" key=stock:000000000000 rflag=()
    # __rand_int__ becomes a 12-digit number in 0 .. SKUS-1, new for every request.
    [ "$skus" -gt 1 ] && key='stock:__rand_int__' rflag=(-r "$skus")
    timed "$f" redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$clients" -n "$n" \
        "${rflag[@]}" --csv EVALSHA "$sha" 2 "$key" lines 1 ||
        { cat "$f.err" >&2; die "redis-benchmark failed ($f)"; }
    tr -d '"' <"$f.out" | awk -F, '$2 ~ /^[0-9.]+$/ { print $2, $5, $7; exit }'
}

# redis_cell NAME SKEW CLIENTS [ON_HAND REQUESTS]: one cell (set_result: RES_*).
# redis-benchmark sends a count, not a duration: a short calibration run (its lines are
# stored and checked too) sets the count for about SECONDS_PER_CELL; the stock-out cell is
# given its count (the 64-client hot cell's rate times the seconds).
redis_cell() {
    local name="$1" skew="$2" clients="$3" on_hand="${4:-}" n="${5:-}" skus=1
    [ "$skew" = many ] && skus="$SKUS"
    local on="${on_hand:-$BIG_ON_HAND}" f="$WORK/logs/$name.redis-bench" sha n_cal=0 cal
    redis_start "$name"
    # Seeding: one script, so one AOF write and one fsync.
    rcli EVAL "for i = 0, tonumber(ARGV[1]) - 1 do
        redis.call('HSET', string.format('stock:%012d', i), 'on_hand', ARGV[2], 'reserved', 0,
                   'safety', ARGV[3]) end return 1" 0 "$skus" "$on" "$SAFETY" >/dev/null
    sha=$(rcli SCRIPT LOAD "$(cat "$ROOT/bench/redis_order.lua")")
    if [ -z "$n" ]; then
        n_cal=$((clients * 100 > 500 ? clients * 100 : 500))
        cal=$(redis_bench "$f.cal" "$clients" "$n_cal" "$skus" "$sha")
        n=$(awk -v r="${cal%% *}" -v s="$SECONDS_PER_CELL" 'BEGIN { n = int(r * s); print (n < 1000 ? 1000 : n) }')
    fi
    local rps p50 p99
    meter_start "$REDIS_PID"
    read -r rps p50 p99 < <(redis_bench "$f" "$clients" "$n" "$skus" "$sha")
    meter_stop $(cat "$f.time")
    [ -n "$rps" ] || die "redis-benchmark printed no result (cell $name)"
    local c problems=()
    c=$(rcli EVAL "$(cat "$ROOT/bench/redis_check.lua")" 1 lines "$skus" | tr '\n' ' ')
    local lines acc_lines acc_units back bad reserved mismatched oversold hot_reserved
    read -r lines acc_lines acc_units back bad reserved mismatched oversold hot_reserved <<<"$c"
    redis_stop
    # redis-benchmark waits for every answer: the list holds exactly what was sent.
    [ "$lines" -eq $((n_cal + n)) ] || problems+=("sent $((n_cal + n)) order lines, the list holds $lines")
    [ "$bad" -eq 0 ] || problems+=("$bad malformed lines")
    [ "$acc_units" -eq "$reserved" ] || problems+=("accepted units $acc_units != reserved $reserved")
    [ "$mismatched" -eq 0 ] || problems+=("$mismatched SKUs whose reserved differs from their lines")
    [ "$oversold" -eq 0 ] || problems+=("$oversold SKUs oversold")
    if [ -n "$on_hand" ]; then
        [ "$hot_reserved" -eq $((on_hand - SAFETY)) ] ||
            problems+=("not sold out exactly: reserved $hot_reserved of $((on_hand - SAFETY))")
        [ "$back" -gt 0 ] || problems+=("no backorder line")
    else
        [ "$back" -eq 0 ] || problems+=("$back backorders while stock was plentiful")
    fi
    local line="REDIS requests=$n calibration_requests=$n_cal rps=$rps p50_ms=$p50 p99_ms=$p99"
    line="$line duration_s=$(awk -v n="$n" -v r="$rps" 'BEGIN { printf "%.2f", n / r }')"
    line="$line stored_lines=$lines accepted=$acc_lines backorder=$back reserved=$reserved"
    line="$line on_hand=$on safety=$SAFETY $METER"
    set_result "$line" "$(printf '%.0f' "$rps")" "$p50" "$p99" "${problems[@]}"
}
