# Install rules: libraries, public headers (under include/dxhub/), the CMake
# package (find_package(dxhub) gives dxhub::<layer>) and a pkg-config file.
include(CMakePackageConfigHelpers)

get_property(_dxhub_targets GLOBAL PROPERTY DXHUB_EXPORTED_TARGETS)
install(TARGETS ${_dxhub_targets}
        EXPORT dxhubTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

foreach(layer schemas launch transports runtime actors apps)
  if(EXISTS "${CMAKE_SOURCE_DIR}/${layer}")
    # apps/cli is the command line's own code, not a library; a detail/
    # folder (of any layer) is the code behind a layer's headers, which no
    # installed header includes (tests/style/include_rules.py, rule 3).
    install(DIRECTORY "${CMAKE_SOURCE_DIR}/${layer}/"
            DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/dxhub/${layer}"
            FILES_MATCHING PATTERN "*.hpp" PATTERN "cli" EXCLUDE PATTERN "detail" EXCLUDE)
  endif()
endforeach()

set(DXHUB_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/dxhub")
install(EXPORT dxhubTargets NAMESPACE dxhub:: DESTINATION "${DXHUB_CMAKE_DIR}")
configure_package_config_file(
  "${CMAKE_SOURCE_DIR}/cmake/dxhubConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/dxhubConfig.cmake" INSTALL_DESTINATION "${DXHUB_CMAKE_DIR}")
write_basic_package_version_file(
  "${CMAKE_BINARY_DIR}/dxhubConfigVersion.cmake" COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/dxhubConfig.cmake"
              "${CMAKE_BINARY_DIR}/dxhubConfigVersion.cmake"
              "${CMAKE_SOURCE_DIR}/cmake/FindCAF.cmake"
              "${CMAKE_SOURCE_DIR}/cmake/dxhubActorPlugin.cmake"
        DESTINATION "${DXHUB_CMAKE_DIR}")

set(DXHUB_PC_LIBS "")
foreach(t IN LISTS _dxhub_targets)
  get_target_property(_out ${t} OUTPUT_NAME)
  string(PREPEND DXHUB_PC_LIBS "-l${_out} ")
endforeach()
# The prefix relative to the .pc file itself: the package can be installed
# elsewhere than CMAKE_INSTALL_PREFIX (cmake --install --prefix) and still
# point at its own headers and libraries.
file(RELATIVE_PATH DXHUB_PC_PREFIX "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
string(REGEX REPLACE "/$" "" DXHUB_PC_PREFIX "${DXHUB_PC_PREFIX}")
configure_file("${CMAKE_SOURCE_DIR}/cmake/dxhub.pc.in" "${CMAKE_BINARY_DIR}/dxhub.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/dxhub.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
