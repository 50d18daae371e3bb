# Tests of the deployment files (deploy/): each is a bash script under tests/deploy, run by ctest
# with the label `deploy`. Included from tests/CMakeLists.txt.
set(THOTH_DEPLOY_TESTS
  prometheus      # promtool check config; the /probe and sharding relabeling in a real Prometheus
  systemd         # systemd-analyze verify and security of the unit
  compose         # docker-compose config of every compose file, and what they promise
  kubernetes      # manifests and the rendered Helm chart against the Kubernetes schemas
  prometheusrule  # the generated PrometheusRule equals alerts/*.yml
  docker          # the image's runtime libraries and health check
  configs         # every shipped exporter config passes --check-config; SIGHUP reload
  nginx           # a real nginx with TLS and basic auth in front of a running exporter
  hardened        # as an unprivileged user on a read-only root, PostgreSQL through pg_monitor only
  debian          # make package, dpkg -i, run, dpkg -r / --purge
  builds          # Release with dpkg-buildflags and THOTH_WERROR=ON; THOTH_WERROR off by hand
)
foreach(name ${THOTH_DEPLOY_TESTS})
  add_test(NAME deploy_${name} COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${name}_test.sh)
  set_tests_properties(deploy_${name} PROPERTIES
    LABELS deploy
    TIMEOUT 300
    ENVIRONMENT "THOTH_SOURCE_DIR=${CMAKE_SOURCE_DIR};THOTH_BUILD_DIR=${CMAKE_BINARY_DIR};THOTH_EXPORTER_BINARY=$<TARGET_FILE:exporter>")
endforeach()
# Installs a package on the machine and uses dpkg's lock.
set_tests_properties(deploy_debian PROPERTIES RUN_SERIAL TRUE)
# A Release build of the exporter from scratch: minutes on a loaded 2-core machine.
set_tests_properties(deploy_builds PROPERTIES TIMEOUT 900)
