#include "dxhub/runtime/channel_status.hpp"

namespace dxhub::runtime {

std::string to_string(channel_status::state s) {
  switch (s) {
    case channel_status::state::attached:
      return "attached";
    case channel_status::state::publisher_gone:
      return "publisher_gone";
    case channel_status::state::refused:
      return "refused";
  }
  return "invalid";
}

} // namespace dxhub::runtime
