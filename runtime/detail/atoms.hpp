#pragma once

// The atoms of the runtime's own actors (CAF 0.17: at most 10 characters).

#include <caf/atom.hpp>

namespace dxhub::runtime::detail {

using publish_atom = caf::atom_constant<caf::atom("dx_publish")>;
using join_atom = caf::atom_constant<caf::atom("dx_join")>;
using leave_atom = caf::atom_constant<caf::atom("dx_leave")>;
using serve_atom = caf::atom_constant<caf::atom("dx_serve")>;
using unserve_atom = caf::atom_constant<caf::atom("dx_unserve")>;
using lookup_atom = caf::atom_constant<caf::atom("dx_lookup")>;
using call_atom = caf::atom_constant<caf::atom("dx_call")>;
using channel_atom = caf::atom_constant<caf::atom("dx_channel")>;
using unchannel_atom = caf::atom_constant<caf::atom("dx_unchan")>;
using list_atom = caf::atom_constant<caf::atom("dx_list")>;
using tick_atom = caf::atom_constant<caf::atom("dx_tick")>;
using retry_atom = caf::atom_constant<caf::atom("dx_retry")>;
using remote_atom = caf::atom_constant<caf::atom("dx_remote")>;
using stop_atom = caf::atom_constant<caf::atom("dx_stop")>;
using flush_atom = caf::atom_constant<caf::atom("dx_flush")>;
using refused_atom = caf::atom_constant<caf::atom("dx_refused")>;
using registered_atom = caf::atom_constant<caf::atom("dx_regd")>;

} // namespace dxhub::runtime::detail
