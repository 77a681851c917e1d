#pragma once

// Blocking the Python way: the GIL is let go while a wait sleeps, and the
// wait is cut into slices so that Ctrl-C (a pending signal) ends it with
// KeyboardInterrupt, in scripts and in Jupyter alike.

#include <pybind11/pybind11.h>

#include <chrono>
#include <optional>

namespace dxhub::python {

/// How long one slice of a wait lasts at most: the reaction time to Ctrl-C.
inline constexpr std::chrono::milliseconds wait_slice{100};

/// Calls `step(limit)` without the GIL, slice by slice, until it returns
/// true (then true) or `timeout_s` has passed (then false; no timeout: wait
/// for ever). Raises the pending exception when a signal handler fails.
template <class Step>
bool wait_interruptibly(std::optional<double> timeout_s, Step&& step) {
  using clock = std::chrono::steady_clock;
  std::optional<clock::time_point> deadline;
  if (timeout_s)
    deadline = clock::now()
               + std::chrono::duration_cast<clock::duration>(
                   std::chrono::duration<double>{*timeout_s > 0 ? *timeout_s : 0.0});
  for (;;) {
    auto limit = wait_slice;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*deadline - clock::now());
      if (left < limit)
        limit = left.count() > 0 ? left : std::chrono::milliseconds{0};
    }
    bool done = false;
    {
      pybind11::gil_scoped_release nogil;
      done = step(limit);
    }
    if (done)
      return true;
    if (PyErr_CheckSignals() != 0)
      throw pybind11::error_already_set();
    if (deadline && clock::now() >= *deadline)
      return false;
  }
}

} // namespace dxhub::python
