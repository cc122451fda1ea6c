#!/usr/bin/env bash
# uci_week_counts.sh - independent counts of the UCI Online Retail week, straight from the CSV
# with the sqlite3 CLI and no oms code, so the importer's totals can be checked against a
# second, unrelated implementation. Prints one key=value line per figure.
#
# Usage: bash tests/e2e/uci_week_counts.sh data/online_retail_uci_week.csv
#
# Every row falls into exactly one class (one CASE, first match wins), so the five *_lines add
# up to `rows`:
#   skipped_lines   StockCode, upper-cased, is not a product: POST, M, DOT, D, C2, BANK CHARGES,
#                   S, AMAZONFEE, or anything else that is not 5 digits followed by optional
#                   letters. Checked first, whatever the invoice or quantity. In the 2010-12-01..07
#                   week exactly those eight codes occur (60 rows); no PADS, CRUK or other
#                   special code does.
#   sale_lines      product code, invoice without the C prefix, Quantity > 0. sale_units sums them.
#   cancel_lines    product code, C invoice, Quantity < 0. cancel_units sums -Quantity.
#   writeoff_lines  product code, invoice without C, Quantity < 0: stock adjustments (price 0,
#                   no customer). writeoff_units sums -Quantity.
#   other_lines     product code with Quantity = 0, or Quantity > 0 on a C invoice: no sensible
#                   meaning, so neither a sale nor a cancellation. None occur in the week.
# invoices counts distinct InvoiceNo over all rows; cancel_invoices those with the C prefix;
# sale_invoices the non-C invoices with at least one sale line. skus counts distinct upper-cased
# product codes among sale lines (28 codes occur in both cases, e.g. 15056BL and 15056bl).
# A Quantity that is not an integer, or an unexpected header, fails the script (exit 1).
set -euo pipefail
export LC_ALL=C

if [ $# -ne 1 ]; then
    echo "usage: $0 ONLINE_RETAIL_CSV" >&2
    exit 2
fi
csv=$1
[ -r "$csv" ] || { echo "cannot read '$csv'" >&2; exit 1; }
case $csv in *\"* | *\'* | *$'\n'*) echo "unsupported characters in path '$csv'" >&2; exit 1 ;; esac
expected='InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country'
header=$(head -n 1 "$csv" | tr -d '\r')
if [ "$header" != "$expected" ]; then
    echo "unexpected header in '$csv': $header" >&2
    exit 1
fi

counts=$(sqlite3 -batch -bail :memory: <<SQL
.import --csv "$csv" raw

CREATE TABLE line AS
SELECT InvoiceNo AS invoice,
       upper(StockCode) AS code,
       CAST(Quantity AS INTEGER) AS qty,
       substr(InvoiceNo, 1, 1) = 'C' AS is_cancel,
       (upper(StockCode) NOT IN ('POST', 'M', 'DOT', 'D', 'C2', 'BANK CHARGES', 'S', 'AMAZONFEE')
        AND upper(StockCode) REGEXP '^[0-9]{5}[A-Z]*\$') AS is_product
FROM raw;

CREATE TABLE classed AS
SELECT *,
       CASE WHEN NOT is_product THEN 'skipped'
            WHEN NOT is_cancel AND qty > 0 THEN 'sale'
            WHEN is_cancel AND qty < 0 THEN 'cancel'
            WHEN NOT is_cancel AND qty < 0 THEN 'writeoff'
            ELSE 'other' END AS class
FROM line;

.headers off
.mode list
SELECT 'bad_quantity=' || count(*) FROM raw WHERE Quantity NOT REGEXP '^-?[0-9]+\$';
SELECT 'rows=' || count(*) FROM classed;
SELECT 'sale_lines=' || count(*) FROM classed WHERE class = 'sale';
SELECT 'sale_units=' || coalesce(sum(qty), 0) FROM classed WHERE class = 'sale';
SELECT 'skipped_lines=' || count(*) FROM classed WHERE class = 'skipped';
SELECT 'cancel_lines=' || count(*) FROM classed WHERE class = 'cancel';
SELECT 'cancel_units=' || coalesce(-sum(qty), 0) FROM classed WHERE class = 'cancel';
SELECT 'writeoff_lines=' || count(*) FROM classed WHERE class = 'writeoff';
SELECT 'writeoff_units=' || coalesce(-sum(qty), 0) FROM classed WHERE class = 'writeoff';
SELECT 'other_lines=' || count(*) FROM classed WHERE class = 'other';
SELECT 'invoices=' || count(DISTINCT invoice) FROM classed;
SELECT 'cancel_invoices=' || count(DISTINCT invoice) FROM classed WHERE is_cancel;
SELECT 'sale_invoices=' || count(DISTINCT invoice) FROM classed WHERE class = 'sale';
SELECT 'skus=' || count(DISTINCT code) FROM classed WHERE class = 'sale';
SQL
)
if [ "$(printf '%s\n' "$counts" | sed -n 's/^bad_quantity=//p')" != 0 ]; then
    echo "'$csv' has a Quantity that is not an integer" >&2
    exit 1
fi
printf '%s\n' "$counts" | grep -v '^bad_quantity='
