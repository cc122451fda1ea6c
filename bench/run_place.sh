#!/usr/bin/env bash
# Issue 4's in-process benchmark of durable order placement (bench/place_bench.c): orders of
# one line, qty 1, in batches of exactly B (one group commit each), on 100,000 SKUs (uniform)
# and on one hot SKU. Prints orders/s (wall clock: noisy on a shared machine), the bytes
# written to the WAL and by checkpoints per order, syncs per batch, and, with valgrind, the
# instructions per order (every thread, placement only: deterministic).
# Usage: OMS_BUILD=build bash bench/run_place.sh [ORDERS] [BATCH] [CALLGRIND_ORDERS]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${OMS_BUILD:-build}
ORDERS=${1:-20000}
BATCH=${2:-64}
CG_ORDERS=${3:-6400}
WORK=$(mktemp -d /var/tmp/oms-place.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cmake --build "$BUILD" --target oms_bench_place >/dev/null
for skew in many hot; do
    skus=100000
    [ "$skew" = hot ] && skus=1
    "$BUILD/oms_bench_place" "$WORK/place.db" "$skus" "$ORDERS" "$BATCH" "$skew"
    if [ "$CG_ORDERS" -gt 0 ] && command -v valgrind >/dev/null; then
        valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$WORK/cg.out" \
            "$BUILD/oms_bench_place" "$WORK/cg.db" "$skus" "$CG_ORDERS" "$BATCH" "$skew" \
            >/dev/null 2>"$WORK/cg.err"
        awk -v n="$CG_ORDERS" '/Collected :/ { gsub(",", "", $4); printf "  instructions/order %d (callgrind, %d orders)\n", $4 / n, n }' "$WORK/cg.err"
    fi
done
