#!/usr/bin/env bash
# Text that is not UTF-8 never gets in, and text already stored that is not never stops the
# server (decision 51). A CSV exported as Latin-1 ("Cr\xe8me") is refused by every importer with
# the row and the column named, and nothing of the file is imported, even when the bad cell is
# in row 5000; command-line options, URL paths and the Idempotency-Key header are refused the
# same way, with a 4xx or a usage error. A database written before the check (its text made
# here with sqlite3) answers with U+FFFD in place of the bad bytes: the item, the events and
# the channel feed, where it used to abort the server or drop the SKU.
source "$(dirname "$0")/lib.sh"

DB="$WORK/u.db"
ago() { date -u -d "-$1" +%Y-%m-%dT%H:%M:%SZ; }
T_COUNT=$(ago '1 hour')
DAYS='"working_days":["mon","tue","wed","thu","fri","sat","sun"]'
FFFD=$(printf '\xef\xbf\xbd')

# refused WHAT EXIT ARGS...: `oms ARGS` must exit EXIT, saying why on stderr ($WORK/err).
refused() {
    local what="$1" want="$2"
    shift 2
    local status=0
    "$OMS_BIN" "$@" >"$WORK/out" 2>"$WORK/err" || status=$?
    [ "$status" = "$want" ] || fail "$what: exit $status, wanted $want: $(cat "$WORK/err")"
}
says() { grep -qF -- "$1" "$WORK/err" || fail "$2: '$1' not in: $(head -c 400 "$WORK/err")"; }

start_server "$DB"
call PUT /v1/locations/W1 "{\"region\":\"UK\",\"priority\":1,\"handling_days\":0,$DAYS}"
expect_status 201 "location"
call PUT /v1/channels/web '{"locations":["W1"],"allow_backorder":true,"priority":10}'
expect_status 201 "channel"
call PUT /v1/items/OK1 '{"name":"Fine"}'; expect_status 201 "item"
stop_server

# 1. Items from a Latin-1 CSV: row and column named, the whole file refused.
printf 'sku,name\nGOOD1,Caf\xc3\xa9\nLAT,Cr\xe8me\nGOOD2,Plain\n' >"$WORK/items.csv"
refused "a Latin-1 cell" 1 import --db "$DB" items "$WORK/items.csv"
says "row 2: line 3: column name: byte 0xE8 at offset 2 is not UTF-8" "the cell"
says "nothing was imported" "all or nothing"
# The bad cell in row 5000 of 5000: rows 1 to 4999 are not imported either.
{
    printf 'sku,name\n'
    for i in $(seq 1 4999); do printf 'BULK%d,Item %d\n' "$i" "$i"; done
    printf 'BULK5000,Cr\xe8me\n'
} >"$WORK/bulk.csv"
refused "a bad cell in row 5000" 1 import --db "$DB" items "$WORK/bulk.csv"
says "row 5000: line 5001: column name: byte 0xE8" "row 5000"
# A SKU that is not UTF-8, in every other importer's key column.
printf 'sku,location,on_hand\nA\xe9,W1,4\n' >"$WORK/stock.csv"
refused "stock" 1 import --db "$DB" stock "$WORK/stock.csv"
says "row 1: line 2: column sku: byte 0xE9 at offset 1" "stock"
printf 'code,name\nW\xff,Somewhere\n' >"$WORK/locations.csv"
refused "locations" 1 import --db "$DB" locations "$WORK/locations.csv"
says "column code: byte 0xFF" "locations"
printf 'id,sku,location,qty,expected_date\nPO\xc0\xaf1,OK1,W1,5,2030-01-01\n' >"$WORK/supply.csv"
refused "supply (an overlong '/')" 1 import --db "$DB" supply "$WORK/supply.csv"
says "column id: byte 0xC0" "supply"
printf 'channel,sku,buffer\nweb,OK1\xed\xa0\x80,1\n' >"$WORK/rules.csv"
refused "channel_rules (a surrogate)" 1 import --db "$DB" channel_rules "$WORK/rules.csv"
says "column sku: byte 0xED at offset 3" "channel_rules"
printf 'sku,location,on_hand\nOK1,W\xe9,4\n' >"$WORK/snap.csv"
refused "snapshot" 1 import --db "$DB" snapshot --as-of "$T_COUNT" "$WORK/snap.csv"
says "row 1: line 2: column location: byte 0xE9" "snapshot"
printf 'sku,n\xe4me\nX,y\n' >"$WORK/header.csv"
refused "a header" 1 import --db "$DB" items "$WORK/header.csv"
says "header: line 1: field 2: byte 0xE4 at offset 1" "header"
# C1 controls (U+0080..U+009F, what a Latin-1 file read as UTF-8 becomes) are control
# characters as C0 and DEL are, in a CSV cell as over HTTP; a working day given twice is refused
# as the API refuses it.
printf 'sku,name\nC1,Caf\xc2\x85\n' >"$WORK/c1.csv"
refused "a C1 control in a name" 1 import --db "$DB" items "$WORK/c1.csv"
says "column name: contains a control character" "C1 in a CSV name"
# Not about UTF-8, but about reading a cell as its writer meant it: a price has its currency's
# decimals (ISO 4217), none in JPY and three in KWD; a fourth decimal of pence is refused, not
# rounded, and a price without its currency cannot be read.
printf 'sku,name,price,currency\nPJ,Yen,999,JPY\nPK,Dinar,1.234,KWD\nPG,Pound,2.5,GBP\n' \
    >"$WORK/prices.csv"
