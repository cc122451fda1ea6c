#!/usr/bin/env bash
# Holds over HTTP: a hold lowers availability on every channel that sees its location (B04); a
# second cart learns the most it can have; holds expire on the engine clock (POST /v1/clock)
# exactly once, also across a restart, and with no traffic at all (the server's timer), after
# which the freed units can start a back-in-stock wave; DELETE releases once; an order naming
# its hold consumes it, and its retry does not (B53); answers conform to docs/openapi.json.
source "$(dirname "$0")/lib.sh"

# instant SECONDS: RFC 3339 UTC of the test's start plus SECONDS.
BASE_S=$(date -u +%s)
instant() { date -u -d "@$((BASE_S + $1))" +%Y-%m-%dT%H:%M:%SZ; }

# count_events TYPE SUBJECT: how many events of the type and subject the feed holds.
count_events() {
    call GET '/v1/events?after=0&limit=1000'
    jq --arg t "$1" --arg s "$2" '[.events[] | select(.type == $t and .subject == $s)] | length' \
        "$WORK/body"
}

export OMS_HOLD_TIMER_MS=100
start_server "$WORK/holds.db"
# No "at" anywhere: the engine clock is the server's clock, as for live traffic.
call PUT /v1/locations/WH1 '{"region":"EU","priority":1,"handling_days":0}'
call PUT /v1/channels/web '{"locations":["WH1"],"allow_backorder":true,"priority":10}'
call PUT /v1/channels/market '{"locations":["WH1"],"allow_backorder":true,"priority":20}'
call PUT /v1/items/A '{"policy":"deny"}'; expect_status 201 "item A"
call POST /v1/stock/adjustments '{"sku":"A","location":"WH1","delta":10}'; expect_status 200 stock

# The timer: a hold of every unit expires a few seconds from now with no request at all. The
# subscription comes first (it waits for the next rise), so a slow machine cannot expire the
# hold before it exists.
call POST /v1/subscriptions '{"sku":"A","channel":"web","contact":"ann@example.com"}'
expect_status 201 "subscribe"
call POST /v1/holds "{\"id\":\"T1\",\"channel\":\"web\",\"lines\":[{\"sku\":\"A\",\"qty\":10}],\"expires_at\":\"$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%SZ)\"}"
expect_status 201 "hold everything"; conforms post /v1/holds "hold everything"
expect '.held == 10 and .lines[0].locations == [{"location":"WH1","qty":10}]' "all ten held at WH1"
# A hold without a region says so with null, as an order does, never an empty string.
expect '.region == null' "no region: null (POST)"
call GET /v1/holds/T1; expect '.region == null' "no region: null (GET)"
expired=""
for _ in $(seq 1 200); do
    call GET /v1/holds/T1
    if [ "$(body_of .status)" = expired ]; then expired=yes; break; fi
    sleep 0.1
done
[ -n "$expired" ] || fail "the timer did not expire T1: $(cat "$WORK/body")"
call GET /v1/stock/A; expect '.locations[0].reserved == 0 and .locations[0].available == 10' "units back"
[ "$(count_events hold.expired T1)" = 1 ] || fail "T1 expired once"
call GET '/v1/events?after=0&limit=1000'
expect '[.events[] | select(.type == "item.back_in_stock")] | length == 1' "freed units start a back-in-stock wave"
expect '[.events[] | select(.type == "stock.changed" and .data.reserved == 0)] | length >= 1' "stock.changed with reserved 0"

# B04: X holds 5 of 10; both channels show 5; Y asking 6 learns the most it can have.
call POST /v1/holds "{\"id\":\"X\",\"channel\":\"web\",\"lines\":[{\"sku\":\"A\",\"qty\":5}],\"expires_at\":\"$(instant 3600)\"}"
expect_status 201 "hold X"
call GET '/v1/availability?channel=web&sku=A'; expect '.items[0].available == 5' "web shows 5"
call GET '/v1/availability?channel=market&sku=A'; expect '.items[0].available == 5' "market shows 5"
call GET /v1/stock/A; expect '.locations[0].reserved == 5 and .locations[0].free == 5' "reserved 5"
call POST /v1/holds "{\"id\":\"Y\",\"channel\":\"web\",\"partial\":false,\"lines\":[{\"sku\":\"A\",\"qty\":6}],\"expires_at\":\"$(instant 3600)\"}"
expect_status 201 "Y all or nothing"
expect '.held == 0 and .status == "unfilled" and .lines[0].reason == "ship_complete_unavailable"' "Y holds nothing: unfilled"
call GET '/v1/availability?channel=web&sku=A&qty=6'; expect '.items[0].status == "out_of_stock" and .items[0].available == 5' "max orderable 5"
call POST /v1/holds "{\"id\":\"Y2\",\"channel\":\"web\",\"lines\":[{\"sku\":\"A\",\"qty\":6}],\"expires_at\":\"$(instant 3600)\"}"
expect '.held == 5 and .lines[0].qty == 6 and .lines[0].reason == "out_of_stock"' "a partial hold holds what there is"
# The same id and an equal body (other key order) is a retry; another body a conflict.
first=$(cat "$WORK/body")
call POST /v1/holds "{\"expires_at\":\"$(instant 3600)\",\"lines\":[{\"qty\":6,\"sku\":\"A\"}],\"channel\":\"web\",\"id\":\"Y2\"}"
expect_status 200 "hold retry"; [ "$(cat "$WORK/body")" = "$first" ] || fail "a hold retry returns the first answer"
call DELETE /v1/holds/Y2; expect_status 200 "release Y2"; expect '.released_now == true' "Y2 released"
call DELETE /v1/holds/Y2; expect_status 200 "release Y2 again"
expect '.released_now == false and .status == "released" and (.note | length) > 0' "nothing changes"
[ "$(count_events hold.released Y2)" = 1 ] || fail "Y2 released once"

