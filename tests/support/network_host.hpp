#pragma once

// A "host" for multi-host tests: a process in a network namespace of its own
// (or of another such process), with a /dev/shm of its own. `ip netns` is not
// used: it needs "/" to be a mount point, which a chroot lacks.

#include <string>
#include <vector>

namespace dxhub::test {

/// The script a host's process runs before its program: it gets a /dev/shm
/// of its own and, when DX_IF is set, waits for that end of its veth pair,
/// gives it its address (DX_ADDR) and brings it up; when DX_WAIT_ADDR is set
/// (a process joining a running host), it waits until the host has that
/// address. Each wait is bounded (20 s); a failure exits with 9.
inline constexpr const char* network_host_script =
    "{ mount --make-rprivate / || mount --make-rprivate /dev; } 2>/dev/null"
    " && mount -t tmpfs -o mode=1777 tmpfs /dev/shm || exit 9; i=0;"
    " if [ -n \"$DX_IF\" ]; then"
    "   until ip link show \"$DX_IF\" >/dev/null 2>&1; do"
    "     i=$((i+1)); [ $i -gt 400 ] && exit 9; sleep 0.05; done;"
    "   ip addr add \"$DX_ADDR\"/24 dev \"$DX_IF\" && ip link set \"$DX_IF\" up"
    "   && ip link set lo up || exit 9;"
    " fi;"
    " if [ -n \"$DX_WAIT_ADDR\" ]; then"
    "   until ip -o addr show | grep -q \"inet $DX_WAIT_ADDR/\"; do"
    "     i=$((i+1)); [ $i -gt 400 ] && exit 9; sleep 0.05; done;"
    " fi;"
    " exec \"$@\"";

/// `argv` run on a host: `prefix` enters the network namespace (e.g.
/// {"/usr/bin/env", "unshare", "--net"} or {"/usr/bin/env", "nsenter", net}),
/// then a mount namespace runs `network_host_script`.
inline std::vector<std::string> network_host_command(std::vector<std::string> prefix,
                                                     const std::vector<std::string>& argv) {
  for (const char* part : {"unshare", "--mount", "--propagation", "unchanged", "sh", "-c"})
    prefix.emplace_back(part);
  prefix.emplace_back(network_host_script);
  prefix.emplace_back("sh");
  prefix.insert(prefix.end(), argv.begin(), argv.end());
  return prefix;
}

} // namespace dxhub::test
