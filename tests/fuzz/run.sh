#!/usr/bin/env bash
# Builds every libFuzzer target (tests/fuzz/<area>/*_fuzzer.cc, with the sources listed in
# <area>/sources.txt) with clang++ -fsanitize=fuzzer,address,undefined and runs each for a few
# seconds from the fixtures of its area, so that `make test` smoke-runs them whatever compiler
# built the exporter. Exit 77 (ctest: skipped) when clang++ is missing.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?build dir}
seconds=${2:-5}
cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "fuzz: clang++ not installed, skipping" >&2
  exit 77
fi
mkdir -p "$out"
flags=(-std=c++20 -O1 -g -I"$root" -fno-omit-frame-pointer)
san=address,undefined
status=0
for area_dir in "$root"/tests/fuzz/*/; do
  area=$(basename "$area_dir")
  [ -f "$area_dir/sources.txt" ] || continue
  objs=()
  for src in $(grep -v '^\s*#' "$area_dir/sources.txt"); do
    obj="$out/$area-$(basename "${src%.cc}").o"
    if [ ! -f "$obj" ] || [ "$root/$src" -nt "$obj" ]; then
      "$cxx" "${flags[@]}" -fsanitize=fuzzer-no-link,$san -c "$root/$src" -o "$obj"
    fi
    objs+=("$obj")
  done
  for fuzzer in "$area_dir"/*_fuzzer.cc; do
    name=$(basename "${fuzzer%.cc}")
    bin="$out/$name"
    "$cxx" "${flags[@]}" -fsanitize=fuzzer,$san "$fuzzer" "${objs[@]}" \
      -lprometheus-cpp-core -o "$bin"
    corpus=$(mktemp -d)
    seeds="$root/tests/fixtures/$area"
    echo "fuzz: $name for ${seconds}s"
    # New inputs go to the first (temporary) corpus; the fixtures are only read.
    if ! UBSAN_OPTIONS=halt_on_error=1 "$bin" -max_total_time="$seconds" -max_len=4096 \
        -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 -artifact_prefix="$out/$name-" \
        "$corpus" "$seeds" > "$out/$name.log" 2>&1; then
      echo "fuzz: $name FAILED (see $out/$name.log)" >&2
      tail -n 40 "$out/$name.log" >&2
      status=1
    else
      grep -E "stat::number_of_executed_units" "$out/$name.log" || true
    fi
    rm -rf "$corpus"
  done
done
exit $status
