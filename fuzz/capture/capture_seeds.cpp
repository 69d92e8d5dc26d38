// Writes the fuzz seed corpora (fuzz/corpus/<target>/<name>).
//
//   kwire_capture_seeds [--bootstrap 127.0.0.1:19092] [--out fuzz/corpus] [--topic kwire-fuzz-seeds]
//                       [--sasl 127.0.0.1:19096 --sasl-user alice --sasl-password alice-secret]
//
// (tests/broker/kafka-broker starts such a broker; its `env` command prints
// the addresses and the SASL user.)
//
// Real seeds (`*-real`): requests sent to a real broker and its answers,
// byte for byte — ApiVersions v0-4 (and one above the broker's maximum, for
// the KIP-511 fallback), Metadata v0-13, InitProducerId v0-5, Produce v3-13
// (idempotent batches in every codec), Fetch v4-17 reading the batches back
// as the broker stored them, ListOffsets v1-10, and on the SASL_PLAINTEXT
// listener SaslHandshake v0/v1 and SaslAuthenticate v0-2 carrying a real
// SCRAM-SHA-256 exchange; the admin APIs at every version the broker takes
// (capture_admin.cpp); a transactional exchange and the transaction admin
// APIs (capture_transactions.cpp). Each seed is the target's input format: the
// version byte(s) the target expects (fuzz_check.hpp), then the bytes.
//
// Hand-made seeds (`*-hand`, `*-vector`): values the broker does not send
// unprompted (KIP-951 leader hints, unknown tagged fields, transactional
// requests), the compression tests' known vectors (tests/unit/compression/
// vectors.hpp) and producer configurations.
//
// A plain blocking POSIX socket client on purpose: it must send exactly the
// version asked, which the real client's negotiation would not.
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "capture_admin.hpp"
#include "capture_client.hpp"
#include "capture_groups.hpp"
#include "capture_transactions.hpp"
#include "compression/vectors.hpp"
#include "kwire/compression/compressor.hpp"
#include "kwire/protocol/api.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/fetch.hpp"
#include "kwire/protocol/header.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/list_offsets.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/produce.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "kwire/protocol/sasl_authenticate.hpp"
#include "kwire/protocol/sasl_handshake.hpp"
#include "kwire/security/sasl_scram.hpp"

namespace fs = std::filesystem;
using namespace kwire::protocol;
using kwire::compression::Codec;
using Bytes = std::vector<std::uint8_t>;
using namespace kwire::capture;

