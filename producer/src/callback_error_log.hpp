#pragma once
// CallbackErrorLog: where a delivery callback that threw is reported. The
// exception is caught (the other records of the batch still get their
// reports, as in Java's ProducerBatch.completeFutureAndFireCallbacks) and
// logged at error level with the topic-partition — once per exception type
// per interval, so a callback that throws for every record does not flood
// the log; the next line says how many were not logged in between.
//
// Thread-safe: callbacks run on the network thread, refused records' on the
// thread calling send().
#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "kwire/producer/log.hpp"

namespace kwire::producer {

class CallbackErrorLog {
 public:
  explicit CallbackErrorLog(LogHandler log, std::chrono::milliseconds interval = std::chrono::seconds(60));

  /// Reports the exception in flight (call from a catch block) thrown by the
  /// callback of a record for `topic`/`partition`.
  void report_current_exception(std::string_view topic, std::int32_t partition) noexcept;

 private:
  struct PerType {
    std::chrono::steady_clock::time_point last_logged;
    std::uint64_t suppressed = 0;
  };
  const LogHandler log_;
  const std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::map<std::string, PerType, std::less<>> by_type_;
};

}  // namespace kwire::producer
