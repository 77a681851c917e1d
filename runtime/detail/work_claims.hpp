#pragma once

// The claims of one `work` group on a shared-memory channel. Every member
// reads the whole stream (zero copy, like any subscriber) and the members
// race to claim each frame in a small table beside the channel's segment:
// exactly one claim succeeds, the others let the frame go at once. The table
// lives while a member lives; the last one to leave removes it.

#include "dxhub/schemas/expected.hpp"

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace dxhub::runtime::detail {

class work_claims {
public:
  /// Joins the group `group` of `channel` (creating its table, mode `mode`).
  static expected<work_claims> join(const std::string& channel, const std::string& group,
                                    mode_t mode = 0600);

  work_claims(work_claims&& other) noexcept;
  work_claims& operator=(work_claims&&) = delete;
  work_claims(const work_claims&) = delete;
  work_claims& operator=(const work_claims&) = delete;
  ~work_claims();

  /// True for exactly one member per frame of a publisher session.
  bool claim(uint64_t session, uint64_t sequence) noexcept;

  /// True when a member claimed the frame already.
  bool taken(uint64_t session, uint64_t sequence) const noexcept;

  /// The shared-memory object holding the table ("dxhub.<channel>@work.<group>").
  const std::string& name() const noexcept { return name_; }

private:
  struct table;
  work_claims(std::string name, int fd, table* t, uint32_t member);
  void leave() noexcept;

  std::string name_;
  int fd_ = -1;
  table* table_ = nullptr;
  uint32_t member_ = 0;
};

} // namespace dxhub::runtime::detail
