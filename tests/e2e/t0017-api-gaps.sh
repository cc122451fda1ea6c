#!/usr/bin/env bash
# What API.md promises and the server once refused (decisions.md 51-53): a shipment or a
# cancelled shipment may leave out its location when only one is possible, and is told which
# ones are possible when not (51); every mutating route takes an optional body carrying "at",
# routes without other fields included, with the rules "at" has everywhere (52); and
# GET /v1/items/{sku}/queue lists an item's waiting lines in queue order with their pegs and
# promises (53). Answers are checked against docs/openapi.json.
source "$(dirname "$0")/lib.sh"
API="$OMS_SRC/docs/openapi.json"
SCHEMA="$OMS_SRC/tests/e2e/schema.jq"

conforms() {
    local problems
    problems=$(jq -r --slurpfile api "$API" --arg path "$2" --arg method "$1" \
        --arg status "$STATUS" -f "$SCHEMA" "$WORK/body" 2>&1) || problems="jq failed: $problems"
    [ -z "$problems" ] || fail "$3: $problems"
}

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

stop_server
finish
