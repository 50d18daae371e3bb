#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (build-fuzz/) and runs each for SECONDS seconds
# (default 60) on its seed corpus (tests/fuzz/corpus/<target>/, copied so seeds stay clean).
# A crash fails the run and leaves the input in build-fuzz/crashes/<target>/.
# FUZZ_SEED=N fixes libFuzzer's random seed (make test's smoke run uses 1, so that its inputs
# are the same from run to run; new findings come from `make fuzz`, which leaves it random).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=build-fuzz
CC=clang CXX=clang++ cmake -S . -B $build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHOTH_FUZZ=ON \
  -DTHOTH_BUILD_TESTS=OFF -DTHOTH_WERROR=OFF >/dev/null
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in $(find tests/fuzz -name '*_fuzz.cc' | sort); do targets+=("$(basename "$src" .cc)"); done
fi
cmake --build $build -j "$(nproc)" --target "${targets[@]}" >/dev/null
status=0
for t in "${targets[@]}"; do
  work=$build/corpus/$t
  crashes=$build/crashes/$t
  mkdir -p "$work" "$crashes"
  [ -d tests/fuzz/corpus/$t ] && cp -n tests/fuzz/corpus/$t/* "$work"/ 2>/dev/null || true
  log=$build/$t.log
  if $build/bin/$t "$work" -max_total_time="$seconds" -max_len=65536 -timeout=10 ${FUZZ_SEED:+-seed=$FUZZ_SEED} \
      -rss_limit_mb=1024 -artifact_prefix="$crashes/" -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo '?')
    echo "fuzz $t: ok, $runs executions in ${seconds}s"
  else
    echo "fuzz $t: FAILED (see $log; inputs in $crashes)"
    tail -30 "$log"
    status=1
  fi
done
exit $status
