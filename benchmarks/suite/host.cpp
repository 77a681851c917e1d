#include "dxhub/benchmarks/suite/host.hpp"

#include <sys/utsname.h>

#include <ctime>
#include <fstream>
#include <unistd.h>

namespace dxhub::bench::suite {

namespace {

std::string cpu_model() {
  std::ifstream cpuinfo{"/proc/cpuinfo"};
  std::string line;
  while (std::getline(cpuinfo, line))
    if (line.rfind("model name", 0) == 0) {
      auto colon = line.find(':');
      if (colon != std::string::npos)
        return line.substr(line.find_first_not_of(' ', colon + 1));
    }
  return "unknown";
}

std::string utc_now() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

} // namespace

host_info this_host() {
  host_info host;
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0)
    host.hostname = name;
  utsname uts{};
  if (uname(&uts) == 0)
    host.kernel = std::string{uts.sysname} + " " + uts.release + " " + uts.machine;
  host.cpu_model = cpu_model();
  host.cpus = cpu_count();
  host.date_utc = utc_now();
  return host;
}

} // namespace dxhub::bench::suite
