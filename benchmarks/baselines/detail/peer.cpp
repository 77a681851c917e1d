#include "dxhub/benchmarks/baselines/detail/peer.hpp"

#include "dxhub/benchmarks/support/report.hpp"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <csignal>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace dxhub::bench::baselines::detail {

expected<shared_memory> shared_memory::map(std::size_t bytes) {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    return last_system_error("mmap(MAP_SHARED | MAP_ANONYMOUS)");
  return shared_memory{p, bytes};
}

shared_memory::~shared_memory() {
  if (data_ != nullptr)
    munmap(data_, size_);
}

shared_memory::shared_memory(shared_memory&& other) noexcept
  : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

scoped_pin::scoped_pin(int cpu) {
  restore_ = pthread_getaffinity_np(pthread_self(), sizeof previous_, &previous_) == 0;
  pin_to_cpu(cpu);
}

scoped_pin::~scoped_pin() {
  if (restore_)
    pthread_setaffinity_np(pthread_self(), sizeof previous_, &previous_);
}

expected<peer> peer::start(int cpu, const std::function<int()>& body) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0)
    return last_system_error("fork");
  if (pid == 0) {
    // The child: never outlive the measurement, never return into the caller.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
      _exit(3);
    pin_to_cpu(cpu);
    int rc = 2;
    try {
      rc = body();
    } catch (...) {
      rc = 2;
    }
    _exit(rc);
  }
  return peer{pid};
}

peer::~peer() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
}

peer::peer(peer&& other) noexcept : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}

bool peer::alive() noexcept {
  if (pid_ <= 0)
    return false;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

expected<void> peer::join(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (alive() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return error{errc::timeout, "the baseline's child process did not finish in time"};
  }
  if (!WIFEXITED(status_) || WEXITSTATUS(status_) != 0)
    return error{errc::peer_down, "the baseline's child process failed (wait status "
                                      + std::to_string(status_) + ")"};
  return ok();
}

} // namespace dxhub::bench::baselines::detail
