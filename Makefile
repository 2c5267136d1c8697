# The front door: `make demo` runs the demo, `make check` runs every test.
# Both install what they need first (`make deps`). CMake does the building.

BUILD       ?= build
BUILD_ASAN  ?= build-asan
PREFIX      ?= /usr/local
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR    ?= demo
DEMO_SCALE  ?= 0.01

MAKEFLAGS += --no-print-directory

.PHONY: all deps build demo check check-asan install clean bench

all: build

deps:
	@tools/deps.sh

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_INSTALL_PREFIX=$(PREFIX)

build: deps $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@tools/demo.sh $(BUILD)/cutover $(DEMO_DIR) $(DEMO_SCALE)

check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(MAKE) check-asan

# The unit tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
check-asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCUTOVER_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	cd $(BUILD_ASAN) && ctest --output-on-failure -j $(JOBS) -L unit

install: build
	cmake --install $(BUILD) --prefix $(PREFIX)

bench: build
	bench/migrate-sqlite

clean:
	rm -rf $(BUILD) $(BUILD_ASAN)
