#!/usr/bin/env bash
# What a hostile tester sent and got a wrong answer for (decisions.md 53): valid JSON that
# jansson cannot hold, repeated headers, a charset that is not UTF-8, empty names, dates in
# 1900, duplicate webhook types, nulls, a body that is missing. Each is a clear 4xx naming the
# field or header (never a 5xx), and a refused request changes nothing. Then what the rules
# accept: null as no value on every optional field, answers that show no value as null, and an
# answer sent back as a request is taken.
source "$(dirname "$0")/lib.sh"

# state: what a refused request must leave as it was (the event feed's last seq moves with any
# commit; HB and H-S2 must not come into being).
state() {
    local out="" target
    for target in /v1/items/HA /v1/items/HB /v1/locations/HL1 /v1/channels/hweb /v1/regions/UK \
        /v1/stock/HA /v1/orders/H-O1 /v1/orders/H-O2 /v1/supply/H-S1 /v1/supply/H-S2 \
        /v1/holds/H-H1 /v1/webhooks/wh_1 '/v1/events?after=0&limit=1000'; do
        call GET "$target"
        out+="$target $STATUS $(cat "$WORK/body")"$'\n'
    done
    printf '%s' "$out"
}

# refused METHOD PATH BODY STATUS CODE FIELD WHAT [curl args...]: refused, naming FIELD.
refused() {
    local method="$1" path="$2" body="$3" status="$4" code="$5" field="$6" what="$7"
    shift 7
    call "$method" "$path" "$body" "$@"
    expect_error "$status" "$code" "$field" "$what" || true
}

# typed METHOD PATH BODY CONTENT_TYPE: as call, with this Content-Type alone (none when "").
typed() {
    local args=(-sS -o "$WORK/body" -w '%{http_code}' -X "$1" "$BASE$2")
    [ -n "$4" ] && args+=(-H "Content-Type: $4")
    [ -n "$3" ] && args+=(--data-binary "$3")
    STATUS=$(curl "${args[@]}")
}

start_server "$WORK/h.db"
call POST /v1/clock '{"at":"2030-01-07T09:00:00Z"}'; expect_status 200 clock
call PUT /v1/regions/UK '{"name":"United Kingdom"}'; expect_status 201 region
call PUT /v1/regions/EU '{"distances":{"UK":5}}'; expect_status 201 "region EU"
call PUT /v1/locations/HL1 '{"region":"UK","priority":1}'; expect_status 201 location
call PUT /v1/channels/hweb '{"locations":["HL1"],"allow_backorder":true}'; expect_status 201 channel
call PUT /v1/items/HA '{"name":"Alpha","policy":"backorder","lead_time_days":3}'
expect_status 201 item
call POST /v1/stock/adjustments '{"sku":"HA","location":"HL1","delta":5}'; expect_status 200 stock
call POST /v1/supply '{"id":"H-S1","sku":"HA","location":"HL1","qty":4,"expected_date":"2030-01-20"}'
expect_status 201 supply
call POST /v1/orders '{"id":"H-O1","channel":"hweb","region":"UK","lines":[{"sku":"HA","qty":1}]}'
expect_status 201 order
call POST /v1/holds '{"id":"H-H1","channel":"hweb","lines":[{"sku":"HA","qty":1}],"expires_at":"2030-01-07T10:00:00Z"}'
expect_status 201 hold
call POST /v1/webhooks '{"url":"http://127.0.0.1:9/hook","secret":"s3cret","types":["order.created"]}'
expect_status 201 webhook
before=$(state)

ORDER_HEAD='"id":"H-O2","channel":"hweb"'
# a. Numbers past 64 bits, or past a double, are JSON: the field is named as for 2^63-1.
for qty in 9223372036854775807 9223372036854775808 -9223372036854775809 \
    123456789012345678901234567890 1e400 -1e400 1.5e400; do
    refused POST /v1/orders "{$ORDER_HEAD,\"lines\":[{\"sku\":\"HA\",\"qty\":$qty}]}" \
        422 invalid_field 'lines[0].qty' "qty $qty"
done
refused PUT /v1/items/HA '{"price":99999999999999999999999}' \
    422 invalid_field price "a price past 64 bits"
expect '.error.message | contains("between")' "the price's range is told"
refused PUT /v1/regions/UK '{"distances":{"EU":18446744073709551616}}' \
    422 invalid_field distances.EU "a distance past 64 bits"
