# dxhub_add_suites(LABEL layer SOURCES a.cpp b.cpp ... LIBS ... [TIMEOUT s])
#
# One CAF test binary and one CTest test per suite file, named
# "<layer>.<file>", labelled with its layer so that `ctest -L shm` runs one
# layer. The CAF test main comes from the dxhub_test_main object library.
function(dxhub_add_suites)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT" "SOURCES;LIBS;ENVIRONMENT" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  foreach(src IN LISTS ARG_SOURCES)
    get_filename_component(unit ${src} NAME_WE)
    set(target test_${ARG_LABEL}_${unit})
    add_executable(${target} ${src} $<TARGET_OBJECTS:dxhub_test_main>)
    target_link_libraries(${target} PRIVATE ${ARG_LIBS} CAF::core dxhub_warnings)
    target_include_directories(${target} PRIVATE ${DXHUB_INCLUDE_ROOT})
    # -r: CAF's own watchdog, a little inside the CTest timeout.
    math(EXPR watchdog "${ARG_TIMEOUT} - 5")
    add_test(NAME ${ARG_LABEL}.${unit} COMMAND ${target} -n -v 4 -r ${watchdog})
    set_tests_properties(
      ${ARG_LABEL}.${unit}
      PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
                 ENVIRONMENT "${DXHUB_TEST_ENVIRONMENT};${ARG_ENVIRONMENT}")
  endforeach()
endfunction()

# dxhub_add_script_test(NAME n LABEL layer COMMAND ... [TIMEOUT s])
# A test driven by a program or script (multi-process scenarios, tools).
function(dxhub_add_script_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL;TIMEOUT" "COMMAND;ENVIRONMENT;DEPENDS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  add_test(NAME ${ARG_LABEL}.${ARG_NAME} COMMAND ${ARG_COMMAND})
  set_tests_properties(
    ${ARG_LABEL}.${ARG_NAME}
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
               ENVIRONMENT "${DXHUB_TEST_ENVIRONMENT};${ARG_ENVIRONMENT}")
  if(ARG_DEPENDS)
    set_tests_properties(${ARG_LABEL}.${ARG_NAME} PROPERTIES DEPENDS "${ARG_DEPENDS}")
  endif()
endfunction()
