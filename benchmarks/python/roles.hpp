#pragma once

// The C++ children of dxhub-bench-python: a subscriber and a caller that use
// the runtime exactly as the Python module does (a blocking actor waiting on
// its mailbox), so that the two sides differ only by Python.

#include <cstddef>
#include <string>

namespace dxhub::bench::python {

/// Takes `frames` frames of `channel` (reliable); prints "rate <frames/s>",
/// or with `paced` "latency_ns <one-way samples...>" (publish to receive).
int run_subscriber(const std::string& channel, std::size_t frames, bool paced);

/// Calls `service` "echo" `calls` times after a warm-up; prints
/// "latency_ns <round trips...>".
int run_caller(const std::string& service, std::size_t calls);

} // namespace dxhub::bench::python
