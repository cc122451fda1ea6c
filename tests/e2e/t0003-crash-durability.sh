#!/usr/bin/env bash
# An acknowledged write survives a crash: clients stream orders at the server, which is
# killed with SIGKILL in the middle; after a restart every acknowledged order is there with
# the answer it was acknowledged with, and no counter is off (the SKU's allocated units equal
# the units the surviving orders hold, on_hand never moved, nothing oversold).
source "$(dirname "$0")/lib.sh"
DB="$WORK/crash.db"
STOCK=150

start_server "$DB"
call PUT /v1/locations/WH1 '{"region":"UK","priority":1}'; expect_status 201 location
call PUT /v1/channels/web '{"locations":["WH1"],"allow_backorder":false}'; expect_status 201 channel
call PUT /v1/items/HOT '{"policy":"deny","allow_split":false}'; expect_status 201 item
call POST /v1/stock/adjustments "{\"sku\":\"HOT\",\"location\":\"WH1\",\"set\":$STOCK}"; expect_status 200 stock

# Four clients, each placing orders of 1..3 units until the server dies; an order counts as
# acknowledged only when its 201 body arrived whole.
client() {
    local c="$1" i=0 status
    while :; do
        i=$((i + 1))
        local id="c$c-$i" qty=$(( (i % 3) + 1 ))
        echo "$id" >>"$WORK/sent.$c"
        status=$(curl -sS -m 5 -o "$WORK/ack.$id" -w '%{http_code}' -X POST "$BASE/v1/orders" \
            -H 'Content-Type: application/json' \
            --data-binary "{\"id\":\"$id\",\"channel\":\"web\",\"lines\":[{\"sku\":\"HOT\",\"qty\":$qty}]}" \
            2>/dev/null) || break
        [ "$status" = 201 ] && jq -e .id "$WORK/ack.$id" >/dev/null 2>&1 && echo "$id" >>"$WORK/acked"
    done
}
for c in 1 2 3 4; do client "$c" & done
# Kill once more than 10 orders are acknowledged (and others are in flight), however slow the
# machine: a fixed sleep made this a timed assertion that failed on a loaded machine.
for _ in $(seq 1 600); do
    [ "$(cat "$WORK/acked" 2>/dev/null | wc -l)" -gt 10 ] && break
    sleep 0.1
done
sleep 0.2
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
wait
acked=$(wc -l <"$WORK/acked")
[ "$acked" -gt 10 ] || fail "only $acked orders were acknowledged before the crash"

start_server "$DB"
held=0
for id in $(cat "$WORK"/sent.*); do
    call GET "/v1/orders/$id"
    if [ "$STATUS" = 200 ]; then
        held=$((held + $(body_of '[.lines[].allocated[].qty] | add // 0')))
    elif [ "$STATUS" != 404 ]; then
        fail "GET $id: status $STATUS"
    fi
done
for id in $(cat "$WORK/acked"); do
    call GET "/v1/orders/$id"
    expect_status 200 "acknowledged order $id after the crash" || continue
    jq -e --slurpfile ack "$WORK/ack.$id" '.lines == $ack[0].lines' "$WORK/body" >/dev/null ||
        fail "order $id differs from its acknowledgement"
done
call GET /v1/stock/HOT
expect ".locations[0].on_hand == $STOCK" "on_hand unchanged by the crash"
expect ".locations[0].allocated == $held" "allocated equals the units the orders hold ($held)"
expect '.locations[0].free >= 0' "never oversold"
echo "acknowledged before the crash: $acked orders; units held after restart: $held"
stop_server
finish
