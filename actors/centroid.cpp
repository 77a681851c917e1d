#include "dxhub/actors/centroid.hpp"

#include "dxhub/actors/detail/stock_actor.hpp"
#include "dxhub/actors/simulated_camera.hpp"
#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <cmath>

namespace dxhub::actors {

namespace {

struct centroid_state {
  centroid_config cfg;
  runtime::publisher pub;
  runtime::subscription sub;
  uint64_t frames = 0;
  uint64_t bad_frames = 0;
  uint64_t restarts_seen = 0;
  uint64_t session = 0;
  uint64_t mismatch_reported_session = ~uint64_t{0};
  bool have_reference = false;
  bool drifting = false;
  image_stats reference;
  image_stats last;
  static inline const char* name = "centroid";
};

using centroid_actor = caf::stateful_actor<centroid_state>;
using stats_atom = caf::atom_constant<caf::atom("ctr_stats")>;

nlohmann::json state_json(const centroid_state& st) {
  return {{"frames", st.frames},
          {"bad_frames", st.bad_frames},
          {"x", st.last.x},
          {"y", st.last.y},
          {"max", st.last.max},
          {"mean", st.last.mean},
          {"input", st.cfg.input},
          {"output", st.cfg.output},
          {"publisher_sessions", st.restarts_seen}};
}

void emit_stats(centroid_actor* self) {
  auto& st = self->state;
  auto counters = st.sub.stats();
  nlohmann::json data{{"frames", st.frames},
                      {"bad_frames", st.bad_frames},
                      {"dropped", counters.dropped},
                      {"x", st.last.x},
                      {"y", st.last.y}};
  (void)runtime::emit(self, st.cfg.service + "/stats", "stats", json_text{data.dump()});
  self->delayed_send(self, st.cfg.stats_period, stats_atom::value);
}

void check_drift(centroid_actor* self, const image_stats& s) {
  auto& st = self->state;
  if (!st.have_reference) {
    st.reference = s;
    st.have_reference = true;
    return;
  }
  double d = std::hypot(s.x - st.reference.x, s.y - st.reference.y);
  bool drifting = d > st.cfg.drift_px;
  if (drifting == st.drifting)
    return; // one event per change, not one per frame
  st.drifting = drifting;
  nlohmann::json data{{"drifting", drifting}, {"distance_px", d}, {"x", s.x}, {"y", s.y}};
  (void)runtime::emit(self, st.cfg.service + "/drift", "drift", json_text{data.dump()});
}

/// A publisher whose frames this analysis cannot read is a wiring mistake of
/// the deployment: said once per publisher session, naming both sides.
void report_mismatch(centroid_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  if (st.mismatch_reported_session == f.header().session)
    return;
  st.mismatch_reported_session = f.header().session;
  const auto& schema = f.schema();
  nlohmann::json data{{"channel", st.cfg.input},
                      {"publisher_schema", schema.name + " v" + std::to_string(schema.version)},
                      {"subscriber_wants", "a 2-D u16 field 'image' (dxhub.camera frames)"},
                      {"session", f.header().session}};
  (void)runtime::emit(self, st.cfg.service + "/input", "schema_mismatch", json_text{data.dump()});
}

void on_frame(centroid_actor* self, const runtime::frame& f) {
  auto& st = self->state;
  auto image = f.field<uint16_t>("image");
  if (!image || image.value().dims.rank() != 2) {
    ++st.bad_frames;
    report_mismatch(self, f);
    return;
  }
  auto counter = verify_camera_frame(f.view());
  if (!counter)
    ++st.bad_frames;
  auto s = analyse_image(image.value().values, image.value().dims[1], st.cfg.threshold);
  st.last = s;
  ++st.frames;
  check_drift(self, s);
  if (auto loan = st.pub.loan()) {
    auto out = loan.value().field<double>("centroid").value().values;
    out[0] = s.x;
    out[1] = s.y;
    out[2] = s.max;
    out[3] = s.mean;
    out[4] = static_cast<double>(f.header().sequence);
    out[5] = counter ? static_cast<double>(counter.value()) : -1.0;
    loan.value().header().experiment_time = f.header().experiment_time;
    (void)st.pub.publish(std::move(loan.value()));
  }
}

void on_status(centroid_actor* self, const runtime::channel_status& s) {
  auto& st = self->state;
  if (s.what == runtime::channel_status::state::attached && s.session != st.session) {
    st.session = s.session;
    ++st.restarts_seen;
  }
  nlohmann::json data{{"channel", s.channel},
                      {"state", runtime::to_string(s.what)},
                      {"session", s.session},
                      {"detail", s.detail}};
  (void)runtime::emit(self, st.cfg.service + "/input", "channel", json_text{data.dump()});
}

expected<void> open_centroid(centroid_actor* self) {
  auto& st = self->state;
  DXHUB_TRY(pub, runtime::publish(self, st.cfg.output, centroid_frame_schema()));
  st.pub = std::move(pub);
  runtime::subscription_options opts;
  opts.policy = runtime::policy::latest;
  DXHUB_TRY(sub, runtime::subscribe(self, st.cfg.input, opts));
  st.sub = std::move(sub);
  if (st.cfg.stats_period.count() > 0)
    self->delayed_send(self, st.cfg.stats_period, stats_atom::value);
  return ok();
}

caf::behavior centroid_behavior(centroid_actor* self, centroid_config cfg) {
  return detail::start_stock_actor(
      self, std::move(cfg), state_json,
      [self](runtime::command_table&) { return open_centroid(self); },
      [self](stats_atom) { emit_stats(self); },
      [self](const runtime::frame& f) { on_frame(self, f); },
      [self](const runtime::channel_status& s) { on_status(self, s); });
}

std::string default_output(const std::string& input) {
  auto slash = input.rfind('/');
  return slash == std::string::npos ? input + "/centroid" : input.substr(0, slash) + "/centroid";
}

} // namespace

image_stats analyse_image(std::span<const uint16_t> image, uint64_t width, double threshold) {
  image_stats s;
  if (image.empty() || width == 0)
    return s;
  auto [lo, hi] = std::minmax_element(image.begin(), image.end());
  double sum = 0;
  for (auto v : image)
    sum += v;
  s.mean = sum / static_cast<double>(image.size());
  s.max = *hi;
  double cut = *lo + threshold * (double(*hi) - double(*lo));
  double wsum = 0, wx = 0, wy = 0;
  for (std::size_t i = 0; i < image.size(); ++i) {
    double w = image[i] - cut;
    if (w <= 0)
      continue;
    wsum += w;
    wx += w * static_cast<double>(i % width);
    wy += w * static_cast<double>(i / width);
  }
  if (wsum > 0) {
    s.x = wx / wsum;
    s.y = wy / wsum;
  }
  return s;
}

frame_schema centroid_frame_schema() {
  frame_schema s;
  s.name = "dxhub.centroid";
  s.version = 1;
  s.fields = {field{"centroid", dtype::f64, shape{6}}};
  return s;
}

expected<centroid_config> centroid_config_from(const runtime::actor_args& args) {
  centroid_config c;
  c.name = args.name;
  c.service = args.param("service", args.name);
  c.input = args.param("input", args.subscribes.empty() ? std::string{} : args.subscribes[0]);
  if (c.input.empty())
    return error{errc::invalid_argument,
                 "centroid '" + c.name + "': no input channel (subscribes or params.input)"};
  c.output =
      args.param("output", args.publishes.empty() ? default_output(c.input) : args.publishes[0]);
  c.threshold = args.param("threshold", c.threshold);
  c.drift_px = args.param("drift_px", c.drift_px);
  c.stats_period = std::chrono::milliseconds{args.param("stats_period_ms", int64_t{1000})};
  if (!(c.threshold >= 0 && c.threshold < 1))
    return error{errc::invalid_argument, "centroid '" + c.name + "': threshold must be in [0, 1)"};
  return c;
}

caf::actor spawn_centroid(caf::actor_system& sys, centroid_config config) {
  return sys.spawn(centroid_behavior, std::move(config));
}

} // namespace dxhub::actors
