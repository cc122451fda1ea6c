#!/usr/bin/env bash
# Channel rules over HTTP (issue 4, "Channels"): buffers in units and percent (rounded down),
# store exclusion (B33), a floor another channel cannot eat into, a cap per day with its
# counter, cancellations giving units back and the next day starting afresh, rule changes
# taking effect at once with their status events, bad input refused naming the field with
# nothing changed, and the rules surviving a restart.
source "$(dirname "$0")/lib.sh"

avail() { # avail CHANNEL SKU: sets the body to the availability of one SKU.
    call GET "/v1/availability?channel=$1&sku=$2"
    expect_status 200 "availability of $2 on $1"
    # Decision 36: a connector summing the locations never gets more than the channel may sell.
    expect '[.items[] | select(.locations) | ([.locations[].available] | add // 0) == .available] | all' \
        "$2 on $1: the locations add up to available" || true
}

start_server "$WORK/channels.db"
call POST /v1/clock '{"at":"2030-01-01T09:00:00Z"}'; expect_status 200 clock
call PUT /v1/locations/WH1 '{"kind":"warehouse","region":"UK","priority":1,"timezone":"Europe/London"}'
call PUT /v1/locations/SHOP '{"kind":"store","region":"UK","priority":2,"timezone":"Europe/London"}'
call PUT /v1/items/A '{"policy":"deny"}'
call PUT /v1/items/B '{"policy":"backorder","lead_time_days":5}'
call POST /v1/stock/adjustments '{"sku":"A","location":"WH1","delta":25}'
call POST /v1/stock/adjustments '{"sku":"A","location":"SHOP","set":3}'
call POST /v1/stock/adjustments '{"sku":"B","location":"WH1","delta":10}'

# B33: the web shop sees the store but does not ship from it; the store's stock does not
# count for it and the store is not listed.
call PUT /v1/channels/web '{"locations":["WH1","SHOP"],"exclude_stores":true,"priority":1}'
expect_status 201 "web channel"; conforms put /v1/channels/{code} "web channel"
expect '.exclude_stores == true and .buffer_percent == 0' "web excludes stores"
avail web A
expect '.items[0].available == 25 and ([.items[0].locations[].location] == ["WH1"])' \
    "store stock excluded from web (B33)"
call PUT /v1/channels/pos '{"locations":["WH1","SHOP"],"priority":5}'
avail pos A; expect '.items[0].available == 28' "the point of sale counts the store"

# Buffer in percent of the channel's availability, rounded down: 10% of 25 = 2.5 -> 2.
call PUT /v1/channels/mkt '{"locations":["WH1"],"buffer_percent":10,"priority":3}'
expect_status 201 "mkt channel"; expect '.buffer_percent == 10' "mkt percent"
avail mkt A; expect '.items[0].available == 23' "10% of 25 held back, rounded down"
call GET /v1/channels/mkt/items/A; expect_status 200 "mkt rules of A"
conforms get /v1/channels/{code}/items/{sku} "mkt rules of A"
expect '.rules.buffer == null and .effective.buffer_percent == 10 and .effective.buffer_from == "channel"' \
    "channel default in effect"
expect '.availability.stock == 25 and .availability.buffer == 2 and .availability.available == 23' \
    "breakdown of the availability"
# An item rule replaces the channel's buffer: 3 units and 20% (of 25 = 5): the larger holds.
call PUT /v1/channels/mkt/items/A '{"buffer":3,"buffer_percent":20}'
expect_status 200 "item buffer"; conforms put /v1/channels/{code}/items/{sku} "item buffer"
expect '.effective.buffer_from == "item" and .availability.buffer == 5 and .availability.available == 20' \
    "item buffer replaces the channel's"
call PUT /v1/channels/mkt/items/A '{"buffer_percent":null}'
expect '.rules.buffer == 3 and .rules.buffer_percent == null and .availability.available == 22' \
    "null removes one field, the other keeps its value"

