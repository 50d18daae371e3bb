# Static checks of the source tree (label lint), included from tests/CMakeLists.txt.
# lint_layering: the include graph between folders points one way (scripts/include_graph.py:
# no collector includes another's files; exporter/ knows collectors only through registry.cc).
add_test(NAME lint_layering
         COMMAND python3 ${CMAKE_SOURCE_DIR}/scripts/include_graph.py --check ${CMAKE_SOURCE_DIR})
# lint_clang_tidy: .clang-tidy over exporter/, collectors/, procfs/ and docker/ with this build's
# compile_commands.json, every finding an error; two processes, about 2 minutes on 2 cores.
add_test(NAME lint_clang_tidy
         COMMAND ${CMAKE_COMMAND} -E env JOBS=2
                 ${CMAKE_SOURCE_DIR}/scripts/clang-tidy.sh ${CMAKE_BINARY_DIR}
         WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
set_tests_properties(lint_layering lint_clang_tidy PROPERTIES LABELS lint TIMEOUT 600)
