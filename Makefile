# thoth-exporter: `make run` starts the exporter, `make test` runs every test.
BUILD_DIR ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS ?= $(shell nproc)
ARGS ?=
FUZZ_SECONDS ?= 60
DURATION ?= 600

.PHONY: all deps deps-build build build-exporter run test unit-test integration-test package sanitize fuzz soak bench mixin clean

all: build

deps-build:
	scripts/install-deps.sh build

deps:
	scripts/install-deps.sh all

# The project's own builds treat warnings as errors (THOTH_WERROR); a build configured by hand
# or by a distribution does not.
CMAKE_FLAGS = -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DTHOTH_WERROR=ON

$(BUILD_DIR)/Makefile: CMakeLists.txt
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS)

# Everything: the exporter and every test binary.
build: $(BUILD_DIR)/Makefile
	cmake -S . -B $(BUILD_DIR) $(CMAKE_FLAGS) -DTHOTH_REQUIRE_TESTS=ON >/dev/null
	cmake --build $(BUILD_DIR) -j $(JOBS)

# The exporter alone (what `make run` needs; the tests are built by `make test`).
build-exporter: $(BUILD_DIR)/Makefile
	cmake --build $(BUILD_DIR) -j $(JOBS) --target exporter

# Installs what is missing to build, builds only the exporter, and starts it on its embedded
# default config.
run: deps-build build-exporter
	$(BUILD_DIR)/bin/exporter $(ARGS)

# Installs what is missing (packages, test servers), builds, and runs every test: unit,
# integration, alerts, deploy, the short soak, and the sanitizer builds (ASan+UBSan unit tests,
# TSan concurrency tests) and a short run of every fuzz target, each in its own build tree.
test: deps build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 900

# Only the sanitizer and fuzz-smoke part of `make test`.
sanitize: deps build
	cd $(BUILD_DIR) && ctest --output-on-failure -L sanitizer

unit-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L unit

integration-test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -L integration

# The Debian package: $(BUILD_DIR)/thoth-exporter_<version>_<arch>.deb (deploy/debian/package.cmake).
package: build
	cd $(BUILD_DIR) && cpack -G DEB

# Every libFuzzer target for FUZZ_SECONDS each (clang build in build-fuzz/).
fuzz: deps
	scripts/fuzz.sh $(FUZZ_SECONDS)

# The fault soak for DURATION seconds against real servers.
soak: deps build
	BUILD_DIR=$(BUILD_DIR) scripts/soak.sh $(DURATION)

# Side-by-side benchmarks against the peer exporters (bench/README.md); writes bench/results/.
bench: deps build
	BUILD_DIR=$(BUILD_DIR) bench/run.sh

# Renders the monitoring mixin (mixin/) into alerts/*.rules.yml and dashboards/*.json; the tests
# fail when those differ from what the mixin renders. Needs jsonnet and python3-yaml.
mixin:
	python3 mixin/render.py

clean:
	rm -rf $(BUILD_DIR)
