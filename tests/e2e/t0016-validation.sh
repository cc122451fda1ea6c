#!/usr/bin/env bash
# Input a new user got wrong answers for: every value is checked for what it says before the
# engine acts on it, errors name the field that is wrong and say why, and a refusal changes
# nothing. A snapshot row is a count as taken (unavailable never above its own on_hand), also
# when movements since as_of exist and also from CSV.
source "$(dirname "$0")/lib.sh"

ago() { date -u -d "-$1" +%Y-%m-%dT%H:%M:%SZ; }
T_COUNT=$(ago '2 hours')
DAYS='"working_days":["mon","tue","wed","thu","fri","sat","sun"]'

start_server "$WORK/v.db"
call PUT /v1/locations/TW1 "{\"region\":\"UK\",\"priority\":1,\"handling_days\":0,$DAYS}"
call PUT /v1/channels/web '{"locations":["TW1"],"allow_backorder":true,"priority":10}'
call PUT /v1/items/TSKU1 '{"policy":"backorder","lead_time_days":7}'; expect_status 201 "item"
call POST /v1/stock/adjustments '{"sku":"TSKU1","location":"TW1","delta":10}'
expect_status 200 "ten received after the count"
call POST /v1/orders '{"id":"O1","channel":"web","lines":[{"sku":"TSKU1","qty":3}]}'
expect_status 201 "order"; expect '.lines[0].status == "allocated"' "O1 allocated"
call GET /v1/stock/TSKU1; before=$(cat "$WORK/body")

# 1. A row with 5 unavailable of 4 counted: refused as counted, with or without later moves.
row='{"sku":"TSKU1","location":"TW1","on_hand":4,"unavailable":5}'
call POST /v1/stock/snapshots "{\"as_of\":\"$T_COUNT\",\"rows\":[$row]}"
expect_error 422 invalid_field 'rows[0].unavailable' "unavailable above the counted on_hand"
call POST '/v1/stock/snapshots?dry_run=true' "{\"as_of\":\"$T_COUNT\",\"rows\":[$row]}"
expect_error 422 invalid_field 'rows[0].unavailable' "the same in a dry run"
call POST /v1/stock/adjustments "{\"sku\":\"TSKU1\",\"location\":\"TW1\",\"set\":4,\"unavailable\":5,\"as_of\":\"$T_COUNT\"}"
expect_error 422 invalid_field unavailable "a count with unavailable above it"
call GET /v1/stock/TSKU1
[ "$(cat "$WORK/body")" = "$before" ] || fail "a refused count changed the stock: $(cat "$WORK/body")"
call GET /v1/orders/O1; expect '.lines[0].status == "allocated"' "O1 still allocated"
stop_server

# The CSV import of a snapshot shares the rule, row-numbered, and imports nothing.
printf 'sku,location,on_hand,unavailable\nTSKU1,TW1,4,5\n' >"$WORK/bad.csv"
if "$OMS_BIN" import --db "$WORK/v.db" snapshot --as-of "$T_COUNT" "$WORK/bad.csv" \
    >"$WORK/out" 2>"$WORK/err"; then
    fail "a CSV row with unavailable above on_hand was imported"
fi
grep -q 'row 1, column unavailable' "$WORK/err" || fail "CSV: row not named: $(cat "$WORK/err")"
grep -q 'nothing was imported' "$WORK/err" || fail "CSV: all or nothing not said"
# --as-of takes the same instants as the API's as_of, and says the range.
printf 'sku,location,on_hand\nTSKU1,TW1,4\n' >"$WORK/good.csv"
if "$OMS_BIN" import --db "$WORK/v.db" snapshot --as-of 1970-01-01T00:00:00Z "$WORK/good.csv" \
    >"$WORK/out" 2>"$WORK/err"; then
    fail "a snapshot as of 1970-01-01 was imported"
fi
grep -q '2000-01-01T00:00:00Z' "$WORK/err" || fail "--as-of: range not told: $(cat "$WORK/err")"
start_server "$WORK/v.db"
call GET /v1/stock/TSKU1
[ "$(cat "$WORK/body")" = "$before" ] || fail "a refused CSV changed the stock: $(cat "$WORK/body")"

# 2. The clock only moves forward: an earlier instant is a 422 naming at, with the clock's
# value; an instant outside the accepted range is told the range, on every instant field.
T_AHEAD=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
call POST /v1/clock "{\"at\":\"$T_AHEAD\"}"; expect_status 200 "clock forward"
clock=$(body_of .clock)
call POST /v1/clock "{\"at\":\"$T_COUNT\"}"
expect_error 422 invalid_field at "an earlier clock"
expect ".error.message | contains(\"$clock\") and contains(\"forward\")" "the message says the clock and why"
call POST /v1/clock "{\"at\":\"$clock\"}"; expect_status 200 "the same instant again changes nothing"
expect ".clock == \"$clock\"" "clock unchanged"
for bad in 1970-01-01T00:00:00Z 1999-12-31T23:59:59Z 9999-12-31T23:59:59Z; do
    call POST /v1/clock "{\"at\":\"$bad\"}"
    expect_error 422 invalid_field at "clock at $bad"
    expect '.error.message | (contains("RFC 3339") | not) and contains("2000-01-01T00:00:00Z") and contains("9000-01-01T00:00:00Z")' "range told for $bad"
    call POST /v1/stock/snapshots "{\"as_of\":\"$bad\",\"rows\":[{\"sku\":\"TSKU1\",\"location\":\"TW1\",\"on_hand\":4}]}"
    expect_error 422 invalid_field as_of "as_of $bad"
    expect '.error.message | contains("2000-01-01T00:00:00Z")' "range told for as_of $bad"
