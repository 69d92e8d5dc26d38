#pragma once
// What an application hands to the producer and what it gets back.
//
// Two shapes of the outgoing record:
//  * ProducerRecord owns its bytes (std::string / std::vector). Convenient, but
//    building one allocates per field.
//  * RecordView borrows them (string_view / span). It is what the hot path
//    (partitioner, accumulator) takes: the accumulator copies the bytes once,
//    already in wire form, into the open batch, so a RecordView built over the
//    caller's buffers costs no heap allocation at all. The borrowed memory only
//    has to stay valid for the duration of the send() call.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kwire::producer {

/// Views the characters of `s` as bytes (no copy).
inline std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// A record header that owns its bytes. A header value may be null (Kafka
/// encodes it as length -1), which differs from an empty value.
struct Header {
  std::string key;
  std::optional<std::vector<std::uint8_t>> value;
};

/// A record header that borrows its bytes.
struct HeaderView {
  std::string_view key;
  std::optional<std::span<const std::uint8_t>> value;

  HeaderView() = default;
  HeaderView(std::string_view k, std::optional<std::span<const std::uint8_t>> v) noexcept
      : key(k), value(v) {}
  /// Text value; pass std::nullopt for a null value.
  HeaderView(std::string_view k, std::optional<std::string_view> v) noexcept : key(k) {
    if (v) value = bytes_of(*v);
  }
  HeaderView(std::string_view k, const char* v) noexcept : key(k), value(bytes_of(v)) {}
  HeaderView(std::string_view k, std::nullopt_t) noexcept : key(k) {}
};

/// An outgoing record that owns its data. See RecordView for the
/// allocation-free form; `view_of` converts.
struct ProducerRecord {
  std::string topic;
  std::optional<std::int32_t> partition;           ///< unset: the partitioner chooses
  std::optional<std::vector<std::uint8_t>> key;    ///< unset: null key (sticky partitioning)
  std::optional<std::vector<std::uint8_t>> value;  ///< unset: null value (a tombstone)
  std::vector<Header> headers;
  std::optional<std::int64_t> timestamp_ms;        ///< unset: the send time (CreateTime)
};

/// An outgoing record that borrows its data; the memory must stay valid until
/// the send() it is passed to returns.
struct RecordView {
  /// `partition` value meaning "let the partitioner choose" (librdkafka's
  /// RD_KAFKA_PARTITION_UA is -1 too).
  static constexpr std::int32_t unassigned_partition = -1;
  /// `timestamp_ms` value meaning "use the time of send()".
  static constexpr std::int64_t now_timestamp = -1;

  std::string_view topic;
  std::int32_t partition = unassigned_partition;
  std::optional<std::span<const std::uint8_t>> key;    ///< nullopt: null key
  std::optional<std::span<const std::uint8_t>> value;  ///< nullopt: null value (tombstone)
  std::span<const HeaderView> headers;
  std::int64_t timestamp_ms = now_timestamp;

  RecordView() = default;
  /// Binary key and value.
  RecordView(std::string_view t, std::optional<std::span<const std::uint8_t>> k,
             std::optional<std::span<const std::uint8_t>> v) noexcept
      : topic(t), key(k), value(v) {}
  /// Text key and value, e.g. `RecordView("orders", "customer-7", payload)`;
  /// pass std::nullopt for a null key or value.
  RecordView(std::string_view t, std::optional<std::string_view> k,
             std::optional<std::string_view> v) noexcept
      : topic(t) {
    if (k) key = bytes_of(*k);
    if (v) value = bytes_of(*v);
  }
  /// Null key and null value.
  RecordView(std::string_view t, std::nullopt_t, std::nullopt_t) noexcept : topic(t) {}

  bool has_partition() const noexcept { return partition != unassigned_partition; }
};

/// Borrows `record` as a RecordView. `header_storage` receives one HeaderView
/// per header (it is cleared first) and must outlive the returned view.
inline RecordView view_of(const ProducerRecord& record, std::vector<HeaderView>& header_storage) {
  RecordView view;
  view.topic = record.topic;
  view.partition = record.partition.value_or(RecordView::unassigned_partition);
  if (record.key) view.key = std::span<const std::uint8_t>(*record.key);
  if (record.value) view.value = std::span<const std::uint8_t>(*record.value);
  header_storage.clear();
  header_storage.reserve(record.headers.size());
  for (const Header& h : record.headers) {
    std::optional<std::span<const std::uint8_t>> v;
    if (h.value) v = std::span<const std::uint8_t>(*h.value);
    header_storage.emplace_back(std::string_view(h.key), v);
  }
  view.headers = header_storage;
  view.timestamp_ms = record.timestamp_ms.value_or(RecordView::now_timestamp);
  return view;
}

/// Where a record was written.
struct RecordMetadata {
  std::string topic;
  std::int32_t partition = -1;
  /// The record's offset; -1 when acks=0 (the broker sends no response) or
  /// when the record failed.
  std::int64_t offset = -1;
  /// CreateTime as sent, or the broker's LogAppendTime when the topic uses it
  /// (the ProduceResponse's log_append_time_ms is not -1).
  std::int64_t timestamp_ms = -1;
};

/// The outcome of one record: metadata on success, `error` set on failure
/// (a kwire::errc from the broker or a kwire::client_errc). Every record sent
/// gets exactly one report.
struct DeliveryReport {
  RecordMetadata metadata;
  std::error_code error;
  /// On failure, a one-line explanation when there is more to say than
  /// error.message(); empty otherwise. For client_errc::authentication_failed
  /// (TLS verification, SASL credentials or mechanism) it names what failed,
  /// the broker's address and the setting to check, e.g. "SASL
  /// authentication failed for user alice on 10.0.0.7:9096 (SCRAM-SHA-256):
  /// ...; check sasl.username / sasl.password". Never holds a secret.
  std::string detail;

  bool ok() const noexcept { return !error; }
};

}  // namespace kwire::producer
