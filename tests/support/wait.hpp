#pragma once

// Tests wait for the event they need, not for a time: `wait_until` polls a
// condition (a line in a file, a process state, a registry record, ...) until
// it holds or a deadline passes. The deadline only bounds the test; it is
// never what the test asserts.

#include <chrono>
#include <thread>

namespace dxhub::test {

/// Polls `done` every `poll` until it returns true (then true) or `limit` has
/// passed (then false, after one last look).
template <class Condition>
bool wait_until(Condition&& done, std::chrono::milliseconds limit,
                std::chrono::milliseconds poll = std::chrono::milliseconds{10}) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    if (done())
      return true;
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(poll); // bounded poll: until the condition or the deadline
  }
}

} // namespace dxhub::test
