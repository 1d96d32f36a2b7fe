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
