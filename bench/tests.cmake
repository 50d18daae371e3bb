# Smoke test of the benchmark suite: `bench/run.sh --smoke` runs the Redis and HTTP probe pairings
# against their peer exporters with 20 scrapes each and checks that every side produced numbers.
# It asserts no timing (the benchmark itself is `make bench`, not part of the tests). Label: bench.
# Included by the top-level CMakeLists.txt (inside the tests block): include(bench/tests.cmake)
add_test(NAME bench_smoke
         COMMAND env "EXPORTER=$<TARGET_FILE:exporter>" "BUILD_DIR=${CMAKE_BINARY_DIR}"
                 ${CMAKE_SOURCE_DIR}/bench/run.sh --smoke)
set_tests_properties(bench_smoke PROPERTIES LABELS bench TIMEOUT 180)
