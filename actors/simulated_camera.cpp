#include "dxhub/actors/simulated_camera.hpp"

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/service.hpp"

#include <caf/actor.hpp>

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

namespace dxhub::actors {

namespace {

/// A gaussian spot drifting in a circle: separable, so one multiply per pixel.
void draw_spot(const camera_config& cfg, std::span<uint16_t> image, double t) {
  auto w = cfg.width;
  auto h = cfg.height;
  double radius = cfg.drift_px_per_s * 5;
  double cx = w / 2.0 + radius * std::cos(t / 5);
  double cy = h / 2.0 + radius * std::sin(t / 5);
  double sigma = std::max(2.0, std::min(w, h) / 16.0);
  double amp = std::min(60000.0, 2000.0 * cfg.exposure_ms);
  std::vector<double> gx(w);
  for (uint32_t x = 0; x < w; ++x)
    gx[x] = std::exp(-((x - cx) * (x - cx)) / (2 * sigma * sigma));
  for (uint32_t y = 0; y < h; ++y) {
    double gy = amp * std::exp(-((y - cy) * (y - cy)) / (2 * sigma * sigma));
    auto* row = image.data() + std::size_t{y} * w;
    for (uint32_t x = 0; x < w; ++x)
      row[x] = static_cast<uint16_t>(100 + gy * gx[x]);
  }
}

void draw_counter(std::span<uint16_t> image, uint64_t counter) {
  for (std::size_t i = 0; i < image.size(); ++i)
    image[i] = static_cast<uint16_t>(counter * 7 + i);
}

void embed_counter(std::span<uint16_t> image, uint64_t counter) {
  for (std::size_t i = 0; i < 4 && i < image.size(); ++i)
    image[i] = static_cast<uint16_t>(counter >> (16 * i));
}

/// What makes the simulated instrument a camera: images, exposure, frame rate.
class camera_model final : public instrument_model {
public:
  explicit camera_model(camera_config cfg)
    : instrument_model("simulated_camera", "camera"), cfg_(std::move(cfg)) {}

  const instrument_config& config() const override { return cfg_.instrument; }
  frame_schema schema() const override { return camera_frame_schema(cfg_.width, cfg_.height); }

  std::chrono::nanoseconds period() const override {
    return std::chrono::nanoseconds{static_cast<int64_t>(1e9 / cfg_.rate_hz)};
  }

  expected<void> set_rate(double hz) override {
    if (!(hz > 0 && hz <= 10000))
      return error{errc::invalid_argument,
                   "rate must be in (0, 10000] Hz, got " + std::to_string(hz)};
    cfg_.rate_hz = hz;
    return ok();
  }

  void fill(runtime::loaned_frame& frame, uint64_t counter, double seconds) override {
    auto image = frame.field<uint16_t>("image").value().values;
    if (cfg_.pattern == "counter")
      draw_counter(image, counter);
    else
      draw_spot(cfg_, image, seconds);
    embed_counter(image, counter);
    auto stamps = frame.field<double>("stamps").value().values;
    stamps[0] = static_cast<double>(counter);
    stamps[1] = seconds;
    stamps[2] = cfg_.exposure_ms;
    stamps[3] = 0;
    frame.header().experiment_time = seconds;
  }

  nlohmann::json state(const instrument_run& run) const override {
    return {{"running", run.running},
            {"frames", run.frames},
            {"exposure_ms", cfg_.exposure_ms},
            {"rate_hz", cfg_.rate_hz},
            {"width", cfg_.width},
            {"height", cfg_.height},
            {"pattern", cfg_.pattern},
            {"channel", cfg_.instrument.channel},
            {"session", run.session}};
  }

  void add_commands(runtime::command_table& cmds,
                    std::function<void(const std::string&)> changed) override {
    cmds.on<exposure>("set_exposure", [this, changed](const exposure& e) -> expected<exposure> {
      if (!(e.ms > 0 && e.ms <= 10000))
        return error{errc::invalid_argument,
                     "exposure must be in (0, 10000] ms, got " + std::to_string(e.ms)};
      cfg_.exposure_ms = e.ms;
      changed("set_exposure");
      return e;
    });
  }

private:
  camera_config cfg_;
};

} // namespace

frame_schema camera_frame_schema(uint32_t width, uint32_t height) {
  frame_schema s;
  s.name = "dxhub.camera";
  s.version = 1;
  s.fields = {field{"image", dtype::u16, shape{height, width}},
              field{"stamps", dtype::f64, shape{4}}};
  return s;
}

expected<uint64_t> verify_camera_frame(const frame_view& frame) {
  auto image = frame.field<uint16_t>("image");
  auto stamps = frame.field<double>("stamps");
  if (!image || !stamps)
    return error{errc::malformed_message, "not a camera frame (no image or stamps field)"};
  auto px = image.value().values;
  if (px.size() < 4 || stamps.value().values.empty())
    return error{errc::malformed_message, "camera frame too small"};
  uint64_t counter = 0;
  for (std::size_t i = 0; i < 4; ++i)
    counter |= uint64_t{px[i]} << (16 * i);
  if (static_cast<double>(counter) != stamps.value().values[0])
    return error{errc::malformed_message, "counter " + std::to_string(counter)
                                              + " in the image, stamps say "
                                              + std::to_string(stamps.value().values[0])};
  return counter;
}

expected<camera_config> camera_config_from(const runtime::actor_args& args) {
  camera_config c;
  DXHUB_TRY(instrument, instrument_config_from(args, c.instrument, "camera"));
  c.instrument = std::move(instrument);
  c.width = args.param("width", c.width);
  c.height = args.param("height", c.height);
  c.rate_hz = args.param("rate_hz", c.rate_hz);
  c.pattern = args.param("pattern", c.pattern);
  c.exposure_ms = args.param("exposure_ms", c.exposure_ms);
  c.drift_px_per_s = args.param("drift_px_per_s", c.drift_px_per_s);
  auto bad = [&](const std::string& what) {
    return error{errc::invalid_argument, "camera '" + c.instrument.name + "': " + what};
  };
  if (c.width < 4 || c.height < 1 || uint64_t{c.width} * c.height > (uint64_t{1} << 26))
    return bad("width x height out of range");
  if (!(c.rate_hz > 0 && c.rate_hz <= 10000))
    return bad("rate_hz must be in (0, 10000]");
  if (c.pattern != "gaussian_spot" && c.pattern != "counter")
    return bad("unknown pattern '" + c.pattern + "' (gaussian_spot, counter)");
  return c;
}

caf::actor spawn_simulated_camera(caf::actor_system& sys, camera_config config) {
  return spawn_simulated_instrument(sys, std::make_shared<camera_model>(std::move(config)));
}

} // namespace dxhub::actors
