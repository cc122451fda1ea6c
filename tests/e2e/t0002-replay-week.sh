#!/usr/bin/env bash
# The main job on real data: `oms demo --no-serve` replays the UCI Online Retail week. Its
# summary must agree with an independent count taken straight from the CSV (sqlite3's own
# CSV import; no oms code), and what every order holds afterwards, read back over HTTP,
# must add up: allocated + backordered + rejected + cancelled + shipped = ordered.
source "$(dirname "$0")/lib.sh"
CSV="$OMS_SRC/data/online_retail_uci_week.csv"
DB="$WORK/demo.db"

"$OMS_BIN" demo --db "$DB" --data "$OMS_SRC/data" --no-serve --json "$WORK/summary.json" \
    >"$WORK/demo.out" 2>"$WORK/demo.err" || { cat "$WORK/demo.err" >&2; fail "demo failed"; finish; }
grep -q "invariant: ok" "$WORK/demo.out" || fail "the demo did not print 'invariant: ok'"
bash "$OMS_SRC/tests/e2e/uci_week_counts.sh" "$CSV" >"$WORK/counts"
count() { sed -n "s/^$1=//p" "$WORK/counts"; }
S="$WORK/summary.json"
same() { # same LABEL INDEPENDENT OMS
    [ "$2" = "$3" ] || fail "$1: the CSV says $2, the replay says $3"
}
same rows "$(count rows)" "$(jq .rows "$S")"
same invoices "$(count invoices)" "$(jq .invoices "$S")"
same "cancellation invoices" "$(count cancel_invoices)" "$(jq .cancel_invoices "$S")"
same "order lines" "$(count sale_lines)" "$(jq .orders.lines "$S")"
same "units ordered" "$(count sale_units)" "$(jq .orders.units "$S")"
same "orders" "$(count sale_invoices)" "$(jq .orders.placed "$S")"
same "skipped non-product lines" "$(count skipped_lines)" "$(jq .skipped.lines "$S")"
same "cancellation lines" "$(count cancel_lines)" "$(jq .cancellations.lines "$S")"
same "cancellation units" "$(count cancel_units)" "$(jq .cancellations.units "$S")"
same "write-off lines" "$(count writeoff_lines)" "$(jq .writeoffs.lines "$S")"

# The summary's own books balance.
jq -e '.final | .allocated + .backordered + .rejected + .cancelled + .shipped == .ordered' "$S" >/dev/null ||
    fail "summary: allocated + backordered + rejected + cancelled + shipped != ordered"
same "final ordered units" "$(count sale_units)" "$(jq .final.ordered "$S")"
jq -e '.at_order_time | .allocated.units + .backordered.units + .rejected.units' "$S" >/dev/null
same "units decided at order time" "$(count sale_units)" \
    "$(jq '.at_order_time | .allocated.units + .backordered.units + .rejected.units' "$S")"
jq -e '.cancellations | .cancelled_units + .already_rejected_units + .unmatched_no_customer_units
        + .unmatched_no_order_units == .units' "$S" >/dev/null ||
    fail "every cancelled unit is cancelled, already rejected or reported unmatched"
jq -e '.at_order_time.allocated.units > 0 and .at_order_time.backordered.units > 0 and
       .at_order_time.rejected.units > 0' "$S" >/dev/null ||
    fail "the starting position must produce all three outcomes"

# Read every order back over HTTP and add up what the lines hold.
start_server "$DB"
: >"$WORK/lines"
# Invoices with at least one sale line (product code, not C, quantity > 0), by sqlite3.
sqlite3 :memory: ".import --csv '$CSV' t" \
    "SELECT DISTINCT InvoiceNo FROM t WHERE InvoiceNo NOT LIKE 'C%' AND CAST(Quantity AS INTEGER) > 0
       AND upper(StockCode) GLOB '[0-9][0-9][0-9][0-9][0-9]*';" >"$WORK/invoices"
same "orders to read" "$(count sale_invoices)" "$(wc -l <"$WORK/invoices")"
for invoice in $(cat "$WORK/invoices"); do
    call GET "/v1/orders/UCI-$invoice"
    [ "$STATUS" = 200 ] || { fail "order UCI-$invoice: status $STATUS"; continue; }
    jq -c '.lines[] | [.qty, ([.allocated[].qty] | add // 0), ([.backordered[].qty] | add // 0),
        .rejected.qty, .cancelled, .shipped]' "$WORK/body" >>"$WORK/lines"
done
totals=$(jq -s -c '[range(6) as $i | map(.[$i]) | add]' "$WORK/lines")
bad=$(jq -s '[.[] | select(.[0] != .[1] + .[2] + .[3] + .[4] + .[5])] | length' "$WORK/lines")
[ "$bad" = 0 ] || fail "$bad lines break ordered = allocated + backordered + rejected + cancelled + shipped"
same "units held by orders over HTTP" "$(jq -c '.final | [.ordered, .allocated, .backordered, .rejected, .cancelled, .shipped]' "$S")" "$totals"
same "lines read over HTTP" "$(count sale_lines)" "$(wc -l <"$WORK/lines")"
stop_server
echo "replay: $(jq -c '.final' "$S")"
finish
