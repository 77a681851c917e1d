// Subscribing from Python: `dxhub.subscribe(channel, policy=...)` gives a
// subscription whose `take` returns frames; `frame["image"]` is a read-only
// numpy array over the shared-memory chunk itself, whose base object (the
// frame) pins the chunk until the last array and the frame are gone.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/frame.hpp"
#include "dxhub/runtime/policy.hpp"

#include <caf/all.hpp>

#include "bindings.hpp"
#include "embedded_node.hpp"
#include "errors.hpp"
#include "numpy_views.hpp"
#include "python_frame.hpp"
#include "schema_object.hpp"
#include "waiting.hpp"
#include <pybind11/stl.h>

#include <cmath>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace py = pybind11;

namespace dxhub::python {

namespace {

py::dict status_dict(const runtime::channel_status& s) {
  py::dict d;
  d["channel"] = s.channel;
  d["state"] = runtime::to_string(s.what);
  d["transport"] = std::string{runtime::name(s.via)};
  d["session"] = s.session;
  d["code"] = std::string{name(s.code)};
  d["detail"] = s.detail;
  return d;
}

/// One subscription: a blocking actor of its own receives the frames, and
/// `take` waits on its mailbox (one wake-up per frame, no extra thread).
class python_subscription : public closable,
                            public std::enable_shared_from_this<python_subscription> {
public:
  python_subscription(std::string channel, runtime::subscription_options options)
    : channel_(std::move(channel)) {
    auto& n = embedded_node::get();
    self_ = std::make_unique<caf::scoped_actor>(n.system());
    auto sub = runtime::subscribe(self_->ptr(), channel_, options);
    if (!sub) {
      self_.reset();
      raise(sub.error());
    }
    sub_ = std::move(sub).value();
  }

  ~python_subscription() override { close(); }

  /// The next frame, or nothing when `timeout_s` passes first.
  std::optional<python_frame> take(std::optional<double> timeout_s) {
    std::optional<python_frame> got;
    std::optional<error> refused;
    bool closed = false;
    wait_interruptibly(timeout_s, [&](std::chrono::milliseconds limit) {
      std::lock_guard lock{mutex_};
      if (self_ == nullptr) {
        closed = true;
        return true;
      }
      bool done = false;
      (*self_)->receive(
          [&](const runtime::frame& f) {
            got = python_frame{f};
            done = true;
          },
          [&](const runtime::channel_status& s) {
            statuses_.push_back(s);
            if (statuses_.size() > 64)
              statuses_.pop_front();
            last_ = s;
            if (s.what == runtime::channel_status::state::refused) {
              refused = error{s.code, s.detail};
              done = true;
            }
          },
          caf::after(limit) >> [] {});
      return done;
    });
    if (refused)
      raise(*refused);
    if (closed)
      raise({errc::invalid_argument, "the subscription to '" + channel_ + "' is closed"});
    return got;
  }

  py::list statuses() {
    std::lock_guard lock{mutex_};
    py::list out;
    for (const auto& s : statuses_)
      out.append(status_dict(s));
    statuses_.clear();
    return out;
  }

  py::object status() {
    std::lock_guard lock{mutex_};
    if (!last_)
      return py::none();
    return status_dict(*last_);
  }

  py::dict stats() {
    std::lock_guard lock{mutex_};
    py::dict d;
    auto s = sub_.stats();
    d["delivered"] = s.delivered;
    d["dropped"] = s.dropped;
    d["slow"] = s.slow;
    d["transport"] = std::string{runtime::name(sub_.transport())};
    return d;
  }

  const std::string& channel() const noexcept { return channel_; }

  void close() override {
    std::lock_guard lock{mutex_};
    if (self_ == nullptr)
      return;
    sub_.cancel();
    sub_ = {};
    // Frames still queued in the mailbox go back with the actor.
    self_.reset();
  }

private:
  std::string channel_;
  std::mutex mutex_;
  std::unique_ptr<caf::scoped_actor> self_;
  runtime::subscription sub_;
  std::deque<runtime::channel_status> statuses_;
  std::optional<runtime::channel_status> last_;
};

std::shared_ptr<python_subscription> subscribe(const std::string& channel,
                                               const std::string& policy_name, uint32_t queue_depth,
                                               uint32_t window, const std::string& group,
                                               bool busy_poll, const schema_object* expect,
                                               double reliable_timeout, double poll_period) {
  runtime::subscription_options o;
  if (!(poll_period >= 0.0 && poll_period <= 1.0))
    raise({errc::invalid_argument,
           "poll_period must be 0 to 1 s, got " + std::to_string(poll_period)});
  if (!runtime::parse_policy(policy_name, o.policy))
    raise({errc::invalid_argument,
           "policy must be 'latest', 'reliable' or 'work', got '" + policy_name + "'"});
  o.queue_depth = queue_depth;
  o.window = window;
  o.group = group;
  o.busy_poll = busy_poll;
  o.poll_period = std::chrono::milliseconds{std::llround(poll_period * 1000.0)};
  o.reliable_timeout = std::chrono::milliseconds{static_cast<int64_t>(reliable_timeout * 1000.0)};
  if (expect != nullptr)
    o.expect = expect->schema.id();
  auto s = std::make_shared<python_subscription>(channel, o);
  embedded_node::get().track(s);
  return s;
}

} // namespace

void bind_frames(py::module_& m) {
  py::class_<python_frame>(m, "Frame",
                           "A received frame: `frame[name]` is a read-only numpy array over "
                           "the frame's bytes (no copy); the bytes stay pinned while the frame "
                           "or any of its arrays is alive.")
      .def(
          "__getitem__",
          [](py::object self, const std::string& field_name) {
            auto& f = self.cast<python_frame&>().handle;
            auto where = locate_field(f.schema(), field_name);
            // Read-only: a published frame is immutable, and others read it too.
            auto* bytes = const_cast<std::byte*>(f.payload().data());
            return field_array(where, bytes, self, false);
          },
          py::arg("field"))
      .def("keys",
           [](const python_frame& f) {
             py::list out;
             for (const auto& fd : f.handle.schema().fields)
               out.append(fd.name);
             return out;
           })
      .def_property_readonly(
          "header",
          [](const python_frame& f) {
            const auto& h = f.handle.header();
            py::dict d;
            d["sequence"] = h.sequence;
            d["session"] = h.session;
            d["monotonic_ns"] = h.monotonic_ns;
            d["wall_ns"] = h.wall_ns;
            d["experiment_time"] = h.experiment_time;
            py::dict meta;
            for (const auto& [k, v] : h.meta.entries())
              meta[py::str(k)] = v;
            d["meta"] = meta;
            return d;
          },
          "sequence, session, monotonic_ns, wall_ns, experiment_time, meta (a dict)")
      .def_property_readonly("sequence",
                             [](const python_frame& f) { return f.handle.header().sequence; })
      .def_property_readonly("session",
                             [](const python_frame& f) { return f.handle.header().session; })
      .def_property_readonly("channel", [](const python_frame& f) { return f.handle.channel(); })
      .def_property_readonly("schema",
                             [](const python_frame& f) { return schema_object{f.handle.schema()}; })
      .def_property_readonly(
          "transport",
          [](const python_frame& f) { return std::string{runtime::name(f.handle.transport())}; })
      .def_property_readonly(
          "segment", [](const python_frame& f) { return std::string{f.handle.segment()}; },
          "The shared-memory segment holding the bytes (empty for other transports).")
      .def_property_readonly(
          "chunk_index", [](const python_frame& f) { return f.handle.chunk_index(); },
          "The index of the chunk in the channel's pool, or None.")
      .def_property_readonly(
          "payload",
          [](py::object self) {
            auto& f = self.cast<python_frame&>().handle;
            auto bytes = f.payload();
            // A read-only memoryview of the whole payload, pinned like the arrays.
            py::array a{py::dtype("u1"),
                        {static_cast<py::ssize_t>(bytes.size())},
                        const_cast<std::byte*>(bytes.data()),
                        self};
            py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
            return a;
          },
          "The whole payload as a read-only u8 array.")
      .def("__repr__", [](const python_frame& f) {
        return "<dxhub.Frame " + f.handle.channel() + " #"
               + std::to_string(f.handle.header().sequence) + ">";
      });

  py::class_<python_subscription, std::shared_ptr<python_subscription>>(
      m, "Subscription", "Frames of one channel; see dxhub.subscribe.")
      .def("take", &python_subscription::take, py::arg("timeout") = py::none(),
           "The next frame, or None when `timeout` seconds pass first (None: wait for "
           "ever). Lets go of the GIL while waiting; Ctrl-C interrupts. A refused "
           "subscription (schema mismatch) raises.")
      .def("statuses", &python_subscription::statuses,
           "The channel status changes since the last call (attached, publisher_gone, "
           "refused), as dicts.")
      .def_property_readonly("status", &python_subscription::status,
                             "The latest channel status, or None.")
      .def_property_readonly("stats", &python_subscription::stats)
      .def_property_readonly("channel", &python_subscription::channel)
      .def("close", &python_subscription::close, py::call_guard<py::gil_scoped_release>());

  m.def("_subscribe", &subscribe, py::arg("channel"), py::arg("policy") = "latest",
        py::arg("queue_depth") = 8, py::arg("window") = 4, py::arg("group") = "default",
        py::arg("busy_poll") = false, py::arg("schema") = nullptr,
        py::arg("reliable_timeout") = 1.0, py::arg("poll_period") = 0.0);
}

} // namespace dxhub::python
