#!/usr/bin/env bash
# clang-tidy (the checks of .clang-tidy, every warning an error) over the project's own sources:
# exporter/, collectors/, procfs/, docker/. Tests are left out: GoogleTest's macros trip checks
# that say nothing about the product.
# Usage: scripts/clang-tidy.sh [BUILD_DIR [FILE...]]
#   BUILD_DIR  a configured build tree with compile_commands.json (default: build)
#   FILE...    only these files (e.g. the ones a change touches); default: every source file
# JOBS (default: nproc) clang-tidy processes run side by side. make test runs this as the ctest
# `lint_clang_tidy` (tests/lint/tests.cmake); about 2 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
tidy=$(command -v clang-tidy-14 || command -v clang-tidy || true)
if [[ -z $tidy ]]; then
  echo "clang-tidy not found: apt-get install clang-tidy (scripts/packages/test.txt)" >&2
  exit 1
fi
if [[ ! -f $build/compile_commands.json ]]; then
  echo "$build/compile_commands.json missing: configure with cmake first" >&2
  exit 1
fi
if (($# > 0)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'exporter/*.cc' 'collectors/*.cc' 'procfs/*.cc' 'docker/*.cc' 2>/dev/null ||
    find exporter collectors procfs docker -name '*.cc' | sort)
fi
echo "clang-tidy: ${#files[@]} files, $($tidy --version | grep -o 'version [0-9.]*')"
# -n 4: a few files per process amortise its start; --quiet: only the findings.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
status=0
printf '%s\n' "${files[@]}" |
  xargs -P "${JOBS:-$(nproc)}" -n 4 "$tidy" -p "$build" --quiet --warnings-as-errors='*' \
    >"$out" 2>&1 || status=$?
grep -v '^[0-9]* warnings\? \(and [0-9]* errors\? \)\?generated\.$' "$out" |
  grep -v '^Suppressed [0-9]* warnings\|^Use -header-filter\|^Use -system-headers' || true
if ((status != 0)); then
  echo "clang-tidy: findings above (fix them, or see .clang-tidy for why a check is off)" >&2
  exit 1
fi
echo "clang-tidy: clean"
