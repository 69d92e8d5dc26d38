// The "errors" group: an unknown topic (no auto-creation), an oversize
// record, and requests at versions the endpoint no longer offers.
#include <algorithm>
#include <optional>
#include <random>

#include <kwire/protocol/client_error.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/message.hpp>
#include <kwire/protocol/metadata.hpp>
#include <kwire/protocol/reader.hpp>
#include <kwire/protocol/writer.hpp>

#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;

namespace {

/// A request body encoded by hand at exactly version V, for versions below
/// kwire's codecs (the ones Kafka 4.0 removed, KIP-896). Satisfies the
/// KafkaMessage concept, so it travels through BlockingClient like any other.
template <ApiKey K, std::int16_t V>
struct RawRequest {
  static constexpr ApiKey api_key = K;
  static constexpr std::int16_t min_version = V;
  static constexpr std::int16_t max_version = V;
  std::vector<std::uint8_t> body;
  std::error_code encode(protocol::Writer& out, std::int16_t) const {
    out.write_raw(body);
    return {};
  }
  std::error_code decode(protocol::Reader& in, std::int16_t) {
    auto all = in.read_raw(in.remaining());
    body.assign(all.begin(), all.end());
    return in.error();
  }
};

/// The response body, kept as bytes.
template <ApiKey K, std::int16_t V>
using RawResponse = RawRequest<K, V>;

/// The first partition error of a one-topic, one-partition answer:
/// skip `prefix` bytes, then [topics: int32 count, string name,
/// [partitions: int32 count, int32 index, int16 error]].
std::optional<kwire::errc> first_partition_error(const std::vector<std::uint8_t>& body, std::size_t prefix) {
  protocol::Reader in(body);
  in.skip(prefix);
  if (in.read_int32() < 1) return std::nullopt;
  (void)in.read_string(false);
  if (in.read_int32() < 1) return std::nullopt;
  (void)in.read_int32();
  auto error = static_cast<kwire::errc>(in.read_int16());
  if (!in.ok()) return std::nullopt;
  return error;
}

void write_one_topic_partition(protocol::Writer& w, const std::string& topic) {
  w.write_int32(1);
  w.write_string(topic, false);
  w.write_int32(1);
  w.write_int32(0);  // partition 0
}

}  // namespace

