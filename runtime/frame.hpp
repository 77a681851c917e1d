#pragma once

#include "dxhub/runtime/transport.hpp"
#include "dxhub/schemas/frame_header.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/frame_view.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace dxhub::runtime {

/// What keeps a frame's bytes alive: a pinned shared-memory chunk, a received
/// ZeroMQ message, or the publisher's own buffer. Immutable once published.
class frame_storage {
public:
  virtual ~frame_storage() = default;

  virtual const frame_header& header() const noexcept = 0;
  virtual std::span<const std::byte> payload() const noexcept = 0;
  virtual const frame_schema& schema() const noexcept = 0;
  virtual const std::string& channel() const noexcept = 0;
  virtual runtime::transport transport() const noexcept = 0;

  /// For shared-memory frames: the segment holding the bytes and the index
  /// of the chunk in its pool (zero-copy proofs, diagnostics).
  virtual std::string_view segment() const noexcept { return {}; }
  virtual std::optional<uint32_t> chunk_index() const noexcept { return std::nullopt; }
};

/// A frame as it arrives in an actor's mailbox: a handle that pins the bytes.
/// Copies share the same bytes (no payload copy); the bytes are released when
/// the last copy is gone. A frame never crosses a process boundary as a CAF
/// message (remote subscribers get the bytes over ZeroMQ instead).
class frame {
public:
  frame() = default;
  explicit frame(std::shared_ptr<const frame_storage> storage) : storage_(std::move(storage)) {}

  explicit operator bool() const noexcept { return storage_ != nullptr; }

  const frame_header& header() const noexcept { return storage_->header(); }
  std::span<const std::byte> payload() const noexcept { return storage_->payload(); }
  const frame_schema& schema() const noexcept { return storage_->schema(); }
  /// The channel this frame was published on.
  const std::string& channel() const noexcept { return storage_->channel(); }
  /// How the frame reached this process.
  runtime::transport transport() const noexcept { return storage_->transport(); }
  std::string_view segment() const noexcept { return storage_->segment(); }
  std::optional<uint32_t> chunk_index() const noexcept { return storage_->chunk_index(); }

  /// The frame seen through its schema.
  frame_view view() const noexcept { return {&header(), payload(), &schema()}; }

  /// Field `name` as a typed span with its shape.
  template <class T>
  auto field(std::string_view name) const {
    return view().field<T>(name);
  }

  /// How many handles share these bytes (for tests and diagnostics).
  long use_count() const noexcept { return storage_.use_count(); }

  /// CAF renders messages for logs and tests; a frame renders as its identity.
  friend std::string to_string(const frame& f);

private:
  std::shared_ptr<const frame_storage> storage_;
};

} // namespace dxhub::runtime

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(dxhub::runtime::frame)
