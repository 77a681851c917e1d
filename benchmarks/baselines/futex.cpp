// The blocking floor: a sleeping waiter woken through a futex, both ways.

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/baselines/detail/peer.hpp"
#include "dxhub/benchmarks/baselines/detail/samples.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>

#include <atomic>
#include <cerrno>
#include <ctime>
#include <unistd.h>

namespace dxhub::bench::baselines {

namespace {

struct futex_words {
  alignas(64) std::atomic<uint32_t> ping{0};
  alignas(64) std::atomic<uint32_t> pong{0};
};

uint32_t* address(std::atomic<uint32_t>& word) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  return reinterpret_cast<uint32_t*>(&word);
}

void wake(std::atomic<uint32_t>& word) {
  syscall(SYS_futex, address(word), FUTEX_WAKE, 1, nullptr, nullptr, 0);
}

// Sleeps until `word` holds `wanted`; a sleep is bounded so that a dead peer
// is noticed. The waiter goes to sleep without spinning first: this is the
// floor of the blocking path, not of a hybrid one.
template <class Alive>
bool wait_for(std::atomic<uint32_t>& word, uint32_t wanted, Alive alive) {
  const timespec bound{0, 100'000'000};
  for (;;) {
    uint32_t seen = word.load(std::memory_order_acquire);
    if (seen == wanted)
      return true;
    long rc = syscall(SYS_futex, address(word), FUTEX_WAIT, seen, &bound, nullptr, 0);
    if (rc != 0 && errno == ETIMEDOUT && !alive())
      return false;
  }
}

} // namespace

expected<std::vector<double>> try_futex_pingpong(const latency_options& opts) {
  DXHUB_TRY(memory, detail::shared_memory::map(4096));
  auto* words = memory.emplace<futex_words>();
  const std::size_t total = opts.warmup + opts.iterations;
  detail::scoped_pin pin{opts.cpu_a};
  pid_t parent = getpid();
  DXHUB_TRY(child, detail::peer::start(opts.cpu_b, [words, total, parent] {
              auto parent_alive = [parent] { return getppid() == parent; };
              for (std::size_t i = 0; i < total; ++i) {
                auto round = static_cast<uint32_t>(i + 1);
                if (!wait_for(words->ping, round, parent_alive))
                  return 1;
                words->pong.store(round, std::memory_order_release);
                wake(words->pong);
              }
              return 0;
            }));
  DXHUB_TRY(samples, detail::one_way_samples(opts, [&](std::size_t i) -> expected<void> {
              auto round = static_cast<uint32_t>(i + 1);
              words->ping.store(round, std::memory_order_release);
              wake(words->ping);
              if (!wait_for(words->pong, round, [&] { return child.alive(); }))
                return error{errc::peer_down, "the futex baseline's child process ended early"};
              return ok();
            }));
  DXHUB_TRYV(child.join(detail::join_timeout));
  return samples;
}

} // namespace dxhub::bench::baselines