void Suite::run_errors() {
  const std::string missing = "kwire-conformance-missing-" + std::to_string(now_ms());
  std::string why;

  // Is `missing` still unknown? (Metadata that must not create it.)
  auto still_unknown = [&](std::string& problem) {
    protocol::MetadataRequest request;
    request.topics.emplace();
    request.topics->push_back({.topic_id = {}, .name = missing, .unknown_tags = {}});
    request.allow_auto_topic_creation = false;
    protocol::MetadataResponse response;
    std::int16_t used = -1;
    if (auto ec = bootstrap().request(request, response, used)) {
      problem = "Metadata: " + error_name(ec);
      return false;
    }
    for (const auto& t : response.topics)
      if (t.name == missing && t.error_code == kwire::errc::none) {
        problem = "topic " + missing + " exists now";
        return false;
      }
    return true;
  };

  // -------------------------------------------- unknown topic via Metadata
  {
    Cell c = cell("errors", "unknown topic (Metadata)");
    auto range = advertised(ApiKey::metadata);
    if (!range || range->second < 4) {
      c.status = Status::not_offered;
      c.detail = "allow_auto_topic_creation needs Metadata v4+; " + advertised_text(ApiKey::metadata);
    } else {
      protocol::MetadataRequest request;
      request.topics.emplace();
      request.topics->push_back({.topic_id = {}, .name = missing, .unknown_tags = {}});
      request.allow_auto_topic_creation = false;
      protocol::MetadataResponse response;
      std::int16_t used = -1;
      if (auto ec = bootstrap().request(request, response, used)) {
        c.status = Status::fail;
        c.detail = "Metadata: " + error_name(ec);
      } else {
        auto t = std::find_if(response.topics.begin(), response.topics.end(),
                              [&](const auto& x) { return x.name == missing; });
        if (t == response.topics.end()) {
          c.status = Status::fail;
          c.detail = "Metadata v" + std::to_string(used) + " left the topic out instead of reporting an error";
        } else if (t->error_code != kwire::errc::unknown_topic_or_partition) {
          c.status = Status::fail;
          c.detail = "Metadata v" + std::to_string(used) + " answered " + error_name(make_error_code(t->error_code)) +
                     (t->error_code == kwire::errc::none ? " (created it despite allow_auto_topic_creation=false)" : "") +
                     ", expected UNKNOWN_TOPIC_OR_PARTITION";
        } else if (std::string problem; !still_unknown(problem)) {
          c.status = Status::fail;
          c.detail = problem;
        } else {
          c.detail = "UNKNOWN_TOPIC_OR_PARTITION (Metadata v" + std::to_string(used) + "), not created";
        }
      }
    }
    add(std::move(c));
  }

  // --------------------------------------------- unknown topic via Produce
  {
    Cell c = cell("errors", "unknown topic (Produce)");
    auto batch = build_batch({{"k", "to a topic that does not exist", {}}}, now_ms());
    protocol::ProduceResponse::PartitionResponse answer;
    std::int16_t used = -1;
    if (produce_raw(bootstrap(), missing, {}, 0, batch, -1, protocol::ProduceRequest::max_version, answer, used, why)) {
      c.status = Status::fail;
      c.detail = why;
    } else if (answer.error_code != kwire::errc::unknown_topic_or_partition) {
      c.status = Status::fail;
      c.detail = "Produce v" + std::to_string(used) + " answered " + error_name(make_error_code(answer.error_code)) +
                 ", expected UNKNOWN_TOPIC_OR_PARTITION";
    } else if (std::string problem; !still_unknown(problem)) {
      c.status = Status::fail;
      c.detail = problem + " (Produce must not create topics)";
    } else {
      c.detail = "UNKNOWN_TOPIC_OR_PARTITION (Produce v" + std::to_string(used) + "), not created";
    }
    add(std::move(c));
  }

  // ------------------------------------ unknown topic id via Produce v13
  {
    Cell c = cell("errors", "unknown topic id (Produce v13)");
    if (!advertises(ApiKey::produce, 13)) {
      c.status = Status::not_offered;
      c.detail = advertised_text(ApiKey::produce);
    } else {
      protocol::Uuid random_id;
      std::random_device rd;
      for (auto& b : random_id.bytes) b = static_cast<std::uint8_t>(rd());
      auto batch = build_batch({{"k", "to a topic id that does not exist", {}}}, now_ms());
      protocol::ProduceResponse::PartitionResponse answer;
      std::int16_t used = -1;
      if (produce_raw(bootstrap(), "", random_id, 0, batch, -1, 13, answer, used, why)) {
        c.status = Status::fail;
        c.detail = why;
      } else if (answer.error_code != kwire::errc::unknown_topic_id &&
                 answer.error_code != kwire::errc::unknown_topic_or_partition) {
        c.status = Status::fail;
        c.detail = "answered " + error_name(make_error_code(answer.error_code)) + ", expected UNKNOWN_TOPIC_ID";
      } else {
        c.detail = error_name(make_error_code(answer.error_code));
      }
    }
    add(std::move(c));
  }

  // ------------------------------------------------------- oversize record
  {
    // 2 MiB of incompressible bytes, uncompressed: above Kafka's default
    // max.message.bytes (1 MiB + 12), below socket.request.max.bytes.
    Cell c = cell("errors", "oversize record");
    std::string big(2 << 20, '\0');
    std::mt19937 rng(42);
    for (char& ch : big) ch = static_cast<char>(rng());
    auto batch = build_batch({{"oversize", big, {}}}, now_ms());
    std::int64_t before = -1, after = -1;
    protocol::ProduceResponse::PartitionResponse answer;
    std::int16_t used = -1;
    if (log_end_offset(before, why)) {
      c.status = Status::fail;
      c.detail = "log end offset: " + why;
    } else if (produce_raw(leader(), topic_, reader_->location().topic_id, partition_, batch, -1,
                           protocol::ProduceRequest::max_version, answer, used, why)) {
      c.status = Status::fail;
      c.detail = why;
    } else if (answer.error_code == kwire::errc::none) {
      c.status = Status::not_offered;
      c.detail = "the endpoint stored a " + std::to_string(batch.size()) +
                 "-byte batch at offset " + std::to_string(answer.base_offset) + ": its max.message.bytes is larger";
    } else if (answer.error_code != kwire::errc::message_too_large &&
               answer.error_code != kwire::errc::record_list_too_large) {
      c.status = Status::fail;
      c.detail = "answered " + error_name(make_error_code(answer.error_code)) +
                 ", expected MESSAGE_TOO_LARGE or RECORD_LIST_TOO_LARGE";
    } else if (log_end_offset(after, why)) {
      c.status = Status::fail;
      c.detail = "log end offset: " + why;
    } else if (after != before) {
      c.status = Status::fail;
      c.detail = "refused, but the log end offset moved from " + std::to_string(before) + " to " + std::to_string(after);
    } else {
      c.detail = error_name(make_error_code(answer.error_code)) + " for a " + std::to_string(batch.size()) +
                 "-byte batch (Produce v" + std::to_string(used) + "), nothing stored";
    }
    add(std::move(c));
  }

  // -------------------------------------------------- removed versions
  // Kafka 4.0 removed Produce v0-2, Fetch v0-3 and ListOffsets v0 (KIP-896).
  // A version below the advertised minimum must be refused: the connection
  // closed, or UNSUPPORTED_VERSION. Kafka 4.x still *advertises* Produce
  // v0-2 but refuses them (KAFKA-18659), so for Produce a refusal passes
  // either way. An endpoint that still answers the version offers it.
  auto removed = [&]<ApiKey K, std::int16_t V>(std::string name, std::size_t error_prefix,
                                                std::vector<std::uint8_t> body) {
    Cell c = cell("errors", name);
    auto range = advertised(K);
    if (!range) {
      c.status = Status::not_offered;
      c.detail = advertised_text(K);
      add(std::move(c));
      return;
    }
    const bool below_min = V < range->first;
    std::optional<net::BlockingClient> client;  // fresh: a refusal may close it
    if (connect_bootstrap(client, why)) {
      c.status = Status::fail;
      c.detail = "connect: " + why;
      add(std::move(c));
      return;
    }
    RawRequest<K, V> request;
    request.body = std::move(body);
    RawResponse<K, V> response;
    std::int16_t used = -1;
    std::error_code ec = client->request(request, response, used);
    const std::string advertised_note =
        " (advertised v" + std::to_string(range->first) + "-" + std::to_string(range->second) + ")";
    if (ec == client_errc::disconnected || ec == client_errc::shutting_down) {
      c.detail = "connection closed" + advertised_note;
    } else if (ec == client_errc::timed_out) {
      c.status = Status::fail;
      c.detail = "no answer and no close within request.timeout.ms" + advertised_note;
    } else if (ec) {
      c.status = Status::fail;
      c.detail = error_name(ec) + advertised_note;
    } else if (auto error = first_partition_error(response.body, error_prefix);
               error && *error == kwire::errc::unsupported_version) {
      c.detail = "UNSUPPORTED_VERSION" + advertised_note;
    } else if (below_min) {
      c.status = Status::fail;
      c.detail = "answered a version below its advertised minimum" + advertised_note;
    } else {
      c.status = Status::not_offered;
      c.detail = "the endpoint still offers it" + advertised_note;
    }
    add(std::move(c));
  };

  {
    // Produce v2: acks, timeout, [topic [partition, records (empty)]],
    // aimed at the missing topic so nothing can be stored anywhere.
    std::vector<std::uint8_t> body;
    protocol::Writer w(body);
    w.write_int16(-1);
    w.write_int32(1000);
    write_one_topic_partition(w, missing);
    w.write_int32(0);  // empty record set
    removed.operator()<ApiKey::produce, 2>("Produce v2 (removed in 4.0)", 0, std::move(body));
  }
  {
    // Fetch v3: replica, max wait, min bytes, max bytes, [topic [partition,
    // fetch offset, partition max bytes]]. The answer starts with throttle.
    std::vector<std::uint8_t> body;
    protocol::Writer w(body);
    w.write_int32(-1);
    w.write_int32(0);
    w.write_int32(0);
    w.write_int32(1024);
    write_one_topic_partition(w, missing);
    w.write_int64(0);
    w.write_int32(1024);
    removed.operator()<ApiKey::fetch, 3>("Fetch v3 (removed in 4.0)", 4, std::move(body));
  }
  {
    // ListOffsets v0: replica, [topic [partition, timestamp, max offsets]].
    std::vector<std::uint8_t> body;
    protocol::Writer w(body);
    w.write_int32(-1);
    write_one_topic_partition(w, missing);
    w.write_int64(-1);
    w.write_int32(1);
    removed.operator()<ApiKey::list_offsets, 0>("ListOffsets v0 (removed in 4.0)", 0, std::move(body));
  }
}

}  // namespace kwire::cli::conformance
