#pragma once

#include <string>

namespace dxhub::runtime {

/// The identity of this host: the machine-id and the boot-id joined by '-'.
/// Two nodes share memory only when their host ids are equal; tests that play
/// several hosts on one machine override it in the node options.
std::string local_host_id();

/// The host name, for humans.
std::string local_host_name();

} // namespace dxhub::runtime