# A floor for web: 10 units at WH1 that mkt may not take.
call GET '/v1/events?after=0&limit=1000'; SEQ=$(body_of '.next')
call PUT /v1/channels/web/items/A '{"floor":10}'
expect_status 200 "web floor"; expect '.rules.floor == 10 and .availability.available == 25' \
    "the protected channel sees all of it"
avail mkt A; expect '.items[0].available == 12' "mkt: 25 - 3 buffer - 10 protected for web"
expect '.items[0].locations == [{"location":"WH1","available":12}]' \
    "mkt's location shows what mkt may sell there, not WH1's 25" || true
call GET /v1/channels/mkt/feed
expect '[.items[] | select(.sku == "A") | .available, .locations[0].available] == [12, 12]' \
    "the feed shares the answer" || true
call GET /v1/items/A
expect '[.channels[] | select(.channel == "mkt") | .available] == [12]' \
    "the item's per-channel statuses use the same rules"
expect '[.channels[] | select(.channel == "web") | .available] == [25]' "web's status too"
call GET /v1/channels/mkt/items/A
expect '.availability.held_for_other_channels == 10' "held for other channels shown"
call POST /v1/orders '{"id":"m1","channel":"mkt","lines":[{"sku":"A","qty":20}]}'
expect_status 201 "mkt order beyond its share"
expect '.lines[0].allocated[0].qty == 12 and .lines[0].rejected.qty == 8 and .lines[0].rejected.reason == "out_of_stock"' \
    "mkt allocates its share only"
avail web A; expect '.items[0].available == 13' "web keeps at least its floor"
call POST /v1/orders '{"id":"w1","channel":"web","lines":[{"sku":"A","qty":13}]}'
expect '.lines[0].status == "allocated"' "web sells what it protected"
avail mkt A; expect '.items[0].available == 0 and .items[0].status == "out_of_stock"' "mkt out"

# Rule changes take effect at once: stock comes in, the floor keeps WH1's units for web; the
# floor removed, mkt gets its share back and hears of it (item.status_changed).
call POST /v1/stock/adjustments '{"sku":"A","location":"WH1","delta":4}'
avail pos A; expect '.items[0].available == 3' "the floor keeps WH1's 4 for web; pos sells the store's 3"
expect '.items[0].locations == [{"location":"WH1","available":0},{"location":"SHOP","available":3}]' \
    "pos: WH1's 4 are web's floor, so WH1 shows 0 for pos" || true
avail mkt A; expect '.items[0].available == 0' "mkt: 4 - 3 buffer - 4 held for web"
call GET "/v1/events?after=0&limit=1000"; SEQ=$(body_of '.next')
call PUT /v1/channels/web/items/A '{"floor":null}'
expect '.rules.floor == null' "floor removed"
avail mkt A; expect '.items[0].available == 1' "mkt: 4 - 3 buffer"
avail pos A; expect '.items[0].available == 7' "pos: 4 + 3"
call GET "/v1/events?after=$SEQ&limit=1000"
expect '[.events[] | select(.type == "item.status_changed" and .data.channel == "mkt" and .data.new_status == "in_stock")] | length == 1' \
    "removing the floor gives mkt stock back, with its event"
expect '[.events[] | select(.type == "item.status_changed" and .data.channel == "pos")] | length == 0' \
    "pos stayed in stock: no event"

# A cap: mkt may accept 3 units of B a day (allocated or backordered).
call PUT /v1/channels/mkt/items/B '{"cap":{"qty":3,"period":"day"}}'
expect_status 200 "cap"
expect '.counters.sold == 0 and .counters.cap_left == 3 and .counters.period_start == "2030-01-01" and .counters.period_end == "2030-01-01"' \
    "cap counters"
avail mkt B; expect '.items[0].available == 3' "availability is at most the cap left"
call POST /v1/orders '{"id":"m2","channel":"mkt","lines":[{"sku":"B","qty":5}]}'
expect '.lines[0].allocated[0].qty == 3 and .lines[0].rejected.qty == 2 and .lines[0].rejected.reason == "channel_cap"' \
    "the excess is rejected: channel_cap"