refused PUT /v1/items/HA '{"name":1e999}' 422 invalid_field name "a name that is a huge number"
refused POST /v1/stock/adjustments '{"sku":"HA","location":"HL1","delta":-1e400}' \
    422 invalid_field delta "a delta past a double"
refused POST /v1/stock/snapshots \
    '{"as_of":"2030-01-07T08:00:00Z","rows":[{"sku":"HA","location":"HL1","on_hand":1e30}]}' \
    422 invalid_field 'rows[0].on_hand' "an on_hand past 64 bits"
# A NUL in an object key is JSON too: the key is named, its NUL shown as '?'.
refused PUT /v1/regions/UK '{"distances":{"E\u0000U":5}}' \
    422 invalid_field 'distances.E?U' "a region code holding U+0000"
refused POST /v1/orders "{$ORDER_HEAD,\"lines\":[{\"sku\":\"HA\",\"q\\u0000ty\":1}]}" \
    422 unknown_field 'lines[0].q?ty' "a line key holding U+0000"
# What is not JSON is still a 400, even with a huge number in it.
refused POST /v1/orders "{$ORDER_HEAD,\"lines\":[{\"sku\":\"HA\",\"qty\":0123456789012345678901}]}" \
    400 invalid_json null "a number with a leading zero"
refused POST /v1/orders "{$ORDER_HEAD,\"lines\":[{\"sku\":\"HA\",\"qty\":1e400}],}" \
    400 invalid_json null "a huge number and a trailing comma"

# b. A header that carries one value, sent twice: refused naming it, even with one value twice.
ADJ='{"sku":"HA","location":"HL1","delta":1}'
refused POST /v1/stock/adjustments "$ADJ" 400 invalid_header Idempotency-Key "two keys" \
    -H 'Idempotency-Key: k-1' -H 'Idempotency-Key: k-2'
refused POST /v1/stock/adjustments "$ADJ" 400 invalid_header Idempotency-Key "one key twice" \
    -H 'Idempotency-Key: k-1' -H 'Idempotency-Key: k-1'
refused POST /v1/stock/adjustments "$ADJ" 400 invalid_header Content-Type "two content types" \
    -H 'Content-Type: text/plain'
refused POST /v1/stock/adjustments "$ADJ" 400 invalid_header Idempotency-Key "an empty key" \
    -H 'Idempotency-Key;'
# A body said to be compressed is not read as it came: 415 naming Content-Encoding.
refused POST /v1/stock/adjustments "$ADJ" 415 unsupported_media_type Content-Encoding \
    "a plain body labelled gzip" -H 'Content-Encoding: gzip'
refused POST /v1/stock/adjustments "$ADJ" 400 invalid_header Content-Encoding \
    "two content codings" -H 'Content-Encoding: identity' -H 'Content-Encoding: identity'
call GET /v1/stock/HA '' -H 'Idempotency-Key: r-1' -H 'Idempotency-Key: r-2'
expect_status 200 "a read takes no key: two are not looked at"

# An identifier does not begin or end with a space (" HB " and "HB" would be two items no one
# can tell apart): in a path, in a body, in a line.
refused PUT '/v1/items/%20HB' '{"name":"x"}' 422 invalid_field sku "a SKU with a leading space"
refused POST /v1/orders '{"id":"H-O9 ","channel":"hweb","lines":[{"sku":"HA","qty":1}]}' \
    422 invalid_field id "an order id with a trailing space"
refused POST /v1/orders '{"id":"H-O9","channel":"hweb","lines":[{"sku":" HA","qty":1}]}' \
    422 invalid_field 'lines[0].sku' "a line's SKU with a leading space"
# Nor an invisible character: a SKU pasted with a zero width space looks like the one without.
refused PUT '/v1/items/H%E2%80%8BB' '{"name":"x"}' 422 invalid_field sku "a zero width space"
refused POST /v1/orders '{"id":"H-O9\ufeff","channel":"hweb","lines":[{"sku":"HA","qty":1}]}' \
    422 invalid_field id "a byte order mark in an order id"

