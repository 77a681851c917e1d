#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/metadata.hpp"
#include "dxhub/transports/shm/channel_options.hpp"
#include "dxhub/transports/shm/loan.hpp"
#include "dxhub/transports/shm/publish_outcome.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace dxhub::shm {

/// The one writer of a channel: loans chunks, publishes them to every
/// subscriber's queue, and reclaims what dead subscribers held. Move-only;
/// use it (and its loans) from one thread.
class publisher {
public:
  /// Creates the channel's segment, or re-attaches to it when its publisher is
  /// gone (a new session; subscribers continue). A segment with a live
  /// publisher is `already_exists`; a stale one with other sizes or schema and
  /// no live subscriber is recycled; otherwise a mismatch names what differs.
  static expected<publisher> open(std::string_view channel, const frame_schema& schema,
                                  const channel_options& options = {});

  publisher(publisher&&) noexcept;
  publisher& operator=(publisher&&) noexcept;
  ~publisher();

  /// A free chunk to write in place; `pool_exhausted` when none is free after
  /// reclaiming dead readers, dropping from `latest` queues and waiting up to
  /// the reliable timeout for `reliable` readers.
  expected<loan> loan_chunk();

  /// Stamps the header and hands the chunk to every subscriber; returns its
  /// sequence. `slow_subscriber` (naming the pid) when a reliable reader did
  /// not make room within the timeout: the others got the frame, it did not.
  expected<uint64_t> publish(loan&& chunk);

  /// Publishes like `publish`, but a reliable reader that makes no room within
  /// its timeout is no error: the frame went out to everyone else, and the
  /// outcome names the slow readers beside the frame's sequence.
  expected<publish_outcome> publish_and_report(loan&& chunk);

  /// Publishes several loans in their order as consecutive frames and returns
  /// the first one's sequence. Cheaper per frame than one publish each: every
  /// reader's queue index is stored and its sleep checked once per call, not
  /// once per frame. All loans are consumed (empty afterwards); an empty or
  /// foreign loan is `invalid_argument` and publishes nothing. The frames of
  /// one call share their timestamps. `slow_subscriber` as for one frame,
  /// naming the frames the slow reader misses.
  expected<uint64_t> publish(std::span<loan> chunks);

  /// Loans, copies `payload` in, publishes.
  expected<uint64_t> publish_copy(std::span<const std::byte> payload, const metadata& meta = {});

  /// Reclaims dead or departed subscribers now and refreshes the heartbeat
  /// (a loan does it by itself at most every 100 ms; a publish never does,
  /// so that the frame's readers do not wait for it).
  void maintain();

  uint64_t session_id() const;
  /// The sequence the next frame gets.
  uint64_t sequence() const;
  const frame_schema& schema() const;
  const std::string& channel() const;
  std::size_t subscriber_count() const;
  /// Chunks free right now (after a rescan), for tests and tools.
  uint32_t free_chunks();

private:
  explicit publisher(std::shared_ptr<detail::publisher_core> core) : core_(std::move(core)) {}

  std::shared_ptr<detail::publisher_core> core_;
};

} // namespace dxhub::shm
