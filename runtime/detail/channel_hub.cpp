#include "dxhub/runtime/detail/channel_hub.hpp"

#include <caf/send.hpp>

#include <algorithm>
#include <limits>

namespace dxhub::runtime::detail {

expected<void> local_channel::attach_publisher(std::shared_ptr<const frame_schema> schema,
                                               uint64_t session) {
  member_list refused;
  std::shared_ptr<const member_list> members;
  {
    std::lock_guard lock{mutex_};
    if (publisher_here_)
      return error{errc::already_exists,
                   "channel '" + name_ + "' already has a publisher in this process"};
    publisher_here_ = true;
    schema_ = std::move(schema);
    session_ = session;
    auto kept = std::make_shared<member_list>();
    auto id = schema_->id();
    for (const auto& m : *members_) {
      if (m.options.expect && !(*m.options.expect == id))
        refused.push_back(m);
      else
        kept->push_back(m);
    }
    members_ = kept;
    members = members_;
  }
  for (const auto& m : refused) {
    auto why = require_same_schema(schema_->id(), *m.options.expect, "channel '" + name_ + "'",
                                   "subscriber");
    caf::anon_send(m.out->target(),
                   channel_status{name_, channel_status::state::refused, transport::in_process, 0,
                                  errc::schema_mismatch, why.error().context});
    m.out->close();
  }
  notify(*members, channel_status::state::attached, session);
  return ok();
}

void local_channel::detach_publisher() {
  std::shared_ptr<const member_list> members;
  {
    std::lock_guard lock{mutex_};
    publisher_here_ = false;
    members = members_;
  }
  notify(*members, channel_status::state::publisher_gone, 0);
}

bool local_channel::has_local_publisher() const {
  std::lock_guard lock{mutex_};
  return publisher_here_;
}

std::shared_ptr<const frame_schema> local_channel::schema() const {
  std::lock_guard lock{mutex_};
  return schema_;
}

void local_channel::notify(const member_list& members, channel_status::state what,
                           uint64_t session) const {
  for (const auto& m : members)
    caf::anon_send(m.out->target(),
                   channel_status{name_, what, transport::in_process, session, errc::none, ""});
}

expected<std::shared_ptr<delivery>> local_channel::add(caf::actor target,
                                                       const subscription_options& options) {
  std::lock_guard lock{mutex_};
  if (publisher_here_ && options.expect)
    DXHUB_TRYV(require_same_schema(schema_->id(), *options.expect, "channel '" + name_ + "'",
                                   "subscriber"));
  auto out = std::make_shared<delivery>(std::move(target), options);
  auto next = std::make_shared<member_list>(*members_);
  next->push_back({out, options});
  members_ = next;
  if (publisher_here_)
    caf::anon_send(out->target(), channel_status{name_, channel_status::state::attached,
                                                 transport::in_process, session_, errc::none, ""});
  return out;
}

void local_channel::remove(const delivery* d) {
  std::lock_guard lock{mutex_};
  auto next = std::make_shared<member_list>(*members_);
  std::erase_if(*next, [d](const member& m) { return m.out.get() == d; });
  members_ = next;
}

bool local_channel::has_subscribers() const {
  std::lock_guard lock{mutex_};
  return !members_->empty();
}

publish_report local_channel::distribute(const std::shared_ptr<const frame_storage>& f) {
  std::shared_ptr<const member_list> members;
  {
    std::lock_guard lock{mutex_};
    members = members_;
  }
  publish_report report;
  report.sequence = f->header().sequence;
  auto offer = [&](const member& m) {
    auto result = m.out->offer(f, m.options.reliable_timeout);
    if (result == delivery::outcome::slow)
      report.slow.push_back("actor " + std::to_string(m.out->target().id()) + " on '" + name_
                            + "'");
    else
      ++report.local_subscribers;
  };
  // `work` members: one frame to the least loaded member of each group.
  std::map<std::string_view, const member*> chosen;
  for (const auto& m : *members) {
    if (m.options.policy != policy::work) {
      offer(m);
      continue;
    }
    auto& best = chosen[m.options.group];
    if (best == nullptr || m.out->load() < best->out->load())
      best = &m;
  }
  for (const auto& [group, m] : chosen)
    offer(*m);
  return report;
}

std::shared_ptr<local_channel> channel_hub::get(const std::string& name) {
  std::lock_guard lock{mutex_};
  auto& ch = channels_[name];
  if (!ch)
    ch = std::make_shared<local_channel>(name);
  return ch;
}

std::shared_ptr<local_channel> channel_hub::find(const std::string& name) const {
  std::lock_guard lock{mutex_};
  auto it = channels_.find(name);
  return it == channels_.end() ? nullptr : it->second;
}

std::vector<std::string> channel_hub::names() const {
  std::lock_guard lock{mutex_};
  std::vector<std::string> result;
  for (const auto& [name, ch] : channels_)
    result.push_back(name);
  return result;
}

void subscription_state::cancel() {
  if (cancelled.exchange(true))
    return;
  if (out)
    out->close();
  if (auto ch = local.lock())
    ch->remove(out.get());
  if (on_cancel)
    on_cancel();
}

} // namespace dxhub::runtime::detail
