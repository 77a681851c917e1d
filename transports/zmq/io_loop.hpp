#pragma once

// The thread that owns ZeroMQ sockets. It sleeps in poll(2) on the sockets'
// ZMQ_FDs and an eventfd, looking at its timers at least 4 times a second:
// idle costs next to no CPU. Other threads hand it work with `post`, which
// queues a function and writes the eventfd, or do it themselves while it
// sleeps (`dispatch`).
//
// Why not zmq::poll: it asks every socket for ZMQ_EVENTS on every wake-up,
// two system calls per socket (a node has half a dozen), on the path of
// every call. This loop asks only the sockets that may have something: those
// whose ZMQ_FD signalled and those used since they were last asked (`touch`;
// ZMQ_FD is edge-triggered: any use of a socket may consume its signal).

#include <zmq.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace dxhub::zmq {

namespace detail {
class zap_handler;
}

/// One thread, its ZeroMQ context, its sockets and its timers.
class io_loop {
public:
  using timer_id = uint64_t;

  /// Starts the loop thread; `io_threads` are libzmq's own I/O threads.
  explicit io_loop(int io_threads = 1);
  /// Stops the loop (pending posts are dropped) and joins it.
  ~io_loop();

  io_loop(const io_loop&) = delete;
  io_loop& operator=(const io_loop&) = delete;

  ::zmq::context_t& context() noexcept { return context_; }

  /// Runs `fn` on the loop thread, soon; callable from any thread.
  void post(std::function<void()> fn);

  /// Runs `fn` now, on this thread, when the loop thread sleeps and has no
  /// posted work: this thread then acts as the loop thread while `fn` runs
  /// (it holds the loop). Otherwise posts it (order is kept). This saves the
  /// hand-off to the loop thread on the path of every request and reply.
  /// Only `fn` runs here, never a socket handler or someone else's work.
  void dispatch(std::function<void()> fn);

  /// Loop thread only (or a thread acting as the loop): runs `fn` as soon as
  /// the loop has let go of its sockets, before it sleeps, on the same thread
  /// but outside the loop. For handing results to other threads: one woken
  /// by `fn` then finds the loop free and can `dispatch` its next request
  /// itself instead of queueing it behind the loop's own book-keeping.
  void hand_over(std::function<void()> fn);

  /// Runs `fn` on the loop thread and waits for its result (inline when
  /// called on the loop thread).
  template <class F>
  auto call(F&& fn) -> std::invoke_result_t<F&>;

  /// Runs `fn` on the loop thread after `delay`; callable from any thread.
  timer_id schedule_after(std::chrono::nanoseconds delay, std::function<void()> fn);
  /// Cancels a timer that has not fired yet; callable from any thread.
  void cancel(timer_id id);

  /// Loop thread only: calls `on_readable` whenever `socket` has input, and
  /// `on_writable` (if set) when it can send and `want_writable` was asked.
  void add_socket(::zmq::socket_t& socket, std::function<void()> on_readable,
                  std::function<void()> on_writable = {});
  /// Loop thread only.
  void want_writable(::zmq::socket_t& socket, bool wanted);
  /// Loop thread only: `socket` was used outside its handlers (a send, a
  /// subscription); the loop asks it for events before it sleeps again.
  void touch(::zmq::socket_t& socket);
  /// Loop thread only; the socket may then be closed.
  void remove_socket(::zmq::socket_t& socket);

  /// True on the loop thread (but not while it hands results over), and in
  /// a thread while it acts as the loop.
  bool in_loop() const noexcept {
    for (const auto* f = acting_; f != nullptr; f = f->outer)
      if (f->loop == this)
        return true;
    return on_loop_thread() && !handing_over_;
  }

  /// True on the loop's own thread, even while it hands results over: a
  /// thread that must not wait for the loop.
  bool on_loop_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

  /// Stops the loop; idempotent; callable from any thread.
  void stop();

