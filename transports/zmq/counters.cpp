#include "dxhub/transports/zmq/counters.hpp"

#include <nlohmann/json.hpp>

namespace dxhub::zmq {

void counters::count_in(std::size_t bytes) noexcept {
  messages_in_.fetch_add(1, std::memory_order_relaxed);
  bytes_in_.fetch_add(bytes, std::memory_order_relaxed);
}

void counters::count_out(std::size_t bytes) noexcept {
  messages_out_.fetch_add(1, std::memory_order_relaxed);
  bytes_out_.fetch_add(bytes, std::memory_order_relaxed);
}

void counters::count_rejected(const error& reason) {
  rejected_[static_cast<uint8_t>(reason.code)].fetch_add(1, std::memory_order_relaxed);
  std::lock_guard<std::mutex> guard{last_mutex_};
  last_ = reason.what();
}

uint64_t counters::rejected(errc reason) const noexcept {
  return rejected_[static_cast<uint8_t>(reason)].load(std::memory_order_relaxed);
}

uint64_t counters::rejected_total() const noexcept {
  uint64_t total = 0;
  for (const auto& n : rejected_)
    total += n.load(std::memory_order_relaxed);
  return total;
}

std::string counters::last_rejection() const {
  std::lock_guard<std::mutex> guard{last_mutex_};
  return last_;
}

std::string counters::to_json() const {
  nlohmann::json doc{{"messages_in", messages_in()},
                     {"messages_out", messages_out()},
                     {"bytes_in", bytes_in()},
                     {"bytes_out", bytes_out()}};
  auto& rejected_doc = doc["rejected"] = nlohmann::json::object();
  for (uint8_t i = 0; i < errc_count; ++i)
    if (auto n = rejected(static_cast<errc>(i)); n > 0)
      rejected_doc[std::string{name(static_cast<errc>(i))}] = n;
  return doc.dump();
}

} // namespace dxhub::zmq
