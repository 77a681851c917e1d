#include "dxhub/runtime/detail/shm_channel.hpp"

#include "dxhub/runtime/channel_status.hpp"
#include "dxhub/runtime/detail/atoms.hpp"
#include "dxhub/transports/shm/inspect.hpp"
#include "dxhub/transports/shm/publisher.hpp"
#include "dxhub/transports/shm/segment_name.hpp"
#include "dxhub/transports/shm/subscriber.hpp"

#include <caf/send.hpp>

#include <algorithm>
#include <condition_variable>

namespace dxhub::runtime::detail {

namespace {

using namespace std::chrono_literals;

/// A chunk of the segment being written by this process's publisher.
class shm_loan final : public writable_frame {
public:
  shm_loan(const channel_writer* writer, shm::loan l, const frame_schema* schema)
    : writable_frame(writer), loan_(std::move(l)), schema_(schema) {}
  frame_header& header() noexcept override { return loan_.header(); }
  std::span<std::byte> payload() noexcept override { return loan_.payload().first(loan_.size()); }
  const frame_schema& schema() const noexcept override { return *schema_; }
  std::optional<uint32_t> chunk_index() const noexcept override { return loan_.chunk_index(); }
  shm::loan& raw() noexcept { return loan_; }

private:
  shm::loan loan_;
  const frame_schema* schema_;
};

class shm_writer final : public channel_writer {
public:
  shm_writer(publisher_links links, shm::publisher pub, uint64_t session)
    : links_(std::move(links)), pub_(std::move(pub)), session_(session) {}

  ~shm_writer() override { links_.closed(pub_.channel()); }

  const std::string& channel() const noexcept override { return pub_.channel(); }
  const frame_schema& schema() const noexcept override { return pub_.schema(); }
  uint64_t session() const noexcept override { return pub_.session_id(); }
  runtime::transport transport() const noexcept override { return transport::shm; }

  expected<std::shared_ptr<writable_frame>> loan() override {
    std::lock_guard lock{mutex_};
    DXHUB_TRY(chunk, pub_.loan_chunk());
    return std::make_shared<shm_loan>(this, std::move(chunk), &pub_.schema());
  }

  expected<publish_report> publish(std::shared_ptr<writable_frame> f) override {
    if (!f || !f->loaned_by(this))
      return error{errc::invalid_argument, "frame was not loaned from '" + channel() + "'"};
    auto* chunk = static_cast<shm_loan*>(f.get());
    std::lock_guard lock{mutex_};
    // The chunk stays readable here after publishing: only this publisher
    // could reuse it, and it holds the lock.
    const auto& header = chunk->header();
    auto bytes = chunk->payload();
    DXHUB_TRY(outcome, pub_.publish_and_report(std::move(chunk->raw())));
    links_.send_to_other_hosts(pub_.channel(), pub_.schema(), header, bytes);
    publish_report report;
    report.sequence = outcome.sequence;
    report.slow = std::move(outcome.slow);
    return report;
  }

private:
  publisher_links links_;
  std::mutex mutex_; // an actor may publish from any worker thread, one at a time
  shm::publisher pub_;
  uint64_t session_;
};

/// A frame pinned in the segment; the chunk goes back when the last copy of
/// the runtime handle is gone.
class shm_frame final : public frame_storage {
public:
  shm_frame(shm::frame f, std::shared_ptr<const frame_schema> schema,
            std::shared_ptr<const std::string> channel, std::shared_ptr<const std::string> segment)
    : frame_(std::move(f)), schema_(std::move(schema)), channel_(std::move(channel)),
      segment_(std::move(segment)) {}

