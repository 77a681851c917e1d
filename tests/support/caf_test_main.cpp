// The main() of every CAF test binary (linked as an object file).
#include <caf/test/unit_test_impl.hpp>
