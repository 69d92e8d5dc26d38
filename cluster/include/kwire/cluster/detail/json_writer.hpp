#pragma once
// The JSON the clients' statistics are written as (ProducerStatistics,
// ConsumerStatistics): a small streaming writer, plus the parts every
// client's document shares (the brokers). Not part of the public API
// (detail/ is not installed); exported from libkwire_cluster for the
// producer's and the consumer's to_json().
#include <cstdint>
#include <string>
#include <string_view>

#include "kwire/cluster/broker_statistics.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster::detail {

/// Appends `s` as a JSON string (quoted; quotes, backslashes and control
/// characters escaped; UTF-8 passed through).
void append_json_string(std::string& out, std::string_view s);

class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }

  /// Starts a member: `"key":`; the value follows.
  void key(std::string_view k);
  void value(std::string_view v);
  void value(std::uint64_t v);
  void value(std::int64_t v);
  void value(std::int32_t v) { value(static_cast<std::int64_t>(v)); }
  void value(bool v);
  /// Four decimals; NaN and infinities as 0 (JSON has neither).
  void value(double v);

  template <class T>
  void member(std::string_view k, const T& v) {
    key(k);
    value(v);
  }
  void member(std::string_view k, const std::string& v) { member(k, std::string_view(v)); }

 private:
  void open(char c) {
    comma();
    out_ += c;
    first_ = true;
  }
  void close(char c) {
    out_ += c;
    first_ = false;
  }
  void comma();

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

/// `"<key>":{min_us, avg_us, p50_us, p95_us, p99_us, max_us, samples}`.
void write_round_trips(JsonWriter& w, std::string_view key, const RttStatistics& r);
/// One broker as an object (an element of a "brokers" array).
void write_broker(JsonWriter& w, const BrokerStatistics& b);

}  // namespace kwire::cluster::detail

KWIRE_PUBLIC_END
