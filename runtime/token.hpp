#pragma once

// Secrets that prove who may do something: the run token (a node belongs to
// this `dxhub run`) and a node's owner key (a registry record is this
// node's). Unguessable, so that knowing a record's public fields is not enough.

#include <string>

namespace dxhub::runtime {

/// 128 random bits from the kernel's generator, as 32 hex digits.
std::string random_token();

} // namespace dxhub::runtime
