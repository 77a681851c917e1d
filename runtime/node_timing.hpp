#pragma once

// Every wait, retry and poll period of a node's own parts, in one place. The
// defaults work on one machine and on a lab network; each says why it is what
// it is. Call timeouts are in call_timeout.hpp, the registration lease is
// `node_options::lease`.

#include <chrono>

namespace dxhub::runtime {

struct node_timing {
  // -- registry ----------------------------------------------------------------------

  /// A record refused because the registry is not serving yet is offered
  /// again this soon, this many times: a registry and the node that hosts it
  /// start together, and the node's own records must not wait a whole renewal.
  std::chrono::milliseconds registry_early_retry{100};
  int registry_early_retries = 20;
  /// Records are renewed every third of the lease, but never more often than
  /// this (a very short lease must not flood the registry).
  std::chrono::milliseconds min_renewal{100};

  // -- other nodes -------------------------------------------------------------------

  /// The event relay's endpoint is asked for again after this when the
  /// registry did not answer (it usually starts within a second).
  std::chrono::milliseconds relay_retry{500};
  /// A channel of another host not registered yet is looked up again after
  /// `remote_channel_retry`, doubling up to `remote_channel_retry_max`: a
  /// subscription made before its publisher starts finds it quickly, and
  /// one that waits for hours costs the registry little.
  std::chrono::milliseconds remote_channel_retry{250};
  std::chrono::milliseconds remote_channel_retry_max{5000};

  /// A node pings the nodes it calls this often and counts one as gone after
  /// `peer_heartbeat_timeout` of silence: calls to a dead node fail with
  /// `peer_down` within about that time, not at their own timeout.
  std::chrono::milliseconds peer_heartbeat_interval{250};
  std::chrono::milliseconds peer_heartbeat_timeout{1000};

  // -- audit ------------------------------------------------------------------------

  /// An audit record waits this long for the next ones before its batch is
  /// published as events: one event message per burst of calls, not per call.
  std::chrono::milliseconds audit_batch_delay{10};
  /// Encoding a large batch gives way to other work on its core this often
  /// (the calls being audited run there too).
  std::chrono::microseconds audit_slice{200};

  // -- shared-memory readers ---------------------------------------------------------

  /// A channel with no segment yet is looked for after `absent_channel_poll`,
  /// doubling up to `absent_channel_poll_max`: quick when the publisher is
  /// about to start, nearly free for subscriptions that wait long.
  std::chrono::milliseconds absent_channel_poll{10};
  std::chrono::milliseconds absent_channel_poll_max{500};
  /// The longest a reader thread sleeps in one wait (for a frame, for room in
  /// its actor's window) before it looks whether it should stop.
  std::chrono::milliseconds reader_wait{200};
  /// A reader that met an unexpected error waits this long before it reads
  /// again, so that a broken segment does not spin a core.
  std::chrono::milliseconds reader_error_pause{100};
  /// A `work` member with a full window asks again this often whether another
  /// member took the frame meanwhile (short: the group's latency).
  std::chrono::milliseconds work_claim_poll{2};

  // -- shutdown ----------------------------------------------------------------------

  /// How long a stopping node waits for its event bus to publish the audit
  /// records still queued, and for each of its own actors to exit.
  std::chrono::milliseconds shutdown_wait{10000};
};

} // namespace dxhub::runtime
