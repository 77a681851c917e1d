#include "dxhub/benchmarks/baselines/detail/peer.hpp"

#include "dxhub/benchmarks/support/report.hpp"
#include "dxhub/launch/child_process.hpp"

#include <sys/mman.h>
#include <sys/wait.h>

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
  // The child never outlives the measurement and never returns into the caller.
  auto child = launch::child_process::fork([&] {
    pin_to_cpu(cpu);
    return body();
  });
  if (!child)
    return child.error();
  return peer{std::move(child).value()};
}

bool peer::alive() noexcept {
  if (!process_.running())
    return false;
  if (waitpid(process_.pid(), &status_, WNOHANG) == process_.pid()) {
    process_.reaped(launch::exit_status::from_wait(status_));
    return false;
  }
  return true;
}

expected<void> peer::join(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (alive() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (process_.running()) {
    process_.kill_and_reap();
    return error{errc::timeout, "the baseline's child process did not finish in time"};
  }
  if (!WIFEXITED(status_) || WEXITSTATUS(status_) != 0)
    return error{errc::peer_down, "the baseline's child process failed (wait status "
                                      + std::to_string(status_) + ")"};
  return ok();
}

} // namespace dxhub::bench::baselines::detail
