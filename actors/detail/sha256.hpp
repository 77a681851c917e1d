#pragma once

// Incremental SHA-256 (libsodium's crypto_hash_sha256): fed while a
// recording is written, read out at any time without ending the stream.

#include <cstddef>
#include <sodium.h>
#include <span>
#include <string>

namespace dxhub::actors::detail {

class sha256 {
public:
  sha256() noexcept { crypto_hash_sha256_init(&state_); }

  void update(std::span<const std::byte> bytes) noexcept {
    crypto_hash_sha256_update(&state_, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
  }

  /// The digest of everything fed so far, as 64 lowercase hex digits; the
  /// stream goes on.
  std::string hex() const {
    auto copy = state_;
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&copy, digest);
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * sizeof digest);
    for (auto b : digest) {
      out.push_back(digits[b >> 4]);
      out.push_back(digits[b & 15]);
    }
    return out;
  }

private:
  crypto_hash_sha256_state state_;
};

} // namespace dxhub::actors::detail
