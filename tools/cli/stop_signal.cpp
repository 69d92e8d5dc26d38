#include "stop_signal.hpp"

#include <csignal>

namespace kwire::cli {
namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

extern "C" void kwire_cli_on_stop_signal(int) { g_stop_requested = 1; }

}  // namespace

void install_stop_signals() {
  g_stop_requested = 0;
  std::signal(SIGINT, kwire_cli_on_stop_signal);
  std::signal(SIGTERM, kwire_cli_on_stop_signal);
}

bool stop_requested() noexcept { return g_stop_requested != 0; }

void restore_default_stop_signals() {
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

}  // namespace kwire::cli
