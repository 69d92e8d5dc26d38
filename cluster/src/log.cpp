#include "kwire/cluster/log.hpp"

#include <array>
#include <cstdio>
#include <string>

namespace kwire::cluster {

std::string_view to_string(LogLevel level) noexcept {
  switch (level) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "?";
}

std::string_view to_string(LogCategory category) noexcept {
  switch (category) {
    case LogCategory::broker: return "broker";
    case LogCategory::protocol: return "protocol";
    case LogCategory::producer: return "producer";
    case LogCategory::metadata: return "metadata";
    case LogCategory::security: return "security";
    case LogCategory::idempotence: return "idempotence";
    case LogCategory::consumer: return "consumer";
    case LogCategory::group: return "group";
    case LogCategory::fetch: return "fetch";
    case LogCategory::transaction: return "transaction";
    case LogCategory::admin: return "admin";
  }
  return "?";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Alias {
  std::string_view name;
  LogCategories categories;
};

// kwire's names, then librdkafka's that mean the same thing here.
constexpr std::array kNames{
    Alias{"broker", static_cast<LogCategories>(LogCategory::broker)},
    Alias{"protocol", static_cast<LogCategories>(LogCategory::protocol)},
    Alias{"producer", static_cast<LogCategories>(LogCategory::producer)},
    Alias{"metadata", static_cast<LogCategories>(LogCategory::metadata)},
    Alias{"security", static_cast<LogCategories>(LogCategory::security)},
    Alias{"idempotence", static_cast<LogCategories>(LogCategory::idempotence)},
    Alias{"consumer", static_cast<LogCategories>(LogCategory::consumer)},
    Alias{"group", static_cast<LogCategories>(LogCategory::group)},
    Alias{"fetch", static_cast<LogCategories>(LogCategory::fetch)},
    Alias{"transaction", static_cast<LogCategories>(LogCategory::transaction)},
    Alias{"admin", static_cast<LogCategories>(LogCategory::admin)},
    Alias{"all", kAllLogCategories},
    Alias{"generic", static_cast<LogCategories>(LogCategory::producer)},
    Alias{"msg", static_cast<LogCategories>(LogCategory::producer)},
    Alias{"queue", static_cast<LogCategories>(LogCategory::producer)},
    Alias{"topic", static_cast<LogCategories>(LogCategory::metadata)},
    Alias{"feature", static_cast<LogCategories>(LogCategory::protocol)},
    Alias{"eos", LogCategory::idempotence | LogCategory::transaction},
    Alias{"sasl", static_cast<LogCategories>(LogCategory::security)},
    Alias{"cgrp", static_cast<LogCategories>(LogCategory::group)},
    Alias{"assignor", static_cast<LogCategories>(LogCategory::group)},
    // librdkafka contexts with nothing to log in kwire: accepted (so a
    // pasted librdkafka `debug` list works) and ignored.
    Alias{"interceptor", 0},
    Alias{"plugin", 0},
    Alias{"mock", 0},
    Alias{"conf", 0},
    Alias{"telemetry", 0},
};

}  // namespace

std::optional<LogCategories> parse_log_categories(std::string_view list, std::string* bad) {
  LogCategories result = 0;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view name = trim(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (name.empty()) continue;
    bool found = false;
    for (const Alias& a : kNames)
      if (a.name == name) {
        result |= a.categories;
        found = true;
        break;
      }
    if (!found) {
      if (bad) *bad = std::string(name);
      return std::nullopt;
    }
  }
  return result;
}

LogHandler stderr_log_handler(LogLevel min_level) {
  return [min_level](LogLevel level, LogCategory category, std::string_view message) {
    if (level < min_level) return;
    // One fputs per line, so lines from several threads do not interleave.
    std::string line = "kwire ";
    line += to_string(level);
    line += " [";
    line += to_string(category);
    line += "]: ";
    line += message;
    line += '\n';
    std::fputs(line.c_str(), stderr);
  };
}

LogHandler silent_log_handler() {
  return [](LogLevel, LogCategory, std::string_view) {};
}

void log_connection_diagnostic(const LogHandler& log, std::string_view line) {
  const bool security = line.find("SASL") != std::string_view::npos || line.find("TLS") != std::string_view::npos ||
                        line.find("authenticat") != std::string_view::npos;
  const bool routine = line.starts_with("re-authenticated");
  log(routine ? LogLevel::info : LogLevel::warning, security ? LogCategory::security : LogCategory::broker, line);
}

}  // namespace kwire::cluster