conforms post /v1/orders "order with a channel_cap rejection"
avail mkt B; expect '.items[0].available == 0 and .items[0].status == "out_of_stock"' "cap spent"
avail web B; expect '.items[0].available == 7' "other channels are not capped"
call POST /v1/orders/m2/cancel '{"lines":[{"line":1,"qty":1}]}'
call GET /v1/channels/mkt/items/B
expect '.counters.sold == 2 and .counters.cap_left == 1' "a cancellation gives its units back"
call POST /v1/clock '{"at":"2030-01-02T09:00:00Z"}'
call GET /v1/channels/mkt/items/B
expect '.counters.sold == 0 and .counters.cap_left == 3 and .counters.period_start == "2030-01-02"' \
    "the next day starts afresh"
call POST /v1/orders/m2/cancel '{"lines":[{"line":1,"qty":1}]}'
call GET /v1/channels/mkt/items/B
expect '.counters.sold == 0' "cancelling yesterday's units frees nothing today"
call PUT /v1/channels/mkt/items/B '{"cap":{"qty":10,"period":"week"}}'
expect '.counters.sold == 1 and .counters.period_start == "2029-12-31" and .counters.period_end == "2030-01-06"' \
    "a weekly cap counts the ISO week's orders: 5 - 2 rejected - 2 cancelled"

# The items with a rule on a channel, a page at a time.
call GET '/v1/channels/mkt/items?limit=1'; expect_status 200 "list of mkt's rules"
conforms get /v1/channels/{code}/items "list of mkt's rules"
expect '([.items[].sku] == ["A"]) and (.next | type == "number")' "first page"
call GET "/v1/channels/mkt/items?limit=1&after=$(body_of '.next')"
expect '([.items[].sku] == ["B"]) and .next == null' "last page"
call GET '/v1/channels/web/items'; expect '.items == []' "web's floor was removed: no rule left"
call GET '/v1/channels/mkt/items?limit=0'; expect_error 422 invalid_field limit "limit 0"
call GET '/v1/channels/nope/items'; expect_status 404 "rules of an unknown channel"

# Bad input: 4xx naming the field, nothing changed.
call GET /v1/channels/mkt/items/A; before=$(jq -c '.rules' "$WORK/body")
call PUT /v1/channels/mkt/items/A '{"buffer_percent":101}'
expect_error 422 invalid_field buffer_percent "percent 101"
call PUT /v1/channels/mkt/items/A '{"floor":-1}'
expect_error 422 invalid_field floor "negative floor"
call PUT /v1/channels/mkt/items/A '{"cap":{"qty":5,"period":"year"}}'
expect_error 422 invalid_field cap.period "unknown period"
call PUT /v1/channels/mkt/items/A '{"cap":{"qty":2.5,"period":"day"}}'
expect_error 422 invalid_field cap.qty "cap qty decimal"
call PUT /v1/channels/mkt/items/A '{"cap":{"period":"day"}}'
expect_error 422 missing_field cap.qty "cap without qty"
call PUT /v1/channels/mkt/items/A '{"cap":7}'
expect_error 422 invalid_field cap "cap not an object"
call PUT /v1/channels/mkt/items/A '{"buffer":"3"}'
expect_error 422 invalid_field buffer "buffer as text"
call PUT /v1/channels/mkt '{"buffer_percent":101}'
expect_error 422 invalid_field buffer_percent "channel percent 101"
call PUT /v1/channels/mkt '{"exclude_stores":"yes"}'
expect_error 422 invalid_field exclude_stores "exclude_stores not a boolean"
call PUT /v1/channels/nope/items/A '{"buffer":1}'
expect_status 404 "unknown channel"
call PUT /v1/channels/mkt/items/NOPE '{"buffer":1}'
expect_status 404 "unknown item"
call GET /v1/channels/mkt/items/NOPE; expect_status 404 "get of an unknown item"
call GET /v1/channels/mkt/items/A
[ "$(jq -c '.rules' "$WORK/body")" = "$before" ] || fail "bad input changed the rules"
call GET /v1/channels/mkt; expect '.buffer_percent == 10' "bad input changed the channel"

