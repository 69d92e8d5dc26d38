#pragma once
// A LogHandler that keeps every line, for tests that assert what the
// producer logged.
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/producer/log.hpp"

namespace kwire_test {

struct LogLines {
  std::mutex mutex;
  std::vector<std::string> lines;
  kwire::producer::LogHandler handler() {
    return [this](kwire::producer::LogLevel, kwire::producer::LogCategory, std::string_view line) {
      std::lock_guard lock(mutex);
      lines.emplace_back(line);
    };
  }
  /// Lines containing `text`.
  std::size_t count(std::string_view text) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& l : lines) n += l.find(text) != std::string::npos;
    return n;
  }
};

}  // namespace kwire_test
