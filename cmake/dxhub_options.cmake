# Compile options shared by every dxhub target, and the sanitizer switch.

# Warnings as errors for our own code only; third-party headers come in as
# SYSTEM includes (imported targets) and are not affected.
add_library(dxhub_warnings INTERFACE)
target_compile_options(dxhub_warnings INTERFACE -Wall -Wextra -Wpedantic -Werror)

if(DXHUB_SANITIZE)
  string(REPLACE "," ";" _dxhub_sanitizers "${DXHUB_SANITIZE}")
  foreach(s IN LISTS _dxhub_sanitizers)
    if(NOT s MATCHES "^(address|undefined|thread|leak)$")
      message(FATAL_ERROR "DXHUB_SANITIZE: unknown sanitizer '${s}'")
    endif()
  endforeach()
  if("thread" IN_LIST _dxhub_sanitizers AND "address" IN_LIST _dxhub_sanitizers)
    message(FATAL_ERROR "DXHUB_SANITIZE: thread and address cannot be combined")
  endif()
  add_compile_options(-fsanitize=${DXHUB_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${DXHUB_SANITIZE})
  add_compile_definitions(DXHUB_SANITIZER_BUILD=1)
endif()

# dxhub_library(NAME layer_target ALIAS dxhub::x SOURCES ... PUBLIC ... PRIVATE ...)
# One library target per layer; link dependencies follow the layering only.
# Shared libraries: a node and the actor plugins it loads must share one copy
# of the runtime (its actor types, its node, its channels).
function(dxhub_library name)
  cmake_parse_arguments(ARG "" "ALIAS;EXPORT_NAME" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(${name} SHARED ${ARG_SOURCES})
  add_library(${ARG_ALIAS} ALIAS ${name})
  set_target_properties(${name} PROPERTIES EXPORT_NAME ${ARG_EXPORT_NAME}
                                           OUTPUT_NAME dxhub_${ARG_EXPORT_NAME})
  target_include_directories(
    ${name} PUBLIC $<BUILD_INTERFACE:${DXHUB_INCLUDE_ROOT}>
                   $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(${name} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE}
                                       $<BUILD_INTERFACE:dxhub_warnings>)
  # Our headers are C++20: a user's target that links us gets it too.
  target_compile_features(${name} PUBLIC cxx_std_20)
  set_property(GLOBAL APPEND PROPERTY DXHUB_EXPORTED_TARGETS ${name})
endfunction()