"$OMS_BIN" import --db "$DB" items "$WORK/prices.csv" >"$WORK/out" 2>"$WORK/err" ||
    fail "prices in JPY, KWD and GBP were refused: $(cat "$WORK/err")"
printf 'sku,name,price,currency\nPX,Pence,9.999,GBP\nPY,Yen,1.5,JPY\nPZ,None,3.00,\n' \
    >"$WORK/badprices.csv"
refused "prices with more decimals than their currency, or none" 1 \
    import --db "$DB" items "$WORK/badprices.csv"
says "row 1, column price: '9.999' is not a price in GBP (2 decimals at most)" "GBP"
says "row 2, column price: '1.5' is not a price in JPY (0 decimals at most)" "JPY"
says "row 3, column price: give the row's currency too" "no currency"

# The UCI history of `oms replay` too: an order id with a control character could not be read
# or cancelled over HTTP. The whole history is refused, the row and column named.
{
    printf 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n'
    printf '536365,85123A,HEART,6,12/1/10 8:26,2.55,17850,United Kingdom\n'
    printf '5363\xc2\x8566,71053,LANTERN,6,12/1/10 8:27,3.39,17850,United Kingdom\n'
} >"$WORK/uci.csv"
refused "a C1 control in an InvoiceNo" 1 replay --db "$DB" "$WORK/uci.csv"
says "row 2, column InvoiceNo: a control character (byte 0xC2 at offset 4)" "replay"
says "1 problem; nothing was replayed" "replay all or nothing"
printf 'sku,name\n A14 ,Padded\n' >"$WORK/padded.csv"
refused "a SKU with spaces at its ends" 1 import --db "$DB" items "$WORK/padded.csv"
says "row 1, column sku: ' A14 ' begins or ends with a space" "padded SKU"
printf 'code,name,working_days\nW9,Nine,mon tue mon\n' >"$WORK/days.csv"
refused "a repeated working day" 1 import --db "$DB" locations "$WORK/days.csv"
says "'mon' is given twice" "working days"

# 2. Command-line text: --source, --id, the file's name standing for --source, repeg's SKU.
printf 'sku,location,on_hand\nOK1,W1,4\n' >"$WORK/count.csv"
refused "--source" 2 import --db "$DB" snapshot --as-of "$T_COUNT" --source $'ERP-\xe9' \
    "$WORK/count.csv"
says "oms: --source: byte 0xE9 at offset 4 is not UTF-8" "--source"
refused "--id" 2 import --db "$DB" snapshot --as-of "$T_COUNT" --id $'S\xff1' "$WORK/count.csv"
says "oms: --id: byte 0xFF at offset 1 is not UTF-8" "--id"
cp "$WORK/count.csv" "$WORK/count-"$'\xe9'".csv"
refused "a file name for a source" 2 import --db "$DB" snapshot --as-of "$T_COUNT" \
    "$WORK/count-"$'\xe9'".csv"
says "give --source TEXT" "the file's name"
refused "repeg's SKU" 2 repeg --db "$DB" $'OK\xe9'
says "oms: SKU: byte 0xE9 at offset 2" "repeg"
# With a --source in UTF-8 the same file is imported: the refusals were about the text.
"$OMS_BIN" import --db "$DB" snapshot --as-of "$T_COUNT" --source 'ERP-é' \
    "$WORK/count-"$'\xe9'".csv" >"$WORK/out" 2>"$WORK/err" ||
    fail "a UTF-8 --source was refused: $(cat "$WORK/err")"

# 3. Nothing of the refused files exists, and the server answers for what does.
start_server "$DB"
for sku in LAT GOOD1 GOOD2 BULK1 BULK4999; do
    call GET "/v1/items/$sku"; expect_status 404 "$sku after a refused import"
