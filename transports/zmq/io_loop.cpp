#include "dxhub/transports/zmq/io_loop.hpp"

#include "dxhub/transports/zmq/detail/zap_handler.hpp"

#include <sys/eventfd.h>

#include <algorithm>
#include <cerrno>
#include <poll.h>
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
  std::lock_guard wait{running_}; // a thread still in `dispatch` finishes first
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

void io_loop::dispatch(std::function<void()> fn) {
  if (in_loop()) {
    fn();
    return;
  }
  std::unique_lock owner{running_, std::try_to_lock};
  bool queue_empty = false;
  if (owner.owns_lock()) {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopping_)
      return;
    queue_empty = posted_.empty();
  }
  // Work posted earlier goes first, on the loop thread: order is kept, and
  // this thread (which may hold locks of its own) runs no one else's work.
  if (!queue_empty) {
    if (owner.owns_lock())
      owner.unlock();
    post(std::move(fn));
    return;
  }
  auto watches_before = watches_changed_;
  {
    acting_as acting{this};
    fn();
  }
  // As the loop would before it sleeps, ask the sockets `fn` used for events;
  // what is there (a reply already) is left to the loop thread.
  bool pending = ask_dirty_sockets();
  // The sleeping loop thread polls what it saw before: wake it if that changed.
  bool stale = pending || watches_before != watches_changed_
               || (!timer_order_.empty() && timer_order_.begin()->first < planned_wake_);
  auto handed = take_handed_over();
  owner.unlock();
  if (stale)
    wake();
  deliver(handed);
}

void io_loop::hand_over(std::function<void()> fn) {
  handed_over_.push_back(std::move(fn));
}

std::vector<std::function<void()>> io_loop::take_handed_over() {
  std::vector<std::function<void()>> handed;
  handed.swap(handed_over_);
  return handed;
}

void io_loop::deliver(std::vector<std::function<void()>>& handed) {
  if (handed.empty())
    return;
  // On the loop thread, `in_loop` is false meanwhile: what these do to the
  // loop goes through `dispatch` and `post` like any other thread's.
  bool loop_thread = on_loop_thread();
  if (loop_thread)
    handing_over_ = true;
  for (auto& fn : handed)
    fn();
  if (loop_thread)
    handing_over_ = false;
}

bool io_loop::has_events(const watch& w) {
  int events = 0;
  auto size = sizeof events;
  if (zmq_getsockopt(w.handle, ZMQ_EVENTS, &events, &size) != 0)
    return true; // closing: the loop thread finds out
  return (events & ZMQ_POLLIN) != 0 || ((events & ZMQ_POLLOUT) != 0 && w.writable_wanted);
}

bool io_loop::ask_dirty_sockets() {
  bool pending = false;
  for (auto& w : watches_) {
    if (!w.dirty)
      continue;
    w.dirty = has_events(w);
    pending = pending || w.dirty;
  }
  return pending;
}

io_loop::timer_id io_loop::schedule_after(std::chrono::nanoseconds delay,
                                          std::function<void()> fn) {
  auto id = next_timer_.fetch_add(1);
  auto due = std::chrono::steady_clock::now() + delay;
  auto add = [this, id, due, fn = std::move(fn)]() mutable {
    timers_.emplace(id, timer{std::move(fn), timer_order_.emplace(due, id)});
  };
  if (in_loop())
    add();
  else
    post(std::move(add));
  return id;
}

void io_loop::cancel(timer_id id) {
  // The loop sleeps until its earliest timer: a cancelled one must not wake it.
  auto erase = [this, id] {
    if (auto it = timers_.find(id); it != timers_.end()) {
      timer_order_.erase(it->second.due);
      timers_.erase(it);
    }
  };
  // Dispatched: a thread that cancels while the loop sleeps does it itself
  // rather than wake the loop (an earlier timer is never added here).
  dispatch(erase);
}

void io_loop::add_socket(::zmq::socket_t& socket, std::function<void()> on_readable,
                         std::function<void()> on_writable) {
  auto fd = static_cast<int>(socket.get(::zmq::sockopt::fd));
  watches_.push_back(
      watch{socket.handle(), fd, std::move(on_readable), std::move(on_writable), false, true});
  ++watches_changed_;
}

void io_loop::want_writable(::zmq::socket_t& socket, bool wanted) {
  if (auto* w = find_watch(socket.handle())) {
    w->writable_wanted = wanted;
    w->dirty = true;
  }
}

void io_loop::touch(::zmq::socket_t& socket) {
  if (auto* w = find_watch(socket.handle()))
    w->dirty = true;
}

void io_loop::remove_socket(::zmq::socket_t& socket) {
  auto* handle = socket.handle();
  std::erase_if(watches_, [handle](const watch& w) { return w.handle == handle; });
  ++watches_changed_;
}

