#pragma once

// Each measurement of dxhub-bench-zmq runs in a process of its own. libzmq
// receives every multi-megabyte message into a fresh malloc'd buffer, and
// what that costs (page faults or not) depends on glibc's malloc state -
// its dynamic mmap threshold and the arenas that earlier runs' threads left.
// In one process the second of two identical runs was up to 1.6x slower than
// the first, whichever API it used; a fresh process per run makes the order
// irrelevant and the envelope/raw comparison fair both ways. Even so the
// page faults of a run varied 8x (8 MiB, 5 runs each: 8 000 to 92 000 per
// 410 messages, envelope and raw alike), so by default the child also fixes
// malloc's thresholds (malloc_mode::steady).

#include <functional>
#include <vector>

namespace dxhub::bench::zmq {

/// How the child's malloc treats the receive buffers.
enum class malloc_mode {
  /// glibc's defaults: a dynamic mmap threshold and heap trimming, so whether
  /// a multi-megabyte buffer costs page faults depends on the run's history.
  glibc_default,
  /// Large buffers from the heap and the heap never trimmed (mallopt): the
  /// pages are faulted in once. Both sides of a comparison get the same.
  steady,
};

/// Runs `measure` in a forked child and returns what it returned (empty if
/// the child failed). Call it while the process has no other threads.
std::vector<double> in_fresh_process(const std::function<std::vector<double>()>& measure,
                                     malloc_mode mode);

} // namespace dxhub::bench::zmq
