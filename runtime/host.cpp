#include "dxhub/runtime/host.hpp"

#include <fstream>
#include <unistd.h>

namespace dxhub::runtime {

namespace {

std::string first_line(const char* path) {
  std::ifstream in{path};
  std::string line;
  std::getline(in, line);
  std::erase(line, '-'); // boot_id is a UUID with dashes; keep ids uniform hex
  return line;
}

} // namespace

std::string local_host_id() {
  auto machine = first_line("/etc/machine-id");
  if (machine.empty())
    machine = first_line("/var/lib/dbus/machine-id");
  auto boot = first_line("/proc/sys/kernel/random/boot_id");
  if (machine.empty())
    machine = local_host_name();
  return machine + "-" + boot;
}

std::string local_host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0)
    return "localhost";
  return name;
}

} // namespace dxhub::runtime