# c. No text field is empty: a name, a code, an id, a contact, a reason.
refused PUT /v1/items/HA '{"name":""}' 422 invalid_field name "an empty item name"
expect '.error.message | contains("empty")' "the message says empty"
refused PUT /v1/items/HB '{"name":""}' 422 invalid_field name "a new item with an empty name"
refused PUT /v1/locations/HL1 '{"name":""}' 422 invalid_field name "an empty location name"
refused PUT /v1/locations/HL1 '{"timezone":""}' 422 invalid_field timezone "an empty zone"
refused PUT /v1/channels/hweb '{"name":""}' 422 invalid_field name "an empty channel name"
refused PUT /v1/regions/UK '{"name":""}' 422 invalid_field name "an empty region name"
refused POST /v1/orders '{"id":"","channel":"hweb","lines":[{"sku":"HA","qty":1}]}' \
    422 invalid_field id "an empty order id"
refused POST /v1/orders '{"id":"H-O2","channel":"","lines":[{"sku":"HA","qty":1}]}' \
    422 invalid_field channel "an empty channel"
refused POST /v1/orders "{$ORDER_HEAD,\"lines\":[{\"sku\":\"\",\"qty\":1}]}" \
    422 invalid_field 'lines[0].sku' "an empty sku"
refused POST /v1/orders "{$ORDER_HEAD,\"customer\":{\"ref\":\"\"},\"lines\":[{\"sku\":\"HA\",\"qty\":1}]}" \
    422 invalid_field customer.ref "an empty customer ref"
refused POST /v1/supply '{"id":"","sku":"HA","location":"HL1","qty":1,"expected_date":"2030-02-01"}' \
    422 invalid_field id "an empty supply id"
refused POST /v1/stock/adjustments '{"sku":"HA","location":"HL1","delta":1,"reason":""}' \
    422 invalid_field reason "an empty reason"
refused POST /v1/subscriptions '{"sku":"HA","channel":"hweb","contact":""}' \
    422 invalid_field contact "an empty contact"
refused POST /v1/webhooks '{"url":"","secret":"s","types":["*"]}' 422 invalid_field url "an empty url"
refused POST /v1/webhooks '{"url":"http://127.0.0.1:9/x","secret":"","types":["*"]}' \
    422 invalid_field secret "an empty secret"

# d. Dates and instants from 2000-01-01 to 9000-12-31: outside, the range is told.
for day in 1900-01-01 1999-12-31 9001-01-01; do
    refused POST /v1/supply "{\"id\":\"H-S2\",\"sku\":\"HA\",\"location\":\"HL1\",\"qty\":1,\"expected_date\":\"$day\"}" \
        422 invalid_field expected_date "expected_date $day"
    expect '.error.message | contains("2000-01-01") and contains("9000-12-31")' "range told: $day"
done
refused PATCH /v1/supply/H-S1 '{"expected_date":"1900-01-01"}' \
    422 invalid_field expected_date "a supply moved to 1900"
refused PUT /v1/items/HA '{"release_date":"1900-01-01"}' 422 invalid_field release_date "release 1900"
refused POST /v1/orders "{$ORDER_HEAD,\"lines\":[{\"sku\":\"HA\",\"qty\":1,\"latest_date\":\"1900-01-01\"}]}" \
    422 invalid_field 'lines[0].latest_date' "latest_date 1900"
refused POST /v1/stock/adjustments '{"sku":"HA","location":"HL1","delta":1,"at":"1999-12-31T23:59:59Z"}' \
    422 invalid_field at "an instant in 1999"

# e. A webhook's types say each type once.
refused POST /v1/webhooks '{"url":"http://127.0.0.1:9/x","secret":"s","types":["order.created","line.shipped","order.created"]}' \
    422 invalid_field 'types[2]' "a type twice"
refused POST /v1/webhooks '{"url":"http://127.0.0.1:9/x","secret":"s","types":["*","*"]}' \
    422 invalid_field 'types[1]' "* twice"

# f. A body is JSON in UTF-8: another charset, or another type, is 415.
for type in 'application/json; charset=latin1' 'application/json;charset=ISO-8859-1' \
    'application/json; charset="utf-16"' 'application/json; charset' 'text/plain'; do
    typed PUT /v1/items/HA '{"name":"Alpha"}' "$type"
    expect_error 415 unsupported_media_type null "Content-Type: $type" || true
done

# g. Null is no value: a required field sent as null is missing.
refused POST /v1/orders '{"id":null,"channel":"hweb","lines":[{"sku":"HA","qty":1}]}' \
    422 missing_field id "a null order id"