io_loop::watch* io_loop::find_watch(void* handle) {
  auto it = std::find_if(watches_.begin(), watches_.end(),
                         [handle](const watch& w) { return w.handle == handle; });
  return it == watches_.end() ? nullptr : &*it;
}

void io_loop::stop() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
  }
  wake();
}

detail::zap_handler& io_loop::zap() {
  if (!zap_) {
    zap_ = std::make_unique<detail::zap_handler>(context_);
    add_socket(zap_->socket(), [z = zap_.get()] { z->serve(); });
  }
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
      auto fn = std::move(it->second.fn);
      timers_.erase(it);
      fn();
    }
  }
}

std::chrono::steady_clock::time_point io_loop::next_wake() const {
  auto horizon = std::chrono::steady_clock::now() + timer_horizon;
  if (timer_order_.empty())
    return horizon;
  return std::min(timer_order_.begin()->first, horizon);
}

int io_loop::poll_timeout(std::chrono::steady_clock::time_point wake) {
  auto left = wake - std::chrono::steady_clock::now();
  // Round up: waking a little late is fine, spinning until due is not.
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(left);
  return static_cast<int>(std::max(ms, std::chrono::milliseconds{0}).count());
}

void io_loop::serve_socket(void* handle) {
  auto* w = find_watch(handle);
  if (w == nullptr)
    return; // removed by an earlier handler
  w->dirty = false;
  int events = 0;
  auto size = sizeof events;
  if (zmq_getsockopt(handle, ZMQ_EVENTS, &events, &size) != 0)
    return;
  // A handler serves a bounded batch and may leave more: the socket stays
  // dirty until it is asked again and has nothing. Handlers may add or remove
  // sockets: look the watch up again before each call.
  if ((events & ZMQ_POLLOUT) != 0 && w->writable_wanted && w->on_writable) {
    w->dirty = true;
    auto fn = w->on_writable;
    fn();
  }
  if ((events & ZMQ_POLLIN) != 0) {
    w = find_watch(handle);
    if (w == nullptr)
      return;
    w->dirty = true;
    auto fn = w->on_readable;
    fn();
  }
  // Ask now whether the handler left anything, rather than in one more round
  // before sleeping: what was handed over is delivered only then.
  if (auto* after = find_watch(handle); after != nullptr && after->dirty)
    after->dirty = has_events(*after);
}

bool io_loop::serve_dirty_sockets() {
  std::vector<void*> dirty;
  for (const auto& w : watches_)
    if (w.dirty)
      dirty.push_back(w.handle);
  for (auto* handle : dirty)
    serve_socket(handle);
  return std::any_of(watches_.begin(), watches_.end(), [](const watch& w) { return w.dirty; });
}

void io_loop::run() {
  std::vector<pollfd> fds;
  std::vector<void*> polled;
  std::unique_lock owner{running_};
  for (;;) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      if (stopping_)
        break;
    }
    bool more = serve_dirty_sockets();
    fds.clear();
    polled.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    for (const auto& w : watches_) {
      fds.push_back({w.fd, POLLIN, 0});
      polled.push_back(w.handle);
    }
    planned_wake_ = more ? std::chrono::steady_clock::time_point{} : next_wake();
    auto timeout = more ? 0 : poll_timeout(planned_wake_);
    // Asleep, the loop lets other threads act as the loop (`dispatch`).
    auto handed = take_handed_over();
    owner.unlock();
    deliver(handed);
    auto polled_ok = ::poll(fds.data(), fds.size(), timeout) >= 0;
    owner.lock();
    if (!polled_ok)
      continue; // EINTR
    if ((fds[0].revents & POLLIN) != 0)
      run_posted();
    for (std::size_t i = 1; i < fds.size(); ++i)
      if (fds[i].revents != 0)
        if (auto* w = find_watch(polled[i - 1]))
          w->dirty = true;
    run_due_timers();
  }
  // Sockets belong to their owners, who close them; the ZAP socket is ours.
  // It stays bound (not polled) until the loop is destroyed: an owner that
  // closes a CURVE server after the stop removes its ZAP domain, and a new
  // handler made for that could not bind the ZAP endpoint while libzmq still
  // closes the old one (EADDRINUSE, thrown in the owner's destructor).
  if (zap_)
    remove_socket(zap_->socket());
  auto handed = take_handed_over();
  owner.unlock();
  deliver(handed);
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard<std::mutex> guard{mutex_};
    dropped.swap(posted_);
  }
  dropped.clear(); // outside the lock: a dropped task may wake a waiting caller
  exited_promise_.set_value();
}

} // namespace dxhub::zmq
