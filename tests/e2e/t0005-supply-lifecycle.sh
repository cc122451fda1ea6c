#!/usr/bin/env bash
# The supply and backorder lifecycle over HTTP: a delayed purchase order moves the promises
# pegged to it with one line.promise_changed each (B16), a dry run shows the same diff and
# changes nothing, cuts and cancellations re-peg the queue, a transfer moves stock between
# locations, returns come back once and never more than shipped (B26), a customer's
# latest_date holds or cancels a line whose promise slips past it, and the order's timeline
# tells the story.
source "$(dirname "$0")/lib.sh"
start_server "$WORK/supply.db"

call POST /v1/clock '{"at":"2027-07-01T08:00:00Z"}'; expect_status 200 clock
ALL_WEEK='["mon","tue","wed","thu","fri","sat","sun"]'
call PUT /v1/locations/WH1 "{\"region\":\"EU\",\"priority\":1,\"handling_days\":0,\"working_days\":$ALL_WEEK}"
call PUT /v1/locations/WH2 "{\"region\":\"EU\",\"priority\":2,\"handling_days\":0,\"working_days\":$ALL_WEEK}"
call PUT /v1/channels/web '{"locations":["WH1"],"allow_backorder":true,"priority":10,"delay_policy":"hold"}'
expect '.delay_policy == "hold"' "channel delay policy"
call PUT /v1/channels/shop '{"locations":["WH1"],"allow_backorder":true,"priority":10,"delay_policy":"cancel"}'
call PUT /v1/items/A '{"policy":"backorder","lead_time_days":30,"backorder_limit":100}'
call POST /v1/supply '{"id":"PO7","sku":"A","location":"WH1","qty":10,"expected_date":"2027-07-02"}'
expect_status 201 "PO7"
call POST /v1/orders '{"id":"O1","channel":"web","lines":[{"sku":"A","qty":4,"latest_date":"2027-07-20"}]}'
expect '.lines[0].backordered == [{"qty":4,"supply":"PO7","source":"supply","promise_date":"2027-07-02"}]' "O1 pegged to PO7"
expect '.lines[0].first_promise_date == "2027-07-02" and .lines[0].latest_date == "2027-07-20"' "first promise and consent"

# Dry run of the delay: the diff, and nothing changes.
call GET '/v1/events?after=0&limit=1000'; events_before=$(body_of '.next')
call PATCH '/v1/supply/PO7?dry_run=true' '{"expected_date":"2027-07-12"}'
expect_status 200 "dry-run delay"
expect '.dry_run == true and .promise_changes == [{"order":"O1","line":1,"sku":"A","old_date":"2027-07-02","new_date":"2027-07-12","allocated":0}]' "dry-run diff"
expect '.expected_date == "2027-07-02"' "dry run leaves the supply as it was"
call GET /v1/orders/O1; expect '.lines[0].promise_date == "2027-07-02"' "dry run leaves the promise"
call GET "/v1/events?after=$events_before"; expect '.events == []' "dry run writes no event"
# A dated dry run answers as of the engine clock and moves nothing (a dry run never moves
# the clock, so it can never start a new day that re-runs the queues).
call PATCH '/v1/supply/PO7?dry_run=true' '{"expected_date":"2027-07-12","at":"2027-07-01T08:00:00Z"}'
expect_status 200 "dated dry run"
call GET "/v1/events?after=$events_before"; expect '.events == []' "a dated dry run writes no event"

# The delay itself (B16): exactly one promise_changed, one supply.delayed.
call PATCH /v1/supply/PO7 '{"expected_date":"2027-07-12"}'
expect_status 200 delay; expect '.expected_date == "2027-07-12" and (.promise_changes | length) == 1' "delay applied"
call GET "/v1/events?after=$events_before"
expect '[.events[] | select(.type == "line.promise_changed")] | length == 1' "one promise_changed"
expect '[.events[] | select(.type == "line.promise_changed")][0].data | .old_date == "2027-07-02" and .new_date == "2027-07-12" and (.reason | test("PO7"))' "promise_changed says old, new and why"
expect '[.events[] | select(.type == "supply.delayed")] | length == 1' "one supply.delayed"
call POST /v1/orders '{"id":"O2","channel":"web","lines":[{"sku":"A","qty":3}]}'
expect '.lines[0].promise_date == "2027-07-12"' "a new order after the delay is promised the new date"

