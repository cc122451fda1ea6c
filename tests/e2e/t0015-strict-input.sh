#!/usr/bin/env bash
# Input the server does not understand is refused, never ignored (decisions.md 42): a body
# field a route does not take is 422 unknown_field naming its path, at the top of the body or
# inside a line, a customer or a cap; a query parameter a path does not take, or a
# single-valued one given twice, is 400 invalid_query naming it; and nothing changes. Valid
# orders and their retries (other key order, same fingerprint) still work. Every route of
# docs/openapi.json is swept, so a new route that forgot the rule fails here.
source "$(dirname "$0")/lib.sh"

# state: what a refused request must leave as it was (master data, rules, stock, orders,
# holds, supply, snapshots and the event feed, whose last seq moves with any commit).
state() {
    local out="" target
    for target in /v1/items/TSKU1 /v1/channels/tch /v1/locations/TL1 /v1/channels/tch/items/TSKU1 \
        /v1/stock/TSKU1 /v1/orders/T-O1 /v1/supply/T-PO1 '/v1/events?after=0&limit=1000'; do
        call GET "$target"
        out+="$target $STATUS $(cat "$WORK/body")"$'\n'
    done
    printf '%s' "$out"
}

# refused METHOD PATH BODY STATUS CODE FIELD WHAT: the request is refused naming FIELD.
refused() {
    call "$1" "$2" "$3"
    expect_error "$4" "$5" "$6" "$7" || true
}

start_server "$WORK/strict.db"
call POST /v1/clock '{"at":"2030-01-01T09:00:00Z"}'; expect_status 200 clock
call PUT /v1/locations/TL1 '{"kind":"warehouse","region":"UK","priority":1}'
expect_status 201 location
call PUT /v1/channels/tch '{"locations":["TL1"],"allow_backorder":true}'
expect_status 201 channel
call PUT /v1/items/TSKU1 '{"name":"Test item","policy":"backorder","lead_time_days":5}'
expect_status 201 item
call PUT /v1/channels/tch/items/TSKU1 '{"cap":{"qty":10,"period":"week"}}'
expect_status 200 "cap as the API spells it"; expect '.rules.cap == {"qty":10,"period":"week"}' "cap set"
call POST /v1/stock/adjustments '{"sku":"TSKU1","location":"TL1","delta":20}'
expect_status 200 stock
call POST /v1/supply '{"id":"T-PO1","sku":"TSKU1","location":"TL1","qty":5,"expected_date":"2030-01-10"}'
expect_status 201 supply

# A valid order, then its retry with the keys in another order: the first answer again (the
# fingerprint of a valid body does not change), and a retry with an extra field is refused.
ORDER='{"id":"T-O1","channel":"tch","customer":{"ref":"c1","contact":"a@example.com"},"lines":[{"sku":"TSKU1","qty":2,"price":100}]}'
call POST /v1/orders "$ORDER" -H 'Idempotency-Key: strict-1'
expect_status 201 "valid order"; first=$(cat "$WORK/body")
call POST /v1/orders '{"lines":[{"price":100,"qty":2,"sku":"TSKU1"}],"customer":{"contact":"a@example.com","ref":"c1"},"channel":"tch","id":"T-O1"}' -H 'Idempotency-Key: strict-1'
expect_status 200 "retry of a valid order"
[ "$(cat "$WORK/body")" = "$first" ] || fail "a retry must return the first answer"

before=$(state)

# The faults of the report, one by one.
refused PUT /v1/channels/tch/items/TSKU1 '{"cap_qty":5,"cap_period":"year"}' 422 unknown_field cap_qty \
    "a cap in the CSV's columns"
expect '.error.message | contains("not a known field") and contains("buffer, buffer_percent, cap, floor, at")' \
    "the message lists the rule's fields" || true
refused PUT /v1/channels/tch/items/TSKU1 '{"cap":{"qty":5,"period":"week","per":"x"}}' 422 unknown_field cap.per \
    "an unknown field inside cap"
