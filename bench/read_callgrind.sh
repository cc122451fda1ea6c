#!/bin/bash
# bench/read_callgrind.sh - instructions per availability read (issue 4 (b)), oms next to nginx,
# under callgrind: repeatable where the read cell's wall time on a shared machine is not.
#
#   bash bench/read_callgrind.sh [OMS_BIN]        (default build/oms, a RelWithDebInfo build)
#
# Makes a database like bench/run.sh's 100,000-SKU template (location L1, items S000001 ..,
# policy deny, on_hand 1e9, safety 10, channel web), then for each server: `oms serve
# --threads 1` (or nginx, one worker, no master, the run.sh configuration, serving a copy of
# oms's answer) under `valgrind --tool=callgrind --instr-atstart=no`, READS_WARM warm-up reads,
# `callgrind_control -i on`, READS reads of READ_SKUS random SKUs (the same seeded list for
# both) sent one after the other by curl on one kept-alive connection, `-i off`. Prints the
# server's instructions per read (every thread) and leaves the callgrind files in WORK for
# callgrind_annotate. Environment: READS (1000), READS_WARM (100), READ_SKUS (20), SKUS
# (100000), WORK (a new /var/tmp/oms-readcg.*), KEEP=1 keeps WORK.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OMS_BIN="$(realpath "${1:-$ROOT/build/oms}")"
READS="${READS:-1000}" READS_WARM="${READS_WARM:-100}" READ_SKUS="${READ_SKUS:-20}"
SKUS="${SKUS:-100000}"
WORK="${WORK:-$(mktemp -d /var/tmp/oms-readcg.XXXXXX)}"
mkdir -p "$WORK/logs"
source "$ROOT/bench/lib/common.sh"
PID=""
cleanup() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then kill -TERM "$PID"; wait "$PID" || true; fi
    [ "${KEEP:-0}" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

# reads_config N SEED PORT: a curl config of N GETs of READ_SKUS random SKUs each.
reads_config() {
    awk -v n="$1" -v seed="$2" -v port="$3" -v k="$READ_SKUS" -v skus="$SKUS" 'BEGIN {
        srand(seed)
        for (i = 1; i <= n; i++) {
            p = "/v1/availability?channel=web"
            for (j = 0; j < k; j++) p = p sprintf("&sku=S%06d", 1 + int(rand() * skus))
            printf "url = \"http://127.0.0.1:%d%s\"\noutput = \"/dev/null\"\n", port, p
            print "write-out = \"%{http_code}\\n\""
            if (i < n) print "next"
        }
    }'
}

# measure NAME PORT OUT: warm up, count READS reads of the server in $PID; prints instr/read.
measure() {
    reads_config "$READS_WARM" 7 "$2" >"$WORK/warm.cfg"
    reads_config "$READS" 1 "$2" >"$WORK/reads.cfg"
    curl -s -K "$WORK/warm.cfg" >/dev/null
    callgrind_control -i on "$PID" >/dev/null
    local ok
    ok=$(curl -s -K "$WORK/reads.cfg" | grep -c '^200$' || true)
    callgrind_control -i off "$PID" >/dev/null
    [ "$ok" -eq "$READS" ] || die "$1: only $ok of $READS reads answered 200"
}

# The database.
csv="$WORK/csv"
mkdir -p "$csv"
printf 'code,name,kind,region,priority,timezone,handling_days,working_days\nL1,Bench warehouse,warehouse,UK,1,Europe/London,0,mon tue wed thu fri\n' >"$csv/locations.csv"
awk -v n="$SKUS" 'BEGIN { print "sku,name,policy"; for (i = 1; i <= n; i++) printf "S%06d,Item %d,deny\n", i, i }' >"$csv/items.csv"
awk -v n="$SKUS" 'BEGIN { print "sku,location,on_hand,safety"; for (i = 1; i <= n; i++) printf "S%06d,L1,1000000000,10\n", i }' >"$csv/stock.csv"
for kind in locations items stock; do
    "$OMS_BIN" import --db "$WORK/reads.db" "$kind" "$csv/$kind.csv" >>"$WORK/logs/import.log" 2>&1 ||
        die "oms import $kind failed (log: $WORK/logs/import.log)"
done

# oms.
PORT="$(free_port)"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind-oms.out" \
    "$OMS_BIN" serve --db "$WORK/reads.db" --port "$PORT" --threads 1 >"$WORK/logs/oms.log" 2>&1 &
PID=$!
wait_port "$PORT" "$PID" || die "oms serve did not start (log: $WORK/logs/oms.log)"
curl -fsS -X PUT "http://127.0.0.1:$PORT/v1/channels/web" -H 'Content-Type: application/json' \
    --data-binary '{"name":"Web","locations":["L1"],"allow_backorder":false,"priority":1}' >/dev/null
sample="/v1/availability?channel=web"
for i in $(seq 1 "$READ_SKUS"); do sample="$sample&sku=$(printf 'S%06d' "$i")"; done
mkdir -p "$WORK/nginx/html" "$WORK/nginx/tmp"
curl -fsS "http://127.0.0.1:$PORT$sample" >"$WORK/nginx/html/availability.json"
measure oms "$PORT"
kill -TERM "$PID"; wait "$PID" || true; PID=""
OMS_IR=$(awk -v n="$READS" '$1 == "totals:" { printf "%.0f", $2 / n }' "$WORK/callgrind-oms.out")

# nginx: bench/lib/nginx.sh's configuration, one worker in the foreground without a master.
chmod 711 "$WORK"; chmod 755 "$WORK/nginx" "$WORK/nginx/html"
chmod 644 "$WORK/nginx/html/availability.json"
PORT="$(free_port)"
N="$WORK/nginx"
cat >"$N/nginx.conf" <<CONF
worker_processes 1;
master_process off;
daemon off;
pid $N/nginx.pid;
error_log $N/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65s;
    keepalive_requests 1000000;
    open_file_cache max=16 inactive=60s;
    types { application/json json; }
    default_type application/json;
    client_body_temp_path $N/tmp/body;
    proxy_temp_path $N/tmp/proxy;
    fastcgi_temp_path $N/tmp/fastcgi;
    uwsgi_temp_path $N/tmp/uwsgi;
    scgi_temp_path $N/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        location = /v1/availability { alias $N/html/availability.json; }
    }
}
CONF
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/callgrind-nginx.out" \
    nginx -p "$N/" -c "$N/nginx.conf" -e "$N/error.log" >"$WORK/logs/nginx.log" 2>&1 &
PID=$!
wait_port "$PORT" "$PID" || die "nginx did not start (log: $WORK/logs/nginx.log)"
measure nginx "$PORT"
kill -QUIT "$PID"; wait "$PID" || true; PID=""
NGINX_IR=$(awk -v n="$READS" '$1 == "totals:" { printf "%.0f", $2 / n }' "$WORK/callgrind-nginx.out")

echo "instructions per read ($READ_SKUS SKUs, $READS reads): oms $OMS_IR, nginx $NGINX_IR," \
    "oms / nginx $(awk -v a="$OMS_IR" -v b="$NGINX_IR" 'BEGIN { printf "%.1f", a / b }')"
[ "${KEEP:-0}" = 1 ] && echo "callgrind files: $WORK/callgrind-oms.out $WORK/callgrind-nginx.out"
exit 0
