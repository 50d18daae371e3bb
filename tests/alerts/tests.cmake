# Alert rules, Alertmanager routing, dashboards and the end-to-end test of all three
# (tests/alerts). Included from tests/CMakeLists.txt. Needs node, promtool, amtool and the npm
# tools of scripts/setup.d/alerts.sh (make test installs them).
set(THOTH_ALERTS_TESTS ${CMAKE_CURRENT_LIST_DIR})

add_test(NAME alerts_promtool COMMAND bash ${THOTH_ALERTS_TESTS}/rules_test.sh)
add_test(NAME alerts_conventions COMMAND node ${THOTH_ALERTS_TESTS}/check_rules.js)
add_test(NAME alerts_thresholds COMMAND node ${THOTH_ALERTS_TESTS}/check_thresholds.js)
add_test(NAME alerts_alertmanager COMMAND bash ${THOTH_ALERTS_TESTS}/alertmanager_test.sh)
add_test(NAME dashboards_schema COMMAND bash ${THOTH_ALERTS_TESTS}/dashboards_schema_test.sh)
add_test(NAME dashboards_lint COMMAND node ${THOTH_ALERTS_TESTS}/lint_dashboards.js)
set_tests_properties(alerts_promtool alerts_conventions alerts_thresholds alerts_alertmanager
  dashboards_schema dashboards_lint PROPERTIES LABELS alerts TIMEOUT 180)

# Real PostgreSQL, Redis, ChromaDB, exporter, Prometheus and Alertmanager: a few minutes.
add_test(NAME alerts_e2e COMMAND bash ${THOTH_ALERTS_TESTS}/e2e.sh $<TARGET_FILE:exporter>)
set_tests_properties(alerts_e2e PROPERTIES LABELS "alerts;integration" RUN_SERIAL TRUE TIMEOUT 600)

# The documented stack in miniature (issue 18's proof): real nginx, PostgreSQL, Redis and
# Prometheus with stand-ins for the services, the exporter on its embedded default, inside
# unshare --net --mount (root; skipped otherwise). About a minute when every check passes.
add_test(NAME alerts_stack_e2e COMMAND bash ${THOTH_ALERTS_TESTS}/stack_e2e.sh $<TARGET_FILE:exporter>)
set_tests_properties(alerts_stack_e2e PROPERTIES LABELS "alerts;integration;e2e" RUN_SERIAL TRUE
  TIMEOUT 600 SKIP_RETURN_CODE 77)

# The monitoring mixin (mixin/): alerts/ and dashboards/ are what it renders; its thresholds are
# the exporter's built-in defaults (print_thresholds prints thoth::Thresholds{}); rendered with
# another _config (selectors, label names, thresholds) its output follows. Needs jsonnet and
# python3-yaml (scripts/packages/alerts.txt).
add_executable(print_thresholds ${THOTH_ALERTS_TESTS}/print_thresholds.cc)
add_test(NAME mixin_rendered COMMAND python3 ${CMAKE_SOURCE_DIR}/mixin/render.py --check)
add_test(NAME mixin_thresholds
         COMMAND python3 ${THOTH_ALERTS_TESTS}/mixin_test.py thresholds $<TARGET_FILE:print_thresholds>)
add_test(NAME mixin_config COMMAND python3 ${THOTH_ALERTS_TESTS}/mixin_test.py config)
set_tests_properties(mixin_rendered mixin_thresholds mixin_config PROPERTIES LABELS alerts
  TIMEOUT 180)
