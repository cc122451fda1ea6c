# The README's two commands. Both install missing Debian packages first.
#   make demo   - build, load the real UCI week into a fresh demo.db, replay it, print the
#                 summary, then serve the API on 127.0.0.1:8080 until Ctrl-C.
#   make check  - build with ASan + UBSan, warnings as errors, and run the whole test suite.
#   make bench  - build RelWithDebInfo and run bench/run.sh: oms next to SQLite, PostgreSQL,
#                 Redis and nginx in the same run (bench/README.md); make bench-quick: a smoke run.
BUILD ?= build
CHECK_BUILD ?= build-check
JOBS ?= $(shell nproc)

.PHONY: all deps demo check bench bench-quick clean

all: deps
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD) -j $(JOBS)

deps:
	@sh scripts/install-deps.sh

demo: all
	./$(BUILD)/oms demo --db demo.db --data data $(DEMO_ARGS)

check: deps
	cmake -S . -B $(CHECK_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DOMS_SANITIZE=ON
	cmake --build $(CHECK_BUILD) -j $(JOBS)
	cd $(CHECK_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	    ctest --output-on-failure -j $(JOBS) --timeout 900

bench: all
	@sh scripts/install-deps.sh --bench
	bash bench/run.sh

# A smoke run of the bench harness (2 s cells, 1 and 8 clients): checks the scripts, not speed.
bench-quick: all
	@sh scripts/install-deps.sh --bench
	BENCH_QUICK=1 bash bench/run.sh

clean:
	rm -rf $(BUILD) $(CHECK_BUILD)