# A cut: PO7 brings 5; O1 keeps its 4 (queue first), O2 gets 1 from PO7 and 2 on lead time.
call PATCH /v1/supply/PO7 '{"qty":5}'
expect_status 200 cut
call GET /v1/orders/O2
expect '.lines[0].promise_date == "2027-07-31" and ([.lines[0].backordered[].qty] | add) == 3' "O2 after the cut"
call GET /v1/orders/O1; expect '.lines[0].promise_date == "2027-07-12"' "O1 keeps its supply"
call PATCH /v1/supply/PO7 '{"status":"sometimes"}'
expect_error 422 invalid_field status "bad status"
call PATCH /v1/supply/PO7 '{}'
expect_error 422 missing_field expected_date "empty patch"
call PATCH /v1/supply/NOPE '{"qty":1}'
expect_error 404 unknown_supply null "patch unknown supply"

# A delay past O1's latest date holds it on the web channel (hold policy).
call PATCH /v1/supply/PO7 '{"expected_date":"2027-07-25"}'
call GET /v1/orders/O1; expect '.lines[0].held == true and .lines[0].promise_date == "2027-07-25"' "O1 held"
call GET /v1/orders/O1/timeline
expect_status 200 timeline
expect '[.events[].type] == ["order.created","line.backordered","line.promise_changed","line.promise_changed","line.delay_exceeded"]' "O1's story"
call GET /v1/orders/NOPE/timeline; expect_error 404 not_found null "timeline of an unknown order"
# The customer accepts the new date: the hold is lifted with a new latest date.
call POST /v1/orders/O1/accept_delay '{"lines":[{"line":1,"latest_date":"2027-07-21"}]}'
expect_error 422 invalid_field 'lines[0].latest_date' "a new latest date before the promise"
call POST /v1/orders/O1/accept_delay '{"lines":[{"line":1,"latest_date":"2027-08-10"}]}'
expect_status 200 "accept delay"; expect '.lines[0].held == false and .lines[0].latest_date == "2027-08-10"' "hold lifted"
call POST /v1/orders/O1/accept_delay '{"lines":[{"line":1}]}'
expect_error 409 conflict 'lines[0].line' "accepting a line that is not held"

# On the shop channel (cancel policy) the same slip cancels the line and frees its units.
# (Another item: on A the earlier orders would rightly take PO8 first.)
call PUT /v1/items/B '{"policy":"backorder","lead_time_days":30}'
call POST /v1/supply '{"id":"PO8","sku":"B","location":"WH1","qty":2,"expected_date":"2027-07-03"}'
call POST /v1/orders '{"id":"O3","channel":"shop","lines":[{"sku":"B","qty":2,"latest_date":"2027-07-05"}]}'
expect '.lines[0].promise_date == "2027-07-03"' "O3 pegged to PO8"
call PATCH /v1/supply/PO8 '{"expected_date":"2027-07-09"}'
call GET /v1/orders/O3; expect '.lines[0].cancelled == 2 and .lines[0].status == "cancelled"' "O3 cancelled on delay"

# Cancelling PO7 puts its lines on lead time.
call PATCH /v1/supply/PO7 '{"status":"cancelled"}'
expect '.status == "cancelled"' "PO7 cancelled"
call GET /v1/orders/O1; expect '.lines[0].backordered[0].supply == null' "O1 on lead time"
call POST /v1/supply/PO7/receipts '{"qty":1}'; expect_error 409 supply_closed null "receipt of cancelled supply"

# A transfer: 6 units leave WH2 now and arrive at WH1, where the queue takes them first.
call POST /v1/stock/adjustments '{"sku":"A","location":"WH2","set":10}'
call POST /v1/supply '{"id":"T1","sku":"A","location":"WH1","from":"WH2","qty":6,"expected_date":"2027-07-04"}'
expect_status 201 transfer; expect '.kind == "transfer" and .from == "WH2"' "transfer kind"
call GET /v1/stock/A; expect '(.locations[] | select(.location == "WH2") | .on_hand) == 4' "units left WH2"
call POST /v1/supply '{"id":"T2","sku":"A","location":"WH1","from":"WH2","qty":60,"expected_date":"2027-07-04"}'
expect_error 409 conflict qty "transfer beyond the source's free stock"
call POST '/v1/supply/T1/receipts?dry_run=true' '{"qty":6}'
expect '.dry_run == true and ([.allocated_to[].qty] | add) == 6' "dry-run receipt"
call GET /v1/stock/A; expect '(.locations[] | select(.location == "WH1") | .on_hand) == 0' "dry-run receipt changed nothing"
# A transfer brings what left its source, never more: a purchase order may come over, units
# in transit cannot multiply (7 arriving of 6 sent would be a unit made from nothing).
call POST /v1/supply/T1/receipts '{"qty":7}'
expect_error 409 conflict qty "a transfer received beyond what left"
expect '.error.message | contains("6 in transit")' "the message says what is in transit"
call GET /v1/stock/A; expect '(.locations[] | select(.location == "WH1") | .on_hand) == 0' "the refused receipt changed nothing"
call POST /v1/supply/T1/receipts '{"qty":6}'
expect '.allocated_to == [{"order":"O1","line":1,"qty":4},{"order":"O2","line":1,"qty":2}]' "queue order on receipt"

