#include "dxhub/transports/zmq/io_loop.hpp"

#include "dxhub/transports/zmq/detail/zap_handler.hpp"

#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <unistd.h>

namespace dxhub::zmq {

io_loop::io_loop(int io_threads) : context_(io_threads) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0) // cannot run at all without it: a resource failure at startup
    throw std::system_error(errno, std::generic_category(), "eventfd");
  thread_ = std::thread([this] { run(); });
}

io_loop::~io_loop() {
  stop();
  if (thread_.joinable())
    thread_.join();
  ::close(wake_fd_);
}

void io_loop::post(std::function<void()> fn) {
  bool was_empty = false;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopping_)
      return;
    was_empty = posted_.empty();
    posted_.push_back(std::move(fn));
  }
  // The loop takes the whole queue at once after reading the eventfd: only
  // the first post into an empty queue needs to wake it.
  if (was_empty)
    wake();
}

io_loop::timer_id io_loop::schedule_after(std::chrono::nanoseconds delay,
                                          std::function<void()> fn) {
  auto id = next_timer_.fetch_add(1);
  auto due = std::chrono::steady_clock::now() + delay;
  auto add = [this, id, due, fn = std::move(fn)]() mutable {
    timers_.emplace(id, std::move(fn));
    timer_order_.emplace(due, id);
  };
  if (in_loop())
    add();
  else
    post(std::move(add));
  return id;
}

void io_loop::cancel(timer_id id) {
  if (in_loop())
    timers_.erase(id); // its entry in timer_order_ is skipped when due
  else
    post([this, id] { timers_.erase(id); });
}

void io_loop::add_socket(::zmq::socket_t& socket, std::function<void()> on_readable,
                         std::function<void()> on_writable) {
  watches_.push_back(watch{socket.handle(), std::move(on_readable), std::move(on_writable)});
}

void io_loop::want_writable(::zmq::socket_t& socket, bool wanted) {
  for (auto& w : watches_)
    if (w.handle == socket.handle())
      w.writable_wanted = wanted;
}

void io_loop::remove_socket(::zmq::socket_t& socket) {
  auto handle = socket.handle();
  std::erase_if(watches_, [handle](const watch& w) { return w.handle == handle; });
}

void io_loop::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake();
}

detail::zap_handler& io_loop::zap() {
  if (!zap_)
    zap_ = std::make_unique<detail::zap_handler>(*this);
  return *zap_;
}

void io_loop::wake() noexcept {
  uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void io_loop::run_posted() {
  uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  std::deque<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    batch.swap(posted_);
  }
  for (auto& fn : batch)
    fn();
}

void io_loop::run_due_timers() {
  auto now = std::chrono::steady_clock::now();
  while (!timer_order_.empty() && timer_order_.begin()->first <= now) {
    auto id = timer_order_.begin()->second;
    timer_order_.erase(timer_order_.begin());
    if (auto it = timers_.find(id); it != timers_.end()) {
      auto fn = std::move(it->second);
      timers_.erase(it);
      fn();
    }
  }
}

std::chrono::milliseconds io_loop::poll_timeout() const {
  if (timer_order_.empty())
    return std::chrono::milliseconds{-1}; // sleep until a socket or a post wakes us
  auto left = timer_order_.begin()->first - std::chrono::steady_clock::now();
  // Round up: waking a little late is fine, spinning until due is not.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left);
  return std::max(ms, std::chrono::milliseconds{0});
}

void io_loop::run() {
  std::vector<::zmq::pollitem_t> items;
  std::vector<void*> ready;
  for (;;) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (stopping_)
        break;
    }
    items.clear();
    items.push_back({nullptr, wake_fd_, ZMQ_POLLIN, 0});
    for (auto& w : watches_) {
      short events = ZMQ_POLLIN;
      if (w.writable_wanted)
        events |= ZMQ_POLLOUT;
      items.push_back({w.handle, 0, events, 0});
    }
    try {
      ::zmq::poll(items, poll_timeout());
    } catch (const ::zmq::error_t& e) {
      if (e.num() == ETERM)
        break;
      continue; // EINTR
    }
    if (items[0].revents & ZMQ_POLLIN)
      run_posted();
    run_due_timers();
    // Handlers may add or remove sockets: look each one up again before calling it.
    for (std::size_t i = 1; i < items.size(); ++i) {
      auto revents = items[i].revents;
      auto handle = items[i].socket;
      auto find = [&] {
        return std::find_if(watches_.begin(), watches_.end(),
                            [handle](const watch& w) { return w.handle == handle; });
      };
      if (revents & ZMQ_POLLOUT)
        if (auto it = find(); it != watches_.end() && it->on_writable && it->writable_wanted) {
          auto fn = it->on_writable;
          fn();
        }
      if (revents & ZMQ_POLLIN)
        if (auto it = find(); it != watches_.end()) {
          auto fn = it->on_readable;
          fn();
        }
    }
  }
  // Sockets belong to their owners, who close them; the ZAP socket is ours.
  zap_.reset();
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    dropped.swap(posted_);
  }
  dropped.clear(); // outside the lock: a dropped task may wake a waiting caller
  exited_promise_.set_value();
}

} // namespace dxhub::zmq
