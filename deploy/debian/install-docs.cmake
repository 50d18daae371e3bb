# Run at install time (make package / cpack) from package.cmake: the changelog and the manual page
# as Debian policy wants them, both compressed with `gzip -9n` (no name, no time stamp).
# THOTH_DEB_CHANGELOG, THOTH_DEB_EXPORTER and THOTH_DEB_VERSION are set by package.cmake.
set(doc "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/share/doc/thoth-exporter")
set(man "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/share/man/man1")
file(MAKE_DIRECTORY "${doc}" "${man}")
execute_process(COMMAND gzip -9nc "${THOTH_DEB_CHANGELOG}"
                OUTPUT_FILE "${doc}/changelog.gz" COMMAND_ERROR_IS_FATAL ANY)

find_program(HELP2MAN help2man)
if(NOT HELP2MAN)
  message(FATAL_ERROR "help2man is needed to make the manual page: apt-get install help2man")
endif()
# The page comes from --help of the binary being packaged, so it cannot fall behind it.
execute_process(COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --section=1
                        --name=Prometheus\ exporter\ for\ the\ Thoth\ stack
                        --version-string=${THOTH_DEB_VERSION} "${THOTH_DEB_EXPORTER}"
                OUTPUT_VARIABLE page COMMAND_ERROR_IS_FATAL ANY)
# help2man names the page after the file it ran (exporter); the installed command is thoth-exporter.
string(REPLACE ".TH EXPORTER " ".TH THOTH-EXPORTER " page "${page}")
string(REPLACE "\nexporter \\- " "\nthoth-exporter \\- " page "${page}")
file(WRITE "${man}/thoth-exporter.1" "${page}")
execute_process(COMMAND gzip -9nf "${man}/thoth-exporter.1" COMMAND_ERROR_IS_FATAL ANY)
