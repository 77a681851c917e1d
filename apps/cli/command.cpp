#include "command.hpp"

#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace dxhub::cli {

int report(const std::string& command, const error& e) {
  std::cerr << "dxhub " << command << ": " << e.what() << std::endl;
  return exit_code_of(e);
}

void print_json(const nlohmann::json& doc) {
  std::cout << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
}

std::string registry_endpoint(const std::string& option) {
  if (!option.empty())
    return option;
  if (const char* env = std::getenv("DXHUB_REGISTRY"))
    return env;
  return {};
}

progress_line::progress_line(bool force) : enabled_(force || ::isatty(STDERR_FILENO) == 1) {}

void progress_line::update(const std::string& text) {
  if (!enabled_)
    return;
  auto now = std::chrono::steady_clock::now();
  if (shown_ && now - last_ < std::chrono::seconds{1})
    return;
  last_ = now;
  shown_ = true;
  std::cerr << "\r\033[K" << text << std::flush;
}

void progress_line::done() {
  if (shown_)
    std::cerr << "\r\033[K" << std::flush;
  shown_ = false;
}

} // namespace dxhub::cli
