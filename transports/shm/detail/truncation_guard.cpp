#include "dxhub/transports/shm/detail/truncation_guard.hpp"

#include <sys/mman.h>

#include <array>
#include <csignal>
#include <cstdint>
#include <mutex>
#include <unistd.h>

namespace dxhub::shm::detail {

namespace {

// Read by the signal handler: lock-free atomics only. A slot is free while
// its base is 0; `arm` fills flag and size before it publishes the base.
struct guarded {
  std::atomic<uintptr_t> base{0};
  std::atomic<std::size_t> bytes{0};
  std::atomic<std::atomic<bool>*> cut{nullptr};
};

constexpr std::size_t max_guarded = 1024;
std::array<guarded, max_guarded> table;
struct sigaction previous {};

void chain(int sig, siginfo_t* info, void* context) {
  if ((previous.sa_flags & SA_SIGINFO) != 0 && previous.sa_sigaction != nullptr) {
    previous.sa_sigaction(sig, info, context);
    return;
  }
  if (previous.sa_handler == SIG_IGN)
    return;
  if (previous.sa_handler != SIG_DFL && previous.sa_handler != nullptr) {
    previous.sa_handler(sig);
    return;
  }
  // Default action: returning re-runs the faulting access, which now kills.
  ::signal(sig, SIG_DFL);
}

void on_sigbus(int sig, siginfo_t* info, void* context) {
  auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  for (auto& g : table) {
    auto base = g.base.load(std::memory_order_acquire);
    if (base == 0 || addr < base || addr - base >= g.bytes.load(std::memory_order_relaxed))
      continue;
    auto page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    void* at = reinterpret_cast<void*>(addr & ~(page - 1));
    // mmap is a plain system call on Linux, safe in a signal handler.
    if (::mmap(at, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
        == MAP_FAILED)
      break;
    if (auto* cut = g.cut.load(std::memory_order_relaxed))
      cut->store(true, std::memory_order_release);
    return;
  }
  chain(sig, info, context);
}

void install_handler() {
  struct sigaction act {};
  act.sa_sigaction = on_sigbus;
  act.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&act.sa_mask);
  ::sigaction(SIGBUS, &act, &previous);
}

} // namespace

bool truncation_guard::arm(std::byte* base, std::size_t bytes) noexcept {
  static std::once_flag installed;
  std::call_once(installed, install_handler);
  for (std::size_t i = 0; i < max_guarded; ++i) {
    auto& g = table[i];
    if (g.cut.load(std::memory_order_acquire) != nullptr)
      continue;
    std::atomic<bool>* none = nullptr;
    if (!g.cut.compare_exchange_strong(none, &cut_, std::memory_order_acq_rel))
      continue;
    g.bytes.store(bytes, std::memory_order_relaxed);
    g.base.store(reinterpret_cast<uintptr_t>(base), std::memory_order_release);
    slot_ = static_cast<int>(i);
    return true;
  }
  return false;
}

truncation_guard::~truncation_guard() {
  if (slot_ < 0)
    return;
  auto& g = table[static_cast<std::size_t>(slot_)];
  g.base.store(0, std::memory_order_release);
  g.bytes.store(0, std::memory_order_relaxed);
  g.cut.store(nullptr, std::memory_order_release);
}

} // namespace dxhub::shm::detail
