#!/usr/bin/env bash
# derive-scms-lateness.sh - derive data/scms_lead_lateness.csv from the USAID SCMS delivery
# history (usaid_scms_delivery_history.csv, 10,324 purchase-order lines, not shipped in this repo).
#
# Why: the demo needs real vendor lead times and real lateness, not the whole 33-column raw file.
# Output columns: id,planned_lead_days,lateness_days
#   planned_lead_days = Scheduled Delivery Date - PO Sent to Vendor Date   (calendar days)
#   lateness_days     = Delivered to Client Date - Scheduled Delivery Date (negative = early)
# Kept rows: `PO Sent to Vendor Date` is a real M/D/YY date and both `Scheduled Delivery Date` and
# `Delivered to Client Date` are real D-Mon-YY dates (one or two day digits, English month
# abbreviation). Sentinels such as `N/A - From RDC`, `Date Not Captured` and impossible dates
# (2/30/08) drop the row. Two-digit years are 20YY (the data spans 2006-2015). Sorted by id.
#
# Needs only bash and the sqlite3 CLI >= 3.32 (`.import --csv` parses RFC-4180 quoting; the
# Debian 12 build also has the REGEXP function). Deterministic: same input, same bytes out.
#
# Usage: scripts/derive-scms-lateness.sh SCMS_CSV [OUT_CSV]
#   OUT_CSV defaults to data/scms_lead_lateness.csv next to this script. A summary (row count,
#   min/median/max of both columns) goes to stderr.
set -euo pipefail
export LC_ALL=C

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 SCMS_CSV [OUT_CSV]" >&2
    exit 2
fi
src=$1
out=${2:-"$(cd "$(dirname "$0")/.." && pwd)/data/scms_lead_lateness.csv"}
[ -r "$src" ] || { echo "cannot read '$src'" >&2; exit 1; }
case $src in *\"* | *\'* | *$'\n'*) echo "unsupported characters in path '$src'" >&2; exit 1 ;; esac
case $out in *\"* | *\'* | *$'\n'*) echo "unsupported characters in path '$out'" >&2; exit 1 ;; esac

tmp="$out.tmp.$$"
trap 'rm -f "$tmp"' EXIT

sqlite3 -batch -bail :memory: >&2 <<SQL
.import --csv "$src" raw
CREATE TABLE parsed AS
WITH fields AS (
    SELECT "ID" AS id,
           "PO Sent to Vendor Date" AS po,
           "Scheduled Delivery Date" AS sched,
           "Delivered to Client Date" AS deliv
    FROM raw
    WHERE "ID" REGEXP '^[0-9]+\$'
      AND po REGEXP '^[0-9]{1,2}/[0-9]{1,2}/[0-9]{2}\$'
      AND sched REGEXP '^[0-9]{1,2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-[0-9]{2}\$'
      AND deliv REGEXP '^[0-9]{1,2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-[0-9]{2}\$'
),
iso AS (
    SELECT CAST(id AS INTEGER) AS id,
           /* M/D/YY: month before the first slash, day between the slashes. */
           printf('20%s-%02d-%02d', substr(po, -2),
                  CAST(substr(po, 1, instr(po, '/') - 1) AS INTEGER),
                  CAST(substr(po, instr(po, '/') + 1,
                              length(po) - instr(po, '/') - 3) AS INTEGER)) AS po_day,
           /* D-Mon-YY: the month name's place in the list gives its number. */
           printf('20%s-%02d-%02d', substr(sched, -2),
                  (instr('JanFebMarAprMayJunJulAugSepOctNovDec',
                         substr(sched, instr(sched, '-') + 1, 3)) + 2) / 3,
                  CAST(substr(sched, 1, instr(sched, '-') - 1) AS INTEGER)) AS sched_day,
           printf('20%s-%02d-%02d', substr(deliv, -2),
                  (instr('JanFebMarAprMayJunJulAugSepOctNovDec',
                         substr(deliv, instr(deliv, '-') + 1, 3)) + 2) / 3,
                  CAST(substr(deliv, 1, instr(deliv, '-') - 1) AS INTEGER)) AS deliv_day
    FROM fields
)
SELECT id,
       CAST(round(julianday(sched_day) - julianday(po_day)) AS INTEGER) AS planned_lead_days,
       CAST(round(julianday(deliv_day) - julianday(sched_day)) AS INTEGER) AS lateness_days
FROM iso
/* A real date survives a round trip through julianday (2008-02-30 would come back as 03-01). */
WHERE date(julianday(po_day)) = po_day
  AND date(julianday(sched_day)) = sched_day
  AND date(julianday(deliv_day)) = deliv_day;

.headers on
.mode csv
.separator "," "\n"
.once "$tmp"
SELECT id, planned_lead_days, lateness_days FROM parsed ORDER BY id;

.headers off
.mode list
.separator " " "\n"
SELECT 'rows', count(*), 'of', (SELECT count(*) FROM raw) FROM parsed;
CREATE TABLE ranked AS
    SELECT 'planned_lead_days' AS col, planned_lead_days AS v,
           row_number() OVER (ORDER BY planned_lead_days) AS r FROM parsed
    UNION ALL
    SELECT 'lateness_days', lateness_days,
           row_number() OVER (ORDER BY lateness_days) FROM parsed;
/* Median of an even count is the mean of the two middle values. */
SELECT s.col, 'min', s.lo, 'median',
       (SELECT avg(v) FROM ranked AS m WHERE m.col = s.col
          AND m.r IN ((s.n + 1) / 2, (s.n + 2) / 2)),
       'max', s.hi
FROM (SELECT col, count(*) AS n, min(v) AS lo, max(v) AS hi FROM ranked GROUP BY col) AS s
ORDER BY s.col DESC;
SQL

mv "$tmp" "$out"
trap - EXIT
