// Publishing from Python: `dxhub.schema(...)` describes the frames,
// `dxhub.publish(channel, schema)` opens the channel, `with pub.loan() as f:`
// writes a frame in place (published when the block ends without an
// exception), `pub.publish_copy(...)` copies arrays or bytes in.

#include "dxhub/runtime/channel.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include "bindings.hpp"
#include "embedded_node.hpp"
#include "errors.hpp"
#include "numpy_views.hpp"
#include "schema_object.hpp"
#include <pybind11/numpy.h>
#include <pybind11/stl.h>

#include <cstring>
#include <mutex>
#include <optional>
#include <string>

namespace py = pybind11;

namespace dxhub::python {

namespace {

schema_object make_schema(const std::string& schema_name, uint32_t version, py::kwargs fields) {
  frame_schema s;
  s.name = schema_name;
  s.version = version;
  for (auto [key, value] : fields) {
    auto field_name = key.cast<std::string>();
    auto spec = py::reinterpret_borrow<py::object>(value);
    if (!py::isinstance<py::tuple>(spec) || py::len(spec) != 2)
      raise({errc::invalid_argument,
             "field '" + field_name + "' wants (dtype, shape), e.g. (\"u16\", (480, 640))"});
    auto t = spec.cast<py::tuple>();
    field f;
    f.name = field_name;
    f.type = dtype_from_python(t[0]);
    std::vector<uint64_t> extents;
    if (py::isinstance<py::int_>(t[1]))
      extents.push_back(t[1].cast<uint64_t>());
    else
      for (auto e : t[1])
        extents.push_back(e.cast<uint64_t>());
    f.dims = value_or_raise(shape::from(extents));
    s.fields.push_back(std::move(f));
  }
  value_or_raise(s.validate());
  return {std::move(s)};
}

/// The channel a Python publisher holds open; the segment goes with it.
class python_publisher : public closable {
public:
  python_publisher(runtime::publisher p, bool keep) : pub_(std::move(p)), keep_(keep) {}
  ~python_publisher() override { close(); }

  runtime::publisher get() {
    std::lock_guard lock{mutex_};
    if (!pub_)
      raise({errc::invalid_argument, "the publisher is closed"});
    return pub_;
  }

  void close() override {
    std::lock_guard lock{mutex_};
    if (!pub_)
      return;
    auto channel = pub_.channel();
    bool shm = pub_.transport() == runtime::transport::shm;
    pub_ = {};
    // As `dxhub write` does: a script's channel goes with it (readers keep
    // their mapping) unless it is kept for a publisher that comes back.
    if (shm && !keep_)
      (void)shm::remove_channel(channel);
  }

private:
  std::mutex mutex_;
  runtime::publisher pub_;
  bool keep_ = false;
};

/// A chunk loaned for one frame. Its arrays are writable until the frame is
/// published; then they are made read-only (the chunk belongs to the readers).
class python_loan {
public:
  python_loan(std::shared_ptr<python_publisher> owner, runtime::loaned_frame f)
    : owner_(std::move(owner)), frame_(std::move(f)) {}

  py::array field(py::object self, const std::string& field_name) {
    check_open();
    auto where = locate_field(owner_->get().schema(), field_name);
    auto a = field_array(where, frame_.payload().data(), self, true);
    arrays_.append(a);
    return a;
  }

  uint64_t publish() {
    check_open();
    auto pub = owner_->get();
    auto report = pub.publish(std::move(frame_));
    done();
    return value_or_raise(std::move(report)).sequence;
  }

  void discard() {
    frame_ = {};
    done();
  }

  void set_meta(const std::string& key, const std::string& value) {
    check_open();
    value_or_raise(frame_.header().meta.set(key, value));
  }

  std::optional<uint32_t> chunk_index() const { return frame_.chunk_index(); }

  double experiment_time() { return frame_ ? frame_.header().experiment_time : 0.0; }
  void set_experiment_time(double t) {
    check_open();
    frame_.header().experiment_time = t;
  }

