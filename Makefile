# What people type. Each target runs the idempotent set-up first.
#   make run                       set up, build, start the server (default configuration)
#   make test                      set up, build, run every test
#   make test SANITIZE=address,undefined   the same tests under ASan + UBSan
#   make build                     set up and build
#   make bench [BENCH_ARGS=--quick]  performance report under bench/results/
SHELL := /bin/bash
BUILD_TYPE ?= RelWithDebInfo
SANITIZE ?=
JOBS ?= $(shell nproc)
BUILD_DIR ?= build/$(if $(SANITIZE),sanitize,$(shell echo $(BUILD_TYPE) | tr A-Z a-z))
CTEST_ARGS ?=
RUN_ARGS ?=

.PHONY: all bootstrap configure build test run bench clean

all: build

bootstrap:
	@scripts/bootstrap.sh

configure: bootstrap
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) \
	  -DXZ_SANITIZE=$(SANITIZE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

test: build
	@scripts/run_tests.sh $(BUILD_DIR) $(CTEST_ARGS)

run: build
	$(BUILD_DIR)/bin/xiaozhi-server $(RUN_ARGS)

bench:
	@$(MAKE) --no-print-directory build BUILD_TYPE=RelWithDebInfo
	@scripts/bench.sh build/relwithdebinfo $(BENCH_ARGS)

clean:
	rm -rf build

# ---------------------------------------------------------------- fuzzing
# make fuzz [FUZZ_SECONDS=60] [FUZZ_TARGETS="sse wav"]: each libFuzzer target (tests/fuzz,
# built by cmake/fuzz.cmake with clang in build/fuzz) from its committed seed corpus; the
# working corpus and any crashing input stay under build/fuzz. A full `make test` (no
# CTEST_ARGS) runs every target for FUZZ_SMOKE_SECONDS first, so CI exercises them all.
FUZZ_DIR ?= build/fuzz
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 2
FUZZ_TARGETS ?=

.PHONY: fuzz fuzz-build fuzz-smoke

fuzz-build: bootstrap
	@cmake -S . -B $(FUZZ_DIR) -G Ninja -DXZ_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
	  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
	@cmake --build $(FUZZ_DIR) -j $(JOBS)

fuzz: fuzz-build
	@scripts/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: fuzz-build
	@FUZZ_SMOKE=1 scripts/run_fuzz.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

ifeq ($(CTEST_ARGS),)
test: fuzz-smoke
endif
