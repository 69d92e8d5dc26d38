#pragma once
// Where the producer's diagnostics go: a plain callback, so kwire imposes no
// logging library. The default (see Producer) writes warnings and errors to
// stderr, and debug/info too when the `debug` property is set.
#include <cstdint>
#include <functional>
#include <string_view>

namespace kwire::producer {

enum class LogLevel : std::uint8_t { debug, info, warning, error };

std::string_view to_string(LogLevel level) noexcept;

/// Called on whichever thread noticed the event (mostly the network
/// thread); must be thread-safe and must not block for long.
using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

/// The default handler: "kwire <level>: <message>" on stderr for levels >=
/// `min_level`.
LogHandler stderr_log_handler(LogLevel min_level = LogLevel::warning);

}  // namespace kwire::producer
