#pragma once

// The pieces every `dxhub` subcommand shares: how it is added to the command
// line, how it reports an error (stderr, one line, and an exit code), and a
// progress line for long runs.

#include "dxhub/schemas/error.hpp"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "exit_codes.hpp"

#include <chrono>
#include <cstdint>
#include <string>

namespace dxhub::cli {

/// Adds one subcommand to `app`; its callback stores its exit code in `rc`.
using command_adder = void (*)(CLI::App& app, int& rc);

void add_run(CLI::App& app, int& rc);
void add_registry(CLI::App& app, int& rc);
void add_ls(CLI::App& app, int& rc);
void add_inspect(CLI::App& app, int& rc);
void add_send(CLI::App& app, int& rc);
void add_tail(CLI::App& app, int& rc);
void add_write(CLI::App& app, int& rc);
void add_read(CLI::App& app, int& rc);
void add_relay(CLI::App& app, int& rc);
void add_keygen(CLI::App& app, int& rc);
void add_bench(CLI::App& app, int& rc);
void add_record(CLI::App& app, int& rc);
void add_verify(CLI::App& app, int& rc);
void add_replay(CLI::App& app, int& rc);
void add_dashboard(CLI::App& app, int& rc);

/// Prints "dxhub COMMAND: what" on stderr and returns the error's exit code.
int report(const std::string& command, const error& e);

/// Prints `doc` on stdout, one line.
void print_json(const nlohmann::json& doc);

/// The registry endpoint: `option` if given, else $DXHUB_REGISTRY, else empty.
std::string registry_endpoint(const std::string& option);

/// A progress line on stderr, redrawn at most once a second (only on a
/// terminal, or always with --progress), erased by `done()`.
class progress_line {
public:
  explicit progress_line(bool force = false);
  /// Shows `text` if a second passed since the last one.
  void update(const std::string& text);
  void done();

private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point last_{};
};

} // namespace dxhub::cli