  /// Loop thread only: the ZAP handler of this context, created on first use.
  detail::zap_handler& zap();

private:
  struct watch {
    void* handle;
    int fd; // its ZMQ_FD
    std::function<void()> on_readable;
    std::function<void()> on_writable;
    bool writable_wanted = false;
    bool dirty = true; // may have events: ask it before sleeping
  };

  void run();
  void wake() noexcept;
  /// What was handed over so far (with the loop held); none is left.
  std::vector<std::function<void()>> take_handed_over();
  /// Runs what was handed over; the caller no longer holds the loop.
  void deliver(std::vector<std::function<void()>>& handed);
  void run_posted();
  void run_due_timers();
  bool serve_dirty_sockets();
  bool ask_dirty_sockets();
  static bool has_events(const watch& w);
  void serve_socket(void* handle);
  watch* find_watch(void* handle);
  /// When the loop means to look at its timers next: the earliest, or the
  /// horizon. A timer added meanwhile wakes the loop only if it is due
  /// earlier: a call's timeout (seconds) then costs no wake-up.
  std::chrono::steady_clock::time_point next_wake() const;
  static int poll_timeout(std::chrono::steady_clock::time_point wake);
  static constexpr std::chrono::milliseconds timer_horizon{250};

  /// The loops a thread acts as in (nested) `dispatch`es, innermost first.
  struct acting_frame {
    const io_loop* loop;
    const acting_frame* outer;
  };
  static inline thread_local const acting_frame* acting_ = nullptr;
  /// Marks this thread as acting as `loop` for its lifetime.
  class acting_as {
  public:
    explicit acting_as(const io_loop* loop) : frame_{loop, acting_} { acting_ = &frame_; }
    ~acting_as() { acting_ = frame_.outer; }
    acting_as(const acting_as&) = delete;
    acting_as& operator=(const acting_as&) = delete;

  private:
    acting_frame frame_;
  };

  ::zmq::context_t context_;
  int wake_fd_ = -1;
  // Held by the thread that runs the loop's work: the loop thread, except
  // while it sleeps in poll, or a thread in `dispatch`.
  std::mutex running_;
  std::mutex mutex_;
  std::deque<std::function<void()>> posted_;
  bool stopping_ = false;
  // Only with `running_` held from here on.
  std::vector<std::function<void()>> handed_over_;
  std::vector<watch> watches_;
  uint64_t watches_changed_ = 0;
  std::chrono::steady_clock::time_point planned_wake_;
  std::multimap<std::chrono::steady_clock::time_point, timer_id> timer_order_;
  struct timer {
    std::function<void()> fn;
    std::multimap<std::chrono::steady_clock::time_point, timer_id>::iterator due;
  };
  std::map<timer_id, timer> timers_;
  std::atomic<timer_id> next_timer_{1};
  std::unique_ptr<detail::zap_handler> zap_;
  // Loop thread only: set while it runs what was handed over.
  bool handing_over_ = false;
  std::promise<void> exited_promise_;
  std::shared_future<void> exited_ = exited_promise_.get_future().share();
  std::thread thread_;
};

template <class F>
auto io_loop::call(F&& fn) -> std::invoke_result_t<F&> {
  using result = std::invoke_result_t<F&>;
  if (in_loop())
    return fn();
  if (on_loop_thread()) {
    // Handing results over, outside the loop: take it back rather than wait
    // for ourselves. The wake makes the loop look again at what `fn` changed.
    std::lock_guard owner{running_};
    acting_as acting{this};
    wake();
    return fn();
  }
  // The task refers to `fn` in this frame, which outlives the wait. A task
  // dropped by a stopping loop breaks its promise: `fn` then runs here, once
  // the loop thread has exited and owns nothing any more.
  auto task = std::make_shared<std::packaged_task<result()>>([&fn] { return fn(); });
  auto done = task->get_future();
  post([task] { (*task)(); });
  task.reset();
  try {
    return done.get();
  } catch (const std::future_error&) {
    exited_.wait();
    return fn();
  }
}

} // namespace dxhub::zmq
