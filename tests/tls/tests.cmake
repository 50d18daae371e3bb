# Native TLS (issue 20): included from tests/CMakeLists.txt.
set(THOTH_TLS_TESTS ${CMAKE_CURRENT_LIST_DIR})

# Real exporter, curl, openssl s_client and Prometheus; certificates made by the test.
add_test(NAME tls_e2e COMMAND bash ${THOTH_TLS_TESTS}/tls_test.sh $<TARGET_FILE:exporter>)
set_tests_properties(tls_e2e PROPERTIES LABELS "integration;tls" RUN_SERIAL TRUE TIMEOUT 300)

# The hostile-client suite once more, against the exporter serving TLS.
add_test(NAME integration_hostile_tls COMMAND integration_hostile --gtest_color=no
  --gtest_filter=Hostile.*)
set_tests_properties(integration_hostile_tls PROPERTIES ENVIRONMENT "THOTH_HOSTILE_TLS=1"
  LABELS "integration;tls" RUN_SERIAL TRUE TIMEOUT 900)

# The short fault soak once more, every scrape and reload over TLS (THOTH_SOAK_TLS=1).
add_test(NAME soak_short_tls COMMAND soak --gtest_color=no)
set_tests_properties(soak_short_tls PROPERTIES LABELS "reliability;tls" RUN_SERIAL TRUE
  TIMEOUT 300 ENVIRONMENT "THOTH_SOAK_SECONDS=75;THOTH_SOAK_TLS=1")
