#pragma once

// Include first in every suite file, after `#define CAF_SUITE layer.unit`.

// CAF 0.17.6: the fixture's request<T>() calls FAIL, which the DSL never defines.
#define FAIL(msg) CAF_FAIL(msg)

#include <caf/test/dsl.hpp>
