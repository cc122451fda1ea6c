#!/usr/bin/env bash
# ERP/POS stock snapshots over HTTP and from CSV (rule 6): a snapshot applies every row in one
# commit and answers its reconciliation report (conforming to docs/openapi.json); a late
# snapshot re-applies the movements recorded after its as_of, so units sold since are never
# resurrected; the same id replays the first report and another body under it is a conflict;
# a dry run reports a shortage and changes nothing; bad input gets a 4xx naming the field or
# row and changes nothing; `oms import snapshot` applies a CSV file through the same command,
# all or nothing with row-numbered errors; reports survive a restart.
source "$(dirname "$0")/lib.sh"

# Instants relative to the wall clock: the server refuses counts taken in the future.
ago() { date -u -d "-$1" +%Y-%m-%dT%H:%M:%SZ; }
T_EARLY=$(ago '3 hours')
T_LATE=$(ago '2 hours')

# on_hand and available of SKU at LOC, from GET /v1/stock/SKU.
level() {
    call GET "/v1/stock/$1"
    body_of ".locations[] | select(.location == \"$2\") | \"\(.on_hand) \(.allocated) \(.available)\""
}

start_server "$WORK/snap.db"
call PUT /v1/locations/WH1 '{"region":"UK","priority":1,"handling_days":0,"working_days":["mon","tue","wed","thu","fri","sat","sun"]}'
call PUT /v1/locations/WH2 '{"region":"UK","priority":2,"handling_days":0,"working_days":["mon","tue","wed","thu","fri","sat","sun"]}'
call PUT /v1/channels/web '{"locations":["WH1","WH2"],"allow_backorder":true,"priority":10}'
call PUT /v1/items/A '{"policy":"backorder","lead_time_days":7}'; expect_status 201 "item A"
call PUT /v1/items/B '{"policy":"deny"}'; expect_status 201 "item B"
call POST /v1/subscriptions '{"sku":"B","channel":"web","contact":"s1@example.com"}'
expect_status 201 "subscriber of B"

# The first snapshot: B goes from 0 to 10 (back in stock, no re-save), A to 10.
S1="{\"id\":\"S1\",\"as_of\":\"$T_EARLY\",\"source\":\"ERP nightly\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":10},{\"sku\":\"B\",\"location\":\"WH1\",\"on_hand\":10}]}"
call POST /v1/stock/snapshots "$S1"
expect_status 201 "snapshot S1"; conforms post /v1/stock/snapshots "snapshot S1"
expect '.id == "S1" and .rows == 2 and .changed == 2 and .unchanged == 0 and .superseded == 0' "S1 counts"
expect '.changes[0] == {"row":0,"sku":"A","location":"WH1","erp_on_hand":10,"movements_after_as_of":0,"on_hand_before":0,"on_hand_after":10,"delta":10}' "S1 row 0"
expect '.source == "ERP nightly" and .dry_run == false' "S1 source"
cp "$WORK/body" "$WORK/s1.json"
[ "$(level A WH1)" = "10 0 10" ] || fail "A after S1: $(level A WH1)"
call GET '/v1/availability?channel=web&sku=B'
expect '.items[0].status == "in_stock" and .items[0].available == 10' "B in stock at once (B45)"
call GET '/v1/events?after=0&limit=1000'
expect '[.events[] | select(.type == "item.back_in_stock" and .subject == "sub_1")] | length == 1' "subscriber notified (B45)"
expect '[.events[] | select(.type == "stock.changed")] | length == 2' "one stock.changed per level"

# The same id and body (keys in another order) is the first report; another body, a conflict.
call POST /v1/stock/snapshots "{\"rows\":[{\"location\":\"WH1\",\"sku\":\"A\",\"on_hand\":10},{\"sku\":\"B\",\"on_hand\":10,\"location\":\"WH1\"}],\"source\":\"ERP nightly\",\"as_of\":\"$T_EARLY\",\"id\":\"S1\"}"
expect_status 200 "S1 again"
cmp -s "$WORK/body" "$WORK/s1.json" || fail "a repeat of S1 must answer the first report"
call POST /v1/stock/snapshots "{\"id\":\"S1\",\"as_of\":\"$T_EARLY\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":99}]}"
expect_error 409 idempotency_conflict id "S1 with another body"
[ "$(level A WH1)" = "10 0 10" ] || fail "A after the repeats: $(level A WH1)"

# Sales after the ERP's count: O1 takes 4, 1 of them ships.
call POST /v1/orders '{"id":"O1","channel":"web","region":"UK","lines":[{"sku":"A","qty":4}]}'
expect_status 201 "order O1"
call POST /v1/orders/O1/shipments '{"location":"WH1","lines":[{"line":1,"qty":1}]}'
expect_status 200 "ship 1 of O1"
[ "$(level A WH1)" = "9 3 6" ] || fail "A after O1: $(level A WH1)"

