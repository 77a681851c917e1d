// The kernel-copy baseline: an AF_UNIX stream socket between two processes.

#include "dxhub/benchmarks/baselines/baselines.hpp"
#include "dxhub/benchmarks/baselines/detail/peer.hpp"
#include "dxhub/benchmarks/baselines/detail/samples.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <unistd.h>

namespace dxhub::bench::baselines {

namespace {

/// Both ends of a socketpair, closed on scope exit.
struct socket_pair {
  int fd[2] = {-1, -1};
  ~socket_pair() {
    for (int f : fd)
      if (f >= 0)
        close(f);
  }
};

// Large buffers make the baseline as strong as the kernel allows (capped by
// net.core.wmem_max / rmem_max).
expected<void> open(socket_pair& pair, std::size_t bytes) {
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair.fd) != 0)
    return last_system_error("socketpair(AF_UNIX, SOCK_STREAM)");
  int buffer =
      static_cast<int>(std::min<std::size_t>(std::max<std::size_t>(bytes, 65536), 8u << 20));
  for (int f : pair.fd) {
    setsockopt(f, SOL_SOCKET, SO_SNDBUF, &buffer, sizeof buffer);
    setsockopt(f, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
  }
  return ok();
}

bool send_all(int fd, const char* data, std::size_t bytes) {
  while (bytes > 0) {
    ssize_t n = send(fd, data, bytes, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

// One message: MSG_WAITALL returns the whole payload in one call unless
// interrupted or the peer closed.
bool receive_all(int fd, char* data, std::size_t bytes) {
  while (bytes > 0) {
    ssize_t n = recv(fd, data, bytes, MSG_WAITALL);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return false;
    data += n;
    bytes -= static_cast<std::size_t>(n);
  }
  return true;
}

/// What the receiving child reports back through shared memory.
struct receiver_tally {
  std::atomic<uint64_t> messages{0};
  std::atomic<int64_t> first_ns{0};
  std::atomic<int64_t> last_ns{0};
};

} // namespace

expected<std::vector<double>> try_unix_socket_latency(const latency_options& opts) {
  if (opts.bytes == 0)
    return error{errc::invalid_argument, "unix socket latency: message size 0"};
  socket_pair pair;
  DXHUB_TRYV(open(pair, opts.bytes));
  std::vector<char> message(opts.bytes, 'x');
  const std::size_t total = opts.warmup + opts.iterations;
  detail::scoped_pin pin{opts.cpu_a};
  DXHUB_TRY(child, detail::peer::start(opts.cpu_b, [&] {
              int fd = pair.fd[1];
              for (std::size_t i = 0; i < total; ++i)
                if (!receive_all(fd, message.data(), message.size())
                    || !send_all(fd, message.data(), message.size()))
                  return 1;
              return 0;
            }));
  int fd = pair.fd[0];
  DXHUB_TRY(samples, detail::one_way_samples(opts, [&](std::size_t) -> expected<void> {
              if (!send_all(fd, message.data(), message.size())
                  || !receive_all(fd, message.data(), message.size()))
                return last_system_error("unix socket ping-pong");
              return ok();
            }));
  DXHUB_TRYV(child.join(detail::join_timeout));
  return samples;
}

expected<double> try_unix_socket_throughput(const throughput_options& opts) {
  if (opts.bytes == 0)
    return error{errc::invalid_argument, "unix socket throughput: message size 0"};
  socket_pair pair;
  DXHUB_TRYV(open(pair, opts.bytes));
  DXHUB_TRY(memory, detail::shared_memory::map(4096));
  auto* tally = memory.emplace<receiver_tally>();
  std::vector<char> message(opts.bytes, 'x');
  detail::scoped_pin pin{opts.cpu_a};
  DXHUB_TRY(child, detail::peer::start(opts.cpu_b, [&] {
              close(pair.fd[0]);
              uint64_t count = 0;
              while (receive_all(pair.fd[1], message.data(), message.size())) {
                auto t = now_ns();
                if (count++ == 0)
                  tally->first_ns.store(t);
                tally->last_ns.store(t);
              }
              tally->messages.store(count);
              return 0;
            }));
  close(pair.fd[1]);
  pair.fd[1] = -1;
  const int64_t deadline = now_ns() + opts.duration.count() * 1'000'000;
  while (now_ns() < deadline)
    if (!send_all(pair.fd[0], message.data(), message.size()))
      return last_system_error("unix socket send");
  shutdown(pair.fd[0], SHUT_WR);
  DXHUB_TRYV(child.join(detail::join_timeout));
  // The rate between the first and the last message the receiver completed.
  auto messages = tally->messages.load();
  double seconds = static_cast<double>(tally->last_ns.load() - tally->first_ns.load()) / 1e9;
  if (messages < 2 || seconds <= 0)
    return error{errc::timeout, "unix socket throughput: too few messages received"};
  return static_cast<double>(messages - 1) / seconds;
}

} // namespace dxhub::bench::baselines
