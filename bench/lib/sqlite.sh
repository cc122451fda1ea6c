# bench/lib/sqlite.sh - the SQLite baseline in bench/run.sh: bench/sqlite_baseline.c, WAL,
# synchronous=FULL, one transaction per order line, in process (no server, no network).
# Sourced by bench/run.sh, never run.

sqlite_build() {
    cc -std=c11 -O2 -Wall -Wextra -o "$WORK/sqlite_baseline" "$ROOT/bench/sqlite_baseline.c" \
        -lsqlite3 -lpthread || die "cannot build bench/sqlite_baseline.c (libsqlite3-dev?)"
}

# sqlite_cell NAME SKEW CLIENTS [ON_HAND]: one cell of the baseline (set_result: RES_*). The
# baseline checks itself (see sqlite_baseline.c) and says check=ok or check=FAIL:...
sqlite_cell() {
    local name="$1" skew="$2" clients="$3" on_hand="${4:-}" skus=1 extra=() rc=0
    [ "$skew" = many ] && skus="$SKUS"
    [ -n "$on_hand" ] && extra=(--on-hand "$on_hand" --stockout)
    local db="$WORK/sqlite-cell.db" f="$WORK/logs/$name.sqlite" line
    rm -f "$db" "$db"-*
    # The baseline is both sides (client threads and the database): its own CPU is the
    # "client" here and there is no server process to follow.
    meter_start ""
    timed "$f" "$WORK/sqlite_baseline" --db "$db" --threads "$clients" --skus "$skus" \
        --seconds "$SECONDS_PER_CELL" --safety "$SAFETY" "${extra[@]}" || rc=$?
    meter_stop $(cat "$f.time")
    rm -f "$db" "$db"-*
    line=$(grep '^RESULT ' "$f.out" || true)
    [ -n "$line" ] || { cat "$f.err" >&2; die "sqlite_baseline failed (cell $name, status $rc)"; }
    line="$line $METER"
    local check
    check=$(kv check "$line")
    if [ "$check" = ok ]; then
        set_result "$line" "$(kv ops_per_s "$line")" "$(kv p50_ms "$line")" "$(kv p99_ms "$line")"
    else
        set_result "$line" "$(kv ops_per_s "$line")" "$(kv p50_ms "$line")" "$(kv p99_ms "$line")" "$check"
    fi
}
