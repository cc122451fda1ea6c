#!/usr/bin/env bash
# The server against its OpenAPI contract (docs/openapi.json): every route of the server is
# documented and every documented path is served; a request to each answers a documented
# status with a body that conforms to the documented schema; bad input gets a 4xx naming the
# field and changes nothing.
source "$(dirname "$0")/lib.sh"

# conforms METHOD TEMPLATE WHAT: the last answer matches the contract of TEMPLATE.

# Every route in the server's table is documented, and the other way round.
routes=$(grep -oE '\{"(GET|PUT|POST|PATCH|DELETE)", "[^"]+"' "$OMS_SRC/src/http/api.c" |
    sed -E 's/\{"([A-Z]+)", "([^"]+)"/\L\1\E \2/' | sort)
documented=$(jq -r '.paths | to_entries[] | .key as $p | .value | keys[]
    | select(. != "parameters") | "\(.) \($p)"' "$API" | sort)
[ "$routes" = "$documented" ] || fail "routes and OpenAPI differ: $(diff <(echo "$routes") <(echo "$documented") | tr '\n' ' ')"

# OpenAPI 3.0: a nullable property with an enum takes null only if the enum lists it, so a
# strict validator (openapi-schema-validator) refuses every null answer of one that does not.
unlisted=$(jq -r 'paths(objects and .nullable == true and has("enum") and (.enum | index([null]) | not))
    | map(tostring) | join(".")' "$API")
[ -z "$unlisted" ] || fail "nullable enums without null (a strict validator refuses null): $unlisted"

start_server "$WORK/api.db"

call GET /healthz; expect_status 200 healthz; conforms get /healthz healthz
# Dates below are fixed by the engine clock, moved to a known Tuesday morning.
call POST /v1/clock '{"at":"2030-01-01T09:00:00Z"}'; expect_status 200 "clock to 2030"
call GET /metrics; expect_status 200 metrics
grep -q '^oms_up 1' "$WORK/body" || fail "metrics lack oms_up"

call PUT /v1/locations/UK1 '{"name":"London","kind":"warehouse","region":"UK","priority":1,"timezone":"Europe/London","handling_days":1,"working_days":["mon","tue","wed","thu","fri"]}'
expect_status 201 "create location"; conforms put /v1/locations/{code} "create location"
call PUT /v1/locations/UK1 '{"priority":2}'
expect_status 200 "update location"; conforms put /v1/locations/{code} "update location"
expect '.priority == 2 and .name == "London" and .timezone == "Europe/London"' "fields left out keep their value"
call GET /v1/locations/UK1; expect_status 200 "get location"; conforms get /v1/locations/{code} "get location"
call PUT /v1/channels/web '{"name":"Web shop","locations":["UK1"],"buffer":0,"allow_backorder":true,"priority":10}'
expect_status 201 "create channel"; conforms put /v1/channels/{code} "create channel"
call GET /v1/channels/web; expect_status 200 "get channel"; conforms get /v1/channels/{code} "get channel"
call PUT /v1/items/85123A '{"name":"WHITE HANGING HEART T-LIGHT HOLDER","price":255,"currency":"GBP","policy":"backorder","backorder_limit":10,"lead_time_days":7,"low_stock_threshold":2,"min_order_qty":1,"release_date":null,"allow_split":true}'
expect_status 201 "create item"; conforms put /v1/items/{sku} "create item"
call PUT /v1/items/85123A '{"name":"renamed"}'
expect '.backorder_limit == 10 and .policy == "backorder"' "re-save keeps the backorder limit (B09)"
call GET /v1/items/85123A; expect_status 200 "get item"; conforms get /v1/items/{sku} "get item"

call POST /v1/stock/adjustments '{"sku":"85123A","location":"UK1","delta":5,"reason":"opening"}'
expect_status 200 adjustment; conforms post /v1/stock/adjustments adjustment
expect '.locations[0].on_hand == 5 and .locations[0].available == 5' "adjusted counters"
call GET /v1/stock/85123A; expect_status 200 stock; conforms get /v1/stock/{sku} stock
# An Idempotency-Key makes a retried adjustment apply once (B53); another body under the
# same key is a conflict that changes nothing.
call POST /v1/stock/adjustments '{"sku":"85123A","location":"UK1","delta":3}' -H 'Idempotency-Key: adj-1'
expect '.locations[0].on_hand == 8' "keyed adjustment applied"
call POST /v1/stock/adjustments '{"delta":3, "location":"UK1","sku":"85123A"}' -H 'Idempotency-Key: adj-1'
expect_status 200 "keyed retry"; expect '.locations[0].on_hand == 8' "keyed retry applied once"
call POST /v1/stock/adjustments '{"sku":"85123A","location":"UK1","delta":4}' -H 'Idempotency-Key: adj-1'
expect_error 409 idempotency_conflict null "key reused with another body"
call POST /v1/stock/adjustments '{"sku":"85123A","location":"UK1","delta":-3}'
expect '.locations[0].on_hand == 5' "back to 5"

call POST /v1/supply '{"id":"PO-1","sku":"85123A","location":"UK1","qty":4,"expected_date":"2030-01-05"}'
expect_status 201 supply; conforms post /v1/supply supply
call GET /v1/supply/PO-1; expect_status 200 "get supply"; conforms get /v1/supply/{id} "get supply"

call POST /v1/orders '{"id":"o-1","channel":"web","region":"UK","customer":{"ref":"c1","contact":"a@example.com"},"lines":[{"sku":"85123A","qty":7,"price":255},{"sku":"NOPE","qty":1}]}'
expect_status 201 "place order"; conforms post /v1/orders "place order"
expect '.lines[0].status == "partially_allocated" and .lines[0].allocated[0].qty == 5 and .lines[0].backordered[0].qty == 2 and .lines[0].backordered[0].supply == "PO-1"' "in stock then backorder on supply"
expect '.lines[1].status == "rejected" and .lines[1].rejected.reason == "unknown_sku"' "unknown sku is a decision, not an error"
first=$(cat "$WORK/body")
call POST /v1/orders '{ "lines":[{"qty":7,"sku":"85123A","price":255},{"sku":"NOPE","qty":1}], "customer":{"contact":"a@example.com","ref":"c1"},"region":"UK","channel":"web","id":"o-1"}'
expect_status 200 "idempotent retry"; conforms post /v1/orders "idempotent retry"
[ "$(cat "$WORK/body")" = "$first" ] || fail "a retry must return the first answer"
call POST /v1/orders '{"id":"o-1","channel":"web","region":"UK","lines":[{"sku":"85123A","qty":3}]}'
expect_error 409 idempotency_conflict id "same id, other body"
call GET /v1/orders/o-1; expect_status 200 "get order"; conforms get /v1/orders/{id} "get order"

call POST /v1/supply/PO-1/receipts '{"qty":4}'
expect_status 200 receipt; conforms post /v1/supply/{id}/receipts receipt
expect '.allocated_to == [{"order":"o-1","line":1,"qty":2}] and .to_stock == 2' "receipt fills the backorder first"
call POST /v1/orders/o-1/shipments '{"location":"UK1","lines":[{"line":1,"qty":7}]}'
expect_status 200 shipment; conforms post /v1/orders/{id}/shipments shipment
expect '.lines[0].shipped == 7 and .status == "shipped"' "shipped"
call POST /v1/orders/o-1/cancel ''
expect_status 200 "cancel with nothing open"; conforms post /v1/orders/{id}/cancel "cancel"
expect '.cancelled_now == 0' "cancelling nothing says so"

call GET '/v1/availability?channel=web&sku=85123A&sku=UNKNOWN&qty=1&region=UK'
expect_status 200 availability; conforms get /v1/availability availability
expect '.items[0].status == "low_stock" and .items[0].available == 2 and .items[1].status == "unknown_sku"' "availability at the low-stock threshold"
call POST /v1/clock '{"at":"2031-01-01T00:00:00Z"}'
expect_status 200 clock; conforms post /v1/clock clock
call GET '/v1/events?after=0&limit=1000'
expect_status 200 events; conforms get /v1/events events
expect '[.events[].type] | index("order.created") != null and index("line.backordered") != null and index("supply.received") != null and index("stock.changed") != null' "events of the story"
expect '[.events[].seq] == ([.events[].seq] | sort) and (.events | length) == (.events[-1].seq)' "events are gap-free in commit order"

# Holds: placed, read, consumed by an order, released (again: 200, nothing changes).
call POST /v1/holds '{"id":"h-1","channel":"web","lines":[{"sku":"85123A","qty":1},{"sku":"NOPE","qty":1}],"expires_at":"2031-01-01T00:30:00Z"}'
expect_status 201 "place hold"; conforms post /v1/holds "place hold"
expect '.status == "active" and .held == 1 and .lines[1].reason == "unknown_sku"' "hold lines"
call GET /v1/holds/h-1; expect_status 200 "get hold"; conforms get /v1/holds/{id} "get hold"
call DELETE /v1/holds/h-1; expect_status 200 "release hold"; conforms delete /v1/holds/{id} "release hold"
expect '.status == "released" and .released_now == true' "released now"
call DELETE /v1/holds/h-1; expect_status 200 "release again"; expect '.released_now == false' "already released"
call POST /v1/holds '{"id":"h-2","channel":"web","lines":[{"sku":"85123A","qty":1}],"expires_at":"2031-01-01T00:30:00Z"}'
call POST /v1/orders '{"id":"o-h","channel":"web","hold":"h-2","lines":[{"sku":"85123A","qty":1}]}'
expect_status 201 "order with hold"; conforms post /v1/orders "order with hold"
expect '.hold.applied == true and .hold.units == 1 and .lines[0].allocated[0].qty == 1' "the order took its hold"
call GET /v1/holds/h-404; expect_error 404 not_found null "unknown hold"
call DELETE /v1/holds/h-404; expect_error 404 not_found null "release unknown hold"

# Bad input: 4xx naming the field, never a 5xx, and nothing changes.
call GET /v1/stock/85123A; before=$(cat "$WORK/body")
call POST /v1/orders '{"id":"o-2","channel":"web","lines":[{"sku":"85123A","qty":1}'
expect_error 400 invalid_json null "malformed JSON"
call POST /v1/orders '[1,2]'
expect_error 400 invalid_json null "not an object"
call POST /v1/orders '{"channel":"web","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 missing_field id "missing id"
call POST /v1/orders '{"id":"o-2","channel":"web","lines":[{"sku":"85123A","qty":"1"}]}'
expect_error 422 invalid_field 'lines[0].qty' "qty as a string"
call POST /v1/orders '{"id":"o-2","channel":"web","lines":[{"sku":"85123A","qty":1.5}]}'
expect_error 422 invalid_field 'lines[0].qty' "decimal quantity (B47, B49)"
call POST /v1/orders '{"id":"o-2","channel":"web","lines":[{"sku":"85123A","qty":0}]}'
expect_error 422 invalid_field 'lines[0].qty' "zero quantity"
call POST /v1/orders '{"id":"o-2","channel":"web","lines":[{"sku":"85123A","qty":-3}]}'
expect_error 422 invalid_field 'lines[0].qty' "negative quantity"
call POST /v1/orders '{"id":"o-2","channel":"web","lines":[{"sku":"85123A","qty":99999999999999999999}]}'
[ "${STATUS:0:1}" = 4 ] || fail "huge number: status $STATUS"
call POST /v1/orders '{"id":"o-2","channel":"web","lines":[]}'
expect_error 422 invalid_field lines "no lines"
call POST /v1/orders '{"id":"o-2","channel":"nope","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 invalid_field channel "unknown channel"
call POST /v1/orders '{"id":"","channel":"web","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 invalid_field id "empty id"
call POST /v1/orders "{\"id\":\"o-2\",\"channel\":\"web\",\"lines\":[$(printf '{"sku":"A","qty":1},%.0s' $(seq 1 1000)){\"sku\":\"A\",\"qty\":1}]}"
expect_error 422 limit_exceeded lines "too many lines"
head -c 2000000 /dev/zero | tr '\0' 'x' >"$WORK/big"
STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X POST "$BASE/v1/orders" -H 'Content-Type: application/json' --data-binary @"$WORK/big")
expect_error 413 too_large null "oversized body"
call POST /v1/stock/adjustments '{"sku":"85123A","location":"UK1","delta":-100}'
expect_error 422 invalid_field delta "adjustment below zero"
call POST /v1/stock/adjustments '{"sku":"85123A","location":"UK1","set":1,"unavailable":5}'
expect_error 422 invalid_field unavailable "unavailable above on_hand"
call POST /v1/stock/adjustments '{"sku":"85123A","location":"UK1","delta":1,"set":1}'
expect_error 422 invalid_field set "delta and set together"
call POST /v1/supply '{"id":"PO-2","sku":"85123A","location":"UK1","qty":4,"expected_date":"2030-02-30"}'
expect_error 422 invalid_field expected_date "impossible date"
call POST /v1/supply/PO-404/receipts '{"qty":1}'
expect_error 404 unknown_supply null "receipt of unknown supply"
call POST /v1/supply/PO-1/receipts '{"qty":1}'
expect_error 409 supply_closed null "receipt of received supply"
call POST /v1/orders/nope/shipments '{"location":"UK1","lines":[{"line":1,"qty":1}]}'
expect_error 404 not_found null "ship unknown order"
call PUT /v1/locations/EU1 '{"timezone":"Mars/Olympus"}'
expect_error 422 invalid_field timezone "unknown time zone"
call PUT /v1/items/X '{"policy":"sometimes"}'
expect_error 422 invalid_field policy "unknown policy"
call GET '/v1/availability?sku=85123A'
expect_error 422 missing_field channel "availability without channel"
call GET "/v1/availability?channel=web$(printf '&sku=S%d' $(seq 1 1001))"
expect_error 413 too_large sku "too many skus"
call GET '/v1/availability?channel=web&sku=85123A&qty=0'
expect_error 422 invalid_field qty "qty 0"
# A request's "at" may not push the engine clock into the future (only POST /v1/clock may).
call GET /metrics; clock_before=$(grep '^oms_engine_clock_seconds' "$WORK/body")
call POST /v1/orders '{"id":"o-future","channel":"web","lines":[{"sku":"85123A","qty":1}],"at":"2099-01-01T00:00:00Z"}'
expect_error 422 invalid_field at "order dated in the future"
call GET /metrics
[ "$(grep '^oms_engine_clock_seconds' "$WORK/body")" = "$clock_before" ] || fail "a refused request moved the clock"
H='"channel":"web","expires_at":"2031-01-01T01:00:00Z"'
call POST /v1/holds '{"id":"h-3","channel":"web","lines":[{"sku":"85123A","qty":1}]'
expect_error 400 invalid_json null "hold: malformed JSON"
call POST /v1/holds "{$H,\"lines\":[{\"sku\":\"85123A\",\"qty\":1}]}"
expect_error 422 missing_field id "hold: missing id"
call POST /v1/holds '{"id":"h-3","expires_at":"2031-01-01T01:00:00Z","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 missing_field channel "hold: missing channel"
call POST /v1/holds "{\"id\":\"h-3\",$H}"
expect_error 422 missing_field lines "hold: missing lines"
call POST /v1/holds '{"id":"h-3","channel":"web","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 missing_field expires_at "hold: missing expires_at"
call POST /v1/holds "{\"id\":\"h-3\",$H,\"lines\":[{\"sku\":\"85123A\",\"qty\":0}]}"
expect_error 422 invalid_field 'lines[0].qty' "hold: qty 0"
call POST /v1/holds "{\"id\":\"h-3\",$H,\"lines\":[{\"sku\":\"85123A\",\"qty\":-1}]}"
expect_error 422 invalid_field 'lines[0].qty' "hold: negative qty"
call POST /v1/holds "{\"id\":\"h-3\",$H,\"lines\":[{\"sku\":\"85123A\",\"qty\":1.5}]}"
expect_error 422 invalid_field 'lines[0].qty' "hold: decimal qty"
call POST /v1/holds "{\"id\":\"h-3\",$H,\"lines\":[]}"
expect_error 422 invalid_field lines "hold: no lines"
call POST /v1/holds "{\"id\":\"h-3\",$H,\"lines\":[$(printf '{"sku":"A","qty":1},%.0s' $(seq 1 1000)){\"sku\":\"A\",\"qty\":1}]}"
expect_error 422 limit_exceeded lines "hold: too many lines"
call POST /v1/holds '{"id":"h-3","channel":"web","expires_at":"2030-12-31T23:00:00Z","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 invalid_field expires_at "hold: expires_at in the past"
call POST /v1/holds '{"id":"h-3","channel":"web","expires_at":"2031-01-03T00:00:00Z","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 limit_exceeded expires_at "hold: longer than hold_ttl_max"
call POST /v1/holds '{"id":"h-3","channel":"web","expires_at":"soon","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 invalid_field expires_at "hold: expires_at not an instant"
call POST /v1/holds "{\"id\":\"h-3\",\"channel\":\"nope\",\"expires_at\":\"2031-01-01T01:00:00Z\",\"lines\":[{\"sku\":\"85123A\",\"qty\":1}]}"
expect_error 422 invalid_field channel "hold: unknown channel"
call POST /v1/holds "{\"id\":\"h-2\",$H,\"lines\":[{\"sku\":\"85123A\",\"qty\":2}]}"
expect_error 409 idempotency_conflict id "hold: id reused with another body"
call POST /v1/orders '{"id":"o-3","channel":"web","hold":"h-404","lines":[{"sku":"85123A","qty":1}]}'
expect_error 422 invalid_field hold "order naming an unknown hold"
call GET /v1/holds/h-3; expect_error 404 not_found null "no refused hold was kept"
# Every path and query parameter of every route, sent bad: not percent-decodable (%FF) or far
# longer than any key (300 bytes). The answer is a 4xx the contract documents for that route,
# with a conforming error body; other path parameters get a harmless value; nothing changes.
long=$(printf 'x%.0s' $(seq 1 300)) checked=0
while read -r method template; do
    params=$(grep -oE '\{[a-z_]+\}' <<<"$template" | tr -d '{}' || true)
    queries=$(jq -r --arg p "$template" --arg m "$method" \
        '[.paths[$p].parameters[]?, .paths[$p][$m].parameters[]?] | .[] | select(.in == "query") | .name' "$API")
    body=""; [ "$method" = get ] || [ "$method" = delete ] || body='{}'
    for bad in %FF "$long"; do
        for param in $params ${queries:+?}; do
            path=$template
            for other in $params; do
                value=1; [ "$other" = "$param" ] && value=$bad
                path=${path/\{$other\}/$value}
            done
            cases=("$path")
            if [ "$param" = "?" ]; then
                cases=(); for q in $queries; do cases+=("$path?$q=$bad"); done
            fi
            for target in "${cases[@]}"; do
                call "${method^^}" "$target" "$body"
                checked=$((checked + 1))
                [ "${STATUS:0:1}" = 4 ] || fail "$method $template with $param bad (${bad:0:5}): status $STATUS"
                conforms "$method" "$template" "$method $template with ${param/\?/a query parameter} bad (${bad:0:5}...)"
            done
        done
    done
done < <(jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. != "parameters")
    | "\(.) \($p)"' "$API")
[ "$checked" -gt 100 ] || fail "only $checked bad-parameter requests were sent"

# Every path and query parameter that names a SKU, a code or an id is bounded by that field's
# own limit (the one its create route enforces: SKU and code 64 bytes, ids 128, webhook ids
# 64), with one error: one byte more is 422 invalid_field naming the parameter, and a read of a
# value at the limit is answered (404 or 200), not refused. GET /v1/items/{sku} once allowed
# 128-byte SKUs (404 for what no PUT could create).
bytes() { printf 'k%.0s' $(seq 1 "$1"); }
limit_of() {
    case "$1 $2" in
        "sku "*|"code "*|"channel "*|"region "*|"collect "*) echo 64 ;;
        "id /v1/webhooks"*) echo 64 ;;
        "id "*) echo 128 ;;
        *) echo "" ;;
    esac
}
bounded=0
while read -r method template; do
    params=$(grep -oE '\{[a-z_]+\}' <<<"$template" | tr -d '{}' || true)
    body=""; [ "$method" = get ] || [ "$method" = delete ] || body='{}'
    for param in $params; do
        max=$(limit_of "$param" "$template"); [ -n "$max" ] || continue
        documented=$(jq -r --arg p "$template" --arg m "$method" --arg n "$param" \
            '[.paths[$p].parameters[]?, .paths[$p][$m].parameters[]?] | .[]
             | select(.name == $n and .in == "path") | .schema.maxLength' "$API")
        [ "$documented" = "$max" ] || fail "$method $template: openapi says $param maxLength $documented, not $max"
        for len in $((max + 1)) "$max"; do
            [ "$len" = "$max" ] && [ "$method" != get ] && continue # reads only: change nothing
            path=$template
            for other in $params; do
                value=1; [ "$other" = "$param" ] && value=$(bytes "$len")
                path=${path/\{$other\}/$value}
            done
            call "${method^^}" "$path" "$body"
            if [ "$len" -gt "$max" ]; then
                expect_error 422 invalid_field "$param" "$method $template: $param of $len bytes"
                expect ".error.message | contains(\"1 to $max bytes\")" "$method $template: the limit named" || true
            else
                [ "$STATUS" != 422 ] || [ "$(body_of '.error.field // ""')" != "$param" ] ||
                    fail "$method $template: $param of $max bytes refused: $(cat "$WORK/body")"
            fi
            bounded=$((bounded + 1))
        done
    done
done < <(jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. != "parameters")
    | "\(.) \($p)"' "$API")
[ "$bounded" -gt 40 ] || fail "only $bounded bounded path parameters were checked"
# The availability read's query parameters, the same way.
for q in sku channel region collect; do
    # The others without q: a second channel= would be refused as repeated, not as too long.
    others="channel=web&sku=85123A"; [ "$q" = channel ] && others="sku=85123A"
    call GET "/v1/availability?$q=$(bytes 65)&$others"
    expect_error 422 invalid_field "$q" "availability: $q of 65 bytes" || true
    expect '.error.message | contains("1 to 64 bytes")' "availability: the $q limit named" || true
done
call GET "/v1/availability?channel=web&sku=$(bytes 64)"
expect_status 200 "availability: a SKU of 64 bytes is unknown, not refused"
expect '.items[0].status == "unknown_sku"' "availability: unknown_sku at the limit" || true

call DELETE /v1/orders/o-1
[ "$STATUS" = 405 ] || fail "DELETE on an order: status $STATUS"
call GET /v1/nothing; expect_status 404 "unknown path"
call GET /v1/stock/85123A
[ "$(cat "$WORK/body")" = "$before" ] || fail "bad input changed the stock"

stop_server
finish
