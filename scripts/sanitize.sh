#!/usr/bin/env bash
# Builds the unit tests with sanitizers in build-<name>/ and runs them.
# Usage: scripts/sanitize.sh address,undefined [GTEST_FILTER]   (ASan + UBSan, all unit tests)
#        scripts/sanitize.sh thread 'ScrapeEngine*:*Concurren*'  (TSan, the concurrency tests)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=$1
filter=${2:-*}
build=build-$(echo "$mode" | tr ',' '-')
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHOTH_SANITIZE="$mode" -DTHOTH_WERROR=OFF >/dev/null
cmake --build "$build" -j "$(nproc)" --target unit_tests >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
# second_deadlock_stack: full reports; no suppressions file on purpose.
export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
"$build/bin/unit_tests" --gtest_filter="$filter" --gtest_brief=1