done
call GET /v1/stock/OK1
expect '.locations[] | select(.location == "W1") | .on_hand == 4' "the UTF-8 count applied"
# URL paths and queries that are not UTF-8: 400 naming the parameter, never an abort.
call GET /v1/items/%E8
expect_error 400 invalid_field sku "a Latin-1 byte in a path"
call GET /v1/stock/A%C0%AF
expect_error 400 invalid_field sku "an overlong '/' in a path"
call GET /v1/orders/%ED%A0%80
expect_error 400 invalid_field id "a surrogate in a path"
call GET '/v1/availability?channel=web&sku=%E8'
expect_error 400 invalid_query sku "a Latin-1 byte in a query"
# An Idempotency-Key header that is not UTF-8: 400 naming it, nothing created.
call PUT /v1/items/IDEM1 '{"name":"x"}' -H $'Idempotency-Key: key-\xe9'
expect_error 400 invalid_header Idempotency-Key "a Latin-1 Idempotency-Key"
call GET /v1/items/IDEM1; expect_status 404 "no item from a refused key"
call PUT /v1/items/C1%C2%85 '{"name":"x"}'
expect_error 422 invalid_field sku "a C1 control in a path"
call PUT /v1/items/C1OK '{"name":"Caf\u0085"}'
expect_error 422 invalid_field name "a C1 control in a name"
call GET /v1/items/C1OK; expect_status 404 "no item from a refused name"
call PUT /v1/items/ZWNJ '{"name":"Mehr\u200cnaz"}'
expect_status 201 "a name may hold a zero width non-joiner (Persian): ids may not"
call GET /v1/items/PJ; expect '.price == 999 and .currency == "JPY"' "999 yen is 999"
call GET /v1/items/PK; expect '.price == 1234 and .currency == "KWD"' "1.234 dinars are 1234 fils"
call GET /v1/items/PG; expect '.price == 250' "2.5 pounds are 250 pence"
call GET /v1/items/PX; expect_status 404 "no item from the refused prices"
# A new currency without its price would re-read 999 yen as 999 fils: refused, nothing changes;
# with its price, or on an item without one, it is taken.
call PUT /v1/items/PJ '{"currency":"KWD"}'
expect_error 422 invalid_field price "a new currency without its price"
call GET /v1/items/PJ; expect '.price == 999 and .currency == "JPY"' "the refused change changed nothing"
call PUT /v1/items/PJ '{"currency":"KWD","price":1500}'; expect_status 200 "currency with its price"
call PUT /v1/items/OK1 '{"currency":"EUR"}'; expect_status 200 "a currency for an item without a price"
call GET /healthz; expect_status 200 "the server is up after every refusal"
stop_server
# The import asks the writer's rule before it sends a row: a file with a row the writer would
# refuse (a new currency without its price, on PJ, priced in KWD now) is refused whole.
printf 'sku,name,price,currency\nNEWC1,first,,\nPJ,,,JPY\nNEWC2,third,,\n' >"$WORK/currency.csv"
refused "a new currency without its price, in a CSV" 1 import --db "$DB" items "$WORK/currency.csv"
says "row 2, column currency: item 'PJ' costs 1500 in KWD; a new currency needs its price" \
    "the CSV names the row"
says "nothing was imported" "the other rows are not imported either"

# 4. A database written before the check: text that is not UTF-8 in an item's SKU and another's
# name, and in the events. Every answer that shows it says U+FFFD; nothing aborts, nothing is
# dropped.
start_server "$DB"
call PUT /v1/items/LEGACY '{"name":"Old"}'; expect_status 201 "legacy item"
call POST /v1/stock/adjustments '{"sku":"LEGACY","location":"W1","delta":3}'
expect_status 200 "legacy stock"
stop_server
sqlite3 "$DB" "UPDATE items SET sku = CAST(X'4C4154E8' AS TEXT) WHERE sku = 'LEGACY';
    UPDATE items SET name = CAST(X'4372E86D65' AS TEXT) WHERE sku = 'OK1';
    UPDATE events SET subject = CAST(X'4C4154E8' AS TEXT) WHERE subject = 'LEGACY';
    UPDATE events SET data = replace(data, '\"LEGACY\"', CAST(X'224C4154E822' AS TEXT));"
start_server "$DB"
call GET /v1/items/OK1; expect_status 200 "an item whose name is not UTF-8"
expect ".name == \"Cr${FFFD}me\"" "its name with U+FFFD"
call GET '/v1/events?limit=500'; expect_status 200 "events"
expect "[.events[] | select(.subject == \"LAT${FFFD}\")] | length >= 1" "the legacy SKU's events"
expect "[.events[] | select(.data.sku == \"LAT${FFFD}\")] | length >= 1" "their data"
call GET /v1/channels/web/feed; expect_status 200 "feed"
expect "[.items[] | select(.sku == \"LAT${FFFD}\")] | length == 1" "the legacy SKU in the feed"
expect '[.items[] | select(.sku == "OK1")] | length == 1' "the other items in the feed"
call GET "/v1/availability?channel=web&sku=OK1"; expect_status 200 "availability"
call GET /healthz; expect_status 200 "the server is up"
kill -0 "$SERVER_PID" || fail "the server stopped"
stop_server
grep -q 'stored text is not UTF-8' "$WORK/server.err" || fail "the repair was not logged"

finish
