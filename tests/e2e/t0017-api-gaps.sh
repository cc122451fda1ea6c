#!/usr/bin/env bash
# What API.md promises and the server once refused: every mutating route takes an optional
# body carrying "at", routes without other fields included, with the rules "at" has everywhere
# (decisions.md 52); a shipment may leave out its location and ships from where each line's
# units are allocated, a cancelled shipment without one comes back where the units left, and is
# told the candidates when they left from several (54); GET /v1/items/{sku}/queue lists an
# item's waiting lines in queue order with their pegs and promises (55); GET /v1/items and
# GET /v1/orders list the collections by cursor (56). Answers are checked against
# docs/openapi.json.
source "$(dirname "$0")/lib.sh"

clock() {
    call GET /metrics
    grep '^oms_engine_clock_seconds' "$WORK/body" | awk '{print $2}'
}

start_server "$WORK/gaps.db"
# History first (a replay: every write carries its "at", in the past, and moves the clock),
# then the clock goes to 2030 for the rest.
T='2020-01-01T08:00:00Z'
call POST /v1/clock "{\"at\":\"$T\"}"; expect_status 200 clock
call PUT /v1/locations/UK1 "{\"region\":\"UK\",\"priority\":1,\"at\":\"$T\"}"; expect_status 201 UK1
call PUT /v1/locations/UK2 "{\"region\":\"UK\",\"priority\":2,\"at\":\"$T\"}"; expect_status 201 UK2
call PUT /v1/channels/web "{\"locations\":[\"UK1\",\"UK2\"],\"priority\":10,\"at\":\"$T\"}"
expect_status 201 web
call PUT /v1/channels/solo "{\"locations\":[\"UK1\"],\"priority\":10,\"at\":\"$T\"}"; expect_status 201 solo
call PUT /v1/channels/mkt "{\"locations\":[\"UK1\"],\"priority\":5,\"at\":\"$T\"}"; expect_status 201 mkt
call PUT /v1/items/A "{\"policy\":\"backorder\",\"lead_time_days\":10,\"allow_split\":true,\"at\":\"$T\"}"
expect_status 201 "item A"
call PUT /v1/items/B "{\"policy\":\"backorder\",\"lead_time_days\":10,\"at\":\"$T\"}"; expect_status 201 "item B"
call POST /v1/stock/adjustments "{\"sku\":\"B\",\"location\":\"UK1\",\"delta\":4,\"at\":\"$T\"}"
expect_status 200 "B at UK1"
[ "$(clock)" = "$(date -u -d "$T" +%s)" ] || fail "the history's writes moved the clock elsewhere"

# --- 52: "at" on every mutating route ----------------------------------------------------------
call POST /v1/holds '{"id":"h1","channel":"web","lines":[{"sku":"B","qty":1}],"expires_at":"2020-01-01T12:00:00Z","at":"2020-01-01T09:00:00Z"}'
expect_status 201 h1
call DELETE /v1/holds/h1 '{"at":"2020-01-01T10:00:00Z"}'
expect_status 200 "a hold released with at"; conforms delete /v1/holds/{id} "release with at"
expect '.status == "released" and .released_now == true and .ended_at == "2020-01-01T10:00:00Z"' \
    "the release is dated at"
[ "$(clock)" = "$(date -u -d 2020-01-01T10:00:00Z +%s)" ] || fail "the release did not move the clock to at"
call DELETE /v1/holds/h1 '{"at":"2020-01-01T10:00:00Z","reason":"x"}'
expect_error 422 unknown_field reason "another field than at"
expect '.error.message | contains("takes at")' "the message says what the route takes"
call DELETE /v1/holds/h1 '{"at":"soon"}'
expect_error 422 invalid_field at "at that is no instant"
call DELETE /v1/holds/h1 '{"at":"2099-01-01T00:00:00Z"}'
expect_error 422 invalid_field at "at in the future"
STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X DELETE "$BASE/v1/holds/h1" \
    -H 'Content-Type: text/plain' --data-binary '{"at":"2020-01-01T10:00:00Z"}')
expect_error 415 unsupported_media_type null "a text/plain body"

