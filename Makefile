# The front door: `make demo` runs the demo, `make check` runs every test.
# Both install what they need first (`make deps`). CMake does the building.

BUILD       ?= build
BUILD_ASAN  ?= build-asan
BUILD_FUZZ  ?= build-fuzz
BUILD_RELEASE ?= build-release
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES = project csv json serve text
PREFIX      ?= /usr/local
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR    ?= demo
DEMO_SCALE  ?= 0.01

MAKEFLAGS += --no-print-directory

.PHONY: all deps build demo check check-asan check-asan-e2e chaos fuzz install clean bench

all: build

deps:
	@tools/deps.sh

# build/ is a test build: the fault points of src/util/fault.h are compiled in
# (CUTOVER_TEST_HOOKS, docs/testing.md). `make install` builds without them.
$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DCUTOVER_TEST_HOOKS=ON

build: deps $(BUILD)/CMakeCache.txt
	@grep -q '^CUTOVER_TEST_HOOKS:BOOL=ON' $(BUILD)/CMakeCache.txt || \
	  cmake -S . -B $(BUILD) -DCUTOVER_TEST_HOOKS=ON
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@tools/demo.sh $(BUILD)/cutover $(DEMO_DIR) $(DEMO_SCALE)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) check-asan

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCUTOVER_SANITIZE=ON -DCUTOVER_TEST_HOOKS=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) -L unit

# The scenario scripts (tests/e2e) against the ASan+UBSan build of the program.
check-asan-e2e: deps
	cmake -S . -B $(BUILD_ASAN) -DCUTOVER_SANITIZE=ON -DCUTOVER_TEST_HOOKS=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) -L e2e

# Each fuzz harness (tests/fuzz) under libFuzzer for FUZZ_SECONDS, starting from
# its saved corpus; new inputs go to $(BUILD_FUZZ)/corpus/NAME, findings (crash-*,
# timeout-*) to $(BUILD_FUZZ)/findings/NAME. Needs clang (make deps).
fuzz: deps
	CC=clang cmake -S . -B $(BUILD_FUZZ) -DCUTOVER_FUZZ=ON -DCUTOVER_TEST_HOOKS=ON -DCUTOVER_WERROR=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
	cmake --build $(BUILD_FUZZ) -j $(JOBS) --target $(addprefix fuzz_,$(FUZZ_HARNESSES))
	@set -e; for h in $(FUZZ_HARNESSES); do \
	  mkdir -p $(BUILD_FUZZ)/corpus/$$h $(BUILD_FUZZ)/findings/$$h; \
	  echo "fuzz: $$h for $(FUZZ_SECONDS) s"; \
	  $(BUILD_FUZZ)/fuzz_$$h -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
	    -artifact_prefix=$(BUILD_FUZZ)/findings/$$h/ -print_final_stats=1 \
	    $(BUILD_FUZZ)/corpus/$$h tests/fuzz/corpus/$$h; \
	done

# The chaos scenario's longer seeded variant (docs/reliability.md): 20
# interruptions by SIGINT, SIGTERM and SIGKILL of migrate --all under live
# writes, on a SQLite source, then on PostgreSQL (a throwaway server, pg.sh).
# CHAOS_SEED=N picks another sequence.
CHAOS_ROUNDS ?= 20
CHAOS_SEED   ?= 15
chaos: build
	@set -e; for t in test_chaos test_pg_chaos; do \
	  CUTOVER=$(BUILD)/cutover CUTOVER_SOURCE_DIR=$(CURDIR) CUTOVER_SHARED=$(CURDIR)/../shared \
	    CHAOS_ROUNDS=$(CHAOS_ROUNDS) CHAOS_SEED=$(CHAOS_SEED) bash tests/e2e/$$t.sh; \
	done

# A release build of its own, without the test-only fault points.
install: deps
	cmake -S . -B $(BUILD_RELEASE) -DCMAKE_INSTALL_PREFIX=$(PREFIX) -DCUTOVER_TEST_HOOKS=OFF
	cmake --build $(BUILD_RELEASE) -j $(JOBS)
	cmake --install $(BUILD_RELEASE) --prefix $(PREFIX)

bench: build
	bench/migrate-sqlite

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ) $(BUILD_RELEASE)
