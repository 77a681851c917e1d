#pragma once

// An asymmetric StoreLoad fence between processes (Linux membarrier). The
// publisher stores a queue's `tail` and then looks at the reader's sleep bit;
// the reader sets its sleep bit and then looks at `tail` once more. One of
// the two must see the other's store, which needs a full fence on both sides.
// The publisher runs on every frame and the reader only before it sleeps, so
// the reader pays for both: its membarrier makes every thread of a registered
// process pass a full barrier, and the publisher gets away with a compiler
// barrier.

namespace dxhub::shm::detail {

/// Registers this process as one whose threads the readers' barrier reaches
/// (idempotent). False when the kernel or a seccomp filter refuses: the
/// publisher then fences itself.
bool register_publisher_fence() noexcept;

/// True when this process can run the readers' barrier.
bool reader_fence_supported() noexcept;

/// Runs the readers' barrier; false if the kernel refused it this time.
bool run_reader_fence() noexcept;

} // namespace dxhub::shm::detail