# Returns (B26): once, never more than shipped; damaged units are on hand but unavailable.
call POST /v1/orders/O1/shipments '{"location":"WH1","lines":[{"line":1,"qty":4}]}'
expect_status 200 ship
call POST /v1/orders/O1/returns '{"location":"WH1","lines":[{"line":1,"qty":3,"sellable":true}]}'
expect_status 200 "return 3"; expect '.lines[0].returned == 3' "returned 3"
call POST /v1/orders/O1/returns '{"location":"WH1","lines":[{"line":1,"qty":2,"sellable":true}]}'
expect_error 409 insufficient_shipped 'lines[0].qty' "return more than shipped"
call POST /v1/orders/O1/returns '{"location":"WH1","lines":[{"line":1,"qty":1,"sellable":false}]}'
expect_status 200 "damaged return"
call GET /v1/stock/A
expect '(.locations[] | select(.location == "WH1")) | .unavailable == 1 and .free >= 0' "damaged unit unavailable"
call POST /v1/orders/O1/returns '{"location":"WH1","lines":[{"line":1,"qty":1}]}'
expect_error 422 missing_field 'lines[0].sellable' "sellable is required"

# B28: a shipment cancelled before it left: on hand again and allocated to the line again.
call POST /v1/orders/O2/shipments '{"location":"WH1","lines":[{"line":1,"qty":2}]}'
expect_status 200 "ship O2"; held_before=$(body_of '[.lines[0].allocated[].qty] | add // 0')
call GET /v1/stock/A; before_stock=$(body_of '.locations[] | select(.location == "WH1") | [.on_hand, .allocated, .free] | @csv')
call POST /v1/orders/O2/shipments/cancel '{"location":"WH1","lines":[{"line":1,"qty":2}]}'
expect_status 200 "cancel the shipment"
expect ".lines[0].shipped == 0 and ([.lines[0].allocated[].qty] | add) == $held_before + 2" "allocated again"
call GET /v1/stock/A
expect "(.locations[] | select(.location == \"WH1\")) as \$l | ([\$l.on_hand, \$l.allocated, \$l.free] | @csv) == \"$(echo "$before_stock" | awk -F, '{print $1+2","$2+2","$3}')\"" "on hand and allocated back, free unchanged"
call POST /v1/orders/O2/shipments/cancel '{"location":"WH1","lines":[{"line":1,"qty":1}]}'
expect_error 409 insufficient_shipped 'lines[0].qty' "cancel more than was shipped"
call POST /v1/orders/O2/shipments '{"location":"WH1","lines":[{"line":1,"qty":1}]}'
call POST /v1/orders/O2/shipments/cancel '{"location":"WH2","lines":[{"line":1,"qty":1}]}'
expect_error 422 invalid_field location "a location that does not serve the order"

# A dry run is never stored under an Idempotency-Key: the real request after it is applied.
call PATCH '/v1/supply/PO8?dry_run=true' '{"qty":3}' -H 'Idempotency-Key: dry-1'
expect '.dry_run == true and .qty == 2' "keyed dry run"
call PATCH /v1/supply/PO8 '{"qty":3}' -H 'Idempotency-Key: dry-1'
expect '.dry_run == false and .qty == 3' "the real request with the same key is applied"

# A manual re-run as a dry run changes nothing.
call POST '/v1/items/A/repeg?dry_run=true' ''
expect_status 200 "repeg dry run"; expect '.dry_run == true' "repeg dry run"
stop_server
finish