  const frame_header& header() const noexcept override { return frame_.header(); }
  std::span<const std::byte> payload() const noexcept override { return frame_.payload(); }
  const frame_schema& schema() const noexcept override { return *schema_; }
  const std::string& channel() const noexcept override { return *channel_; }
  runtime::transport transport() const noexcept override { return transport::shm; }
  std::string_view segment() const noexcept override { return *segment_; }
  std::optional<uint32_t> chunk_index() const noexcept override { return frame_.chunk_index(); }

private:
  shm::frame frame_;
  std::shared_ptr<const frame_schema> schema_;
  std::shared_ptr<const std::string> channel_;
  std::shared_ptr<const std::string> segment_;
};

shm::policy shm_policy(const subscription_options& o) {
  // A polled `latest` queue of one takes the newest frame since its last
  // take: the same with no queue at all, which costs the publisher nothing.
  if (o.policy == policy::latest && o.queue_depth == 1 && o.poll_period.count() > 0)
    return shm::policy::newest;
  // A work member sees every frame (the group's claims pick who handles it).
  return o.policy == policy::latest ? shm::policy::latest : shm::policy::reliable;
}

} // namespace

expected<std::shared_ptr<channel_writer>>
open_shm_writer(publisher_links links, const std::string& channel, const frame_schema& schema,
                const publisher_options& options, uint64_t session) {
  shm::channel_options opts;
  DXHUB_TRY(bytes, schema.payload_size());
  opts.chunk_size = bytes;
  opts.chunk_count = options.chunk_count;
  opts.max_subscribers = options.max_subscribers;
  opts.mode = static_cast<mode_t>(options.mode);
  DXHUB_TRY(pub, shm::publisher::open(channel, schema, opts));
  return std::make_shared<shm_writer>(std::move(links), std::move(pub), session);
}

// -- shm_reader ---------------------------------------------------------------------

struct shm_reader::impl {
  caf::actor target;
  std::shared_ptr<const std::string> channel;
  std::shared_ptr<const std::string> segment;
  subscription_options options;
  node_timing timing;
  std::shared_ptr<delivery> out;
  std::shared_ptr<subscription_state> state;
  std::shared_ptr<const frame_schema> schema;
  std::optional<shm::subscriber> sub;
  std::unique_ptr<work_claims> claims;
  uint64_t announced_session = 0;
  // Guards `sub` against `stop` interrupting it while the thread drops it.
  std::mutex mutex;
  std::condition_variable wake;