done
call POST /v1/clock '{"at":"2026-13-01T00:00:00Z"}'
expect_error 422 invalid_field at "not an instant"
expect '.error.message | contains("RFC 3339")' "the form told for text that is no instant"

# 3. An error names the field whose value is wrong, whatever else is missing; a raw NUL byte
# is named as such, with where it is.
adj='"sku":"TSKU1","location":"TW1"'
for case in 'safety:-1' 'unavailable:-1' 'reason:5' 'delta:"x"' 'set:-2' 'as_of:"nope"' 'at:"nope"'; do
    key=${case%%:*}; value=${case#*:}
    call POST /v1/stock/adjustments "{$adj,\"$key\":$value}"
    expect_error 422 invalid_field "$key" "an adjustment with only a bad $key"
done
call POST /v1/stock/adjustments "{$adj,\"delta\":1,\"set\":\"x\"}"
expect_error 422 invalid_field set "both, set bad"
call POST /v1/stock/adjustments "{$adj,\"set\":2,\"as_of\":\"nope\"}"
expect_error 422 invalid_field as_of "a count with a bad as_of"
call POST /v1/stock/adjustments "{$adj,\"safety\":2}"
expect_error 422 missing_field delta "safety alone"
expect '.error.message | contains("delta") and contains("set")' "safety alone: the message says what to send"
call POST /v1/stock/adjustments "{$adj,\"delta\":1,\"set\":2}"
expect_error 422 invalid_field set "both delta and set"
printf '{"sku":"TSKU1","location":"TW1","delta":1,"reason":"a\0b"}' >"$WORK/nul.json"
call POST /v1/stock/adjustments "" --data-binary "@$WORK/nul.json" -H 'Content-Type: application/json'
expect_error 400 invalid_json null "a raw NUL byte"
expect '.error.message | contains("NUL byte") and contains("offset 53") and (contains("end of file") | not)' "the NUL byte named at its offset"
call GET /v1/stock/TSKU1
expect '.locations[0].safety == 0 and .locations[0].unavailable == 0' "refused adjustments changed nothing"

# 4. A latest_date before the order's date can never be met: 422 naming the line's field,
# nothing placed. (The clock stands a day ahead now: the order's at says its date.)
T_ORDER=$(date -u +%Y-%m-%dT%H:%M:%SZ)
call POST /v1/orders "{\"id\":\"O2\",\"channel\":\"web\",\"at\":\"$T_ORDER\",\"lines\":[{\"sku\":\"TSKU1\",\"qty\":1},{\"sku\":\"TSKU1\",\"qty\":1,\"latest_date\":\"2000-01-01\"}]}"
expect_error 422 invalid_field 'lines[1].latest_date' "latest_date before the order's date"
call GET /v1/orders/O2; expect_status 404 "nothing placed"

# 5. HEAD is answered like GET without a body (load balancers probe /healthz with it).
code=$(curl -sS -o "$WORK/head" -w '%{http_code}' -I "$BASE/healthz")
[ "$code" = 200 ] || fail "HEAD /healthz: status $code"
grep -qi '^content-length: [1-9]' "$WORK/head" || fail "HEAD /healthz: no content-length of GET's body: $(cat "$WORK/head")"
code=$(curl -sS -o "$WORK/head" -w '%{http_code}' -I "$BASE/v1/stock/TSKU1")
[ "$code" = 200 ] || fail "HEAD /v1/stock/TSKU1: status $code"

# 6. A hold that holds nothing (all or nothing, short) is answered unfilled, not active: it
# reserves nothing, ends at once, and an order naming it is placed without it.
T_EXP=$(date -u -d '+1 day 20 minutes' +%Y-%m-%dT%H:%M:%SZ)
call POST /v1/holds "{\"id\":\"K1\",\"channel\":\"web\",\"partial\":false,\"lines\":[{\"sku\":\"TSKU1\",\"qty\":500}],\"expires_at\":\"$T_EXP\"}"
expect_status 201 "an all-or-nothing hold that cannot be filled"
expect '.status == "unfilled" and .held == 0 and .ended_at != null and .lines[0].reason == "ship_complete_unavailable"' "unfilled, with the line's reason"
call GET /v1/holds/K1; expect '.status == "unfilled"' "GET says unfilled"
call DELETE /v1/holds/K1; expect_status 200 "release an unfilled hold"
expect '.released_now == false and .status == "unfilled"' "nothing to release"
call POST /v1/holds "{\"id\":\"K2\",\"channel\":\"web\",\"partial\":false,\"lines\":[{\"sku\":\"TSKU1\",\"qty\":1}],\"expires_at\":\"$T_EXP\"}"
expect '.status == "active" and .held == 1' "a hold that can be filled is active"

stop_server
finish
