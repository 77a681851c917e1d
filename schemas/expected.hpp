#pragma once

#include "dxhub/schemas/error.hpp"

#include <boost/outcome/result.hpp>
#include <boost/outcome/try.hpp>

namespace dxhub {

/// A value of type `T` or a `dxhub::error`, the return type of every fallible
/// call in dxhub. Accessing the value of an error is a programming error
/// (terminates), so check first: `if (auto frame_result = f(); !frame_result) ...`.
template <class T>
using expected = boost::outcome_v2::basic_result<T, error, boost::outcome_v2::policy::terminate>;

/// The success value of an `expected<void>`.
inline auto ok() noexcept {
  return boost::outcome_v2::success();
}

} // namespace dxhub

/// `DXHUB_TRY(v, expr)`: declares `v` as the value of `expr`, or returns the
/// error of `expr` from the enclosing function.
#define DXHUB_TRY(var, ...) BOOST_OUTCOME_TRY(var, __VA_ARGS__)

/// `DXHUB_TRYV(expr)`: returns the error of `expr` from the enclosing function.
/// A single statement, safe in an unbraced `if`.
#define DXHUB_TRYV(...)                                                                            \
  do {                                                                                             \
    BOOST_OUTCOME_TRYV(__VA_ARGS__);                                                               \
  } while (false)