refused PUT /v1/items/TSKU1 '{"nmae":"typo"}' 422 unknown_field nmae "a misspelt item field"
refused POST /v1/orders '{"id":"T-O2","channel":"tch","lines":[{"sku":"TSKU1","qtyy":1}]}' 422 unknown_field \
    'lines[0].qtyy' "a misspelt line field"
refused POST /v1/orders '{"id":"T-O2","channel":"tch","customer":{"ref":"c","emial":"x"},"lines":[{"sku":"TSKU1","qty":1}]}' \
    422 unknown_field customer.emial "a misspelt customer field"
refused POST /v1/orders "${ORDER%\}},\"coupon\":\"X\"}" 422 unknown_field coupon \
    "a retry of a valid order with an extra field"
refused POST /v1/holds '{"id":"T-H1","channel":"tch","expires_at":"2030-01-01T09:30:00Z","lines":[{"sku":"TSKU1","qty":1,"note":"x"}]}' \
    422 unknown_field 'lines[0].note' "a hold line with an extra field"
refused POST /v1/stock/snapshots '{"as_of":"2030-01-01T08:00:00Z","rows":[{"sku":"TSKU1","location":"TL1","onhand":3}]}' \
    422 unknown_field 'rows[0].onhand' "a snapshot row with a misspelt count"
refused POST /v1/stock/snapshots '{"as_of":"2030-01-01T08:00:00Z","rows":[{"sku":"TSKU1","location":"TL1","on_hand":3}],"thresholds":{"units":1}}' \
    422 unknown_field thresholds.units "a snapshot threshold with a misspelt name"
refused POST /v1/stock/adjustments '{"sku":"TSKU1","location":"TL1","qty":5}' 422 unknown_field qty \
    "an adjustment with qty for delta"
refused POST /v1/webhooks '{"url":"http://127.0.0.1:1/h","secret":"s3cret-s3cret","types":["*"],"events":["*"]}' \
    422 unknown_field events "a webhook with an extra field"
refused POST /v1/orders/T-O1/cancel '{"lines":[{"line":1,"qty":1}],"location":"TL1"}' 422 unknown_field location \
    "a cancel naming a location (only shipments take one)"
refused POST /v1/clock '{"at":"2030-01-01T10:00:00Z","tick":true}' 422 unknown_field tick "a clock with an extra field"
# A route without fields of its own takes only "at": this would re-peg for real.
refused POST /v1/items/TSKU1/repeg '{"dry_run":true}' 422 unknown_field dry_run "a body sent to a re-peg"
expect '.error.message | contains("the body takes at")' "the re-peg takes only at" || true

# Query parameters: repeated single-valued ones, unknown ones, and ones that do not decode.
refused GET '/v1/availability?channel=tch&channel=web&sku=TSKU1' '' 400 invalid_query channel "two channels"
refused GET '/v1/availability?channel=tch&sku=TSKU1&qty=1&qty=5' '' 400 invalid_query qty "two quantities"
refused GET '/v1/availability?channel=tch&sku=TSKU1&foo=bar' '' 400 invalid_query foo "an unknown parameter"
refused GET '/v1/availability?channel=tch&sku=TSKU1&quantity=5' '' 400 invalid_query quantity "quantity for qty"
expect '.error.message | contains("channel, sku, qty, region, collect")' "the message lists the parameters" || true
refused GET '/v1/availability?channel=tch&sku=%zz' '' 400 invalid_query sku "a SKU that does not decode"
refused GET '/v1/orders/T-O1?expand=lines' '' 400 invalid_query expand "a parameter on a path that takes none"
refused GET '/v1/events?after=0&after=5' '' 400 invalid_query after "two cursors"
refused POST '/v1/stock/snapshots?dry_run=true&dry_run=false' \
    '{"as_of":"2030-01-01T08:00:00Z","rows":[{"sku":"TSKU1","location":"TL1","on_hand":3}]}' \
    400 invalid_query dry_run "a snapshot with two dry_run values"
