# bench/lib/pg.sh - the PostgreSQL baseline in bench/run.sh: a private PostgreSQL 15 cluster
# (initdb into $WORK/pg, a free port on 127.0.0.1, a socket folder of its own; never the
# system's cluster), synchronous_commit=on and fsync=on, driven by pgbench running
# bench/pg_order.sql. Sourced by bench/run.sh, never run.

PG_PID=""
PG_AS=()

# pg_bindir: PG_BINDIR, else PostgreSQL 15's, else the newest installed.
pg_bindir() {
    if [ -n "${PG_BINDIR:-}" ]; then echo "$PG_BINDIR"; return; fi
    if [ -x /usr/lib/postgresql/15/bin/initdb ]; then echo /usr/lib/postgresql/15/bin; return; fi
    # shellcheck disable=SC2012
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_sql() {
    PGOPTIONS='-c client_min_messages=warning' psql -h 127.0.0.1 -p "$PG_PORT" -U postgres \
        -d postgres -X -q -A -t -F ' ' -v ON_ERROR_STOP=1 "$@"
}

pg_start() {
    PG_BIN="$(pg_bindir)"
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL is missing: sh scripts/install-deps.sh --bench"
    PG_DIR="$WORK/pg"
    mkdir -p "$PG_DIR/sock"
    if [ "$(id -u)" -eq 0 ]; then # initdb and postgres refuse to run as root
        id postgres >/dev/null 2>&1 || die "no postgres user (the postgresql-15 package makes it)"
        chmod 711 "$WORK"
        chown -R postgres "$PG_DIR"
        PG_AS=(runuser -u postgres --)
    fi
    "${PG_AS[@]}" "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
        --no-locale >"$WORK/logs/pg-initdb.log" 2>&1 || {
        cat "$WORK/logs/pg-initdb.log" >&2
        die "initdb failed"
    }
    local attempt
    for attempt in 1 2 3 4 5; do
        PG_PORT="$(free_port)"
        if "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
            -o "-c port=$PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR/sock -c synchronous_commit=on -c fsync=on -c full_page_writes=on" \
            start >>"$WORK/logs/pg-ctl.log" 2>&1; then
            PG_PID=$(head -n 1 "$PG_DIR/data/postmaster.pid")
            PG_SETTINGS=$(pg_sql -c "SELECT 'synchronous_commit=' || current_setting('synchronous_commit') || ' fsync=' || current_setting('fsync') || ' wal_sync_method=' || current_setting('wal_sync_method') || ' shared_buffers=' || current_setting('shared_buffers')")
            PG_VERSION=$(pg_sql -c 'SHOW server_version' | cut -d' ' -f1)
            case "$PG_SETTINGS" in
            *"synchronous_commit=on fsync=on"*) ;;
            *) die "PostgreSQL is not durable: $PG_SETTINGS" ;;
            esac
            return 0
        fi
        grep -q 'already in use' "$PG_DIR/server.log" 2>/dev/null || break
        log "PostgreSQL: port $PG_PORT was taken (attempt $attempt), trying another"
    done
    cat "$PG_DIR/server.log" >&2 2>/dev/null || true
    die "PostgreSQL did not start (log: $PG_DIR/server.log)"
}

pg_stop() {
    [ -n "$PG_PID" ] || return 0
    "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >>"$WORK/logs/pg-ctl.log" 2>&1 || true
    cp "$PG_DIR/server.log" "$WORK/logs/pg-server.log" 2>/dev/null || true
    PG_PID=""
    rm -rf "$PG_DIR"
}

# pg_cell NAME SKEW CLIENTS [ON_HAND]: one cell of the baseline (set_result: RES_*). Fresh
# tables every cell, seeded in one statement, vacuumed and checkpointed before the clock starts.
pg_cell() {
    local name="$1" skew="$2" clients="$3" on_hand="${4:-}" skus=1 threads=2 rc=0
    [ "$skew" = many ] && skus="$SKUS"
    [ "$clients" -lt 2 ] && threads=1
    local on="${on_hand:-$BIG_ON_HAND}" f="$WORK/logs/$name.pgbench" txlog="$WORK/logs/$name.pgtx"
    pg_sql >/dev/null <<SQL
DROP TABLE IF EXISTS order_lines, stock;
CREATE TABLE stock(sku integer PRIMARY KEY, on_hand bigint NOT NULL, reserved bigint NOT NULL,
                   safety bigint NOT NULL);
CREATE TABLE order_lines(id bigserial PRIMARY KEY, sku integer NOT NULL, qty integer NOT NULL,
                         status smallint NOT NULL);
INSERT INTO stock SELECT g, $on, 0, $SAFETY FROM generate_series(1, $skus) g;
VACUUM ANALYZE stock;
CHECKPOINT;
SQL
    rm -rf "$txlog"
    mkdir -p "$txlog"
    meter_start "$PG_PID"
    # -l: one line per transaction (its latency in microseconds is the third field).
    (cd "$txlog" && timed "$f" pgbench -h 127.0.0.1 -p "$PG_PORT" -U postgres -n -M prepared \
        -c "$clients" -j "$threads" -T "$SECONDS_PER_CELL" -D skus="$skus" -D qty=1 \
        -f "$ROOT/bench/pg_order.sql" -l --log-prefix="$txlog/tx" postgres) || rc=$?
    sleep 0.2 # the backends exit after pgbench disconnects: their CPU time reaches the postmaster
    meter_stop $(cat "$f.time")
    local processed failed tps p50 p99
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$f.out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$f.out")
    tps=$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$f.out")
    [ -n "$processed" ] && [ -n "$tps" ] || {
        cat "$f.err" >&2
        die "pgbench printed no result (cell $name, status $rc)"
    }
    read -r p50 p99 < <(cat "$txlog"/tx* | awk '{ print $3 / 1000 }' | percentiles)
    rm -rf "$txlog"
    local q problems=()
    q=$(pg_sql -c "SELECT (SELECT count(*) FROM order_lines),
        (SELECT count(*) FROM order_lines WHERE status = 1),
        (SELECT coalesce(sum(qty), 0) FROM order_lines WHERE status = 1),
        (SELECT count(*) FROM order_lines WHERE status = 0),
        (SELECT coalesce(sum(reserved), 0) FROM stock),
        (SELECT count(*) FROM stock WHERE reserved > on_hand - safety),
        (SELECT count(*) FROM stock s LEFT JOIN
            (SELECT sku, sum(qty) AS q FROM order_lines WHERE status = 1 GROUP BY sku) a
            USING (sku) WHERE s.reserved <> coalesce(a.q, 0)),
        (SELECT reserved FROM stock WHERE sku = 1)")
    local lines acc_lines acc_units back reserved oversold mismatched hot_reserved
    read -r lines acc_lines acc_units back reserved oversold mismatched hot_reserved <<<"$q"
    [ "${failed:-0}" -eq 0 ] || problems+=("$failed failed transactions")
    # Every transaction pgbench counted is stored; one per client may have committed as the
    # clock ran out without being counted.
    [ "$processed" -le "$lines" ] && [ "$lines" -le $((processed + clients)) ] ||
        problems+=("pgbench counted $processed transactions, the table holds $lines lines")
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
    local line="PGBENCH processed=$processed failed=${failed:-0} tps=$tps p50_ms=$p50 p99_ms=$p99"
    line="$line stored_lines=$lines accepted=$acc_lines backorder=$back reserved=$reserved"
    line="$line on_hand=$on safety=$SAFETY $METER"
    set_result "$line" "$(printf '%.0f' "$tps")" "$p50" "$p99" "${problems[@]}"
}