refused POST /v1/orders "{$ORDER_HEAD,\"lines\":[{\"sku\":\"HA\",\"qty\":null}]}" \
    422 missing_field 'lines[0].qty' "a null qty"
refused POST /v1/supply '{"id":"H-S2","sku":"HA","location":"HL1","qty":1,"expected_date":null}' \
    422 missing_field expected_date "a null expected_date"
refused PATCH /v1/supply/H-S1 '{"qty":null,"status":null}' \
    422 missing_field expected_date "a patch of nulls changes nothing, so it is refused"

# h. A route that needs a body and has none says so, whatever its method; one with a body but
# no Content-Type is still 415.
for route in 'PUT /v1/items/HB' 'PUT /v1/locations/HL1' 'POST /v1/orders' 'PATCH /v1/supply/H-S1' \
    'POST /v1/supply/H-S1/receipts' 'PUT /v1/regions/UK'; do
    typed ${route} '' ''
    expect_error 400 invalid_json null "no body: $route" || true
    expect '.error.message | contains("needs a body")' "what is missing is said: $route"
    typed ${route} '' 'application/json'
    expect_error 400 invalid_json null "no body, with a Content-Type: $route" || true
done
typed PUT /v1/items/HB '{}' ''
expect_error 415 unsupported_media_type null "a body without a Content-Type" || true

after=$(state)
[ "$after" = "$before" ] || fail "a refused request changed something: $(diff <(echo "$before") <(echo "$after") | head -20)"

# What the rules take. Null on an optional field is the same as leaving it out.
call POST /v1/orders "{$ORDER_HEAD,\"region\":null,\"hold\":null,\"customer\":null,\"collect\":null,\"at\":null,\"lines\":[{\"sku\":\"HA\",\"qty\":1,\"price\":null,\"ship_complete\":null,\"latest_date\":null}]}"
expect_status 201 "an order whose optional fields are null"
expect '.region == null and .customer == null and .collect == null and (has("hold") | not)' \
    "no region, customer, collect or hold"
expect '.lines[0].latest_date == null and .lines[0].status == "allocated"' "the line as without them"
conforms post /v1/orders "order with nulls"
call POST /v1/holds '{"id":"H-H2","channel":"hweb","region":null,"partial":null,"at":null,"lines":[{"sku":"HA","qty":1}],"expires_at":"2030-01-07T10:00:00Z"}'
expect_status 201 "a hold whose optional fields are null"
call PUT /v1/items/HA '{"name":null,"price":null,"backorder_limit":null}'
expect_status 200 "an item PUT of nulls"
expect '.name == "Alpha" and .price == 0 and .backorder_limit == null' "name kept; no limit"
call POST /v1/stock/adjustments '{"sku":"HA","location":"HL1","delta":null,"set":7,"as_of":null,"reason":null}'
expect_status 200 "a count whose delta is null"
expect '.locations[0].on_hand == 7' "the count applied"
# A location's region: null clears it, and the answer shows no region as null, not "".
call PUT /v1/locations/HL2 '{}'; expect_status 201 "a location without a region"
expect '.region == null' "no region: null"
conforms put "/v1/locations/{code}" "location without a region"
call PUT /v1/locations/HL1 '{"region":null}'; expect_status 200 "region cleared"
expect '.region == null' "cleared region: null"
call PUT /v1/locations/HL1 '{"region":"UK"}'; expect_status 200 "region set again"
# An answer sent back as a request is taken: it holds nothing a request is refused for.
call GET /v1/locations/HL2
call PUT /v1/locations/HL2 "$(jq -c 'del(.code)' "$WORK/body")"
expect_status 200 "a location's answer sent back"
call GET /v1/items/HA
call PUT /v1/items/HA "$(jq -c 'del(.sku, .channels)' "$WORK/body")"
expect_status 200 "an item's answer sent back"
# A charset of UTF-8 is taken, in any case and quoted; one Idempotency-Key is taken.
typed PUT /v1/items/HA '{"name":"Alpha"}' 'application/json; charset="UTF-8"'
expect_status 200 "charset utf-8"
call POST /v1/stock/adjustments "$ADJ" -H 'Idempotency-Key: k-1'; expect_status 200 "one key"

stop_server
finish
