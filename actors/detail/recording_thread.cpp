#include "dxhub/actors/detail/recording_thread.hpp"

#include "dxhub/actors/detail/hdf5.hpp"
#include "dxhub/schemas/clock.hpp"

namespace dxhub::actors::detail {

namespace {

/// Commits at least this often while frames arrive (and whenever the queue
/// runs empty): what a kill -9 can lose at most.
constexpr auto commit_period = std::chrono::milliseconds{100};

/// Spare buffers kept for reuse.
constexpr std::size_t max_spares = 8;

} // namespace

expected<std::unique_ptr<recording_thread>> recording_thread::start(recording_options options,
                                                                    uint64_t backlog_limit) {
  std::unique_ptr<recording_thread> t{new recording_thread};
  DXHUB_TRY(writer, recording_writer::create(std::move(options)));
  t->run_ = writer.run();
  t->writer_.emplace(std::move(writer));
  t->limit_ = backlog_limit;
  t->thread_ = std::thread{[p = t.get()] { p->loop(); }};
  return t;
}

recording_thread::~recording_thread() {
  (void)stop("stopped");
}

std::vector<std::byte> recording_thread::buffer(std::size_t bytes) {
  std::vector<std::byte> out;
  {
    std::lock_guard guard{mutex_};
    if (!spare_.empty()) {
      out = std::move(spare_.back());
      spare_.pop_back();
    }
  }
  out.resize(bytes);
  return out;
}

bool recording_thread::push(queued_frame frame, std::chrono::milliseconds wait) {
  std::unique_lock lock{mutex_};
  auto bytes = frame.payload.size();
  auto fits = [&] {
    return stopping_ || stats_.backlog_frames == 0 || stats_.backlog_bytes + bytes <= limit_;
  };
  if (!fits() && wait.count() > 0)
    room_.wait_for(lock, wait, fits);
  if (stopping_ || !fits()) {
    ++stats_.dropped;
    return false;
  }
  stats_.backlog_frames++;
  stats_.backlog_bytes += bytes;
  stats_.max_backlog_bytes = std::max(stats_.max_backlog_bytes, stats_.backlog_bytes);
  frames_.push_back(std::move(frame));
  lock.unlock();
  wake_.notify_one();
  return true;
}

void recording_thread::push(audit_record record) {
  {
    std::lock_guard guard{mutex_};
    if (stopping_)
      return;
    records_.push_back(std::move(record));
  }
  wake_.notify_one();
}

recording_stats recording_thread::stats() const {
  std::lock_guard guard{mutex_};
  return stats_;
}

expected<void> recording_thread::stop(const std::string& reason) {
  {
    std::lock_guard guard{mutex_};
    if (!stopping_) {
      stopping_ = true;
      stop_reason_ = reason;
    }
  }
  wake_.notify_one();
  room_.notify_all();
  if (thread_.joinable())
    thread_.join();
  std::lock_guard guard{mutex_};
  if (close_error_)
    return *close_error_;
  return ok();
}

void recording_thread::loop() {
  h5_quiet();
  auto& w = *writer_;
  auto last_commit = std::chrono::steady_clock::now();
  bool dirty = false;
  std::deque<queued_frame> frames;
  std::deque<audit_record> records;
  auto note = [this](const error& e) {
    std::lock_guard guard{mutex_};
    ++stats_.failures;
    stats_.last_failure = e.what();
  };
  while (true) {
    bool stop = false;
    {
      std::unique_lock lock{mutex_};
      wake_.wait_for(lock, commit_period,
                     [&] { return stopping_ || !frames_.empty() || !records_.empty(); });
      frames.swap(frames_);
      records.swap(records_);
      stop = stopping_;
    }
    for (auto& r : records) {
      if (auto done = w.write(r); !done)
        note(done.error());
      dirty = true;
    }
    uint64_t written_frames = 0, written_bytes = 0, taken_bytes = 0;
    std::vector<std::vector<std::byte>> used;
    for (auto& f : frames) {
      taken_bytes += f.payload.size();
      if (auto done = w.write(f.channel, *f.schema, f.header, f.payload, f.recorded_ns); done) {
        ++written_frames;
        written_bytes += f.payload.size();
      } else {
        note(done.error());
      }
      used.push_back(std::move(f.payload));
      dirty = true;
    }
    auto now = std::chrono::steady_clock::now();
    bool idle = frames.empty() && records.empty();
    if ((dirty && (idle || now - last_commit >= commit_period)) || (!w.live() && idle)) {
      if (auto done = w.commit(); !done)
        note(done.error());
      last_commit = now;
      dirty = false;
    }
    {
      std::lock_guard guard{mutex_};
      stats_.frames += written_frames;
      stats_.bytes += written_bytes;
      stats_.records += records.size();
      stats_.backlog_frames -= frames.size();
      stats_.backlog_bytes -= taken_bytes;
      stats_.live = w.live();
      stats_.channels = w.channels();
      for (auto& b : used)
        if (spare_.size() < max_spares)
          spare_.push_back(std::move(b));
    }
    room_.notify_all();
    frames.clear();
    records.clear();
    if (stop) {
      std::unique_lock lock{mutex_};
      if (!frames_.empty() || !records_.empty())
        continue; // queued before the stop: written first
      auto reason = stop_reason_;
      lock.unlock();
      auto closed = w.close(reason);
      lock.lock();
      if (!closed)
        close_error_ = closed.error();
      stats_.closed = true;
      stats_.channels = w.channels();
      return;
    }
  }
}

} // namespace dxhub::actors::detail
