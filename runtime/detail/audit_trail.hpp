#pragma once

// A call must not pay for its own audit record: the thread that completes a
// call only queues the record; the event bus publishes what has queued up a
// few milliseconds later, in one batch (one wake-up of the bus and of the
// network for many calls instead of one each).

#include "dxhub/schemas/audit_record.hpp"
#include "dxhub/schemas/packed_value.hpp"

#include <chrono>
#include <cstddef>
#include <mutex>
#include <vector>

namespace dxhub::runtime::detail {

/// The audit record of a command whose arguments or result may still be
/// packed: they become JSON when the record is published, off the call's path.
struct audit_entry {
  audit_record record;
  packed_value args;
  packed_value result;
};

/// The audit records of commands not yet published as events, oldest first.
class audit_trail {
public:
  /// Packed arguments and results up to this size are shown as JSON; larger
  /// ones by their schema and size.
  static constexpr std::size_t value_limit = 1024;

  /// Queues `entry`; true when it starts a new batch: the caller then asks
  /// the event bus to publish the batch (after `node_timing::audit_batch_delay`).
  bool add(audit_entry entry);

  /// The queued records, oldest first; none are left queued.
  std::vector<audit_entry> take();

private:
  std::mutex mutex_;
  std::vector<audit_entry> pending_;
};

} // namespace dxhub::runtime::detail
