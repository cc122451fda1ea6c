#!/usr/bin/env bash
# A flash sale: 64 concurrent clients over HTTP place orders for one hot item across three
# channels (web, mkt, pos) sharing three locations, with channel buffers and a floor that
# protects the store channel, retries of the same Idempotency-Key (same body: the first
# answer again; different body: 409) mixed in, and a kill -9 of the server in the middle.
# Afterwards: no oversell at any location, the stock's allocated units equal exactly what the
# acknowledged answers hold (no order counted twice), every acknowledged order is there with
# the lines it was acknowledged with, one order.created event per order, every channel's
# buffer held, and the protected channel never below its floor.
source "$(dirname "$0")/lib.sh"
CLIENT="$(dirname "$OMS_BIN")/tests/flash_client"
[ -x "$CLIENT" ] || CLIENT="$(dirname "$OMS_BIN")/flash_client"
DB="$WORK/flash.db"
ORDERS="${FLASH_ORDERS:-1500}"
MKT_BUFFER=10
WEB_BUFFER=5
POS_FLOOR=100

start_server "$DB"
echo "$BASE" >"$WORK/base"
call PUT /v1/items/HOT '{"policy":"deny","allow_split":true}'; expect_status 201 item
call PUT /v1/locations/WH1 '{"kind":"warehouse","region":"UK","priority":1}'; expect_status 201 WH1
call PUT /v1/locations/WH2 '{"kind":"warehouse","region":"UK","priority":2}'; expect_status 201 WH2
call PUT /v1/locations/ST1 '{"kind":"store","region":"UK","priority":3}'; expect_status 201 ST1
# web ships from WH1 and the store; the marketplace only from WH2, behind a buffer so a
# lagging feed cannot oversell; the store's own tills (pos) see the store and WH1 and are
# protected by a floor the web shop may not eat into.
call PUT /v1/channels/web "{\"locations\":[\"WH1\",\"ST1\"],\"buffer\":$WEB_BUFFER,\"allow_backorder\":false,\"priority\":1}"
expect_status 201 web
call PUT /v1/channels/mkt "{\"locations\":[\"WH2\"],\"buffer\":$MKT_BUFFER,\"allow_backorder\":false,\"priority\":2}"
expect_status 201 mkt
call PUT /v1/channels/pos '{"locations":["ST1","WH1"],"allow_backorder":false,"priority":1}'
expect_status 201 pos
call PUT /v1/channels/pos/items/HOT "{\"floor\":$POS_FLOOR}"
expect_status 200 "pos floor on HOT"
for loc in WH1:400 WH2:200 ST1:100; do
    call POST /v1/stock/adjustments "{\"sku\":\"HOT\",\"location\":\"${loc%%:*}\",\"set\":${loc##*:}}"
    expect_status 200 "stock at ${loc%%:*}"
done

# About 3,000 units asked of 700: the sale sells out. The store's tills place one order in
# sixty (about 50 units), fewer than their floor: without the floor the web shop would take
# the rest of the store's and WH1's units.
mix="$(printf 'web,%.0s' $(seq 29))$(printf 'mkt,%.0s' $(seq 30))pos"
"$CLIENT" --base-file "$WORK/base" --out "$WORK" --sku HOT --clients 64 --orders "$ORDERS" \
    --channels "$mix" --retry-pct 15 --conflict-pct 2 \
    --seed "${FLASH_SEED:-42}" 2>"$WORK/client.err" &
CLIENT_PID=$!

# Crash the server once a third of the orders are acknowledged, restart it on the same
# database (a new port: the clients read it from $WORK/base and resend what got no answer).
for _ in $(seq 1 2000); do
    [ -f "$WORK/acks.jsonl" ] && [ "$(wc -l <"$WORK/acks.jsonl")" -ge $((ORDERS / 3)) ] && break
    kill -0 "$CLIENT_PID" 2>/dev/null || break
    sleep 0.02
