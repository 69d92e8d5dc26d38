#include "kwire/producer/log.hpp"

#include <cstdio>
#include <string>

namespace kwire::producer {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "?";
}

LogHandler stderr_log_handler(LogLevel min_level) {
  return [min_level](LogLevel level, std::string_view message) {
    if (level < min_level) return;
    // One fprintf per line, so lines from several threads do not interleave.
    std::string line = "kwire ";
    line += to_string(level);
    line += ": ";
    line += message;
    line += '\n';
    std::fputs(line.c_str(), stderr);
  };
}

}  // namespace kwire::producer
