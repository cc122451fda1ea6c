#!/usr/bin/env bash
# Issue 3's benchmarks, in process on a real SQLite file (WAL, synchronous=FULL):
#  1. re-pegging after one receipt with N (default 100,000) backordered lines queued on one
#     item, and the same receipt as a dry run (bench/repeg_bench.c);
#  2. the cost of the event outbox on order placement: callgrind instruction counts of
#     oms__emit (every outbox write) against oms__apply_order_place, over 5,000 orders.
# Usage: OMS_BUILD=build bash bench/run_repeg.sh [N] [R]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${OMS_BUILD:-build}
N=${1:-100000}
R=${2:-1000}
WORK=$(mktemp -d /var/tmp/oms-repeg.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cmake --build "$BUILD" --target oms_bench_repeg >/dev/null
echo "== re-pegging after one receipt, $N queued lines =="
"$BUILD/oms_bench_repeg" "$WORK/repeg.db" "$N" "$R"
echo "== outbox cost on order placement (callgrind, 5000 orders) =="
valgrind --tool=callgrind --callgrind-out-file="$WORK/cg.out" \
    "$BUILD/oms_bench_repeg" "$WORK/cg.db" 5000 10 >/dev/null 2>&1
callgrind_annotate --inclusive=yes "$WORK/cg.out" 2>/dev/null |
    awk '/oms__apply_order_place \[/ {gsub(",", "", $1); place = $1}
         /writer.c:oms__emit \[/ {gsub(",", "", $1); emit = $1}
         END {printf "placing:  %d instructions per order\noutbox:   %d instructions per order (%.0f%% of placing)\n",
              place / 5000, emit / 5000, 100 * emit / place}'