call POST /v1/items/A/repeg '{"at":"2020-01-01T10:30:00Z"}'
expect_status 200 "a re-peg with at"; conforms post /v1/items/{sku}/repeg "re-peg with at"
[ "$(clock)" = "$(date -u -d 2020-01-01T10:30:00Z +%s)" ] || fail "the re-peg did not move the clock"
call POST /v1/items/A/repeg '{"dry_run":true}'
expect_error 422 unknown_field dry_run "dry_run in the body is still refused"
call POST /v1/webhooks '{"url":"http://127.0.0.1:1/h","secret":"s3cret-s3cret","types":["*"],"at":"2020-01-01T10:30:00Z"}'
expect_status 201 webhook; hook=$(body_of .id)
call POST "/v1/webhooks/$hook/deliveries/1/redeliver" '{"at":"2020-01-01T11:00:00Z"}'
[ "$STATUS" = 404 ] || [ "$STATUS" = 409 ] || fail "redeliver with at: status $STATUS $(cat "$WORK/body")"
conforms post /v1/webhooks/{id}/deliveries/{seq}/redeliver "redeliver with at"
call POST "/v1/webhooks/$hook/deliveries/1/redeliver" '{"note":1}'
expect_error 422 unknown_field note "redeliver with another field"
call DELETE "/v1/webhooks/$hook" '{"at":"2020-01-01T11:00:00Z"}'
expect_status 204 "a webhook deleted with at"
[ "$(clock)" = "$(date -u -d 2020-01-01T11:00:00Z +%s)" ] || fail "the delete did not move the clock"
call DELETE "/v1/webhooks/$hook" '{"at":"2020-01-01T11:00:00Z","x":1}'
expect_error 422 unknown_field x "a webhook delete with another field"

# Writes without "at" (now: the clock jumps to the wall clock, then on to 2030 below).
call DELETE /v1/holds/h1 '{}'; expect_status 200 "an empty body"; expect '.released_now == false' "once"
# A body-less write with an Idempotency-Key is answered from its first answer; another "at"
# under the same key is another request.
call POST /v1/items/A/repeg '' -H 'Idempotency-Key: rp-1'; expect_status 200 "keyed re-peg"
call POST /v1/items/A/repeg '' -H 'Idempotency-Key: rp-1'; expect_status 200 "keyed re-peg again"
call POST /v1/items/A/repeg '{}' -H 'Idempotency-Key: rp-1'; expect_status 200 "{} is no body"
call POST /v1/items/A/repeg '{"at":"2020-01-01T10:30:00Z"}' -H 'Idempotency-Key: rp-1'
expect_error 409 idempotency_conflict null "the same key with an at"
call POST /v1/items/A/repeg '{"at":"2020-01-01T10:30:00Z"}' -H 'Idempotency-Key: rp-2'
expect_status 200 "keyed re-peg with at"
call POST /v1/items/A/repeg '{"at":"2020-01-01T10:30:00Z"}' -H 'Idempotency-Key: rp-2'
expect_status 200 "its retry"
call POST /v1/orders '{"id":"c1","channel":"web","lines":[{"sku":"B","qty":1}],"at":"2020-01-01T10:30:00Z"}'
expect_status 201 c1
call POST /v1/orders/c1/cancel '' -H 'Idempotency-Key: cx-1'; expect_status 200 "keyed cancel"
call POST /v1/orders/c1/cancel '' -H 'Idempotency-Key: cx-1'; expect_status 200 "keyed cancel again"

