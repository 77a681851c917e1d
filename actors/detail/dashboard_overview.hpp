#pragma once

// What the dashboard's overview shows, kept between snapshots: the nodes the
// registry listed (up, down, restarted: a node's pid changed), the services
// with their commands and their last `state` event, and the channels read
// from shared memory like `dxhub inspect` does, with frame rates from the
// change of their sequence between snapshots.

#include "dxhub/schemas/event.hpp"
#include "dxhub/schemas/frame_schema.hpp"
#include "dxhub/schemas/registry_record.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace dxhub::actors::detail {

class dashboard_overview {
public:
  /// `host`: this process's host id (a node there whose pid is gone is down
  /// at once, not when its lease ends).
  explicit dashboard_overview(std::string host) : host_(std::move(host)) {}

  /// A fresh registry listing, at wall time `now_ns`.
  void listed(const std::vector<registry_record>& records, int64_t now_ns);

  /// The registry did not answer.
  void unlisted(std::string why);

  /// An event: a service's `state` events are shown with the service.
  void heard(const event& e);

  /// The fields of a channel, from a frame of it.
  void saw_schema(const std::string& channel, const frame_schema& schema);
  bool knows_schema(const std::string& channel) const;

  /// The channels in shared memory now, by name.
  static std::vector<std::string> channels();

  /// The overview message for the page, at monotonic time `mono_ns` and
  /// wall time `now_ns`; `own_pid` marks the dashboard's own subscriptions.
  nlohmann::json snapshot(int64_t mono_ns, int64_t now_ns, int own_pid);

private:
  struct node_row {
    registry_record record;
    /// "up", "down" (pid gone or no longer listed).
    std::string status = "up";
    uint32_t restarts = 0;
    int64_t changed_ns = 0;
  };
  struct rate_probe {
    uint64_t session = 0;
    uint64_t sequence = 0;
    int64_t at_ns = 0;
    double rate_hz = 0;
  };

  nlohmann::json channel_json(const std::string& name, int64_t mono_ns, int own_pid);

  std::string host_;
  std::map<std::string, node_row> nodes_;
  std::vector<registry_record> services_;
  std::string registry_error_;
  std::map<std::string, nlohmann::json> service_state_;
  std::map<std::string, nlohmann::json> fields_;
  std::map<std::string, rate_probe> rates_;
};

} // namespace dxhub::actors::detail
