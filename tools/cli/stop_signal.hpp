#pragma once
// Ctrl+C and SIGTERM for the CLI's long-running commands (consume -G, copy):
// the first signal asks the command's loop to stop cleanly (commit, leave the
// group, close the producer); restore_default_stop_signals() makes the next
// one end the process at once.

namespace kwire::cli {

/// Installs the handlers for SIGINT and SIGTERM and clears an earlier request.
void install_stop_signals();
/// True once SIGINT or SIGTERM arrived after install_stop_signals().
bool stop_requested() noexcept;
/// Puts the default handlers back.
void restore_default_stop_signals();

}  // namespace kwire::cli
