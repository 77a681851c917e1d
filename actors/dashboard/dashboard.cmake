# The dashboard (actors/dashboard.hpp): its page (index.html, style.css, app.js) compiled into
# dxhub_actors: embed.cmake writes them into a C++ file at build time, so
# that an installed `dxhub dashboard` needs no files beside it. Included by
# actors/CMakeLists.txt after the library is defined.
set(_dxhub_dashboard_dir "${CMAKE_CURRENT_LIST_DIR}")
set(_dxhub_dashboard_files index.html style.css app.js)
set(_dxhub_dashboard_inputs "")
foreach(f IN LISTS _dxhub_dashboard_files)
  list(APPEND _dxhub_dashboard_inputs "${_dxhub_dashboard_dir}/${f}")
endforeach()
string(REPLACE ";" "," _dxhub_dashboard_list "${_dxhub_dashboard_files}")
set(_dxhub_dashboard_out "${CMAKE_CURRENT_BINARY_DIR}/dashboard_assets.cpp")
add_custom_command(
  OUTPUT "${_dxhub_dashboard_out}"
  COMMAND ${CMAKE_COMMAND} -DOUT=${_dxhub_dashboard_out} -DDIR=${_dxhub_dashboard_dir}
          -DFILES=${_dxhub_dashboard_list} -P "${_dxhub_dashboard_dir}/embed.cmake"
  DEPENDS ${_dxhub_dashboard_inputs} "${_dxhub_dashboard_dir}/embed.cmake"
  COMMENT "Embedding the dashboard's page"
  VERBATIM)
target_sources(dxhub_actors PRIVATE "${_dxhub_dashboard_out}")
# The overview reads channels from shared memory like `dxhub inspect`
# (read-only mappings, transports/shm/inspect.hpp); the HTTP server is
# Boost.Beast (header-only, Debian's libboost-dev).
target_link_libraries(dxhub_actors PRIVATE dxhub::shm Boost::boost)
