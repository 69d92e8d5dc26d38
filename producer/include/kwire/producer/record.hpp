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
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::producer {

/// Views the characters of `s` as bytes (no copy).
inline std::span<const std::uint8_t> bytes_of(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// Bytes an owning field (ProducerRecord's key and value, Header's value)
/// takes from text or binary in one expression: a string literal, a
/// std::string or string_view, a byte vector or span, or std::nullopt for
/// null — `ProducerRecord("orders", "customer-7", json)`.
struct OwnedBytes {
  std::optional<std::vector<std::uint8_t>> bytes;  ///< nullopt: null

  OwnedBytes(std::nullopt_t) noexcept {}
  OwnedBytes(std::string_view text) : bytes(std::in_place, text.begin(), text.end()) {}
  OwnedBytes(const std::string& text) : OwnedBytes(std::string_view(text)) {}
  OwnedBytes(const char* text) : OwnedBytes(std::string_view(text)) {}
  OwnedBytes(std::nullptr_t) = delete;  ///< null is std::nullopt; a null char* would be strlen(nullptr)
  OwnedBytes(std::span<const std::uint8_t> data) : bytes(std::in_place, data.begin(), data.end()) {}
  OwnedBytes(std::vector<std::uint8_t> data) noexcept : bytes(std::move(data)) {}
  OwnedBytes(std::optional<std::vector<std::uint8_t>> data) noexcept : bytes(std::move(data)) {}
};

/// A record header that owns its bytes. A header value may be null (Kafka
/// encodes it as length -1), which differs from an empty value.
///   Header{"trace-id", "abc"}, Header{"raw", bytes}, Header{"flag", std::nullopt}
struct Header {
  std::string key;
  std::optional<std::vector<std::uint8_t>> value;

  Header() = default;
  Header(std::string k, OwnedBytes v) : key(std::move(k)), value(std::move(v.bytes)) {}
};

/// A record header that borrows its bytes (valid for the send() call).
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
  /// A temporary string would be destroyed before the view is used (and a
  /// null char* is not a null value: use std::nullopt). Header owns.
  HeaderView(std::string_view k, std::string&& v) = delete;
  HeaderView(std::string_view k, std::nullptr_t) = delete;
};

/// An outgoing record that owns its data. See RecordView for the
/// allocation-free form; `view_of` converts.
///   ProducerRecord("orders", "customer-7", json, {{"trace-id", trace}})
struct ProducerRecord {
  std::string topic;
  std::optional<std::int32_t> partition;           ///< unset: the partitioner chooses
  std::optional<std::vector<std::uint8_t>> key;    ///< unset: null key (sticky partitioning)
  std::optional<std::vector<std::uint8_t>> value;  ///< unset: null value (a tombstone)
  std::vector<Header> headers;
  std::optional<std::int64_t> timestamp_ms;        ///< unset: the send time (CreateTime)

  ProducerRecord() = default;
  /// Key and value as text or bytes (std::nullopt: null), headers inline.
  ProducerRecord(std::string t, OwnedBytes k, OwnedBytes v, std::vector<Header> h = {})
      : topic(std::move(t)), key(std::move(k.bytes)), value(std::move(v.bytes)), headers(std::move(h)) {}
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
  /// Text key, binary value (a string id and a serialized payload).
  RecordView(std::string_view t, std::optional<std::string_view> k,
             std::optional<std::span<const std::uint8_t>> v) noexcept
      : topic(t), value(v) {
    if (k) key = bytes_of(*k);
  }
  /// Null key and null value; null key with a binary value; a text key
  /// with a null value (these settle what would be ambiguous otherwise).
  RecordView(std::string_view t, std::nullopt_t, std::nullopt_t) noexcept : topic(t) {}
  RecordView(std::string_view t, std::nullopt_t, std::optional<std::span<const std::uint8_t>> v) noexcept
      : topic(t), value(v) {}
  RecordView(std::string_view t, std::optional<std::string_view> k, std::nullopt_t) noexcept : topic(t) {
    if (k) key = bytes_of(*k);
  }
  /// nullptr is not "null": it would be strlen(nullptr). Use std::nullopt.
  template <class Value>
  RecordView(std::string_view, std::nullptr_t, Value&&) = delete;
  template <class Key>
  RecordView(std::string_view, Key&&, std::nullptr_t) = delete;

  /// Headers in the same expression:
  ///   producer.send(RecordView("orders", key, value).with_headers({{"trace-id", trace}}), callback);
  /// The list lives until the end of that full expression — keep the
  /// RecordView no longer than the send() call (never `auto v = ...;`).
  RecordView with_headers(std::initializer_list<HeaderView> list) const noexcept {
    RecordView copy = *this;
    copy.headers = std::span<const HeaderView>(list.begin(), list.size());
    return copy;
  }
  RecordView with_headers(std::span<const HeaderView> list) const noexcept {
    RecordView copy = *this;
    copy.headers = list;
    return copy;
  }

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

/// Called once per record with its outcome: on the network thread, or on
/// the calling thread for a record send() refuses. Must not block.
/// Stored in a std::function: libstdc++ keeps a trivially copyable
/// callable of up to 16 bytes (e.g. a lambda capturing `this` and one more
/// pointer or integer) inside the function object, so such a callback costs
/// no heap allocation; bigger or non-trivially-copyable captures (a
/// std::string, a shared_ptr) allocate once per record. Prefer capturing a
/// pointer to a context you own.
using DeliveryCallback = std::function<void(const DeliveryReport&)>;

}  // namespace kwire::producer

KWIRE_PUBLIC_END
