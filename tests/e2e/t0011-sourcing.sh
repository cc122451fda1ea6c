#!/usr/bin/env bash
# Sourcing over HTTP (issue 4): the region distance table (PUT/GET /v1/regions), orders whose
# every allocation says why its location was chosen (source_reason: fewest shipments, then
# nearest region, then priority, then code), click-and-collect at one location (orders and
# availability; also at a store the channel does not ship from), bad input refused with the
# field named and nothing changed, and reasons and distances kept across a restart. The
# answers conform to docs/openapi.json.
source "$(dirname "$0")/lib.sh"

# order ID BODY_REST: places an order on channel web and checks the answer's contract.
order() {
    call POST /v1/orders "{\"id\":\"$1\",\"channel\":\"web\",$2}"
    expect_status 201 "order $1" && conforms post /v1/orders "order $1"
}

start_server "$WORK/sourcing.db"
call POST /v1/clock '{"at":"2027-03-01T08:00:00Z"}'; expect_status 200 clock
# Warehouses in Alabama, California and New York; a store in Florida. The best priority is
# the farthest from Florida, so distance, not priority, must pick.
call PUT /v1/locations/AL1 '{"region":"AL","priority":3}'
call PUT /v1/locations/CA1 '{"region":"CA","priority":1}'
call PUT /v1/locations/NY1 '{"region":"NY","priority":2}'
call PUT /v1/locations/FLSTORE '{"region":"FL","kind":"store","priority":9}'
call PUT /v1/locations/TX1 '{"region":"TX","priority":1}'
call PUT /v1/channels/web '{"locations":["AL1","CA1","NY1","FLSTORE"],"allow_backorder":true}'
call PUT /v1/items/A '{"policy":"backorder","lead_time_days":5,"allow_split":true}'
for loc in AL1 CA1 NY1; do
    call POST /v1/stock/adjustments "{\"sku\":\"A\",\"location\":\"$loc\",\"delta\":10}"
done
call POST /v1/stock/adjustments '{"sku":"A","location":"FLSTORE","delta":2}'

# Without distances: no location is in Florida but the store, which holds too few: priority.
order O0 '"region":"FL","lines":[{"sku":"A","qty":3}]'
expect '.lines[0].allocated == [{"location":"CA1","qty":3,"ship_date":"2027-03-01","source_reason":"priority"}]' "no table: priority"

# The table: each region names the ones already in it; distances are symmetric.
call PUT /v1/regions/FL '{"name":"Florida"}'; expect_status 201 "region FL"
conforms put /v1/regions/{code} "region FL"; expect '.code == "FL" and .name == "Florida" and .distances == {}' "FL"
call PUT /v1/regions/AL '{"distances":{"FL":700}}'; expect_status 201 "region AL"
expect '.name == "AL" and .distances == {"FL":700}' "AL defaults its name"
call PUT /v1/regions/NY '{"distances":{"FL":1800,"AL":1500,"NY":0}}'; expect_status 201 "region NY"
call PUT /v1/regions/CA '{"distances":{"FL":4000}}'; expect_status 201 "region CA"
call GET /v1/regions/FL; expect_status 200 "get FL"; conforms get /v1/regions/{code} "get FL"
expect '.distances == {"AL":700,"NY":1800,"CA":4000}' "symmetric: FL sees every pair named from the other side"
call GET /v1/regions; expect_status 200 "list"; conforms get /v1/regions "list"
expect '[.regions[].code] == ["AL","CA","FL","NY"]' "listed by code"

# Nearest beats priority; fewest shipments beat nearest; a split names itself.
order O1 '"region":"FL","lines":[{"sku":"A","qty":4}]'
expect '.lines[0].allocated == [{"location":"AL1","qty":4,"ship_date":"2027-03-01","source_reason":"nearest_region"}]' "nearest region"
order O2 '"region":"FL","lines":[{"sku":"A","qty":9}]'
expect '.lines[0].allocated | length == 1 and .[0].source_reason == "only_location"' "one location that fills the line"
expect '.lines[0].allocated[0].location != "AL1"' "AL1 (6 left) cannot fill 9"
call GET /v1/stock/A; expect '[.locations[] | {(.location): .available}] | add | .AL1 == 6' "AL1 kept its 6"
order O3 '"region":"FL","lines":[{"sku":"A","qty":12}]'
expect '.lines[0].allocated | length == 2 and all(.source_reason == "split")' "a split over two"
expect '.lines[0].status == "allocated"' "split fills the line"

# A pair nobody configured is farther than any known one: TX is not in the table. (The Florida
# store, at distance 0, holds 2: too few for 3 units.)
call PUT /v1/channels/web '{"locations":["AL1","CA1","NY1","FLSTORE","TX1"]}'
call POST /v1/stock/adjustments '{"sku":"A","location":"TX1","delta":50}'
call POST /v1/stock/adjustments '{"sku":"A","location":"AL1","delta":10}'
order O4 '"region":"FL","lines":[{"sku":"A","qty":3}]'
expect '.lines[0].allocated[0].location == "AL1" and .lines[0].allocated[0].source_reason == "nearest_region"' "TX (unknown pair, priority 1) loses to AL"

