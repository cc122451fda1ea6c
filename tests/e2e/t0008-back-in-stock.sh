#!/usr/bin/env bash
# Back-in-stock notices over HTTP (rule 7): subscriptions are created once per sku, channel and
# contact, refused with the field named when the sku or channel is unknown, and read back; a
# backorder policy sends item.status_changed but no notice (B38); a receipt notifies as many
# subscribers as the units serve, first-subscribed first, each once, also across a restart;
# the answers conform to docs/openapi.json.
source "$(dirname "$0")/lib.sh"

# conforms METHOD TEMPLATE WHAT: the last answer matches the contract of TEMPLATE.

start_server "$WORK/notices.db"
call POST /v1/clock '{"at":"2027-03-01T08:00:00Z"}'; expect_status 200 clock
call PUT /v1/locations/WH1 '{"region":"EU","priority":1,"handling_days":0}'
call PUT /v1/channels/web '{"locations":["WH1"],"allow_backorder":true,"priority":10}'
call PUT /v1/items/A '{"policy":"deny"}'; expect_status 201 "item A"

call POST /v1/subscriptions '{"sku":"A","channel":"web","contact":"ann@example.com"}'
expect_status 201 "first subscription"; conforms post /v1/subscriptions "first subscription"
expect '.id == "sub_1" and .status == "waiting" and .notified_at == null' "a waiting subscription"
call POST /v1/subscriptions '{"contact":"ann@example.com","sku":"A","channel":"web"}'
expect_status 200 "same contact again"; expect '.id == "sub_1"' "the waiting one is returned"
call POST /v1/subscriptions '{"sku":"A","channel":"web","contact":"bob@example.com"}'
expect_status 201 "second subscriber"; expect '.id == "sub_2"' "second id"
call POST /v1/subscriptions '{"sku":"A","channel":"web","contact":"cy@example.com"}'
expect '.id == "sub_3"' "third id"
call POST /v1/subscriptions '{"sku":"NOPE","channel":"web","contact":"x@example.com"}'
expect_error 422 invalid_field sku "unknown sku"
call POST /v1/subscriptions '{"sku":"A","channel":"nope","contact":"x@example.com"}'
expect_error 422 invalid_field channel "unknown channel"
call POST /v1/subscriptions '{"sku":"A","channel":"web"}'
expect_error 422 missing_field contact "no contact"
call GET /v1/subscriptions/sub_2; expect_status 200 "get subscription"
conforms get /v1/subscriptions/{id} "get subscription"; expect '.contact == "bob@example.com"' "read back"
call GET /v1/subscriptions/sub_99; expect_error 404 not_found null "unknown subscription"

# B38: backorderable is not back in stock.
call GET '/v1/events?after=0&limit=1000'; mark=$(body_of '.next')
call PUT /v1/items/A '{"policy":"backorder","lead_time_days":10}'
call GET "/v1/events?after=$mark"
expect '[.events[] | select(.type == "item.status_changed")] | length == 1' "one status change"
expect '[.events[] | select(.type == "item.status_changed")][0] | .subject == "A" and .data.channel == "web" and .data.old_status == "out_of_stock" and .data.new_status == "backorder"' "status change payload"
expect '[.events[] | select(.type == "item.back_in_stock")] == []' "no notice for a backorder status"

# Two units: two notices, oldest first.
mark=$(body_of '.next')
call POST /v1/supply '{"id":"PO1","sku":"A","location":"WH1","qty":2,"expected_date":"2027-03-01"}'
call POST /v1/supply/PO1/receipts '{"qty":2}'; expect_status 200 receipt
call GET "/v1/events?after=$mark"
expect '[.events[] | select(.type == "item.back_in_stock") | .subject] == ["sub_1","sub_2"]' "a wave of two"
expect '[.events[] | select(.type == "item.back_in_stock")][0].data | .contact == "ann@example.com" and .available == 2 and .sku == "A" and .channel == "web"' "notice payload"
call GET /v1/subscriptions/sub_1; expect '.status == "notified" and (.notified_at | type) == "string"' "notified"
call GET /v1/items/A; expect '.channels[0].status == "in_stock"' "item status"

# A restart keeps what was published and who was told.
stop_server
start_server "$WORK/notices.db"
call GET '/v1/events?after=0&limit=1000'; mark=$(body_of '.next')
call POST /v1/stock/adjustments '{"sku":"A","location":"WH1","set":0}'
call POST /v1/stock/adjustments '{"sku":"A","location":"WH1","set":5}'
call GET "/v1/events?after=$mark"
expect '[.events[] | select(.type == "item.status_changed")] | length == 2' "down and up: two flips"
expect '[.events[] | select(.type == "item.back_in_stock") | .subject] == ["sub_3"]' "only the one still waiting"
finish
