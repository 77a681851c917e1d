# dxhub_add_actor_plugin(NAME SOURCES file.cpp... [LIBS target...])
#
# Builds an actor plugin: a shared library with one DXHUB_ACTOR_PLUGIN(...)
# entry point (runtime/actor_plugin.hpp) that a node loads when its
# deployment says `plugins = ["path/to/libNAME.so"]`. Available after
# find_package(dxhub), and inside the dxhub tree for its examples.
function(dxhub_add_actor_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "dxhub_add_actor_plugin(${name}): SOURCES is required")
  endif()
  add_library(${name} MODULE ${ARG_SOURCES})
  # The node program already holds the dxhub libraries; linking them here
  # too resolves to the same shared objects, never to a second copy.
  target_link_libraries(${name} PRIVATE dxhub::actors ${ARG_LIBS})
  target_compile_features(${name} PRIVATE cxx_std_20)
  set_target_properties(${name} PROPERTIES PREFIX "lib")
endfunction()