# The channel stops shipping from stores: the Florida store (distance 0, 2 units) no longer
# serves a shipped order of 1, but customers may still collect there.
call PUT /v1/channels/web '{"exclude_stores":true}'; expect_status 200 "exclude stores"
order O4b '"region":"FL","lines":[{"sku":"A","qty":1}]'
expect '.lines[0].allocated[0].location == "AL1"' "an excluded store does not ship"

# Click-and-collect at the store: only its 2 units, the rest waits on the lead time there.
order C1 '"region":"FL","collect":"FLSTORE","lines":[{"sku":"A","qty":3}]'
expect '.collect == "FLSTORE"' "collect kept on the order"
expect '.lines[0].allocated == [{"location":"FLSTORE","qty":2,"ship_date":"2027-03-01","source_reason":"collect"}]' "collect allocates at the store"
expect '.lines[0].backordered | length == 1 and .[0].qty == 1 and .[0].source == "lead_time"' "the rest waits"
call GET '/v1/availability?channel=web&sku=A&collect=FLSTORE'; expect_status 200 "collect availability"
conforms get /v1/availability "collect availability"
expect '.collect == "FLSTORE" and .items[0].available == 0 and .items[0].status == "backorder" and (.items[0].locations | map(.location)) == ["FLSTORE"]' "the store alone"
call GET '/v1/availability?channel=web&sku=A'; expect '.items[0].available > 0' "shipped availability still counts the warehouses"

# Bad input: 4xx naming the field, nothing changed.
call GET /v1/regions; before=$(jq -c . "$WORK/body")
call PUT /v1/regions/FL '{"distances":[700]}'; expect_error 422 invalid_field distances "distances not an object"
call PUT /v1/regions/FL '{"distances":{"AL":-1}}'; expect_error 422 invalid_field distances.AL "negative distance"
call PUT /v1/regions/FL '{"distances":{"AL":1.5}}'; expect_error 422 invalid_field distances.AL "fractional distance"
call PUT /v1/regions/FL '{"distances":{"AL":"far"}}'; expect_error 422 invalid_field distances.AL "text distance"
call PUT /v1/regions/FL '{"distances":{"AL":1000001}}'; expect_error 422 invalid_field distances.AL "too far"
call PUT /v1/regions/FL '{"distances":{"AL":5,"GA":10}}'; expect_error 422 invalid_field distances.GA "unknown other region"
call PUT /v1/regions/FL '{"distances":{"FL":3}}'; expect_error 422 invalid_field distances.FL "distance to itself"
call PUT /v1/regions/FL '{"name":7}'; expect_error 422 invalid_field name "name not text"
call PUT /v1/regions/FL '[1]'; expect_error 400 invalid_json null "body not an object"
call GET /v1/regions; [ "$(jq -c . "$WORK/body")" = "$before" ] || fail "a refused PUT changed the table"
call GET /v1/regions/GA; expect_error 404 not_found null "unknown region"
call POST /v1/orders '{"id":"BAD1","channel":"web","collect":"NOPE","lines":[{"sku":"A","qty":1}]}'
expect_error 422 invalid_field collect "collect at an unknown location"
call POST /v1/orders '{"id":"BAD2","channel":"web","collect":7,"lines":[{"sku":"A","qty":1}]}'
expect_error 422 invalid_field collect "collect not a code"
call PUT /v1/locations/XSTORE '{"region":"FL","kind":"store"}'
call POST /v1/orders '{"id":"BAD3","channel":"web","collect":"XSTORE","lines":[{"sku":"A","qty":1}]}'
expect_error 422 invalid_field collect "collect at a location the channel does not have"
call GET /v1/orders/BAD3; expect_status 404 "a refused order does not exist"
call GET '/v1/availability?channel=web&sku=A&collect=XSTORE'; expect_error 422 invalid_field collect "collect availability elsewhere"

# Forgetting a pair: null. AL-FL gone, AL is as far as TX now; for 5 units (only AL1 and TX1
# hold that many) priority decides (TX1 1, AL1 3).
call PUT /v1/regions/AL '{"distances":{"FL":null}}'; expect_status 200 "forget AL-FL"
expect '.distances == {"NY":1500}' "only the pair named is forgotten"

# Everything survives a restart: the table, the reasons, the collect location.
stop_server
start_server "$WORK/sourcing.db"
call GET /v1/regions/FL; expect '.name == "Florida" and .distances == {"NY":1800,"CA":4000}' "table after restart"
call GET /v1/orders/O1; expect '.lines[0].allocated[0].source_reason == "nearest_region"' "reason after restart"
call GET /v1/orders/C1; expect '.collect == "FLSTORE" and .lines[0].allocated[0].source_reason == "collect"' "collect after restart"
conforms get /v1/orders/{id} "order after restart"
order O5 '"region":"FL","lines":[{"sku":"A","qty":5}]'
expect '.lines[0].allocated[0].location == "TX1" and .lines[0].allocated[0].source_reason == "priority"' "the forgotten pair counts as far after restart"
finish