refused POST '/v1/stock/adjustments?dry_run=true' '{"sku":"TSKU1","location":"TL1","delta":-20}' \
    400 invalid_query dry_run "a dry run the adjustment route does not have"

after=$(state)
[ "$after" = "$before" ] || fail "a refused request changed something: $(diff <(echo "$before") <(echo "$after") | head -20)"

# What is allowed still is: several SKUs, a body of {} where none is taken.
call GET '/v1/availability?channel=tch&sku=TSKU1&sku=NOPE&sku=TSKU1&qty=1'
expect_status 200 "several skus"; expect '(.items | length) == 3' "every sku answered"
call POST '/v1/items/TSKU1/repeg?dry_run=true' '{}'
expect_status 200 "a re-peg with an empty body"

# Every documented route: an unknown top-level field (and one inside every object its request
# body documents) is refused by its path before anything else is read; an unknown query
# parameter, and a second value of every single-valued one, is refused by name.
swept=0
while read -r method template; do
    path=$template
    for param in $(grep -oE '\{[a-z_]+\}' <<<"$template" | tr -d '{}' || true); do
        path=${path/\{$param\}/1}
    done
    schema=$(jq -c --arg p "$template" --arg m "$method" '.paths[$p][$m].requestBody.content["application/json"].schema // empty
        | if has("$ref") then . as $r | input | .components.schemas[$r["$ref"] | sub("#/components/schemas/"; "")] else . end' \
        "$API" "$API")
    if [ -n "$schema" ]; then
        bodies=('{"zz_unknown":1}')
        fields=(zz_unknown)
        while read -r prop kind; do
            [ -n "$prop" ] || continue
            if [ "$kind" = object ]; then
                bodies+=("{\"$prop\":{\"zz_unknown\":1}}"); fields+=("$prop.zz_unknown")
            else
                bodies+=("{\"$prop\":[{\"zz_unknown\":1}]}"); fields+=("$prop[0].zz_unknown")
            fi
        done < <(jq -r --slurpfile api "$API" '.properties | to_entries[]
            | (.value | if has("$ref") then $api[0].components.schemas[.["$ref"] | sub("#/components/schemas/"; "")] else . end) as $v
            | if $v.type == "object" and ($v.additionalProperties == false) then "\(.key) object"
              elif $v.type == "array" and (($v.items | if has("$ref") then $api[0].components.schemas[.["$ref"] | sub("#/components/schemas/"; "")] else . end).additionalProperties == false) then "\(.key) array"
              else empty end' <<<"$schema")
        for i in "${!bodies[@]}"; do
            call "${method^^}" "$path" "${bodies[$i]}"
            expect_error 422 unknown_field "${fields[$i]}" "$method $template with ${bodies[$i]}" || true
            conforms "$method" "$template" "$method $template with ${bodies[$i]}"
            swept=$((swept + 1))
        done
    fi
    body=""; [ -n "$schema" ] && body='{}'
    call "${method^^}" "$path?zz_unknown=1" "$body"
    expect_error 400 invalid_query zz_unknown "$method $template?zz_unknown=1" || true
    conforms "$method" "$template" "$method $template?zz_unknown=1"
    for q in $(jq -r --arg p "$template" --arg m "$method" '[.paths[$p].parameters[]?, .paths[$p][$m].parameters[]?]
        | .[] | select(.in == "query" and .schema.type != "array") | .name' "$API"); do
        call "${method^^}" "$path?$q=1&$q=1" "$body"
        expect_error 400 invalid_query "$q" "$method $template?$q=1&$q=1" || true
        swept=$((swept + 1))
    done
    swept=$((swept + 1))
done < <(jq -r '.paths | to_entries[] | .key as $p | .value | keys[] | select(. != "parameters")
    | "\(.) \($p)"' "$API")
[ "$swept" -gt 80 ] || fail "only $swept strict-input requests were swept"

[ "$(state)" = "$before" ] || fail "the sweep changed something"

stop_server
finish
