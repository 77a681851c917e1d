// The smallest real dxhub program: two CAF actors exchange schema-typed
// commands and replies; every message is printed as the JSON of the wire.
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <iostream>

namespace {

struct config : caf::actor_system_config {
  config() {
    dxhub::add_schema_types(*this);
    set("scheduler.policy", caf::atom("sharing"));
  }
};

caf::behavior camera(caf::event_based_actor* self) {
  auto exposure_ms = std::make_shared<double>(10.0);
  return {
      [=](const dxhub::command& cmd) -> dxhub::reply {
        dxhub::reply r{cmd.id, dxhub::errc::none, "", {}, 0, {}};
        if (cmd.name == "set_exposure") {
          auto args = dxhub::parse_json(cmd.args.text);
          if (args && args.value().contains("ms") && args.value()["ms"].is_number())
            *exposure_ms = args.value()["ms"].get<double>();
          else
            r.code = dxhub::errc::invalid_argument, r.error_context = "set_exposure needs ms";
        } else if (cmd.name != "get_state") {
          r.code = dxhub::errc::unknown_command;
          r.error_context = cmd.name;
        }
        r.result.text = R"({"exposure_ms":)" + std::to_string(*exposure_ms) + "}";
        aout(self) << "camera  <- " << dxhub::encode_json(cmd) << std::endl;
        return r;
      },
  };
}

} // namespace

void caf_main(caf::actor_system& sys, const config&) {
  auto cam = sys.spawn(camera);
  caf::scoped_actor self{sys};
  uint64_t id = 0;
  for (auto [name, args] :
       {std::pair{"get_state", "{}"}, std::pair{"set_exposure", R"({"ms":25})"},
        std::pair{"set_exposure", R"({"gain":2})"}, std::pair{"explode", "{}"}}) {
    dxhub::command cmd{++id, "example/controller", "lab/cam0", name, {args}, {},
                       1000, dxhub::wall_ns(),     {}};
    self->request(cam, std::chrono::seconds(1), cmd)
        .receive(
            [&](const dxhub::reply& r) {
              std::cout << "caller  -> " << dxhub::encode_json(r) << std::endl;
            },
            [&](caf::error& e) { std::cout << "caller  -> " << sys.render(e) << std::endl; });
  }
  self->send_exit(cam, caf::exit_reason::user_shutdown);
}

CAF_MAIN()