namespace {

// ------------------------------------------------------------------ helpers

struct Captured {
  std::vector<Bytes> response_frames;  ///< for frame_decoder seeds
  /// (api, request header version), (api, response header version) seeded.
  std::set<std::pair<std::pair<ApiKey, std::int16_t>, std::pair<ApiKey, std::int16_t>>> header_layouts;
};

/// Stores the seeds one exchange gives: request body, response body, both
/// headers (the header targets read a whole frame payload, header first).
void store(ApiKey api, const std::string& request_target, const std::string& response_target, std::int16_t version,
           std::int16_t min_version, const Broker::Exchange& x, Captured& captured,
           const std::string& suffix = "real") {
  const std::string name = std::string(api_name(api)) + "-v" + std::to_string(version) + "-" + suffix;
  const Bytes body(x.request_frame.begin() + 4 + static_cast<std::ptrdiff_t>(x.request_header.size()),
                   x.request_frame.end());
  const std::uint8_t vb = version_byte(version, min_version);
  if (!request_target.empty()) write_seed(request_target, name, {vb}, body);
  if (!response_target.empty()) write_seed(response_target, name, {vb}, x.response_body);
  captured.response_frames.push_back(x.response_frame);
  // Header seeds: one per api and header layout is plenty (the corpus stays
  // under 300 files).
  const auto request_layout = std::pair(api, request_header_version(api, version));
  const auto response_layout = std::pair(api, response_header_version(api, version));
  if (!captured.header_layouts.insert({request_layout, response_layout}).second) return;
  // request_header mode 0: header version from the frame's api key/version;
  // response_header: the mode byte is the header version. The header
  // targets only read a prefix: keep the header and 16 bytes of body.
  const auto head = [](const Bytes& frame, std::size_t header_size) {
    return std::span<const std::uint8_t>(frame).subspan(4, std::min(frame.size() - 4, header_size + 16));
  };
  write_seed("request_header", name, {0}, head(x.request_frame, x.request_header.size()));
  const std::size_t response_header_size = x.response_frame.size() - 4 - x.response_body.size();
  write_seed("response_header", name, {static_cast<std::uint8_t>(response_header_version(api, version))},
             head(x.response_frame, response_header_size));
}

Bytes text_bytes(std::string_view s) { return {s.begin(), s.end()}; }

/// One batch of three records (keys, values, headers, a null value) in
/// `codec`, sealed for (producer_id, epoch, sequence); compressed with
/// kwire's Compressor, as the producer does.
Bytes make_batch(Codec codec, std::int64_t producer_id, std::int16_t epoch, std::int32_t sequence,
                 std::int64_t timestamp, bool transactional = false) {
  RecordBatchBuilder builder(timestamp);
  using OptView = std::optional<std::span<const std::uint8_t>>;
  const Bytes k1 = text_bytes("order-17");
  const Bytes v1 = text_bytes(R"({"item":"widget","qty":3,"note":"fuzz seed fuzz seed fuzz seed"})");
  const Bytes h1 = text_bytes("application/json");
  const RecordHeader headers[] = {{"content-type", OptView(h1)}, {"trace", std::nullopt}};
  builder.append(timestamp, OptView(k1), OptView(v1), headers);
  const Bytes k2 = text_bytes("order-18");
  builder.append(timestamp + 5, OptView(k2), std::nullopt);  // a tombstone
  const Bytes v3 = text_bytes("a value without a key, a value without a key, a value without a key");
  builder.append(timestamp - 3, std::nullopt, OptView(v3));
  static kwire::compression::Compressor compressor;
  const RecordsCompressor compress = [](Codec c, std::span<const std::uint8_t> records, Bytes& out) {
    return !compressor.compress(c, records, out);
  };
  const auto sealed = builder.seal({.producer_id = producer_id,
                                    .producer_epoch = epoch,
                                    .base_sequence = sequence,
                                    .is_transactional = transactional,
                                    .codec = codec},
                                   compress);
  return {sealed.begin(), sealed.end()};
}

// ------------------------------------------------------------------ real seeds

void capture_real(Broker& broker, const std::string& topic, Captured& captured) {
  // ApiVersions v0-4, then one above the broker's maximum for the KIP-511
  // UNSUPPORTED_VERSION answer (Kafka 4.4 has v5, so that is usually v6).
  std::int16_t broker_max = 4;
  for (std::int16_t v = 0; v <= 4; ++v) {
    ApiVersionsRequest request;
    if (v >= 3) {
      request.client_software_name = "kwire-capture";
      request.client_software_version = "0.1.0";
    }
    const auto x = broker.call(ApiKey::api_versions, v, encode(request, v));
    store(ApiKey::api_versions, "api_versions_request", "api_versions_response", v, 0, x, captured);
    ApiVersionsResponse response;
    if (!decode_message(x.response_body, v, response))
      if (const auto* own = response.find(ApiKey::api_versions)) broker_max = own->max_version;
  }
  {
    // The broker answers without parsing the body (KIP-511), in the v0
    // format with error 35: seed it as the answer to a v4 and a v3 request,
    // the fallback path of decode_api_versions_response().
    ApiVersionsRequest request{"kwire-capture", "0.1.0", {}};
    const auto too_new = static_cast<std::int16_t>(broker_max + 1);
    const auto x = broker.call(ApiKey::api_versions, too_new, encode(request, 4));
    const std::string name = "ApiVersions-v" + std::to_string(too_new) + "-fallback-as-v";
    write_seed("api_versions_response", name + "4-real", {4}, x.response_body);
    write_seed("api_versions_response", name + "3-real", {3}, x.response_body);
    captured.response_frames.push_back(x.response_frame);
  }

  // Metadata: create the topic (auto-creation), wait for its leader.
  Uuid topic_id;
  for (int attempt = 0;; ++attempt) {
    MetadataRequest request;
    request.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, topic, {}}};
    MetadataResponse response;
    const auto x = broker.call(ApiKey::metadata, 12, encode(request, 12));
    if (!decode_message(x.response_body, 12, response) && response.topics.size() == 1 &&
        response.topics[0].error_code == kwire::errc::none && !response.topics[0].partitions.empty() &&
        response.topics[0].partitions[0].leader_id >= 0) {
      topic_id = response.topics[0].topic_id;
      break;
    }
    if (attempt == 50) throw std::runtime_error("topic " + topic + " has no leader (auto.create.topics.enable?)");
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  for (std::int16_t v = 0; v <= 13; ++v) {
    MetadataRequest request;
    // v1 and v9 ask for every topic (a null array, classic and compact; the
    // answer's size depends on the cluster), the others for ours by name,
    // odd versions from v5 also for a topic that does not exist (without
    // creating it: allow_auto_topic_creation is false).
    if (v != 1 && v != 9) request.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, topic, {}}};
    if (v >= 5 && v % 2 == 1 && request.topics) {
      request.topics->push_back({Uuid{}, std::string("kwire-fuzz-no-such-topic"), {}});
      request.allow_auto_topic_creation = false;
    }
    if (v >= 8 && v <= 10) request.include_cluster_authorized_operations = true;
    if (v >= 8) request.include_topic_authorized_operations = true;
    const auto x = broker.call(ApiKey::metadata, v, encode(request, v));
    store(ApiKey::metadata, "metadata_request", "metadata_response", v, 0, x, captured);
  }
  {
    // By topic id (v12+ honours it), and an unknown topic id: a null name.
    MetadataRequest request;
    Uuid unknown;
    unknown.bytes.fill(0x5a);
    request.topics = std::vector<MetadataRequest::Topic>{{topic_id, std::nullopt, {}}, {unknown, std::nullopt, {}}};
    const auto x = broker.call(ApiKey::metadata, 13, encode(request, 13));
    store(ApiKey::metadata, "metadata_request", "metadata_response", 13, 0, x, captured, "by-id-real");
  }

  // InitProducerId v0-5 for an idempotent producer; keep the last id.
  std::int64_t producer_id = -1;
  std::int16_t epoch = -1;
  for (std::int16_t v = 0; v <= 5; ++v) {
    InitProducerIdRequest request;
    request.transaction_timeout_ms = 2147483647;  // what the Java client sends without a transactional id
    // A fresh broker answers COORDINATOR_LOAD_IN_PROGRESS / _NOT_AVAILABLE
    // for a while: keep one such answer as a seed too, then retry.
    for (int attempt = 0; attempt < 100; ++attempt) {
      const auto x = broker.call(ApiKey::init_producer_id, v, encode(request, v));
      InitProducerIdResponse response;
      const bool decoded = !decode_message(x.response_body, v, response);
      if (decoded && response.error_code == kwire::errc::none) {
        store(ApiKey::init_producer_id, "init_producer_id_request", "init_producer_id_response", v, 0, x, captured);
        producer_id = response.producer_id;
        epoch = response.producer_epoch;
        break;
      }
      if (attempt == 0)
        write_seed("init_producer_id_response", "InitProducerId-v" + std::to_string(v) + "-error-real", {version_byte(v, 0)},
                   x.response_body);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  if (producer_id < 0) throw std::runtime_error("InitProducerId gave no producer id");

  // Produce v3-13, one idempotent batch each, codecs in turn (zstd from v7).
  const Codec codecs[] = {Codec::none, Codec::gzip, Codec::snappy, Codec::lz4, Codec::zstd};
  std::int32_t sequence = 0;
  std::int64_t timestamp = 1'700'000'000'000;
  std::map<Codec, Bytes> batches;
  std::int64_t first_offset = -1;  // of this run's batches: the Fetch starts there
  for (std::int16_t v = 3; v <= 13; ++v) {
    Codec codec = codecs[v % 5];
    if (codec == Codec::zstd && v < 7) codec = Codec::lz4;
    const Bytes batch = make_batch(codec, producer_id, epoch, sequence, timestamp);
    sequence += 3;
    timestamp += 1000;
    batches.emplace(codec, batch);
    ProduceRequest request;
    request.acks = -1;
    request.timeout_ms = 10000;
    auto& t = request.topic_data.emplace_back();
    t.name = topic;
    t.topic_id = topic_id;
    t.partition_data.push_back({0, std::span<const std::uint8_t>(batch), {}});
    const auto x = broker.call(ApiKey::produce, v, encode(request, v));
    store(ApiKey::produce, "produce_request", "produce_response", v, 3, x, captured);
    ProduceResponse response;
    if (decode_message(x.response_body, v, response) || response.responses.empty() ||
        response.responses[0].partition_responses.empty() ||
        response.responses[0].partition_responses[0].error_code != kwire::errc::none)
      throw std::runtime_error("Produce v" + std::to_string(v) + " was not accepted");
    if (first_offset < 0) first_offset = response.responses[0].partition_responses[0].base_offset;
  }
  {
    // An error answer: a partition that does not exist.
    const Bytes batch = make_batch(Codec::none, -1, -1, -1, timestamp);
    ProduceRequest request;
    request.acks = 1;
    auto& t = request.topic_data.emplace_back();
    t.name = topic;
    t.partition_data.push_back({99, std::span<const std::uint8_t>(batch), {}});
    const auto x = broker.call(ApiKey::produce, 12, encode(request, 12));
    store(ApiKey::produce, "produce_request", "produce_response", 12, 3, x, captured, "unknown-partition-real");
  }

  // The record batch seeds: what kwire's builder writes, per codec ...
  for (const auto& [codec, batch] : batches) {
    const std::string name = std::string(kwire::compression::codec_name(codec)) + "-hand";
    write_seed("record_batch", name, {0}, batch);
    if (codec != Codec::none) {
      // ... their compressed records sections for the decompressor ...
      write_seed("decompress", name, {static_cast<std::uint8_t>(codec), 0},
                 std::span<const std::uint8_t>(batch).subspan(kRecordBatchHeaderSize));
    }
  }
  // ... and the uncompressed records section, for the round trip per codec.
  const Bytes& plain = batches.at(Codec::none);
  for (std::uint8_t c = 0; c <= 4; ++c)
    write_seed("compression_round_trip", std::string(kwire::compression::codec_name(static_cast<Codec>(c))) + "-records",
               {c, 0}, std::span<const std::uint8_t>(plain).subspan(kRecordBatchHeaderSize));

  // Fetch v4-17 read the batches back as the broker stored them (its
  // offsets, leader epoch and CRC); v13+ by topic id.
  Bytes records_field;
  for (std::int16_t v = FetchRequest::min_version; v <= FetchRequest::max_version; ++v) {
    FetchRequest request;
    request.max_wait_ms = 500;
    request.min_bytes = 1;
    request.max_bytes = 1 << 20;
    auto& t = request.topics.emplace_back();
    t.topic = topic;
    t.topic_id = topic_id;
    auto& p = t.partitions.emplace_back();
    p.partition = 0;
    p.fetch_offset = first_offset;
    p.partition_max_bytes = 1 << 20;
    const auto x = broker.call(ApiKey::fetch, v, encode(request, v));
    store(ApiKey::fetch, "fetch_request", "fetch_response", v, FetchRequest::min_version, x, captured);
    FetchResponse response;
    if (decode_message(x.response_body, v, response) || response.responses.size() != 1 ||
        response.responses[0].partitions.size() != 1 ||
        response.responses[0].partitions[0].error_code != kwire::errc::none ||
        !response.responses[0].partitions[0].records)
      throw std::runtime_error("Fetch v" + std::to_string(v) + " failed");
    const auto records = *response.responses[0].partitions[0].records;
    if (v == FetchRequest::min_version) records_field.assign(records.begin(), records.end());
  }
  if (records_field.empty()) throw std::runtime_error("Fetch returned no records");
  const std::span<const std::uint8_t> all(records_field);
  const auto* records = &all;
  write_seed("record_batches", "fetch-v4-real", {0}, *records);
  // A Fetch may end in a partial batch: the same bytes cut short.
  write_seed("record_batches", "fetch-v4-partial-tail-real", {0}, records->first(records->size() - 17));
  // Each stored batch alone, and the broker's copies of the compressed
  // records sections. Batches are walked by batch_length (the codec bits
  // tell which decompress seed each is).
  std::size_t at = 0;
  int index = 0;
  while (at + 12 <= records->size()) {
    const std::uint32_t length = (std::uint32_t{(*records)[at + 8]} << 24) | (std::uint32_t{(*records)[at + 9]} << 16) |
                                 (std::uint32_t{(*records)[at + 10]} << 8) | (*records)[at + 11];
    if (at + 12 + length > records->size()) break;
    const auto one = records->subspan(at, 12 + length);
    const auto codec = static_cast<Codec>(one[batch_offsets::attributes + 1] & batch_attributes::codec_mask);
    const std::string name =
        "fetch-" + std::to_string(index++) + "-" + std::string(kwire::compression::codec_name(codec)) + "-real";
    write_seed("record_batch", name, {0}, one);
    if (codec != Codec::none)
      write_seed("decompress", name, {static_cast<std::uint8_t>(codec), 0}, one.subspan(kRecordBatchHeaderSize));
    at += 12 + length;
  }

  // ListOffsets v1-10, asking for each special timestamp its version has
  // (v8/v9's tiered-storage lookups answer with errors on this broker: also
  // good seeds).
  const std::int64_t lookups[] = {list_offsets_timestamp::latest, list_offsets_timestamp::earliest,
                                  list_offsets_timestamp::max_timestamp, list_offsets_timestamp::earliest_local,
                                  list_offsets_timestamp::latest_tiered, 1'700'000'000'500};
  for (std::int16_t v = ListOffsetsRequest::min_version; v <= ListOffsetsRequest::max_version; ++v) {
    ListOffsetsRequest request;
    auto& t = request.topics.emplace_back();
    t.name = topic;
    for (std::int64_t lookup : lookups) {
      if (min_list_offsets_version_for(lookup) > v) continue;
      auto& p = t.partitions.emplace_back();
      p.partition_index = 0;
      p.timestamp = lookup;
      if (v == 1) break;  // v1 allows one lookup per partition
    }
    if (v >= 10) request.timeout_ms = 5000;
    const auto x = broker.call(ApiKey::list_offsets, v, encode(request, v));
    store(ApiKey::list_offsets, "list_offsets_request", "list_offsets_response", v, ListOffsetsRequest::min_version,
          x, captured);
  }
}

// ------------------------------------------------------------------ SASL

std::span<const std::uint8_t> as_span(const Bytes& b) { return b; }

/// On the SASL_PLAINTEXT listener: SaslHandshake v0/v1 (and an unknown
/// mechanism), SaslAuthenticate v0-2 carrying a real SCRAM-SHA-256 exchange,
/// and a wrong password. The SCRAM client uses the RFC 7677 client nonce, so
/// the broker's server-first messages are valid input for
/// fuzz/scram_server_messages (whose client has that nonce).
void capture_sasl(const std::string& host, const std::string& port, const std::string& user,
                  const std::string& password, Captured& captured) {
  using kwire::security::ScramAlgorithm;
  using kwire::security::ScramMechanism;
  using kwire::security::StepResult;
  {
    Broker broker(host, port);
    const auto x = broker.call(ApiKey::sasl_handshake, 1, encode(SaslHandshakeRequest{"NO-SUCH-MECHANISM"}, 1));
    store(ApiKey::sasl_handshake, "sasl_handshake_request", "sasl_handshake_response", 1, 0, x, captured,
          "unsupported-real");
  }
  {
    Broker broker(host, port);
    const auto x = broker.call(ApiKey::sasl_handshake, 0, encode(SaslHandshakeRequest{"PLAIN"}, 0));
    store(ApiKey::sasl_handshake, "sasl_handshake_request", "sasl_handshake_response", 0, 0, x, captured);
  }
  for (std::int16_t v = 0; v <= 2; ++v) {
    const bool wrong_password = v == 1;
    Broker broker(host, port);
    const auto hs = broker.call(ApiKey::sasl_handshake, 1, encode(SaslHandshakeRequest{"SCRAM-SHA-256"}, 1));
    if (v == 0) store(ApiKey::sasl_handshake, "sasl_handshake_request", "sasl_handshake_response", 1, 0, hs, captured);
    ScramMechanism scram(ScramAlgorithm::sha256, user, wrong_password ? password + "-wrong" : password,
                         "rOprNGfwEbeRWgbNEkqO");
    StepResult step = scram.step({});
    for (int round = 0; step.kind == StepResult::Kind::respond && round < 3; ++round) {
      SaslAuthenticateRequest request;
      request.auth_bytes = step.response;
      const auto x = broker.call(ApiKey::sasl_authenticate, v, encode(request, v));
      const std::string suffix = std::string(wrong_password && round == 1 ? "wrong-password-" : "") + "round" +
                                 std::to_string(round) + "-real";
      store(ApiKey::sasl_authenticate, "sasl_authenticate_request", "sasl_authenticate_response", v, 0, x, captured,
            suffix);
      SaslAuthenticateResponse response;
      if (decode_message(x.response_body, v, response) || response.error_code != kwire::errc::none) break;
      if (round == 0)  // the broker's server-first, for the SCRAM target
        write_seed("scram_server_messages", "server-first-v" + std::to_string(v) + "-real", {0},
                   as_span(response.auth_bytes));
      step = scram.step(response.auth_bytes);
    }
  }
}

// ------------------------------------------------------------------ hand-made seeds

void write_hand_seeds() {
  // ApiVersions: a KIP-511 fallback body from an old broker (empty list),
  // and a v3 answer with unknown tags at every level.
  {
    ApiVersionsResponse r;
    r.error_code = kwire::errc::unsupported_version;
    write_seed("api_versions_response", "fallback-empty-as-v2-hand", {2}, encode(r, 0));
    ApiVersionsResponse t;
    t.api_keys.push_back({0, 3, 13, {{7, {1, 2}}}});
    t.supported_features.push_back({"metadata.version", 1, 27, {{9, {}}}});
    t.finalized_features_epoch = 42;
    t.finalized_features.push_back({"metadata.version", 27, 1, {}});
    t.zk_migration_ready = true;
    t.unknown_tags.push_back({100, {0xde, 0xad}});
    write_seed("api_versions_response", "tags-v3-hand", {3}, encode(t, 3));
    ApiVersionsRequest q{"librdkafka", "2.3.0", {{1, {0}}}};
    write_seed("api_versions_request", "tags-v3-hand", {3}, encode(q, 3));
  }
  // Metadata with unknown tags everywhere and every optional field set.
  {
    MetadataResponse m;
    m.throttle_time_ms = 5;
    m.brokers.push_back({1, "broker-1.example", 9092, std::string("rack-a"), {{5, {1}}}});
    m.cluster_id = "c-1";
    m.controller_id = 1;
    auto& t = m.topics.emplace_back();
    t.name = "t";
    t.topic_id.bytes.fill(7);
    t.partitions.push_back({kwire::errc::none, 0, 1, 3, {1, 2}, {1}, {2}, {{1, {9, 9}}}});
    t.topic_authorized_operations = 0x1234;
    t.unknown_tags.push_back({3, {}});
    m.error_code = kwire::errc::none;
    m.unknown_tags.push_back({0, {1, 2, 3}});
    write_seed("metadata_response", "tags-v13-hand", {13}, encode(m, 13));
    MetadataRequest q;
    q.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, std::string("t"), {{2, {4}}}}};
    q.unknown_tags.push_back({1, {}});
    write_seed("metadata_request", "tags-v13-hand", {13}, encode(q, 13));
  }
  // InitProducerId: a transactional request, a KIP-360 epoch bump, tags.
  {
    InitProducerIdRequest q;
    q.transactional_id = "txn-1";
    q.transaction_timeout_ms = 60000;
    q.producer_id = 1000;
    q.producer_epoch = 4;
    q.unknown_tags.push_back({0, {1}});
    write_seed("init_producer_id_request", "epoch-bump-v5-hand", {5}, encode(q, 5));
    InitProducerIdResponse r;
    r.error_code = kwire::errc::producer_fenced;
    r.producer_epoch = -1;
    r.unknown_tags.push_back({3, {}});
    write_seed("init_producer_id_response", "fenced-v4-hand", {4}, encode(r, 4));
  }
  // Produce: KIP-951 leader hints (sent only on NOT_LEADER_OR_FOLLOWER) and
  // KIP-467 record errors, at v10 and v13; a transactional request.
  for (std::int16_t v : {std::int16_t{8}, std::int16_t{10}, std::int16_t{13}}) {
    ProduceResponse r;
    auto& t = r.responses.emplace_back();
    t.name = "t";
    t.topic_id.bytes.fill(3);
    auto& p = t.partition_responses.emplace_back();
    p.error_code = kwire::errc::not_leader_or_follower;
    p.record_errors.push_back({2, std::string("bad record"), {}});
    p.error_message = "not the leader";
    if (v >= 10) {
      p.current_leader = {2, 7, {}};
      r.node_endpoints.push_back({2, "broker-2.example", 9092, std::nullopt, {}});
    }
    r.throttle_time_ms = 100;
    write_seed("produce_response", "hints-v" + std::to_string(v) + "-hand", {static_cast<std::uint8_t>(v - 3)},
               encode(r, v));
  }
  {
    const Bytes batch = make_batch(Codec::none, 77, 3, 9, 5, /*transactional=*/true);
    ProduceRequest q;
    q.transactional_id = "txn-1";
    auto& t = q.topic_data.emplace_back();
    t.name = "t";
    t.partition_data.push_back({0, std::span<const std::uint8_t>(batch), {}});
    t.partition_data.push_back({1, std::nullopt, {}});
    write_seed("produce_request", "transactional-v11-hand", {8}, encode(q, 11));
    write_seed("record_batch", "transactional-hand", {0}, batch);
    // Two batches and a cut-off third, for the multi-batch decoder.
    Bytes two = make_batch(Codec::gzip, -1, -1, -1, 10);
    two.insert(two.end(), batch.begin(), batch.end());
    two.insert(two.end(), batch.begin(), batch.begin() + 30);
    write_seed("record_batches", "two-and-a-tail-hand", {0}, two);
  }

  // Compression: the known vectors of the compression tests.
  namespace v = kwire::compression::test;
  write_seed("decompress", "gzip-cli-vector", {1, 0}, v::kGzipCli);
  write_seed("decompress", "gzip-cli-empty-vector", {1, 0}, v::kGzipCliEmpty);
  write_seed("decompress", "snappy-abc-vector", {2, 0}, v::kSnappyAbc);
  write_seed("decompress", "snappy-hello-vector", {2, 0}, v::kSnappyHello);
  write_seed("decompress", "snappy-xerial-vector", {2, 0}, v::kXerial);
  write_seed("decompress", "lz4-cli-vector", {3, 0}, v::kLz4Cli);
  write_seed("decompress", "lz4-cli-checksummed-vector", {3, 0}, v::kLz4CliChecksummed);
  write_seed("decompress", "zstd-cli-stream-vector", {4, 0}, v::kZstdCliStream);
  write_seed("decompress", "zstd-cli-file-vector", {4, 0}, v::kZstdCliFile);
  write_seed("decompress", "none-vector", {0, 0}, as_bytes(v::kText));
  write_seed("compression_round_trip", "text-vector", {4, 3}, as_bytes(v::kText));

  // SCRAM: RFC 7677's exchange (authenticates with the target's client),
  // its SHA-512 counterpart, and an e= refusal.
  {
    const std::string_view first =
        "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    const std::string rfc7677 = std::string(first) + '\0' + "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    write_seed("scram_server_messages", "rfc7677-sha256-vector", {0}, as_bytes(rfc7677));
    const std::string sha512 =
        std::string(first) + '\0' +
        "v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==";
    write_seed("scram_server_messages", "sha512-vector", {1}, as_bytes(sha512));
    const std::string refused = std::string(first) + '\0' + "e=invalid-proof";
    write_seed("scram_server_messages", "refused-hand", {0}, as_bytes(refused));
    // An empty server-first (refused), then the good exchange: what a caller
    // that ignores the failure would feed (found by the fuzzer).
    write_seed("scram_server_messages", "failure-then-more-tokens-hand", {0}, as_bytes('\0' + rfc7677));
    SaslHandshakeResponse hs{kwire::errc::none, {"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER"}};
    write_seed("sasl_handshake_response", "mechanisms-v1-hand", {1}, encode(hs, 1));
    SaslAuthenticateResponse auth;
    auth.error_code = kwire::errc::sasl_authentication_failed;
    auth.error_message = "Authentication failed during authentication due to invalid credentials with SASL mechanism";
    auth.session_lifetime_ms = 3600000;
    auth.unknown_tags.push_back({0, {1}});
    write_seed("sasl_authenticate_response", "failed-tags-v2-hand", {2}, encode(auth, 2));
  }

  // Request header v2 with tags; response header v1 with tags.
  {
    Bytes h;
    Writer w(h);
    RequestHeader header{ApiKey::metadata, 12, 7, std::nullopt, {{0, {1, 2}}, {5, {}}}};
    header.encode(w);
    write_seed("request_header", "tags-v2-hand", {2}, h);
    Bytes r;
    Writer rw(r);
    ResponseHeader{9, {{1, {3}}}}.encode(rw, 1);
    write_seed("response_header", "tags-v1-hand", {1}, r);
  }

  // Producer configurations, as users paste them.
  const std::pair<const char*, const char*> configs[] = {
      {"minimal", "bootstrap.servers=127.0.0.1:19092\n"},
      {"java-style",
       "bootstrap.servers=broker-1:9092,[::1]:9093\nacks=all\nlinger.ms=10\nbatch.size=65536\n"
       "compression.type=zstd\ncompression.zstd.level=5\nenable.idempotence=true\n"
       "max.in.flight.requests.per.connection=5\nretries=2147483647\ndelivery.timeout.ms=120000\n"
       "request.timeout.ms=30000\nclient.id=fuzz\n"},
      {"librdkafka-style",
       "metadata.broker.list=localhost:9092\nrequest.required.acks=1\nqueue.buffering.max.ms=5\n"
       "compression.codec=lz4\ncompression.level=9\nmessage.send.max.retries=3\npartitioner=consistent_random\n"
       "max.in.flight=1000000\nenable.idempotence=false\n"},
      {"sasl-scram",
       "bootstrap.servers=127.0.0.1:19096\nsecurity.protocol=sasl_plaintext\nsasl.mechanism=SCRAM-SHA-512\n"
       "sasl.username=alice\nsasl.password=alice-secret\n"},
      {"ssl-pem",
       "bootstrap.servers=127.0.0.1:19094\nsecurity.protocol=SSL\nssl.ca.pem=-----BEGIN CERTIFICATE-----\n"
       "ssl.key.pem=-----BEGIN PRIVATE KEY-----\nssl.key.password=hunter2\n"
       "ssl.endpoint.identification.algorithm=\n"},
      {"conflicts",
       "bootstrap.servers=a:1\nlinger.ms=5\nqueue.buffering.max.ms=7\nacks=0\nenable.idempotence=true\n"},
      {"typo", "bootstrap.server=a:1\n"},
      {"unsupported", "bootstrap.servers=a:1\nssl.keystore.password=secret-store\ntransactional.id=t\n"},
  };
  for (const auto& [name, text] : configs)
    write_seed("producer_config", std::string(name) + "-hand", {}, as_bytes(text));
}

