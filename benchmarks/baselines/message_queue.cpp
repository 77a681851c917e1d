// The classic shared-memory message queue: boost::interprocess::message_queue
// copies each message into a queue in shared memory and back out.

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/baselines/detail/peer.hpp"
#include "dxhub/benchmarks/baselines/detail/samples.hpp"

#include <boost/date_time/posix_time/posix_time_types.hpp>
#include <boost/interprocess/ipc/message_queue.hpp>

#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <unistd.h>

namespace dxhub::bench::baselines {

namespace bip = boost::interprocess;

namespace {

/// A queue whose name is removed as soon as it is mapped: both processes keep
/// using the mapping (the child inherits it across fork), and nothing is left
/// in /dev/shm whatever happens next, kill -9 included.
expected<std::unique_ptr<bip::message_queue>> anonymous_queue(std::size_t depth,
                                                              std::size_t bytes) {
  static std::atomic<unsigned> counter{0};
  auto name = "dxhub-bench-mq-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  bip::message_queue::remove(name.c_str());
  try {
    auto queue = std::make_unique<bip::message_queue>(bip::create_only, name.c_str(), depth, bytes);
    bip::message_queue::remove(name.c_str());
    return queue;
  } catch (const bip::interprocess_exception& e) {
    bip::message_queue::remove(name.c_str());
    return error{errc::system_error, "boost message_queue " + name + ": " + e.what()};
  }
}

boost::posix_time::ptime soon() {
  return boost::posix_time::microsec_clock::universal_time() + boost::posix_time::milliseconds(100);
}

// Bounded waits, so that a dead peer turns into an error instead of a hang.
template <class Alive>
bool receive(bip::message_queue& queue, std::vector<char>& buffer, std::size_t& size, Alive alive) {
  unsigned priority = 0;
  while (!queue.timed_receive(buffer.data(), buffer.size(), size, priority, soon()))
    if (!alive())
      return false;
  return true;
}

template <class Alive>
bool send(bip::message_queue& queue, const char* data, std::size_t size, Alive alive) {
  while (!queue.timed_send(data, size, 0, soon()))
    if (!alive())
      return false;
  return true;
}

expected<void> check_size(std::size_t bytes) {
  if (bytes == 0 || bytes > message_queue_max_bytes)
    return error{errc::invalid_argument, "message_queue baseline: message size "
                                             + std::to_string(bytes) + " outside 1.."
                                             + std::to_string(message_queue_max_bytes)};
  return ok();
}

struct receiver_tally {
  std::atomic<uint64_t> messages{0};
  std::atomic<int64_t> first_ns{0};
  std::atomic<int64_t> last_ns{0};
};

} // namespace

expected<std::vector<double>> try_message_queue_latency(const latency_options& opts) {
  DXHUB_TRYV(check_size(opts.bytes));
  DXHUB_TRY(ping, anonymous_queue(1, opts.bytes));
  DXHUB_TRY(pong, anonymous_queue(1, opts.bytes));
  std::vector<char> buffer(opts.bytes, 'x');
  const std::size_t total = opts.warmup + opts.iterations;
  detail::scoped_pin pin{opts.cpu_a};
  pid_t parent = getpid();
  DXHUB_TRY(child, detail::peer::start(opts.cpu_b, [&] {
              auto parent_alive = [parent] { return getppid() == parent; };
              std::size_t size = 0;
              for (std::size_t i = 0; i < total; ++i)
                if (!receive(*ping, buffer, size, parent_alive)
                    || !send(*pong, buffer.data(), size, parent_alive))
                  return 1;
              return 0;
            }));
  auto child_alive = [&] { return child.alive(); };
  DXHUB_TRY(samples, detail::one_way_samples(opts, [&](std::size_t) -> expected<void> {
              std::size_t size = 0;
              if (!send(*ping, buffer.data(), buffer.size(), child_alive)
                  || !receive(*pong, buffer, size, child_alive))
                return error{errc::peer_down, "message_queue baseline: child process ended"};
              return ok();
            }));
  DXHUB_TRYV(child.join(detail::join_timeout));
  return samples;
}

expected<double> try_message_queue_throughput(const throughput_options& opts) {
  DXHUB_TRYV(check_size(opts.bytes));
  // A deep queue for small messages, bounded to 64 MiB of shared memory.
  auto depth = std::clamp<std::size_t>((std::size_t{64} << 20) / opts.bytes, 2, 64);
  DXHUB_TRY(queue, anonymous_queue(depth, opts.bytes));
  DXHUB_TRY(memory, detail::shared_memory::map(4096));
  auto* tally = memory.emplace<receiver_tally>();
  std::vector<char> buffer(opts.bytes, 'x');
  detail::scoped_pin pin{opts.cpu_a};
  pid_t parent = getpid();
  DXHUB_TRY(child, detail::peer::start(opts.cpu_b, [&] {
              auto parent_alive = [parent] { return getppid() == parent; };
              uint64_t count = 0;
              std::size_t size = 0;
              // A message of size 0 marks the end.
              while (receive(*queue, buffer, size, parent_alive) && size > 0) {
                auto t = now_ns();
                if (count++ == 0)
                  tally->first_ns.store(t);
                tally->last_ns.store(t);
              }
              tally->messages.store(count);
              return size == 0 ? 0 : 1;
            }));
  auto child_alive = [&] { return child.alive(); };
  const int64_t deadline = now_ns() + opts.duration.count() * 1'000'000;
  while (now_ns() < deadline)
    if (!send(*queue, buffer.data(), buffer.size(), child_alive))
      return error{errc::peer_down, "message_queue baseline: child process ended"};
  if (!send(*queue, buffer.data(), 0, child_alive))
    return error{errc::peer_down, "message_queue baseline: child process ended"};
  DXHUB_TRYV(child.join(detail::join_timeout));
  auto messages = tally->messages.load();
  double seconds = static_cast<double>(tally->last_ns.load() - tally->first_ns.load()) / 1e9;
  if (messages < 2 || seconds <= 0)
    return error{errc::timeout, "message_queue throughput: too few messages received"};
  return static_cast<double>(messages - 1) / seconds;
}

} // namespace dxhub::bench::baselines
