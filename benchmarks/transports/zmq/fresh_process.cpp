#include "dxhub/benchmarks/transports/zmq/fresh_process.hpp"

#include "dxhub/benchmarks/support/pipe_io.hpp"
#include "dxhub/launch/child_process.hpp"

#include <sys/resource.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <unistd.h>

namespace dxhub::bench::zmq {

std::vector<double> in_fresh_process(const std::function<std::vector<double>()>& measure,
                                     malloc_mode mode) {
  int fds[2];
  if (::pipe(fds) != 0)
    return {};
  // launch::child_process::fork: the child dies with this process.
  auto child = launch::child_process::fork([&] {
    ::close(fds[0]);
    if (mode == malloc_mode::steady) {
      // 32 MiB is the largest mmap threshold glibc accepts (half its heap size).
      ::mallopt(M_MMAP_THRESHOLD, 32 << 20);
      ::mallopt(M_TRIM_THRESHOLD, 1 << 30);
    }
    auto values = measure();
    if (std::getenv("DXHUB_BENCH_RUSAGE") != nullptr) {
      rusage use{};
      ::getrusage(RUSAGE_SELF, &use);
      std::fprintf(stderr, "      child: %ld minor faults, %ld.%03ld s user, %ld.%03ld s sys\n",
                   use.ru_minflt, static_cast<long>(use.ru_utime.tv_sec),
                   static_cast<long>(use.ru_utime.tv_usec / 1000),
                   static_cast<long>(use.ru_stime.tv_sec),
                   static_cast<long>(use.ru_stime.tv_usec / 1000));
    }
    uint64_t n = values.size();
    bool sent =
        write_all(fds[1], &n, sizeof n) && write_all(fds[1], values.data(), n * sizeof(double));
    return sent ? 0 : 1;
  });
  if (!child) {
    ::close(fds[0]);
    ::close(fds[1]);
    return {};
  }
  ::close(fds[1]);
  std::vector<double> values;
  uint64_t n = 0;
  if (read_all(fds[0], &n, sizeof n) && n < (uint64_t{1} << 32)) {
    values.resize(n);
    if (!read_all(fds[0], values.data(), n * sizeof(double)))
      values.clear();
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(child.value().pid(), &status, 0) < 0 && errno == EINTR) {
  }
  child.value().reaped(launch::exit_status::from_wait(status));
  return values;
}

} // namespace dxhub::bench::zmq