void write_frame_seeds(const Captured& captured) {
  // Byte 0: max frame choice 7 (the 100 MiB default), byte 1: chunking.
  Bytes all;
  for (const auto& f : captured.response_frames) all.insert(all.end(), f.begin(), f.end());
  if (all.size() > 16 * 1024) all.resize(16 * 1024);  // a partial frame at the end is fine
  write_seed("frame_decoder", "responses-whole-real", {7, 0}, all);
  write_seed("frame_decoder", "responses-chunks-of-1-7-real", {7, 7}, all);
  Bytes few;
  for (std::size_t i = 0; i < captured.response_frames.size() && i < 4; ++i)
    few.insert(few.end(), captured.response_frames[i].begin(), captured.response_frames[i].end());
  write_seed("frame_decoder", "four-bytewise-real", {7, 1}, few);
  write_seed("frame_decoder", "four-limit-4096-real", {4, 200}, few);
  const std::uint8_t bad[] = {0xff, 0xff, 0xff, 0xfe, 1, 2, 3};
  write_seed("frame_decoder", "negative-size-hand", {7, 0}, bad);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "127.0.0.1:19092";
  std::string topic = "kwire-fuzz-seeds";
  std::string sasl = "127.0.0.1:19096";  // SASL_PLAINTEXT listener of tests/broker/kafka-broker
  std::string sasl_user = "alice";
  std::string sasl_password = "alice-secret";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (flag == "--bootstrap")
      bootstrap = argv[i + 1];
    else if (flag == "--out")
      g_out = argv[i + 1];
    else if (flag == "--topic")
      topic = argv[i + 1];
    else if (flag == "--sasl")
      sasl = argv[i + 1];  // "" skips the SASL captures
    else if (flag == "--sasl-user")
      sasl_user = argv[i + 1];
    else if (flag == "--sasl-password")
      sasl_password = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: %s [--bootstrap host:port] [--out dir] [--topic name] [--sasl host:port]\n"
                   "       [--sasl-user name] [--sasl-password secret]\n",
                   argv[0]);
      return 2;
    }
  }
  try {
    const auto colon = bootstrap.rfind(':');
    if (colon == std::string::npos) throw std::runtime_error("--bootstrap wants host:port");
    Broker broker(bootstrap.substr(0, colon), bootstrap.substr(colon + 1));
    Captured captured;
    capture_real(broker, topic, captured);
    capture_admin(broker);
    capture_transactions(broker, topic);
    kwire::capture::capture_groups(
        [&](ApiKey api, std::int16_t v, auto body) { return broker.call(api, v, body).response_body; }, write_seed,
        topic);
    if (!sasl.empty()) {
      const auto sasl_colon = sasl.rfind(':');
      capture_sasl(sasl.substr(0, sasl_colon), sasl.substr(sasl_colon + 1), sasl_user, sasl_password, captured);
    }
    write_hand_seeds();
    write_frame_seeds(captured);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "kwire_capture_seeds: %s\n", e.what());
    return 1;
  }
  std::printf("wrote %zu seeds under %s\n", g_written, g_out.string().c_str());
  return 0;
}
