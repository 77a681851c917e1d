#pragma once

// The machine a run measured, written next to every figure so that reports
// from different machines are never mixed up.

#include "dxhub/benchmarks/suite/suite.hpp"

namespace dxhub::bench::suite {

/// Host name, kernel, CPU model and count of this machine, and the UTC time now.
host_info this_host();

} // namespace dxhub::bench::suite