  bool open() const noexcept { return static_cast<bool>(frame_); }

  /// The loan's bytes, for publish_copy.
  std::span<std::byte> payload() { return frame_.payload(); }
  runtime::loaned_frame& frame() noexcept { return frame_; }

private:
  void check_open() const {
    if (!frame_)
      raise({errc::invalid_argument, "the loan was published or discarded"});
  }

  void done() {
    for (auto a : arrays_)
      py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
    arrays_ = py::list{};
  }

  std::shared_ptr<python_publisher> owner_;
  runtime::loaned_frame frame_;
  py::list arrays_;
};

std::shared_ptr<python_publisher> publish(const std::string& channel, const schema_object& schema,
                                          uint32_t chunks, uint32_t max_subscribers, bool keep) {
  runtime::publisher_options o;
  o.chunk_count = chunks;
  o.max_subscribers = max_subscribers;
  auto& n = embedded_node::get();
  auto p = value_or_raise(runtime::publish(n.node(), channel, schema.schema, o));
  auto out = std::make_shared<python_publisher>(std::move(p), keep);
  n.track(out);
  return out;
}

/// Copies `value` into field `where` of a loan, refusing another dtype or shape.
void copy_field(python_loan& loan, const located_field& where, py::handle value) {
  auto want = numpy_dtype(where.description->type);
  auto a = py::array::ensure(value);
  if (!a)
    raise({errc::invalid_argument, "field '" + where.description->name + "' wants an array of "
                                       + describe(*where.description)});
  bool same_dtype = a.dtype().attr("__eq__")(want).cast<bool>();
  bool same_shape = static_cast<std::size_t>(a.ndim()) == where.description->dims.rank();
  for (py::ssize_t i = 0; same_shape && i < a.ndim(); ++i)
    same_shape = static_cast<uint64_t>(a.shape(i)) == where.description->dims[i];
  if (!same_dtype || !same_shape) {
    std::string got = py::str(a.dtype()).cast<std::string>() + " (";
    for (py::ssize_t i = 0; i < a.ndim(); ++i)
      got += (i ? ", " : "") + std::to_string(a.shape(i));
    got += ")";
    raise({errc::invalid_argument, "field '" + where.description->name + "' is "
                                       + describe(*where.description) + ", got " + got});
  }
  auto c = py::array::ensure(a, py::array::c_style);
  std::memcpy(loan.payload().data() + where.where.offset, c.data(), where.where.bytes);
}

} // namespace

void bind_publishing(py::module_& m) {
  py::class_<schema_object>(m, "Schema", "The description of a frame type: name, version, fields.")
      .def_property_readonly("name", [](const schema_object& s) { return s.schema.name; })
      .def_property_readonly("version", [](const schema_object& s) { return s.schema.version; })
      .def_property_readonly("id", [](const schema_object& s) { return to_string(s.schema.id()); })
      .def_property_readonly("fields",
                             [](const schema_object& s) {
                               py::dict d;
                               for (const auto& f : s.schema.fields) {
                                 py::list dims;
                                 for (auto e : f.dims.extents())
                                   dims.append(e);
                                 d[py::str(f.name)] =
                                     py::make_tuple(std::string{name(f.type)}, py::tuple(dims));
                               }
                               return d;
                             })
      .def_property_readonly(
          "payload_size",
          [](const schema_object& s) { return value_or_raise(s.schema.payload_size()); })
      .def("__repr__", [](const schema_object& s) {
        std::string out = "<dxhub.Schema " + to_string(s.schema.id()) + ":";
        for (const auto& f : s.schema.fields)
          out += " " + f.name + "=" + describe(f);
        return out + ">";
      });

  m.def("schema", &make_schema, py::arg("name") = "python", py::arg("version") = 1,
        "A frame schema from fields given as name=(dtype, shape), e.g. "
        "dxhub.schema(image=(\"u16\", (480, 640)), stamps=(\"f64\", (4,))).");

  m.def(
      "schema_of",
      [](const std::string& channel) {
        return schema_object{value_or_raise(shm::inspect_schema(channel))};
      },
      py::arg("channel"),
      "The schema of an existing channel of this host, read from its shared-memory segment "
      "(its publisher need not be alive); raises errors.UnknownChannel naming it when there is "
      "none.");

  py::class_<python_loan>(m, "Loan",
                          "A chunk loaned to write one frame in place: `loan[name]` is a "
                          "writable numpy array over the chunk. As a context manager it "
                          "publishes on exit (discards when the block raised).")
      .def(
          "__getitem__",
          [](py::object self, const std::string& name) {
            return self.cast<python_loan&>().field(self, name);
          },
          py::arg("field"))
      .def("publish", &python_loan::publish, "Publishes the frame; returns its sequence.")
      .def("discard", &python_loan::discard, "Gives the chunk back unpublished.")
      .def("set_meta", &python_loan::set_meta, py::arg("key"), py::arg("value"))
      .def_property("experiment_time", &python_loan::experiment_time,
                    &python_loan::set_experiment_time)
      .def_property_readonly("chunk_index", &python_loan::chunk_index)
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](python_loan& l, py::object type, py::object, py::object) {
        if (!l.open())
          return false;
        if (type.is_none())
          l.publish();
        else
          l.discard();
        return false;
      });

  py::class_<python_publisher, std::shared_ptr<python_publisher>>(
      m, "Publisher", "The right to publish frames on one channel; see dxhub.publish.")
      .def(
          "loan",
          [](std::shared_ptr<python_publisher> self) {
            auto pub = self->get();
            return python_loan{self, value_or_raise(pub.loan())};
          },
          "Loans a chunk to write a frame in place.")
      .def(
          "publish_copy",
          [](std::shared_ptr<python_publisher> self, py::object data, double experiment_time,
             py::kwargs fields) {
            auto pub = self->get();
            const auto& schema = pub.schema();
            python_loan loan{self, value_or_raise(pub.loan())};
            loan.set_experiment_time(experiment_time);
            auto payload = loan.payload();
            if (!data.is_none()) {
              if (schema.fields.size() == 1 && py::isinstance<py::array>(data)) {
                copy_field(loan, locate_field(schema, schema.fields[0].name), data);
              } else {
                // Arrays are made C-contiguous first; bytes and bytearrays already are.
                py::object source = data;
                if (py::isinstance<py::array>(data))
                  source = py::array::ensure(data, py::array::c_style);
                auto info = py::buffer(source).request();
                auto bytes = static_cast<std::size_t>(info.size * info.itemsize);
                if (bytes != payload.size())
                  raise({errc::invalid_argument, "the payload of schema " + schema.name + " is "
                                                     + std::to_string(payload.size())
                                                     + " bytes, got " + std::to_string(bytes)});
                std::memcpy(payload.data(), info.ptr, bytes);
              }
            } else {
              if (fields.size() != schema.fields.size())
                std::memset(payload.data(), 0, payload.size());
              for (auto [key, value] : fields)
                copy_field(loan, locate_field(schema, key.cast<std::string>()), value);
            }
            return loan.publish();
          },
          py::arg("data") = py::none(), py::arg("experiment_time") = 0.0,
          "Copies `data` (bytes of the whole payload, or the array of a one-field schema) "
          "or the fields given by name into a frame and publishes it; a wrong dtype or "
          "shape raises InvalidArgument. Returns the sequence.")
      .def_property_readonly("channel", [](python_publisher& p) { return p.get().channel(); })
      .def_property_readonly("schema",
                             [](python_publisher& p) { return schema_object{p.get().schema()}; })
      .def_property_readonly("session", [](python_publisher& p) { return p.get().session(); })
      .def("close", &python_publisher::close);

  m.def("_publish", &publish, py::arg("channel"), py::arg("schema"),
        py::arg("chunks") = runtime::publisher_options{}.chunk_count,
        py::arg("max_subscribers") = 64, py::arg("keep") = false);
}

} // namespace dxhub::python
