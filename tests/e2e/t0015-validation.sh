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
start_server "$WORK/v.db"
call GET /v1/stock/TSKU1
[ "$(cat "$WORK/body")" = "$before" ] || fail "a refused CSV changed the stock: $(cat "$WORK/body")"

stop_server
finish
