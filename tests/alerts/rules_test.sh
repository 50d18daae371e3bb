#!/usr/bin/env bash
# alerts/: the rule files load (promtool check rules) and every unit test passes (promtool test
# rules: each alert below, at and just above its thresholds, for: respected, absent series).
set -uo pipefail
source "$(dirname "$0")/lib.sh"
shopt -s nullglob
rules=("$THOTH_SRC"/alerts/*.rules.yml)
tests=("$THOTH_SRC"/alerts/tests/*.test.yml)
check "rule files found" test ${#rules[@]} -gt 0
check "rule test files found" test ${#tests[@]} -gt 0
for f in "${rules[@]}"; do
  check "promtool check rules alerts/$(basename "$f")" promtool check rules "$f"
done
for f in "${tests[@]}"; do
  check "promtool test rules alerts/tests/$(basename "$f")" promtool test rules "$f"
done
summary "alert rules"