done
acked_before=$(wc -l <"$WORK/acks.jsonl")
kill -9 "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
: >"$WORK/base"
sleep 0.3
start_server "$DB"
echo "$BASE" >"$WORK/base"
wait "$CLIENT_PID" || fail "client: $(head -c 2000 "$WORK/client.err")"
[ "$acked_before" -lt "$ORDERS" ] || fail "the crash came after the run ($acked_before acks)"
cat "$WORK/summary.txt"

# Every acknowledged order is there as acknowledged; totals of what the answers hold.
"$CLIENT" --verify --base-file "$WORK/base" --out "$WORK" 2>"$WORK/verify.err" ||
    fail "verify: $(head -c 2000 "$WORK/verify.err")"
[ "$(jq .orders "$WORK/verify.json")" = "$ORDERS" ] || fail "acknowledged $(jq .orders "$WORK/verify.json") of $ORDERS orders"

# No oversell, and allocated == what the acknowledged orders hold, location by location: a
# retry that allocated twice, or an order lost in the crash, shows up here.
call GET /v1/stock/HOT
expect_status 200 stock
for loc in WH1:400 WH2:200 ST1:100; do
    code=${loc%%:*} stock=${loc##*:}
    held=$(jq --arg l "$code" '.allocated[$l] // 0' "$WORK/verify.json")
    expect "[.locations[] | select(.location == \"$code\")][0] | .on_hand == $stock and .allocated == $held and .free >= 0" \
        "$code: on_hand $stock, allocated $held as the answers say, never oversold"
done

# One order.created event per order, however many retries and resends there were.
after=0
: >"$WORK/created"
while :; do
    call GET "/v1/events?after=$after&limit=1000"
    expect_status 200 events || break
    jq -r '.events[] | select(.type == "order.created") | .subject' "$WORK/body" >>"$WORK/created"
    [ "$(body_of '.events | length')" -gt 0 ] || break
    after=$(body_of .next)
done
[ "$(sort "$WORK/created" | uniq -d | wc -l)" = 0 ] || fail "an order was created twice"
[ "$(sort -u "$WORK/created" | wc -l)" = "$ORDERS" ] || fail "$(sort -u "$WORK/created" | wc -l) order.created events for $ORDERS orders"

# The marketplace sees only WH2, which nobody else sells from: it sold out down to its buffer
# and not one unit further (partial lines take what is left).
call GET /v1/stock/HOT
expect "[.locations[] | select(.location == \"WH2\")][0].free == $MKT_BUFFER" "mkt stopped at its buffer of $MKT_BUFFER"
# The web shop's buffer and the store's floor: of the 500 units at WH1 and ST1, web never
# took the last WEB_BUFFER of what it saw, nor the units protecting pos (the floor, less what
# pos itself sold by then).
web_sold=$(jq '.by_channel.web // 0' "$WORK/verify.json")
pos_sold=$(jq '.by_channel.pos // 0' "$WORK/verify.json")
[ $((web_sold + WEB_BUFFER + POS_FLOOR)) -le $((500 + pos_sold)) ] ||
    fail "web sold $web_sold: into its buffer or pos's floor (pos sold $pos_sold)"
call GET "/v1/availability?channel=web&sku=HOT"
expect '.items[0].available == 0' "web sold out"
# pos was never pushed below its floor: what it sold plus what it can still sell is at
# least the floor, and what it sees is really there.
call GET "/v1/availability?channel=pos&sku=HOT"
pos_left=$(body_of '.items[0].available')
[ $((pos_sold + pos_left)) -ge "$POS_FLOOR" ] || fail "pos sold $pos_sold and sees $pos_left: below its floor $POS_FLOOR"
if [ "$pos_left" -gt 0 ]; then
    call POST /v1/orders "{\"id\":\"pos-last\",\"channel\":\"pos\",\"lines\":[{\"sku\":\"HOT\",\"qty\":$pos_left}]}"
    expect_status 201 "pos takes what it sees"
    expect ".lines[0].status == \"allocated\"" "pos's last $pos_left units are really there"
fi
echo "flash sale: $ORDERS orders, $acked_before acknowledged before the crash; pos sold $pos_sold, saw $pos_left left"
stop_server
finish
