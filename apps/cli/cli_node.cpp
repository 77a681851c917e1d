#include "cli_node.hpp"

#include "dxhub/apps/registry_host.hpp"
#include "dxhub/runtime/registry_protocol.hpp"
#include "dxhub/schemas/caf_types.hpp"
#include "dxhub/schemas/json.hpp"

#include <caf/all.hpp>

#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <poll.h>
#include <pthread.h>
#include <thread>
#include <unistd.h>

namespace dxhub::cli {

namespace {

/// A socket directory of this command's own ("" when it cannot be made:
/// then the node's default).
std::string own_dir() {
  auto dir = apps::make_run_dir("cli");
  return dir ? dir.value() : std::string{};
}

runtime::node_options options_of(const std::string& registry, const std::string& dir) {
  runtime::node_options opts;
  opts.runtime_dir = dir;
  opts.name = "cli-" + std::to_string(::getpid());
  opts.registry = registry;
  // A command line tool publishes no channels; it only calls and listens.
  opts.shared_memory = false;
  // Nor does it join the deployment: a run's registry takes no strangers.
  opts.announce = false;
  // A deployment with [security]: a key pair on its allow-list and the
  // registry's public key, for CURVE to the registry and the nodes.
  for (auto [var, field] : {std::pair{"DXHUB_CURVE_SECRET", &opts.curve_secret_file},
                            std::pair{"DXHUB_REGISTRY_PUBLIC", &opts.registry_public_file}})
    if (const char* value = std::getenv(var); value != nullptr && *value != '\0')
      *field = value;
  return opts;
}

/// A failure to reach the registry says so, with the endpoint, so that the
/// user knows which setting to check.
error explain(error e, const std::string& registry, const std::string& what) {
  if (e.code == errc::timeout || e.code == errc::peer_down || e.code == errc::no_registry)
    return {errc::no_registry, "the registry at " + registry + " did not answer (" + what
                                   + "): is `dxhub run` or `dxhub registry` running there? ("
                                   + e.context + ")"};
  return e;
}

} // namespace

/// SIGTERM and SIGINT blocked in this thread (and so in the threads started
/// after it) and read from a signalfd by a thread of its own, which removes
/// the command's directory and then lets the signal end the process.
class cli_node::signal_cleanup {
public:
  explicit signal_cleanup(std::string dir) : dir_(std::move(dir)) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    ::pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    signal_fd_ = ::signalfd(-1, &signals_, SFD_CLOEXEC);
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    ready_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (signal_fd_ >= 0 && stop_fd_ >= 0 && ready_fd_ >= 0)
      waiter_ = std::thread{[this] { wait(); }};
  }

  /// The node stands: nothing makes the directory again from now on.
  void ready() noexcept {
    uint64_t one = 1;
    (void)!::write(ready_fd_, &one, sizeof one);
  }

  ~signal_cleanup() {
    if (waiter_.joinable()) {
      uint64_t one = 1;
      (void)!::write(stop_fd_, &one, sizeof one);
      waiter_.join();
    }
    for (int fd : {signal_fd_, stop_fd_, ready_fd_})
      if (fd >= 0)
        ::close(fd);
    ::pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }

  signal_cleanup(const signal_cleanup&) = delete;
  signal_cleanup& operator=(const signal_cleanup&) = delete;

private:
  void wait() {
    pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    for (;;) {
      if (::poll(fds, 2, -1) < 0 && errno != EINTR)
        return;
      if ((fds[1].revents & POLLIN) != 0)
        return;
      signalfd_siginfo info{};
      if ((fds[0].revents & POLLIN) == 0 || ::read(signal_fd_, &info, sizeof info) != sizeof info)
        continue;
      // A node still being made binds its ipc endpoints in the directory and
      // would make it again after its removal: wait until it stands (or its
      // making failed), bounded so that a stuck start cannot keep us alive.
      pollfd made[2] = {{ready_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      while (::poll(made, 2, 5000) < 0 && errno == EINTR) {
      }
      if (!dir_.empty()) {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
      }
      // Dies of the signal, as a shell expects of a command it interrupted.
      auto sig = static_cast<int>(info.ssi_signo);
      ::signal(sig, SIG_DFL);
      sigset_t just;
      sigemptyset(&just);
      sigaddset(&just, sig);
      ::pthread_sigmask(SIG_UNBLOCK, &just, nullptr);
      ::raise(sig);
      std::_Exit(128 + sig);
    }
  }

  std::string dir_;
  sigset_t signals_{};
  sigset_t previous_{};
  int signal_fd_ = -1;
  int stop_fd_ = -1;
  int ready_fd_ = -1;
  std::thread waiter_;
};

cli_node::cli_node(const std::string& registry)
  : registry_(registry), dir_(own_dir()), cleanup_(std::make_unique<signal_cleanup>(dir_)),
    sys_(cfg_), node_(sys_, options_of(registry, dir_)) {
  cleanup_->ready();
}

cli_node::~cli_node() {
  node_.shutdown();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

expected<runtime::service> cli_node::find(caf::scoped_actor& self, const std::string& name,
                                          std::chrono::milliseconds timeout) {
  expected<runtime::service> found = error{errc::unknown_service, name};
  runtime::lookup(self.ptr(), name, timeout)
      .receive(
          [&](const runtime::service& s) { found = s; },
          [&](caf::error& e) { found = explain(from_caf_error(e), registry_, "lookup " + name); });
  return found;
}

expected<std::vector<registry_record>> cli_node::list(const std::string& prefix,
                                                      std::chrono::milliseconds timeout) {
  caf::scoped_actor self{sys_};
  DXHUB_TRY(registry, find(self, runtime::registry_service, timeout));
  expected<std::vector<registry_record>> out = std::vector<registry_record>{};
  runtime::call_json(self.ptr(), registry, "list",
                     json_text{encode_json(runtime::registry_query{prefix})}, timeout)
      .receive(
          [&](const reply& r) {
            auto records = runtime::result_of<runtime::registry_records>(r);
            if (records)
              out = std::move(records.value().records);
            else
              out = records.error();
          },
          [&](caf::error& e) { out = explain(from_caf_error(e), registry_, "list"); });
  return out;
}

} // namespace dxhub::cli
