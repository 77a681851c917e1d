#include "dxhub/actors/audit_logger.hpp"

#include "dxhub/actors/detail/stock_actor.hpp"
#include "dxhub/schemas/clock.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <optional>

namespace dxhub::actors {

namespace {

struct logger_state {
  audit_logger_config cfg;
  std::optional<audit_file> file;
  detail::failure_count failures;
  static inline const char* name = "audit_logger";
};

using logger_actor = caf::stateful_actor<logger_state>;

nlohmann::json state_json(const logger_state& st) {
  return {{"path", st.cfg.file.path},
          {"lines", st.file ? st.file->lines() : 0},
          {"rotations", st.file ? st.file->rotations() : 0},
          {"rotate_bytes", st.cfg.file.rotate_bytes},
          {"keep_files", st.cfg.file.keep_files},
          {"failures", st.failures.count},
          {"last_failure", st.failures.last}};
}

void log_record(logger_actor* self, const audit_record& rec) {
  auto& st = self->state;
  // A full disk must not take the logger down: count, keep the reason, go on.
  if (auto done = st.file->append(rec); !done)
    st.failures.note(done.error());
}

/// The trail's first line says where the logger writes.
void log_started(logger_actor* self) {
  auto& st = self->state;
  audit_record started;
  started.wall_ns = wall_ns();
  started.kind = "event";
  started.caller = runtime::source_name(self);
  started.target = st.cfg.service + "/state";
  started.action = "logger_started";
  started.args = json_text{nlohmann::json{{"path", st.cfg.file.path}}.dump()};
  log_record(self, started);
}

expected<void> open_logger(logger_actor* self) {
  auto& st = self->state;
  DXHUB_TRY(file, audit_file::open(st.cfg.file));
  st.file.emplace(std::move(file));
  DXHUB_TRYV(runtime::subscribe_events(self, st.cfg.prefix));
  log_started(self);
  return ok();
}

caf::behavior logger_behavior(logger_actor* self, audit_logger_config cfg) {
  return detail::start_stock_actor(
      self, std::move(cfg), state_json,
      [self](runtime::command_table&) { return open_logger(self); },
      [self](const event& e) { log_record(self, audit_record_of(e)); });
}

} // namespace

expected<audit_logger_config> audit_logger_config_from(const runtime::actor_args& args) {
  audit_logger_config c;
  c.name = args.name;
  c.service = args.param("service", args.name);
  c.prefix = args.param("prefix", c.prefix);
  c.file.path = args.param("path", c.file.path);
  c.file.rotate_bytes = args.param("rotate_bytes", c.file.rotate_bytes);
  c.file.keep_files = args.param("keep_files", c.file.keep_files);
  c.file.sync = args.param("sync", c.file.sync);
  if (c.file.path.empty())
    return error{errc::invalid_argument, "audit_logger '" + c.name + "': empty path"};
  if (c.file.keep_files == 0 || c.file.rotate_bytes == 0)
    return error{errc::invalid_argument,
                 "audit_logger '" + c.name + "': keep_files and rotate_bytes must be positive"};
  return c;
}

caf::actor spawn_audit_logger(caf::actor_system& sys, audit_logger_config config) {
  return sys.spawn(logger_behavior, std::move(config));
}

} // namespace dxhub::actors
