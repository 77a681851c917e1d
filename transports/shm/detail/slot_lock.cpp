#include "dxhub/transports/shm/detail/slot_lock.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>
#include <utility>

namespace dxhub::shm::detail {

namespace {

struct flock range(uint64_t slot, short type) noexcept {
  struct flock fl {};
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = static_cast<off_t>(slot);
  fl.l_len = 1;
  fl.l_pid = 0; // required by F_OFD_*
  return fl;
}

} // namespace

expected<slot_lock> slot_lock::open(const std::string& name, dev_t dev, ino_t ino, bool writable) {
  // shm_open sets FD_CLOEXEC: an exec'd child does not inherit our locks.
  int fd = ::shm_open(name.c_str(), writable ? O_RDWR : O_RDONLY, 0);
  if (fd < 0) {
    auto err = last_system_error("open of segment '" + name + "' for its liveness lock");
    if (errno == ENOENT)
      err.code = errc::segment_not_found;
    return err;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    auto err = last_system_error("fstat of segment '" + name + "'");
    ::close(fd);
    return err;
  }
  if (st.st_dev != dev || st.st_ino != ino) {
    ::close(fd);
    return error{errc::segment_not_found,
                 "segment '" + name + "' was replaced while opening it (try again)"};
  }
  return slot_lock{fd};
}

slot_lock::slot_lock(slot_lock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

slot_lock& slot_lock::operator=(slot_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

slot_lock::~slot_lock() {
  if (fd_ >= 0)
    ::close(fd_); // drops every lock of this description
}

lock_result slot_lock::lock(uint64_t slot, bool exclusive) noexcept {
  if (fd_ < 0)
    return lock_result::failed;
  auto fl = range(slot, exclusive ? F_WRLCK : F_RDLCK);
  if (::fcntl(fd_, F_OFD_SETLK, &fl) == 0)
    return lock_result::acquired;
  if (errno != EAGAIN && errno != EACCES)
    return lock_result::failed;
  auto probe = range(slot, F_WRLCK);
  if (::fcntl(fd_, F_OFD_GETLK, &probe) != 0)
    return lock_result::failed;
  if (probe.l_type == F_RDLCK)
    return lock_result::read_held;
  // F_UNLCK here: released in between; report it held, the caller tries again later.
  return lock_result::held;
}

void slot_lock::unlock(uint64_t slot) noexcept {
  if (fd_ < 0)
    return;
  auto fl = range(slot, F_UNLCK);
  ::fcntl(fd_, F_OFD_SETLK, &fl);
}

liveness slot_lock::probe(uint64_t slot) const noexcept {
  if (fd_ < 0)
    return liveness::unknown;
  auto fl = range(slot, F_WRLCK);
  if (::fcntl(fd_, F_OFD_GETLK, &fl) != 0)
    return liveness::unknown;
  return fl.l_type == F_WRLCK ? liveness::alive : liveness::dead;
}

uint64_t slot_lock::file_size() const noexcept {
  struct stat st {};
  if (fd_ < 0 || fstat(fd_, &st) != 0)
    return ~uint64_t{0}; // unknown: nobody acts on it
  return static_cast<uint64_t>(st.st_size);
}

} // namespace dxhub::shm::detail
