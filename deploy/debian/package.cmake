# Install rules and the Debian package (CPack DEB) of thoth-exporter.
# Included from the top-level CMakeLists.txt; `make package` (or `cpack -G DEB` in the build
# directory) writes thoth-exporter_<version>_<arch>.deb:
#   /usr/bin/thoth-exporter                           the exporter binary (stripped)
#   /etc/thoth-exporter/config.yml                    default config (conffile)
#   /etc/default/thoth-exporter                       extra flags for the unit (conffile)
#   /usr/lib/systemd/system/thoth-exporter.service    hardened unit
#   /usr/share/thoth-exporter/alerts/*.yml            Prometheus rule files from alerts/
#   /usr/share/thoth-exporter/dashboards/*.json       Grafana dashboards from dashboards/
#   /usr/share/thoth-exporter/config.schema.json      JSON Schema of the config, for editors
#   /usr/share/doc/thoth-exporter/                    deployment guide and examples
# alerts/ and dashboards/ are read when the package is made, so new files need no change here.

# Installing (and so cpack) needs only the exporter, not every test binary of `all`: `make package`
# builds first, and a missing binary makes the install step fail with its path.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

set(THOTH_DEBIAN_DIR ${CMAKE_CURRENT_LIST_DIR})
set(THOTH_DEPLOY_DIR ${CMAKE_CURRENT_LIST_DIR}/..)

install(PROGRAMS $<TARGET_FILE:exporter> DESTINATION bin RENAME thoth-exporter)
# install(PROGRAMS) is never stripped by CPACK_STRIP_FILES (only install(TARGETS) is), and the
# debug information is most of the RelWithDebInfo binary.
install(CODE "execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-unneeded
  \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/bin/thoth-exporter\" COMMAND_ERROR_IS_FATAL ANY)")
install(FILES ${THOTH_DEBIAN_DIR}/config.yml DESTINATION /etc/thoth-exporter)
install(FILES ${THOTH_DEBIAN_DIR}/default DESTINATION /etc/default RENAME thoth-exporter)
install(FILES ${THOTH_DEPLOY_DIR}/systemd/thoth-exporter.service DESTINATION lib/systemd/system)
# Rule files only: promtool unit tests (tests/ folders, *_test.yml) are for the project's CI.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/alerts/ DESTINATION share/thoth-exporter/alerts OPTIONAL
        FILES_MATCHING PATTERN "*.yml" PATTERN "*.yaml"
        PATTERN "tests" EXCLUDE PATTERN "test" EXCLUDE PATTERN "*_test.yml" EXCLUDE
        PATTERN "*_test.yaml" EXCLUDE PATTERN "*.test.yml" EXCLUDE)
# Only the dashboards themselves (dashboards/*.json), not the sources they are generated from.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/dashboards/ DESTINATION share/thoth-exporter/dashboards OPTIONAL
        FILES_MATCHING PATTERN "*.json" PATTERN "src" EXCLUDE PATTERN "node_modules" EXCLUDE)
install(FILES ${CMAKE_SOURCE_DIR}/docs/deployment.md DESTINATION share/doc/thoth-exporter)
# Read by editors while /etc/thoth-exporter/config.yml is edited (README, Configuration).
install(FILES ${CMAKE_SOURCE_DIR}/docs/config.schema.json DESTINATION share/thoth-exporter)
# What Debian policy asks of every package (lintian checks it): the copyright file, the changelog
# compressed with gzip -9n (no name, no time stamp: reproducible), and a manual page. The page is
# made from `--help` by help2man when the package is made, so it cannot fall behind the binary.
install(FILES ${THOTH_DEBIAN_DIR}/copyright DESTINATION share/doc/thoth-exporter)
install(CODE "set(THOTH_DEB_CHANGELOG \"${THOTH_DEBIAN_DIR}/changelog\")
  set(THOTH_DEB_EXPORTER \"$<TARGET_FILE:exporter>\")
  set(THOTH_DEB_VERSION \"${PROJECT_VERSION}\")")
install(SCRIPT ${THOTH_DEBIAN_DIR}/install-docs.cmake)
install(FILES ${THOTH_DEBIAN_DIR}/web.yml DESTINATION share/doc/thoth-exporter/examples)
install(DIRECTORY ${THOTH_DEPLOY_DIR}/nginx ${THOTH_DEPLOY_DIR}/prometheus
        DESTINATION share/doc/thoth-exporter/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME thoth-exporter)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "thoth-exporter maintainers <maintainers@thoth-exporter.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Prometheus exporter for the Thoth stack: PostgreSQL, Redis, ChromaDB, HTTP, logs")
# Debian wants the extended description in lines of at most 80 characters.
set(CPACK_PACKAGE_DESCRIPTION
    "One binary in place of postgres_exporter, redis_exporter, blackbox_exporter,\nprocess-exporter, node_exporter and mtail for an AI research-assistant stack,\nkeeping their metric names. Ships the stack's Prometheus alert rules and\nGrafana dashboards.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies come from dpkg-shlibdeps on the binary, so they follow the build.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# deb-systemd-helper / deb-systemd-invoke, used by the maintainer scripts.
set(CPACK_DEBIAN_PACKAGE_DEPENDS "init-system-helpers (>= 1.54)")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${THOTH_DEBIAN_DIR}/conffiles ${THOTH_DEBIAN_DIR}/postinst ${THOTH_DEBIAN_DIR}/prerm
    ${THOTH_DEBIAN_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
