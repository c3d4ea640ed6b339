# The two commands of the README: `make quickstart` and `make test`. Each does its own set-up.
SHELL := /bin/bash
BUILD_DIR ?= build
ASAN_DIR ?= build-asan
PYTHON_ENV := $(HOME)/.cache/wax/python/bytewax-0.21.1
PYTHON := $(PYTHON_ENV)/bin/python
CXX_SOURCES = $(shell git ls-files '*.cc' '*.h' 2>/dev/null)

.PHONY: oidc-tests all setup web web-tests dashboard-tests build build-asan format format-check unit unit-asan e2e cluster-tests test \
        quickstart bench cluster cluster-down clean

all: build

setup:
	@bash scripts/setup.sh

$(BUILD_DIR)/build.ninja:
	cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

# The dashboard's front end (web/, TypeScript) is built first: the binaries carry its files.
web: setup
	@bash scripts/build-web.sh

web-tests: web
	@bash scripts/build-web.sh test

build: setup web $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR)

$(ASAN_DIR)/build.ninja:
	cmake -S . -B $(ASAN_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DWAX_SANITIZE=ON

# The sanitizer build runs the unit tests only; the binaries stay in the normal build.
build-asan: setup $(ASAN_DIR)/build.ninja
	cmake --build $(ASAN_DIR) --target unit_tests

format:
	clang-format -i $(CXX_SOURCES)

format-check:
	@clang-format --dry-run --Werror $(CXX_SOURCES) && echo "format-check: ok"

unit: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300

unit-asan: build-asan
	cd $(ASAN_DIR) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure --timeout 600

e2e: build
	$(PYTHON) -m pytest -v tests/e2e

# The dashboard in Chromium (Debian's), driven by playwright-core, against a real waxd and a real
# OpenID provider.
dashboard-tests: build
	@bash scripts/testbed/oidc-up.sh install >/dev/null
	@bash tests/dashboard/run.sh

# Tests against a real control plane (etcd, kube-apiserver, kube-controller-manager), built once
# from source and cached under ~/.cache/wax/testbed.
cluster-tests: build
	@bash scripts/testbed/build-kube.sh >/dev/null
	$(PYTHON) -m pytest -v tests/cluster

# The OpenID Connect provider that WaxAPI's tests sign in with (oidc-provider from npm).
oidc-tests: build
	@bash scripts/testbed/oidc-up.sh install >/dev/null
	$(PYTHON) -m pytest -v tests/oidc

test: setup format-check build web-tests unit build-asan unit-asan e2e dashboard-tests cluster-tests \
      oidc-tests

# A local Kubernetes control plane without Docker, for trying cluster mode by hand.
CLUSTER_DIR ?= $(HOME)/.cache/wax/cluster
cluster: build
	@bash scripts/testbed/cluster-up.sh "$(CLUSTER_DIR)"

cluster-down:
	@bash scripts/testbed/cluster.sh down "$(CLUSTER_DIR)"

quickstart: build
	@bash scripts/quickstart.sh

bench: build
	@bash bench/run.sh

clean:
	rm -rf $(BUILD_DIR) $(ASAN_DIR)