# The engine clock: 30 minutes on X is still held; 61 minutes on it has expired, once.
call POST /v1/clock "{\"at\":\"$(instant 1800)\"}"; expect_status 200 "clock +30m"
call GET /v1/holds/X; expect '.status == "active" and .held == 5' "X still held"
call POST /v1/clock "{\"at\":\"$(instant 3660)\"}"; expect_status 200 "clock +61m"
call GET /v1/holds/X; expect_status 200 "get X"; conforms get /v1/holds/{id} "get X"
expect '.status == "expired" and (.ended_at | type) == "string"' "X expired"
call POST /v1/clock "{\"at\":\"$(instant 3700)\"}"
call DELETE /v1/holds/X; expect '.released_now == false and .status == "expired"' "DELETE after expiry"
[ "$(count_events hold.expired X)" = 1 ] || fail "X expired once"
call GET '/v1/availability?channel=web&sku=A'; expect '.items[0].available == 10' "all ten back"

# A restart between a hold and its expiry.
call POST /v1/holds "{\"id\":\"R\",\"channel\":\"market\",\"lines\":[{\"sku\":\"A\",\"qty\":2}],\"expires_at\":\"$(instant 7200)\"}"
expect_status 201 "hold R"
stop_server
start_server "$WORK/holds.db"
call GET /v1/holds/R; expect '.status == "active" and .held == 2' "R survives a restart"
call GET /v1/stock/A; expect '.locations[0].reserved == 2' "reserved after restart"
call POST /v1/clock "{\"at\":\"$(instant 7300)\"}"
call GET /v1/holds/R; expect '.status == "expired"' "R expired after the restart"
call GET /v1/stock/A; expect '.locations[0].reserved == 0' "nothing reserved"

# B53: the order naming its hold, sent twice: one commitment.
call POST /v1/holds "{\"id\":\"C1\",\"channel\":\"web\",\"lines\":[{\"sku\":\"A\",\"qty\":2}],\"expires_at\":\"$(instant 9000)\"}"
call POST /v1/orders '{"id":"O1","channel":"web","hold":"C1","lines":[{"sku":"A","qty":2}]}'
expect_status 201 "order with its hold"; conforms post /v1/orders "order with its hold"
expect '.hold == {"id":"C1","applied":true,"units":2,"reason":null} and .lines[0].allocated[0].qty == 2' "hold applied"
first=$(cat "$WORK/body")
call POST /v1/orders '{"id":"O1","channel":"web","hold":"C1","lines":[{"sku":"A","qty":2}]}'
expect_status 200 "paid again"; [ "$(cat "$WORK/body")" = "$first" ] || fail "the retry answers the first answer"
call GET /v1/stock/A; expect '.locations[0].on_hand == 10 and .locations[0].allocated == 2 and .locations[0].reserved == 0' "committed once"
call GET /v1/holds/C1; expect '.status == "consumed" and .order == "O1" and .lines[0].consumed == 2' "hold consumed"
# `held` is what the hold held when it ended, whether its order took the units or not (it
# once said 0 here, and 2 for a hold whose order took none).
expect '.held == 2 and .lines[0].held == 2' "a consumed hold says what it held"
[ "$(count_events hold.consumed C1)" = 1 ] || fail "C1 consumed once"
# Another order naming the consumed hold is decided on free stock and says why.
call POST /v1/orders '{"id":"O2","channel":"web","hold":"C1","lines":[{"sku":"A","qty":1}]}'
expect_status 201 "order naming a consumed hold"
expect '.hold.applied == false and .hold.reason == "hold_consumed" and .lines[0].allocated[0].qty == 1' "placed without it"

stop_server
finish
