#pragma once

// CAF's scheduler for nodes: CAF 0.17's work sharing (one locked queue, idle
// workers asleep: an idle node costs no CPU), except that a worker is woken
// after the queue's lock is let go. CAF notifies with the lock held; a worker
// woken on the same core then preempts the thread that woke it, finds the
// lock taken and sleeps again, and the two switch back and forth three times
// before the actor runs: on the path of every message from a thread outside
// the scheduler (a network thread handing a command to its service, a reply
// to its caller). Seen in `perf trace` as futex wait / wake ping-pong.

#include <caf/policy/work_sharing.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/coordinator.hpp>

#include <mutex>

namespace dxhub::runtime::detail {

class worker_queue : public caf::policy::work_sharing {
public:
  template <class Coordinator>
  void enqueue(Coordinator* self, caf::resumable* job) {
    queue_type single;
    single.push_back(job); // allocated before taking the lock
    auto& shared = d(self);
    {
      std::lock_guard guard{shared.lock};
      shared.queue.splice(shared.queue.end(), single);
    }
    shared.cv.notify_one();
  }

  // CAF calls these on the policy type: each must reach the `enqueue` above.
  template <class Coordinator>
  void central_enqueue(Coordinator* self, caf::resumable* job) {
    enqueue(self, job);
  }

  template <class Worker>
  void external_enqueue(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }

  template <class Worker>
  void internal_enqueue(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }

  template <class Worker>
  void resume_job_later(Worker* self, caf::resumable* job) {
    enqueue(self->parent(), job);
  }
};

/// The scheduler module to `load<>()` into an actor system configuration.
using worker_pool = caf::scheduler::coordinator<worker_queue>;

} // namespace dxhub::runtime::detail
