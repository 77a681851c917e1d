#include "dxhub/runtime/detail/directory.hpp"

#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/runtime/detail/quiet.hpp"
#include "dxhub/runtime/detail/service_table.hpp"
#include "dxhub/runtime/node.hpp"
#include "dxhub/runtime/service.hpp"
#include "dxhub/schemas/caf_types.hpp"

#include <caf/all.hpp>

namespace dxhub::runtime::detail {

namespace {

caf::result<service> local_lookup(node* owner, const std::string& name,
                                  const std::optional<schema_id>& want) {
  auto found = owner->services().find(name);
  if (!found) {
    std::string known;
    for (const auto& r : owner->services().records())
      known += (known.empty() ? "" : ", ") + r.name;
    return make_error(errc::unknown_service, "no service '" + name + "' (known here: "
                                                 + (known.empty() ? "none" : known) + ")");
  }
  if (want)
    if (auto same =
            require_same_schema(found->record.schema, *want, "service '" + name + "'", "caller");
        !same)
      return to_caf_error(same.error());
  return service{name, found->handle, found->record, transport::in_process};
}

} // namespace

caf::behavior directory(caf::stateful_actor<directory_state>* self, node* owner) {
  ignore_unexpected(self);
  return {
      [=](lookup_atom, const std::string& name) { return local_lookup(owner, name, std::nullopt); },
      [=](lookup_atom, const std::string& name, const schema_id& want) {
        return local_lookup(owner, name, want);
      },
      [=](channel_atom, const registry_record&) {},
      [=](unchannel_atom, const std::string&) {},
      [=](serve_atom, const registry_record&) {},
      [=](unserve_atom, const std::string&) {},
  };
}

} // namespace dxhub::runtime::detail
