#pragma once

#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/detail/delivery.hpp"
#include "dxhub/runtime/frame.hpp"
#include "dxhub/runtime/policy.hpp"
#include "dxhub/runtime/publish_report.hpp"
#include "dxhub/runtime/transport.hpp"

#include <caf/actor.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace dxhub::runtime::detail {

class channel_writer;

/// A frame being written by its publisher (a loan).
class writable_frame {
public:
  explicit writable_frame(const channel_writer* writer) noexcept : writer_(writer) {}
  virtual ~writable_frame() = default;
  writable_frame(const writable_frame&) = delete;
  writable_frame& operator=(const writable_frame&) = delete;
  /// Whether `w` loaned this frame: a writer publishes only its own. Checked
  /// by address, not by RTTI, whose lookups cost a 30 Hz publisher (cold
  /// caches every frame) half a microsecond.
  bool loaned_by(const channel_writer* w) const noexcept { return writer_ == w; }
  virtual frame_header& header() noexcept = 0;
  virtual std::span<std::byte> payload() noexcept = 0;
  virtual const frame_schema& schema() const noexcept = 0;
  /// The shared-memory chunk being written, if the frame lives in one.
  virtual std::optional<uint32_t> chunk_index() const noexcept { return std::nullopt; }

private:
  const channel_writer* writer_; // null: published by nobody (a received frame)
};

/// One channel's publisher inside this process: loans, publishes, and hands
/// frames to the subscribers in this process.
class channel_writer {
public:
  virtual ~channel_writer() = default;
  virtual const std::string& channel() const noexcept = 0;
  virtual const frame_schema& schema() const noexcept = 0;
  virtual uint64_t session() const noexcept = 0;
  virtual runtime::transport transport() const noexcept = 0;
  virtual expected<std::shared_ptr<writable_frame>> loan() = 0;
  virtual expected<publish_report> publish(std::shared_ptr<writable_frame> f) = 0;
};

/// The subscribers in this process of one channel, and whether its publisher
/// is in this process too.
class local_channel {
public:
  explicit local_channel(std::string name) : name_(std::move(name)) {}

  const std::string& name() const noexcept { return name_; }

  /// Claims the channel for a publisher in this process; existing subscribers
  /// that expect another schema are refused (told, and removed).
  expected<void> attach_publisher(std::shared_ptr<const frame_schema> schema, uint64_t session);
  void detach_publisher();
  bool has_local_publisher() const;
  std::shared_ptr<const frame_schema> schema() const;

  /// Adds a subscriber; refused when the publisher's schema differs from the
  /// one the subscriber expects.
  expected<std::shared_ptr<delivery>> add(caf::actor target, const subscription_options& options);
  void remove(const delivery* d);

  /// Hands `f` to every subscriber (one member per `work` group).
  publish_report distribute(const std::shared_ptr<const frame_storage>& f);

  bool has_subscribers() const;

private:
  struct member {
    std::shared_ptr<delivery> out;
    subscription_options options;
  };
  using member_list = std::vector<member>;

  void notify(const member_list& members, channel_status::state what, uint64_t session) const;

  std::string name_;
  mutable std::mutex mutex_;
  std::shared_ptr<const frame_schema> schema_;
  bool publisher_here_ = false;
  uint64_t session_ = 0;
  // Copy-on-write: publish reads a snapshot without holding the lock.
  std::shared_ptr<const member_list> members_ = std::make_shared<member_list>();
};

/// The channels this process publishes or subscribes.
class channel_hub {
public:
  std::shared_ptr<local_channel> get(const std::string& name);
  std::shared_ptr<local_channel> find(const std::string& name) const;
  std::vector<std::string> names() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<local_channel>> channels_;
};

/// What `subscription` refers to.
class subscription_state {
public:
  std::string channel;
  std::atomic<runtime::transport> via{transport::automatic};
  std::shared_ptr<delivery> out;
  std::weak_ptr<local_channel> local;
  std::function<void()> on_cancel;
  std::atomic<bool> cancelled{false};

  void cancel();
};

} // namespace dxhub::runtime::detail