# Every mutating route of docs/openapi.json documents a body that takes at.
without_at=$(jq -r '. as $root | .paths | to_entries[] | .key as $p | .value | to_entries[]
    | select(.key == "post" or .key == "put" or .key == "patch" or .key == "delete")
    | (.value.requestBody.content["application/json"].schema // null) as $s
    | (if $s == null then null elif $s | has("$ref")
       then $root.components.schemas[$s["$ref"] | sub("#/components/schemas/"; "")] else $s end) as $body
    | select($body == null or ($body.properties.at == null))
    | "\(.key) \($p)"' "$API")
[ -z "$without_at" ] || fail "mutating routes whose documented body takes no at: $without_at"

call POST /v1/clock '{"at":"2030-01-01T09:00:00Z"}'; expect_status 200 "clock to 2030"
call POST /v1/stock/adjustments '{"sku":"A","location":"UK1","delta":3}'; expect_status 200 "A at UK1"
call POST /v1/stock/adjustments '{"sku":"A","location":"UK2","delta":2}'; expect_status 200 "A at UK2"

# --- 54: shipments without a location -------------------------------------------------------
# o1: line 1 split over UK1 (3) and UK2 (2), line 2 at UK1 only.
call POST /v1/orders '{"id":"o1","channel":"web","lines":[{"sku":"A","qty":5},{"sku":"B","qty":2}]}'
expect_status 201 o1
expect '[.lines[0].allocated[] | "\(.location):\(.qty)"] | sort == ["UK1:3","UK2:2"]' "o1 line 1 split"
expect '[.lines[1].allocated[].location] == ["UK1"]' "o1 line 2 at UK1"
call POST /v1/orders/o1/shipments '{"lines":[{"line":2,"qty":1}]}'
expect_status 200 "a line allocated at one location"
conforms post /v1/orders/{id}/shipments "a shipment without location"
expect '.shipped_now == [{"line":2,"location":"UK1","qty":1}]' "it says where the units left"
expect '.lines[1].shipped == 1 and .lines[1].allocated == [.lines[1].allocated[0] | select(.location == "UK1" and .qty == 1)]' \
    "shipped from UK1"
call GET /v1/stock/B
expect '.locations[] | select(.location == "UK1") | .on_hand == 3 and .allocated == 1' "B left UK1"
# Both locations could ship 2: the one of smaller priority number (UK1) does.
call POST /v1/orders/o1/shipments '{"lines":[{"line":1,"qty":2}]}'; expect_status 200 "2 of line 1"
expect '.shipped_now == [{"line":1,"location":"UK1","qty":2}]' "from UK1, the preferred location"
# UK1 has 1 left, UK2 2: no one location holds 3, so both ship, UK1 first.
call POST /v1/orders/o1/shipments '{"lines":[{"line":1,"qty":3}]}'; expect_status 200 "3 of line 1"
expect '.shipped_now == [{"line":1,"location":"UK1","qty":1},{"line":1,"location":"UK2","qty":2}]' \
    "split over the line's allocations"
expect '.lines[0].shipped == 5 and .lines[0].allocated == [] and .lines[0].status == "shipped"' "line 1 shipped"
call GET /v1/stock/A
expect '[.locations[] | "\(.location):\(.on_hand):\(.allocated)"] | sort == ["UK1:0:0","UK2:0:0"]' \
    "A left both locations, each once"
call GET /v1/orders/o1/timeline
expect '[.events[] | select(.type == "line.shipped") | "\(.data.line):\(.data.location):\(.data.qty)"]
    == ["2:UK1:1","1:UK1:2","1:UK1:1","1:UK2:2"]' "one line.shipped per line and location"
# A location holding all the units asked wins over a preferred one holding part of them.
call POST /v1/stock/adjustments '{"sku":"A","location":"UK1","delta":1}'; expect_status 200 "A at UK1"
call POST /v1/stock/adjustments '{"sku":"A","location":"UK2","delta":2}'; expect_status 200 "A at UK2"
call POST /v1/orders '{"id":"o5","channel":"web","lines":[{"sku":"A","qty":3}]}'; expect_status 201 o5
expect '[.lines[0].allocated[] | "\(.location):\(.qty)"] | sort == ["UK1:1","UK2:2"]' "o5 split"
call POST /v1/orders/o5/shipments '{"lines":[{"line":1,"qty":2}]}'; expect_status 200 "2 of o5"
expect '.shipped_now == [{"line":1,"location":"UK2","qty":2}]' "one parcel from UK2"
# Refused shipments change nothing.
call POST /v1/orders '{"id":"o3","channel":"web","lines":[{"sku":"A","qty":2}]}'
expect_status 201 o3; expect '.lines[0].status == "backordered"' "o3 waits"
call GET /v1/stock/A; stock_a=$(cat "$WORK/body")
call POST /v1/orders/o5/shipments '{"lines":[{"line":1,"qty":1},{"line":1,"qty":1}]}'
expect_error 409 insufficient_allocation 'lines[1].qty' "more than the line has allocated in all"
expect '.error.message | contains("1 allocated to ship; not 2")' "the message gives the units"
call POST /v1/orders/o3/shipments '{"lines":[{"line":1,"qty":1}]}'
expect_error 409 insufficient_allocation 'lines[0].qty' "nothing allocated anywhere"
call POST /v1/orders/o3/shipments '{"lines":[{"line":9,"qty":1}]}'
expect_error 422 invalid_field 'lines[0].line' "no such line, without a location"
call POST /v1/orders/o3/shipments '{"location":"XX","lines":[{"line":1,"qty":1}]}'
expect_error 422 invalid_field location "a location that does not exist"
call GET /v1/stock/A
[ "$(cat "$WORK/body")" = "$stock_a" ] || fail "a refused shipment changed the stock"
call POST /v1/orders/o5/shipments '{"location":"UK1","lines":[{"line":1,"qty":1}]}'
expect_status 200 "a named location still ships"
expect '.shipped_now == [{"line":1,"location":"UK1","qty":1}]' "from the named location"
# The answer of a retry under its key is the first one.
call POST /v1/orders/o1/shipments '{"lines":[{"line":2,"qty":1}]}' -H 'Idempotency-Key: sh-1'
expect_status 200 "keyed shipment"; first=$(cat "$WORK/body")
call POST /v1/orders/o1/shipments '{"lines":[{"line":2,"qty":1}]}' -H 'Idempotency-Key: sh-1'
expect_status 200 "its retry"; [ "$(cat "$WORK/body")" = "$first" ] || fail "a retry answers anew"

# Cancelled shipments: the units come back where they left (the ledger knows), or the request
# must say where when they left from several locations.
call POST /v1/orders/o1/shipments/cancel '{"lines":[{"line":2,"qty":1}]}'
expect_status 200 "line 2 left from UK1 only"
conforms post /v1/orders/{id}/shipments/cancel "a cancelled shipment without location"
expect '.unshipped_now == [{"line":2,"location":"UK1","qty":1}]' "back at UK1"
expect '.lines[1].shipped == 1 and ([.lines[1].allocated[] | select(.location == "UK1") | .qty] | add) == 1' \
    "allocated again at UK1"
call GET /v1/stock/B
expect '.locations[] | select(.location == "UK1") | .on_hand == 3 and .allocated == 1' "B back on hand at UK1"
call GET /v1/stock/A; stock_a=$(cat "$WORK/body")
call POST /v1/orders/o1/shipments/cancel '{"lines":[{"line":1,"qty":1}]}'
expect_error 422 missing_field location "line 1 left from two locations"
expect '.error.message | contains("UK1 (3)") and contains("UK2 (2)")' "the message names them with units"
call GET /v1/stock/A
[ "$(cat "$WORK/body")" = "$stock_a" ] || fail "a refused cancelled shipment changed the stock"
call POST /v1/orders/o1/shipments/cancel '{"location":"UK2","lines":[{"line":1,"qty":2}]}'
expect_status 200 "named, it is taken back"
# Now only UK1's units of line 1 are out: no location is needed any more.
call POST /v1/orders/o1/shipments/cancel '{"lines":[{"line":1,"qty":1}]}'
expect_status 200 "what is left out came from UK1 only"
expect '.unshipped_now == [{"line":1,"location":"UK1","qty":1}]' "back at UK1"
call POST /v1/orders/o1/shipments/cancel '{"lines":[{"line":1,"qty":3}]}'
expect_error 409 insufficient_shipped 'lines[0].qty' "more than is out"
call POST /v1/orders/o3/shipments/cancel '{"lines":[{"line":1,"qty":1}]}'
expect_error 409 insufficient_shipped 'lines[0].qty' "nothing shipped"
call POST /v1/orders '{"id":"o4","channel":"solo","lines":[{"sku":"B","qty":1}]}'
expect_status 201 o4
call POST /v1/orders/o4/shipments '{"lines":[{"line":1,"qty":1}]}'
expect_status 200 "o4 shipped"; expect '.lines[0].shipped == 1' "o4 line shipped"
call POST /v1/orders/o4/shipments/cancel '{"lines":[{"line":1,"qty":1}]}'
expect_status 200 "a cancelled shipment of a one-location channel"
expect '.lines[0].shipped == 0 and .lines[0].allocated[0].location == "UK1"' "back at UK1"

# --- 55: an item's backorder queue --------------------------------------------------------
call PUT /v1/items/Q '{"policy":"backorder","lead_time_days":10}'; expect_status 201 "item Q"
call POST /v1/stock/adjustments '{"sku":"Q","location":"UK1","delta":1}'; expect_status 200 "Q at UK1"
call POST /v1/supply '{"id":"PO-Q1","sku":"Q","location":"UK1","qty":2,"expected_date":"2030-01-10"}'
expect_status 201 "PO-Q1"
call POST /v1/orders '{"id":"q0","channel":"web","lines":[{"sku":"Q","qty":1}],"at":"2029-12-31T09:00:00Z"}'
expect_status 201 q0; expect '.lines[0].status == "allocated"' "q0 takes the unit on hand"
call POST /v1/orders '{"id":"q1","channel":"web","lines":[{"sku":"Q","qty":2}],"at":"2029-12-31T10:00:00Z"}'
expect_status 201 q1
call POST /v1/orders '{"id":"q2","channel":"mkt","lines":[{"sku":"Q","qty":1}],"at":"2029-12-31T11:00:00Z"}'
expect_status 201 q2
call POST /v1/orders '{"id":"q3","channel":"web","lines":[{"sku":"Q","qty":1}],"at":"2029-12-31T12:00:00Z"}'
expect_status 201 q3
call GET /v1/items/Q/queue; expect_status 200 "the queue"; conforms get /v1/items/{sku}/queue "the queue"
expect '[.lines[] | "\(.position):\(.order):\(.channel)"] == ["1:q2:mkt","2:q1:web","3:q3:web"]' \
    "waiting lines by channel priority, then order time; q0 (allocated) is not waiting"
expect '.sku == "Q" and .waiting == 3 and .backordered == 4 and .next == null' "the totals"
expect '.lines[0].channel_priority == 5 and .lines[0].at == "2029-12-31T11:00:00Z"' "the keys of the order"
expect '.lines[0].backordered == [{"qty":1,"supply":"PO-Q1","source":"supply","promise_date":"2030-01-10"}]' \
    "the higher priority line is pegged to the purchase order"
expect '.lines[2].backordered[0].supply == null and .lines[2].backordered[0].source == "lead_time"' \
    "the last one waits on lead time"
expect '[.lines[] | (.backordered | map(.qty) | add)] == [1,2,1]' "units per line"
queue=$(cat "$WORK/body")
call GET /v1/orders/q1
[ "$(jq -c '.lines[0] | [.backordered, .promise_date, .status]' "$WORK/body")" = \
  "$(jq -c '.lines[1] | [.backordered, .promise_date, .status]' <<<"$queue")" ] ||
    fail "the queue and the order disagree about q1"
call GET '/v1/items/Q/queue?limit=2'; expect_status 200 "a first page"
expect '[.lines[].order] == ["q2","q1"] and .next == 2 and .waiting == 3' "two lines, then next"
call GET '/v1/items/Q/queue?after=2&limit=2'; expect_status 200 "the next page"
expect '[.lines[] | "\(.position):\(.order)"] == ["3:q3"] and .next == null' "the last line"
call GET '/v1/items/Q/queue?after=9'; expect_status 200 "past the end"
expect '.lines == [] and .next == null and .waiting == 3' "an empty page"
call GET /v1/items/B/queue; expect_status 200 "an item nobody waits for"
expect '.lines == [] and .waiting == 0 and .backordered == 0 and .next == null' "an empty queue"
call GET /v1/items/NOPE/queue; expect_error 404 not_found null "an unknown item"
call GET '/v1/items/Q/queue?limit=0'; expect_error 422 invalid_field limit "limit 0"
call GET '/v1/items/Q/queue?limit=1001'; expect_error 422 invalid_field limit "limit past its bound"
call GET '/v1/items/Q/queue?after=-1'; expect_error 422 invalid_field after "a negative cursor"
call GET '/v1/items/Q/queue?status=x'; expect_error 400 invalid_query status "a parameter it does not take"
STATUS=$(curl -sS -o /dev/null -w '%{http_code}' -I "$BASE/v1/items/Q/queue")
[ "$STATUS" = 200 ] || fail "HEAD of the queue: $STATUS"
# A receipt fills the queue in its order: q2 first.
call POST /v1/supply/PO-Q1/receipts '{"qty":2}'; expect_status 200 "PO-Q1 arrives"
call GET /v1/items/Q/queue
expect '[.lines[].order] == ["q1","q3"] and .lines[0].position == 1' "q2 left the queue"

# --- 56: the collections, GET /v1/items and GET /v1/orders (404 and 405 before) -------------
call GET /v1/items; expect_status 200 "the items"; conforms get /v1/items "the items"
expect '[.items[].sku] == ["A","B","Q"] and .next == null' "every item, in creation order"
expect '[.items[].channels | length] == [3,3,3]' "each with its status per channel"
all_items=$(cat "$WORK/body")
call GET '/v1/items?limit=2'; expect '[.items[].sku] == ["A","B"] and .next == 2' "a first page"
call GET '/v1/items?limit=2&after=2'; expect '[.items[].sku] == ["Q"] and .next == null' "the last page"
call GET '/v1/items?channel=mkt'; expect_status 200 "one channel"
expect '[.items[].channels[].channel] == ["mkt","mkt","mkt"]' "that channel's status only"
call GET '/v1/items?channel=web&status=in_stock'; expect_status 200 "in stock on web"
conforms get /v1/items "filtered items"
[ "$(jq -c '[.items[].sku]' "$WORK/body")" = \
  "$(jq -c '[.items[] | select(.channels[] | .channel == "web" and .status == "in_stock") | .sku]' \
      <<<"$all_items")" ] || fail "status keeps exactly the items with that status on the channel"
call GET '/v1/items?status=in_stock'; expect_error 422 missing_field channel "status without channel"
call GET '/v1/items?status=sold&channel=web'; expect_error 422 invalid_field status "an unknown status"
call GET '/v1/items?channel=nope'; expect_error 404 not_found channel "an unknown channel"
call GET '/v1/items?limit=501'; expect_error 422 invalid_field limit "limit past its bound"
call GET '/v1/items?sku=A'; expect_error 400 invalid_query sku "sku filters orders, not items"

call GET '/v1/orders?limit=500'; expect_status 200 "the orders"; conforms get /v1/orders "the orders"
expect '.next == null and (.orders | length) == 9 and ([.orders[].id] | unique | length) == 9' \
    "every order once"
all_orders=$(cat "$WORK/body")
call GET /v1/orders/q1
[ "$(cat "$WORK/body")" = "$(jq -c '.orders[] | select(.id == "q1")' <<<"$all_orders")" ] ||
    fail "an order in the list is the order as GET shows it"
ids=""; after=0
while [ "$after" != null ]; do
    call GET "/v1/orders?limit=4&after=$after"; expect_status 200 "a page of orders" || break
    ids="$ids$(jq -r '[.orders[].id] | join(",")' "$WORK/body"),"; after=$(body_of .next)
done
[ "$ids" = "$(jq -r '[.orders[].id] | join(",")' <<<"$all_orders")," ] ||
    fail "pages of 4 make the whole list: $ids"
call GET '/v1/orders?sku=Q'; expect '[.orders[].id] == ["q0","q1","q2","q3"]' "orders with a line of Q"
call GET '/v1/orders?channel=mkt&sku=Q'; expect '[.orders[].id] == ["q2"]' "and of channel mkt"
call GET '/v1/orders?status=shipped'; expect_status 200 "shipped orders"
[ "$(jq -c '[.orders[].id]' "$WORK/body")" = \
  "$(jq -c '[.orders[] | select(.status == "shipped") | .id]' <<<"$all_orders")" ] ||
    fail "status keeps exactly the orders with that status"
call GET '/v1/orders?status=done'; expect_error 422 invalid_field status "an unknown order status"
call GET '/v1/orders?channel=nope'; expect_error 404 not_found channel "orders of an unknown channel"
call GET '/v1/orders?after=-1'; expect_error 422 invalid_field after "a negative cursor"

stop_server
finish