  void tell(channel_status::state what, uint64_t session, errc code = errc::none,
            std::string detail = {}) const {
    caf::anon_send(
        target, channel_status{*channel, what, transport::shm, session, code, std::move(detail)});
  }
};

shm_reader::shm_reader(caf::actor target, std::string channel, subscription_options options,
                       node_timing timing, std::shared_ptr<delivery> out,
                       std::shared_ptr<subscription_state> state,
                       std::unique_ptr<work_claims> claims)
  : impl_(std::make_unique<impl>()) {
  impl_->claims = std::move(claims);
  impl_->target = std::move(target);
  impl_->segment = std::make_shared<const std::string>(shm::segment_name(channel));
  impl_->channel = std::make_shared<const std::string>(std::move(channel));
  impl_->options = std::move(options);
  impl_->timing = timing;
  impl_->out = std::move(out);
  impl_->state = std::move(state);
  thread_ = std::thread{[this] { run(); }};
}

shm_reader::~shm_reader() {
  stop();
  join();
}

void shm_reader::stop() {
  stop_ = true;
  std::lock_guard lock{impl_->mutex};
  if (impl_->sub)
    impl_->sub->interrupt();
  impl_->wake.notify_all();
}

void shm_reader::join() {
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
    thread_.join();
}

void shm_reader::run() {
  auto& st = *impl_;
  auto pause = [&](std::chrono::milliseconds d) {
    std::unique_lock lock{st.mutex};
    st.wake.wait_for(lock, d, [&] { return stop_.load(); });
  };
  auto attach = [&]() -> bool { // false: give up for good
    auto info = shm::inspect(*st.channel);
    if (!info)
      return true; // no segment yet: the publisher may come later
    if (st.options.expect && !(info.value().schema == *st.options.expect)) {
      auto why = require_same_schema(info.value().schema, *st.options.expect,
                                     "channel '" + *st.channel + "'", "subscriber");
      st.tell(channel_status::state::refused, 0, errc::schema_mismatch, why.error().context);
      return false;
    }
    shm::subscriber_options opts;
    opts.mode = shm_policy(st.options);
    opts.queue_depth = st.options.queue_depth;
    opts.reliable_timeout = st.options.reliable_timeout;
    opts.busy_poll = st.options.busy_poll;
    opts.poll_period = st.options.poll_period;
    auto sub = shm::subscriber::attach(*st.channel, info.value().schema, opts);
    if (!sub) {
      auto code = sub.error().code;
      if (code == errc::subscribers_full || code == errc::invalid_argument
          || code == errc::permission_denied) {
        st.tell(channel_status::state::refused, 0, code, sub.error().context);
        return false;
      }
      return true; // a segment being recycled or recreated: try again
    }
    std::lock_guard lock{st.mutex};
    st.schema = std::make_shared<const frame_schema>(sub.value().schema());
    st.sub.emplace(std::move(sub).value());
    st.state->via = transport::shm;
    if (info.value().publisher_alive) {
      st.announced_session = info.value().session;
      st.tell(channel_status::state::attached, info.value().session);
    }
    return true;
  };
  // A channel nobody publishes yet is looked for quickly at first, then
  // rarely: idle nodes with many such subscriptions must cost nothing.
  const auto& timing = st.timing;
  auto absent_pause = timing.absent_channel_poll;
  while (!stop_) {
    if (!st.sub) {
      if (!attach())
        break;
      if (!st.sub) {
        pause(absent_pause);
        absent_pause = std::min(absent_pause * 2, timing.absent_channel_poll_max);
      } else {
        absent_pause = timing.absent_channel_poll;
      }
      continue;
    }
    if (!st.claims && !st.out->wait_for_window(timing.reader_wait))
      continue;
    auto f = st.sub->take(timing.reader_wait);
    if (f) {
      auto session = f.value().header().session;
      if (session != st.announced_session) {
        st.announced_session = session;
        st.tell(channel_status::state::attached, session);
      }
      if (st.claims && !claim_when_room(session, f.value().header().sequence))
        continue; // another member handles it: the chunk goes back now
      st.out->offer(
          std::make_shared<shm_frame>(std::move(f).value(), st.schema, st.channel, st.segment),
          no_wait);
    } else if (f.error().code == errc::publisher_gone) {
      st.announced_session = 0;
      st.tell(channel_status::state::publisher_gone, 0, errc::publisher_gone, f.error().context);
    } else if (f.error().code == errc::peer_down) {
      // Our row was found dead and taken (shm liveness, issue 18): attach anew.
      std::lock_guard lock{st.mutex};
      st.sub.reset();
    } else if (f.error().code != errc::timeout && f.error().code != errc::would_block) {
      pause(timing.reader_error_pause);
    }
  }
  {
    std::lock_guard lock{st.mutex};
    st.sub.reset();
  }
  finished_ = true;
}

bool shm_reader::claim_when_room(uint64_t session, uint64_t sequence) {
  auto& st = *impl_;
  while (!stop_) {
    if (st.claims->taken(session, sequence))
      return false;
    if (st.out->wait_for_window(st.timing.work_claim_poll))
      return st.claims->claim(session, sequence);
  }
  return false;
}

// -- shm_readers --------------------------------------------------------------------

void shm_readers::add(std::shared_ptr<shm_reader> r) {
  std::vector<std::shared_ptr<shm_reader>> done;
  {
    std::lock_guard lock{mutex_};
    std::erase_if(readers_, [&](const auto& x) {
      if (!x->finished())
        return false;
      done.push_back(x);
      return true;
    });
    readers_.push_back(std::move(r));
  }
  for (auto& d : done)
    d->join();
}

void shm_readers::stop_all() {
  std::vector<std::shared_ptr<shm_reader>> all;
  {
    std::lock_guard lock{mutex_};
    all.swap(readers_);
  }
  for (auto& r : all)
    r->stop();
  for (auto& r : all)
    r->join();
}

} // namespace dxhub::runtime::detail