# Rules and counters survive a restart (counters are counted again from the orders); rules
# come in by CSV too, all rows or none.
stop_server
printf 'channel,sku,buffer,buffer_percent,cap_qty,cap_period,floor\nweb,A,,,,,4\nmkt,B,2,none,,,\npos,A,,,7,fortnight,\n' \
    >"$WORK/bad.csv"
if "$OMS_BIN" import --db "$WORK/channels.db" channel_rules "$WORK/bad.csv" >"$WORK/import.out" 2>&1; then
    fail "a CSV with a bad period was imported"
fi
grep -q "row 3, column cap_period" "$WORK/import.out" || fail "the bad row is named: $(cat "$WORK/import.out")"
printf 'channel,sku,buffer,buffer_percent,cap_qty,cap_period,floor\nweb,A,,,,,4\nmkt,B,2,none,,,\n' \
    >"$WORK/rules.csv"
"$OMS_BIN" import --db "$WORK/channels.db" channel_rules "$WORK/rules.csv" >"$WORK/import.out" 2>&1 ||
    fail "channel rules import: $(cat "$WORK/import.out")"
start_server "$WORK/channels.db"
call GET /v1/channels/web/items/A; expect '.rules.floor == 4' "floor imported"
call GET /v1/channels/mkt/items/B
expect '.rules.buffer == 2 and .rules.buffer_percent == null and .rules.cap.qty == 10' \
    "buffer imported, the cap kept (empty cells keep their value)"
call GET /v1/channels/mkt/items/B
expect '.rules.cap.qty == 10 and .rules.cap.period == "week" and .counters.sold == 1' \
    "rules and counters after a restart"
call GET /v1/channels/mkt/items/A; expect '.rules.buffer == 3' "item buffer after a restart"
call GET /v1/channels/web; expect '.exclude_stores == true' "exclude_stores after a restart"

# An empty cap cell keeps the stored half of the cap (README: an empty cell keeps the value):
# a new qty keeps the week; with no cap stored there is no period to keep, so that row is an
# error, as is a row wider than the header. All or nothing: the good row is not applied.
stop_server
printf 'channel,sku,buffer,buffer_percent,cap_qty,cap_period,floor\nmkt,B,,,5,,\nweb,A,,,5,,\nweb,A,,,,,4,extra\n' \
    >"$WORK/bad.csv"
if "$OMS_BIN" import --db "$WORK/channels.db" channel_rules "$WORK/bad.csv" >"$WORK/import.out" 2>&1; then
    fail "a cap without a period to keep, and a wide row, were imported"
fi
grep -q "row 2, column cap_period: missing value: 'A' has no cap on channel 'web' to keep the period of" \
    "$WORK/import.out" || fail "the cap without a period is not named: $(cat "$WORK/import.out")"
grep -q "row 3: line 4: 8 fields where the header has 7" "$WORK/import.out" ||
    fail "the wide row is not named: $(cat "$WORK/import.out")"
printf 'channel,sku,buffer,buffer_percent,cap_qty,cap_period,floor\nmkt,B,,,5,,\n' >"$WORK/rules.csv"
"$OMS_BIN" import --db "$WORK/channels.db" channel_rules "$WORK/rules.csv" >"$WORK/import.out" 2>&1 ||
    fail "a new cap qty alone: $(cat "$WORK/import.out")"
printf 'channel,sku,buffer,buffer_percent,cap_qty,cap_period,floor\nmkt,B,,,,day,\n' >"$WORK/rules.csv"
"$OMS_BIN" import --db "$WORK/channels.db" channel_rules "$WORK/rules.csv" >"$WORK/import.out" 2>&1 ||
    fail "a new cap period alone: $(cat "$WORK/import.out")"
start_server "$WORK/channels.db"
call GET /v1/channels/mkt/items/B
expect '.rules.cap.qty == 5 and .rules.cap.period == "day" and .rules.buffer == 2' \
    "cap qty then period imported alone, each keeping the other half"
call GET /v1/channels/web/items/A; expect '.rules.cap == null and .rules.floor == 4' "web A unchanged"

finish
