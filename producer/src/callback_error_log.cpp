#include "callback_error_log.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <typeinfo>
#include <utility>

namespace kwire::producer {
namespace {

/// "std::runtime_error" rather than "St13runtime_error".
std::string readable_type_name(const std::type_info& type) {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> demangled(abi::__cxa_demangle(type.name(), nullptr, nullptr, &status),
                                                   std::free);
  return status == 0 && demangled ? std::string(demangled.get()) : std::string(type.name());
}

}  // namespace

CallbackErrorLog::CallbackErrorLog(LogHandler log, std::chrono::milliseconds interval)
    : log_(std::move(log)), interval_(interval) {}

void CallbackErrorLog::report_current_exception(std::string_view topic, std::int32_t partition) noexcept {
  try {
    std::string type = "an exception of unknown type";
    std::string what;
    try {
      throw;
    } catch (const std::exception& e) {
      type = readable_type_name(typeid(e));
      what = e.what();
    } catch (...) {
      if (const std::type_info* t = abi::__cxa_current_exception_type()) type = readable_type_name(*t);
    }
    const auto now = std::chrono::steady_clock::now();
    std::uint64_t suppressed = 0;
    {
      std::lock_guard lock(mutex_);
      auto it = by_type_.find(type);
      if (it != by_type_.end() && now - it->second.last_logged < interval_) {
        ++it->second.suppressed;
        return;
      }
      if (it == by_type_.end()) it = by_type_.emplace(type, PerType{}).first;
      suppressed = std::exchange(it->second.suppressed, 0);
      it->second.last_logged = now;
    }
    std::string line = "delivery callback for " + std::string(topic) + "-" + std::to_string(partition) + " threw " +
                       type + (what.empty() ? "" : ": " + what) +
                       " (caught: the other records still get their reports; a callback should not throw)";
    if (suppressed > 0)
      line += "; " + std::to_string(suppressed) + " more of this type not logged in the last " +
              std::to_string(interval_.count()) + " ms";
    if (log_) log_(LogLevel::error, LogCategory::producer, line);
  } catch (...) {
    // Reporting must never throw into the network thread.
  }
}

}  // namespace kwire::producer