# A late snapshot counted 12 before those sales: the shipment is re-applied (11 on hand), the
# allocation stays bound (8 available), never 12.
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":12}]}" -H 'Idempotency-Key: late-1'
expect_status 201 "late snapshot"; conforms post /v1/stock/snapshots "late snapshot"
expect '.id | startswith("snap_")' "the engine names a snapshot sent without id"
expect '.changes[0].movements_after_as_of == -1 and .changes[0].on_hand_before == 9 and .changes[0].on_hand_after == 11 and .changes[0].delta == 2' "moves after as_of re-applied"
LATE_ID=$(body_of .id)
[ "$(level A WH1)" = "11 3 8" ] || fail "A after the late snapshot: $(level A WH1)"
call GET "/v1/stock/snapshots/$LATE_ID"; expect_status 200 "GET the late snapshot"
expect '.changes[0].on_hand_after == 11' "stored report"

# Counts taken now: after every movement so far (instants are whole seconds, movements
# carry milliseconds: a second's pause puts them all before).
sleep 1
T_NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# A dry run of a count of 1: the location would be 2 short, O1 would backorder 2; nothing
# changes and nothing is stored.
call POST '/v1/stock/snapshots?dry_run=true' "{\"id\":\"DRY\",\"as_of\":\"$T_NOW\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":1}]}"
expect_status 200 "dry run"; conforms post /v1/stock/snapshots "dry run"
expect '.dry_run == true and .changed == 1' "dry run report"
expect '[.warnings[] | select(.code == "short")][0] | .short == 2 and .lines == [{"order":"O1","line":1,"backordered_by_shortage":2}]' \
    "dry run names the shortage: each line it took from by reference (order, line) with the units taken" || true
# Each affected line is listed once, in promise_changes (the list every change answers), with
# what it has after the change; the warning's references all resolve there.
expect '[.promise_changes[] | select(.order == "O1" and .line == 1)] | length == 1 and .[0].line_allocated == 1 and .[0].line_backordered == 2 and .[0].sku == "A"' \
    "the line once, under promise_changes, with its allocated and backordered now" || true
expect '([.warnings[].lines[]? | {order, line}] - [.promise_changes[] | {order, line}]) == []' \
    "every line a warning refers to is in promise_changes" || true
expect '[.warnings[] | select(.code == "below_allocated")] | length == 1' "below allocated"
[ "$(level A WH1)" = "11 3 8" ] || fail "A after the dry run: $(level A WH1)"
call GET /v1/stock/snapshots/DRY; expect_error 404 not_found null "a dry run stores nothing"

