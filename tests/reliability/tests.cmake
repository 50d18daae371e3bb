# Reliability tests that are not plain integration suites: the fault soak (a long run through
# scripts/soak.sh DURATION, a short one here). Included from tests/CMakeLists.txt, after
# thoth_test_harness is defined. The hostile-client and secrets suites are ordinary
# integration folders (tests/integration/{hostile,secrets}).
add_executable(soak ${CMAKE_CURRENT_LIST_DIR}/../integration/soak/soak.cc
  ${CMAKE_CURRENT_LIST_DIR}/../integration/soak/soak_model.cc
  ${CMAKE_CURRENT_LIST_DIR}/../integration/soak/soak_sources.cc
  ${CMAKE_CURRENT_LIST_DIR}/../integration/soak/soak_model_test.cc)
target_link_libraries(soak PRIVATE thoth_test_harness thoth_app GTest::gtest GTest::gtest_main)
add_dependencies(soak exporter)
add_test(NAME soak_short COMMAND soak --gtest_color=no)
set_tests_properties(soak_short PROPERTIES LABELS reliability RUN_SERIAL TRUE TIMEOUT 300
  ENVIRONMENT "THOTH_SOAK_SECONDS=75")
