#pragma once

// Incremental SHA-256, fed while a recording is written and read out at any
// time without ending the stream. OpenSSL's libcrypto (libssl-dev): it uses
// the CPU's SHA instructions where there are some (about 1.1 GB/s here,
// libsodium's portable code 0.3 GB/s, slower than the disk).

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <new>
#include <span>
#include <string>

namespace dxhub::actors::detail {

class sha256 {
public:
  sha256() : state_(EVP_MD_CTX_new()) {
    if (!state_ || EVP_DigestInit_ex(state_.get(), EVP_sha256(), nullptr) != 1)
      throw std::bad_alloc{};
  }

  void update(std::span<const std::byte> bytes) noexcept {
    EVP_DigestUpdate(state_.get(), bytes.data(), bytes.size());
  }

  /// The digest of everything fed so far, as 64 lowercase hex digits; the
  /// stream goes on.
  std::string hex() const {
    std::unique_ptr<EVP_MD_CTX, context_free> copy{EVP_MD_CTX_new()};
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!copy || EVP_MD_CTX_copy_ex(copy.get(), state_.get()) != 1
        || EVP_DigestFinal_ex(copy.get(), digest, &length) != 1)
      throw std::bad_alloc{};
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * length);
    for (unsigned i = 0; i < length; ++i) {
      out.push_back(digits[digest[i] >> 4]);
      out.push_back(digits[digest[i] & 15]);
    }
    return out;
  }

private:
  struct context_free {
    void operator()(EVP_MD_CTX* c) const noexcept { EVP_MD_CTX_free(c); }
  };
  std::unique_ptr<EVP_MD_CTX, context_free> state_;
};

} // namespace dxhub::actors::detail
