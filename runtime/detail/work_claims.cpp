#include "dxhub/runtime/detail/work_claims.hpp"

#include "dxhub/transports/shm/process_identity.hpp"
#include "dxhub/transports/shm/segment_name.hpp"

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace dxhub::runtime::detail {

namespace {

constexpr uint32_t max_members = 64;
// More slots than frames a member can lag behind (a reliable queue holds at
// most the channel's pool), so a slot is never reused while it matters.
constexpr uint32_t slot_count = 4096;

uint64_t mix(uint64_t x) noexcept { // splitmix64
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

/// The mark of one frame in its slot; never 0 (an empty slot).
uint64_t tag(uint64_t session, uint64_t sequence) noexcept {
  return mix(session ^ mix(sequence)) | 1u;
}

std::string table_name(const std::string& channel, const std::string& group) {
  auto g = group;
  std::replace(g.begin(), g.end(), '/', '.');
  // '@' is not allowed in channel names: the table is never listed as a channel.
  return shm::segment_name(channel) + "@work." + g;
}

error system_failure(const std::string& what, const std::string& name) {
  return error{errc::system_error, what + " " + name + ": " + std::strerror(errno)};
}

/// Holds an exclusive lock on the table file while members join or leave.
struct file_lock {
  int fd;
  explicit file_lock(int f) : fd(f) { ::flock(fd, LOCK_EX); }
  ~file_lock() { ::flock(fd, LOCK_UN); }
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
};

} // namespace

struct work_claims::table {
  std::atomic<uint64_t> members[max_members];
  std::atomic<uint64_t> slots[slot_count];
};

expected<work_claims> work_claims::join(const std::string& channel, const std::string& group,
                                        mode_t mode) {
  auto name = table_name(channel, group);
  auto path = "/" + name;
  for (;;) {
    int fd = ::shm_open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, mode);
    if (fd < 0)
      return system_failure("shm_open", name);
    file_lock lock{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0 || st.st_nlink == 0) { // removed by a leaving member: anew
      ::close(fd);
      continue;
    }
    if (st.st_uid != ::geteuid()) {
      ::close(fd);
      return error{errc::permission_denied, name + " belongs to another user"};
    }
    if (static_cast<std::size_t>(st.st_size) < sizeof(table)
        && ::ftruncate(fd, sizeof(table)) != 0) {
      auto e = system_failure("ftruncate", name);
      ::close(fd);
      return e;
    }
    void* at = ::mmap(nullptr, sizeof(table), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (at == MAP_FAILED) {
      auto e = system_failure("mmap", name);
      ::close(fd);
      return e;
    }
    auto* t = static_cast<table*>(at);
    auto me = shm::process_identity::current().pack();
    for (uint32_t i = 0; i < max_members; ++i) {
      auto held = t->members[i].load();
      if (held == 0 || !shm::is_alive_packed(held)) {
        t->members[i].store(me);
        return work_claims{std::move(name), fd, t, i};
      }
    }
    ::munmap(at, sizeof(table));
    ::close(fd);
    return error{errc::subscribers_full, "work group '" + group + "' of '" + channel + "' has "
                                             + std::to_string(max_members) + " members already"};
  }
}

work_claims::work_claims(std::string name, int fd, table* t, uint32_t member)
  : name_(std::move(name)), fd_(fd), table_(t), member_(member) {}

work_claims::work_claims(work_claims&& other) noexcept
  : name_(std::move(other.name_)), fd_(std::exchange(other.fd_, -1)),
    table_(std::exchange(other.table_, nullptr)), member_(other.member_) {}

work_claims::~work_claims() {
  leave();
}

void work_claims::leave() noexcept {
  if (table_ == nullptr)
    return;
  {
    file_lock lock{fd_};
    table_->members[member_].store(0);
    bool alone = std::none_of(std::begin(table_->members), std::end(table_->members),
                              [](const auto& m) { return shm::is_alive_packed(m.load()); });
    if (alone)
      ::shm_unlink(("/" + name_).c_str());
  }
  ::munmap(table_, sizeof(table));
  ::close(fd_);
  table_ = nullptr;
}

bool work_claims::claim(uint64_t session, uint64_t sequence) noexcept {
  auto& slot = table_->slots[sequence % slot_count];
  auto mark = tag(session, sequence);
  auto seen = slot.load(std::memory_order_acquire);
  while (seen != mark)
    if (slot.compare_exchange_weak(seen, mark, std::memory_order_acq_rel))
      return true;
  return false;
}

bool work_claims::taken(uint64_t session, uint64_t sequence) const noexcept {
  return table_->slots[sequence % slot_count].load(std::memory_order_acquire)
         == tag(session, sequence);
}

} // namespace dxhub::runtime::detail
