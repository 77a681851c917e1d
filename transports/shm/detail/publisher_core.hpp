#pragma once

#include "dxhub/schemas/expected.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/transports/shm/channel_options.hpp"
#include "dxhub/transports/shm/detail/segment.hpp"
#include "dxhub/transports/shm/detail/slot_lock.hpp"
#include "dxhub/transports/shm/loan.hpp"
#include "dxhub/transports/shm/process_identity.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace dxhub::shm::detail {

/// The state behind a publisher and its loans. Loans point to it plainly; when
/// the publisher goes while loans are out, the core keeps itself alive until
/// the last one comes back.
class publisher_core {
public:
  publisher_core(std::shared_ptr<segment> seg, slot_lock lock, frame_schema schema,
                 std::string channel, process_identity self,
                 std::chrono::nanoseconds reliable_timeout);
  ~publisher_core();

  /// Frees the rows of dead or departed readers and starts a new session.
  void start_session();

  /// Ends the publisher's ownership: the core goes now, or with its last loan.
  static void release_owner(std::shared_ptr<publisher_core> owner) noexcept;

  expected<loan> loan_chunk();
  void give_back(uint32_t c) noexcept;
  /// Publishes `n` loans in order with one `tail` store per reader; returns
  /// the first frame's sequence. A reliable reader that makes no room within
  /// its timeout misses the frames: named in `slow_readers` when given, else
  /// the first one is the `slow_subscriber` error.
  expected<uint64_t> publish(loan* chunks, std::size_t n,
                             std::vector<std::string>* slow_readers = nullptr);
  /// Frees the rows of proven-dead or departed readers, refreshes the
  /// heartbeat and checks that the segment file was not cut short.
  void maintain(int64_t now_ns);
  uint32_t free_chunks();
  std::size_t subscriber_count() const noexcept;

  const std::shared_ptr<segment>& seg() const noexcept { return seg_; }
  const frame_schema& schema() const noexcept { return schema_; }
  const std::string& channel() const noexcept { return channel_; }
  uint64_t session() const noexcept { return session_; }
  uint64_t sequence() const noexcept { return sequence_; }

private:
  enum class push_result { pushed, dropped_reader, slow, corrupt };

  void rescan();
  loan hand_out();
  bool evict_oldest_latest();
  /// How long row `i`'s reader lets us wait for room (its own wish, else the channel's).
  int64_t row_timeout_ns(uint32_t i) const noexcept;
  /// The longest timeout of the reliable readers with frames queued; none without.
  std::optional<int64_t> reliable_backlog() const noexcept;
  /// Frees row `i` if its reader is gone (leaving, or its lock is free);
  /// returns whether it did.
  bool reap_row(uint32_t i) noexcept;
  /// Restores row `i`'s roster bit if the row is taken and the bit is gone.
  void relist(uint32_t i) noexcept;
  /// A corrupt value in row `i`: reported once per claim of the row, then the row is skipped.
  push_result corrupt_row(uint32_t i, const std::string& what);
  push_result push(uint32_t i, const uint32_t* chunks, std::size_t n, int64_t deadline_ns,
                   std::size_t& missed);
  push_result make_room(uint32_t i, uint64_t tail, uint64_t depth, int64_t deadline_ns);
  static void store_tail(subscriber_row& row, uint64_t tail) noexcept;
  error exhausted() const;
  void restore_header();
  bool skipped(uint32_t i) const noexcept;

  std::shared_ptr<segment> seg_;
  slot_lock lock_; // our write lock on the publisher slot: proof that we live
  frame_schema schema_;
  std::string channel_;
  process_identity self_;
  std::chrono::nanoseconds reliable_timeout_;
  uint64_t default_size_ = 0;
  uint64_t session_ = 0;
  uint64_t sequence_ = 0;
  uint64_t published_ = 0;
  int64_t last_maintenance_ns_ = 0;
  // Set by a publish that finds maintenance due (it reads the clock anyway);
  // the next loan does it, so that a frame's readers never wait for it.
  bool maintenance_due_ = false;
  uint32_t loans_since_clock_ = 0;
  std::vector<uint32_t> free_;   // chunks known free (only we make chunks referenced)
  std::vector<uint64_t> loaned_; // bitmap of chunks loaned right now
  uint32_t loaned_count_ = 0;
  std::vector<uint64_t> in_use_;     // scratch of rescan
  std::vector<uint64_t> head_cache_; // a lower bound of each row's head
  std::vector<uint64_t> tail_cache_; // each row's tail (only we write it)
  std::vector<uint32_t> batch_;      // chunk indices of the frames being published
  // The chunk of the newest frame (`publisher_record::newest`): kept out of
  // the free set while it is newest, for `newest` readers pinning it.
  static constexpr uint32_t no_chunk = ~uint32_t{0};
  uint32_t newest_chunk_ = no_chunk;
  bool newest_spare_ = false; // the last rescan found it free but for being newest
  // (row, chunk) of entries evicted during the current loan: a held bit of
  // that chunk in that row can only be a reader's take that lost to us.
  std::vector<std::pair<uint32_t, uint32_t>> evicted_;
  std::vector<uint64_t> corrupt_claim_;        // generation + 1 of a row found corrupt, else 0
  std::optional<error> corruption_;            // to report from the current publish
  std::optional<error> header_damage_;         // header fields found overwritten, restored
  bool truncated_ = false;                     // the segment file was cut short
  std::shared_ptr<publisher_core> keep_alive_; // set once the publisher is gone and loans are out
};

} // namespace dxhub::shm::detail
