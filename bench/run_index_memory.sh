#!/usr/bin/env bash
# The availability index's memory per (item, location) at 1,000,000 items over 1, 4 and 16
# locations, and the model's for comparison (bench/index_memory.c says how it is measured).
# Usage: bash bench/run_index_memory.sh [items]   (builds the release tree first)
set -euo pipefail
cd "$(dirname "$0")/.."
items=${1:-1000000}
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target oms_bench_index_memory >/dev/null
for locations in 1 4 16; do
    ./build/oms_bench_index_memory --items "$items" --locations "$locations" --max-bytes 256
    echo
done