# Bad input: a 4xx naming the field or row; nothing changes.
call GET /v1/stock/A; before=$(cat "$WORK/body")
call POST /v1/stock/snapshots '{"as_of":"2026-01-01T00:00:00Z","rows":[{"sku":"A"'
expect_error 400 invalid_json null "malformed JSON"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":{\"sku\":\"A\"}}"
expect_error 422 invalid_field rows "rows not an array"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[]}"
expect_error 422 invalid_field rows "no rows"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5},\"x\"]}"
expect_error 422 invalid_field 'rows[1]' "a row that is not an object"
for bad in '-1' '1.5' '"x"' 'null'; do
    call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5},{\"sku\":\"B\",\"location\":\"WH1\",\"on_hand\":$bad}]}"
    # null is no value (decisions.md 53): a required on_hand sent as null is missing.
    code=invalid_field; [ "$bad" = null ] && code=missing_field
    expect_error 422 "$code" 'rows[1].on_hand' "on_hand $bad"
done
call POST /v1/stock/snapshots '{"rows":[{"sku":"A","location":"WH1","on_hand":5}]}'
expect_error 422 missing_field as_of "missing as_of"
call POST /v1/stock/snapshots '{"as_of":"2099-01-01T00:00:00Z","rows":[{"sku":"A","location":"WH1","on_hand":5}]}'
expect_error 422 invalid_field as_of "as_of in the future"
call POST /v1/stock/snapshots '{"as_of":"yesterday","rows":[{"sku":"A","location":"WH1","on_hand":5}]}'
expect_error 422 invalid_field as_of "as_of not an instant"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5},{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":6}]}"
expect_error 422 invalid_field 'rows[1]' "the same level twice"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5},{\"sku\":\"NOPE\",\"location\":\"WH1\",\"on_hand\":6}]}"
expect_error 422 invalid_field 'rows[1].sku' "unknown sku"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5},{\"sku\":\"B\",\"location\":\"NOPE\",\"on_hand\":6}]}"
expect_error 422 invalid_field 'rows[1].location' "unknown location"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5,\"unavailable\":6}]}"
expect_error 422 invalid_field 'rows[0].unavailable' "unavailable above on_hand"
call POST /v1/stock/snapshots "{\"as_of\":\"$T_LATE\",\"thresholds\":{\"change_units\":-1},\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5}]}"
expect_error 422 invalid_field 'thresholds.change_units' "a negative threshold"
call POST '/v1/stock/snapshots?dry_run=maybe' "{\"as_of\":\"$T_LATE\",\"rows\":[{\"sku\":\"A\",\"location\":\"WH1\",\"on_hand\":5}]}"
expect_error 422 invalid_field dry_run "dry_run not a boolean"
call GET /v1/stock/snapshots/NOPE; expect_error 404 not_found null "unknown snapshot"
call GET /v1/stock/A
[ "$(cat "$WORK/body")" = "$before" ] || fail "bad input changed the stock"
stop_server

# CSV import through the same command: a bad file changes nothing, with row-numbered errors.
printf 'sku,location,on_hand\nA,WH2,7\nB,WH2,-3\nZ,WH2,1\n' >"$WORK/bad.csv"
if "$OMS_BIN" import --db "$WORK/snap.db" snapshot --as-of "$T_NOW" "$WORK/bad.csv" \
    >"$WORK/out" 2>"$WORK/err"; then
    fail "a bad snapshot file was accepted"
fi
grep -q 'row 2, column on_hand' "$WORK/err" || fail "bad CSV: no row-numbered error: $(cat "$WORK/err")"
grep -q "row 3, column sku: no item 'Z'" "$WORK/err" || fail "bad CSV: unknown sku not named: $(cat "$WORK/err")"
grep -q 'nothing was imported' "$WORK/err" || fail "bad CSV: all or nothing not said"
# A row with more fields than the header (a thousands separator: 1,100 read as on_hand 1 and
# an extra field) or fewer is refused, named with both counts, for snapshots and stock alike.
printf 'sku,location,on_hand\nA,WH2,1,100\nB,WH2\n' >"$WORK/wide.csv"
for kind in snapshot stock; do
    args=("$kind"); [ "$kind" = snapshot ] && args+=(--as-of "$T_NOW")
    if "$OMS_BIN" import --db "$WORK/snap.db" "${args[@]}" "$WORK/wide.csv" >"$WORK/out" 2>"$WORK/err"; then
        fail "$kind: a row with 4 fields under a 3-field header was imported"
    fi
    grep -q 'row 1: line 2: 4 fields where the header has 3' "$WORK/err" ||
        fail "$kind: the wide row is not named: $(cat "$WORK/err")"
    grep -q 'row 2: line 3: 2 fields where the header has 3' "$WORK/err" ||
        fail "$kind: the short row is not named: $(cat "$WORK/err")"
    grep -q 'nothing was imported' "$WORK/err" || fail "$kind: all or nothing not said"
done
printf 'sku,location,on_hand,unavailable\nA,WH2,7,\nB,WH2,3,1\nA,WH1,11,\n' >"$WORK/good.csv"
"$OMS_BIN" import --db "$WORK/snap.db" snapshot --as-of "$T_NOW" --id CSV1 \
    "$WORK/good.csv" >"$WORK/out" 2>"$WORK/err" || fail "snapshot import: $(cat "$WORK/err")"
grep -q 'snapshot CSV1 as of .*: 3 rows: 2 changed, 1 unchanged, 0 superseded' "$WORK/out" ||
    fail "import summary: $(cat "$WORK/out")"
"$OMS_BIN" import --db "$WORK/snap.db" snapshot --as-of "$T_NOW" --id CSV1 \
    "$WORK/bad.csv" >"$WORK/out" 2>&1 && fail "CSV1 with another (bad) file was accepted"

# After a restart: the imports and the reports are there.
start_server "$WORK/snap.db"
[ "$(level A WH2)" = "7 0 7" ] || fail "A at WH2 after the import: $(level A WH2)"
call GET /v1/stock/B
expect '.locations[] | select(.location == "WH2") | .on_hand == 3 and .unavailable == 1' "B at WH2 after the import"
call GET /v1/stock/snapshots/CSV1; expect_status 200 "CSV1 report"; conforms get /v1/stock/snapshots/{id} "CSV1 report"
expect '.changed == 2 and .unchanged == 1' "CSV1 report counts"
call GET /v1/stock/snapshots/S1; expect_status 200 "S1 after restart"
cmp -s "$WORK/body" "$WORK/s1.json" || fail "S1's report changed across the restart"
stop_server
finish
