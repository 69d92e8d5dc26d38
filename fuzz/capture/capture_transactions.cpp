#include "capture_transactions.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kwire/protocol/add_offsets_to_txn.hpp"
#include "kwire/protocol/add_partitions_to_txn.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/describe_producers.hpp"
#include "kwire/protocol/describe_transactions.hpp"
#include "kwire/protocol/end_txn.hpp"
#include "kwire/protocol/init_producer_id.hpp"
#include "kwire/protocol/list_transactions.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/produce.hpp"
#include "kwire/protocol/record_batch.hpp"
#include "kwire/protocol/txn_offset_commit.hpp"
#include "kwire/protocol/write_txn_markers.hpp"

namespace kwire::capture {
namespace {

using kwire::errc;

const std::string kTransactionalId = "kwire-capture-txn";
const std::string kHangingId = "kwire-capture-hanging";
const std::string kGroup = "kwire-capture-txn-group";

/// What the broker serves.
struct Cluster {
  std::map<ApiKey, std::pair<std::int16_t, std::int16_t>> ranges;
  bool transaction_v2 = false;  ///< finalized transaction.version >= 2 (KIP-890)

  bool serves(ApiKey api, std::int16_t version) const {
    const auto it = ranges.find(api);
    return it != ranges.end() && version >= it->second.first && version <= it->second.second;
  }
  /// The versions both the broker and kwire's codec speak, ascending.
  template <class Request>
  std::vector<std::int16_t> versions() const {
    std::vector<std::int16_t> out;
    for (auto v = Request::min_version; v <= Request::max_version; ++v)
      if (serves(Request::api_key, v)) out.push_back(v);
    return out;
  }
};

Cluster describe_cluster(Broker& broker) {
  const auto x = broker.call(ApiKey::api_versions, 3, encode(ApiVersionsRequest{"kwire-capture", "0.1.0", {}}, 3));
  ApiVersionsResponse response;
  if (decode_message(x.response_body, 3, response)) throw std::runtime_error("ApiVersions v3: cannot decode");
  Cluster cluster;
  for (const auto& k : response.api_keys) cluster.ranges[static_cast<ApiKey>(k.api_key)] = {k.min_version, k.max_version};
  for (const auto& f : response.finalized_features)
    if (f.name == "transaction.version" && f.max_version_level >= 2 && response.finalized_features_epoch >= 0)
      cluster.transaction_v2 = true;
  return cluster;
}

/// The fuzz target of an API: its codec's file name.
std::string target_of(ApiKey api) {
  switch (api) {
    case ApiKey::add_partitions_to_txn: return "add_partitions_to_txn";
    case ApiKey::add_offsets_to_txn: return "add_offsets_to_txn";
    case ApiKey::end_txn: return "end_txn";
    case ApiKey::write_txn_markers: return "write_txn_markers";
    case ApiKey::txn_offset_commit: return "txn_offset_commit";
    case ApiKey::describe_producers: return "describe_producers";
    case ApiKey::describe_transactions: return "describe_transactions";
    case ApiKey::list_transactions: return "list_transactions";
    default: throw std::runtime_error("no transaction fuzz target for " + std::string(api_name(api)));
  }
}

std::string seed_name(ApiKey api, std::int16_t version, const std::string& what) {
  return std::string(api_name(api)) + "-v" + std::to_string(version) + (what.empty() ? "" : "-" + what);
}

enum class Half : std::uint8_t { request = 0, response = 1 };

/// Sends `request` at `version`, stores both bodies as seeds of the API's
/// target (message_pair.hpp's format) and returns the decoded response: a
/// response kwire cannot decode is a codec bug, so it throws.
template <class Response, class Request>
Response exchange(Broker& broker, const Request& request, std::int16_t version, const std::string& what = "") {
  const Bytes body = encode(request, version);
  const auto x = broker.call(Request::api_key, version, body);
  const std::string name = seed_name(Request::api_key, version, what);
  const std::uint8_t vb = version_byte(version, Request::min_version);
  write_seed(target_of(Request::api_key), name + "-request-real", {static_cast<std::uint8_t>(Half::request), vb}, body);
  write_seed(target_of(Request::api_key), name + "-response-real", {static_cast<std::uint8_t>(Half::response), vb},
             x.response_body);
  Response response;
  if (auto ec = decode_message(x.response_body, version, response))
    throw std::runtime_error(name + " response: " + ec.message());
  return response;
}

template <class M>
void hand_seed(Half half, const M& message, std::int16_t version, const std::string& what) {
  write_seed(target_of(M::api_key), seed_name(M::api_key, version, what) + "-hand",
             {static_cast<std::uint8_t>(half), version_byte(version, M::min_version)}, encode(message, version));
}

/// Repeats `attempt` while the coordinator is busy: CONCURRENT_TRANSACTIONS
/// (the previous transaction's markers are still being written) or a
/// coordinator still loading. Returns the last error.
errc retry_while_busy(const std::string& what, const std::function<errc()>& attempt) {
  errc error = errc::none;
  for (int i = 0; i < 100; ++i) {
    error = attempt();
    if (error != errc::concurrent_transactions && error != errc::coordinator_load_in_progress &&
        error != errc::coordinator_not_available && error != errc::not_enough_replicas)
      return error;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error(what + ": coordinator busy for 10 s");
}

void expect_none(const std::string& what, errc error) {
  if (error != errc::none)
    throw std::runtime_error(what + ": " + std::string(kafka_error_name(error)) + " (" +
                             std::to_string(static_cast<int>(error)) + ")");
}

// FindCoordinator v2 (key, key type) written by hand: its codec belongs to
// the cluster layer. Waits until the coordinator for `key` is available (the
// first transactional request makes the broker create __transaction_state).
void wait_for_coordinator(Broker& broker, const std::string& key, std::int8_t key_type) {
  for (int attempt = 0; attempt < 120; ++attempt) {
    Bytes body;
    Writer w(body);
    w.write_string(key, false);
    w.write_int8(key_type);
    const auto x = broker.call(ApiKey::find_coordinator, 2, body);
    Reader in(x.response_body);
    in.read_int32();  // throttle_time_ms
    const auto error = static_cast<errc>(in.read_int16());
    if (!in.ok()) throw std::runtime_error("FindCoordinator v2: short response");
    if (error == errc::none) return;
    if (error != errc::coordinator_not_available && error != errc::coordinator_load_in_progress)
      expect_none("FindCoordinator " + key, error);
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  throw std::runtime_error("FindCoordinator " + key + ": no coordinator after 60 s");
}

struct ProducerState {
  std::string transactional_id;
  std::int64_t id = -1;
  std::int16_t epoch = -1;
  std::int32_t next_sequence = 0;
};

/// InitProducerId for a transactional id (v5, or the broker's highest
/// below); with `bump`, the KIP-360 form carrying the current id and epoch.
/// Stored in the existing init_producer_id_* targets' format (version byte).
void init_producer_id(Broker& broker, const Cluster& cluster, ProducerState& producer, bool bump) {
  const auto versions = cluster.versions<InitProducerIdRequest>();
  std::int16_t version = 0;
  for (auto v : versions)
    if (v <= 5) version = v;
  InitProducerIdRequest request;
  request.transactional_id = producer.transactional_id;
  request.transaction_timeout_ms = 60000;
  if (bump) {
    request.producer_id = producer.id;
    request.producer_epoch = producer.epoch;
  }
  InitProducerIdResponse response;
  const errc error = retry_while_busy("InitProducerId", [&] {
    const Bytes body = encode(request, version);
    const auto x = broker.call(ApiKey::init_producer_id, version, body);
    const std::string name = seed_name(ApiKey::init_producer_id, version, bump ? "txn-bump" : "txn") + "-real";
    write_seed("init_producer_id_request", name, {version_byte(version, InitProducerIdRequest::min_version)}, body);
    write_seed("init_producer_id_response", name, {version_byte(version, InitProducerIdResponse::min_version)},
               x.response_body);
    if (auto ec = decode_message(x.response_body, version, response))
      throw std::runtime_error("InitProducerId response: " + ec.message());
    return response.error_code;
  });
  expect_none("InitProducerId", error);
  producer.id = response.producer_id;
  producer.epoch = response.producer_epoch;
  producer.next_sequence = 0;
}

/// One transactional batch of two records to partition 0 (attributes bit 4).
Bytes transactional_batch(ProducerState& producer) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  RecordBatchBuilder builder(now);
  using View = std::optional<std::span<const std::uint8_t>>;
  const Bytes key = {'k', '1'};
  const Bytes value = {'t', 'x', 'n', '-', 'v', 'a', 'l', 'u', 'e'};
  builder.append(now, View(key), View(value));
  builder.append(now + 1, std::nullopt, View(value));
  const auto sealed = builder.seal({.producer_id = producer.id,
                                    .producer_epoch = producer.epoch,
                                    .base_sequence = producer.next_sequence,
                                    .is_transactional = true});
  producer.next_sequence += 2;
  return {sealed.begin(), sealed.end()};
}

/// A transactional Produce to partition 0, stored in the existing
/// produce_* targets' format (version byte). Retries while the partition
/// leader's implicit add (TV2) or verification (KIP-890 part 1) finds the
/// coordinator busy.
void produce(Broker& broker, ProducerState& producer, std::int16_t version, const std::string& topic,
             const Uuid& topic_id) {
  const Bytes batch = transactional_batch(producer);
  ProduceRequest request;
  request.transactional_id = producer.transactional_id;
  request.acks = -1;
  ProduceRequest::TopicData data;
  if (version >= ProduceRequest::first_topic_id_version)
    data.topic_id = topic_id;
  else
    data.name = topic;
  data.partition_data.push_back({0, std::span<const std::uint8_t>(batch), {}});
  request.topic_data.push_back(std::move(data));
  const errc error = retry_while_busy("Produce", [&] {
    const Bytes body = encode(request, version);
    const auto x = broker.call(ApiKey::produce, version, body);
    const std::string name = seed_name(ApiKey::produce, version, "transactional") + "-real";
    write_seed("produce_request", name, {version_byte(version, ProduceRequest::min_version)}, body);
    write_seed("produce_response", name, {version_byte(version, ProduceResponse::min_version)}, x.response_body);
    ProduceResponse response;
    if (auto ec = decode_message(x.response_body, version, response))
      throw std::runtime_error("Produce response: " + ec.message());
    if (response.responses.size() != 1 || response.responses[0].partition_responses.size() != 1)
      throw std::runtime_error("Produce: unexpected response shape");
    return response.responses[0].partition_responses[0].error_code;
  });
  expect_none("Produce v" + std::to_string(version), error);
}

/// TV1: AddPartitionsToTxn (client form) for partition 0 of `topic`.
void add_partition(Broker& broker, const ProducerState& producer, std::int16_t version, const std::string& topic) {
  AddPartitionsToTxnRequest request;
  request.v3_and_below_transactional_id = producer.transactional_id;
  request.v3_and_below_producer_id = producer.id;
  request.v3_and_below_producer_epoch = producer.epoch;
  request.v3_and_below_topics = {{topic, {0}, {}}};
  const errc error = retry_while_busy("AddPartitionsToTxn", [&] {
    const auto response = exchange<AddPartitionsToTxnResponse>(broker, request, version);
    for (const auto& t : response.results_by_topic_v3_and_below)
      for (const auto& p : t.partitions)
        if (p.error_code != errc::none) return p.error_code;
    return errc::none;
  });
  expect_none("AddPartitionsToTxn v" + std::to_string(version), error);
}

void add_offsets(Broker& broker, const ProducerState& producer, std::int16_t version) {
  const AddOffsetsToTxnRequest request{producer.transactional_id, producer.id, producer.epoch, kGroup, {}};
  const errc error = retry_while_busy("AddOffsetsToTxn", [&] {
    return exchange<AddOffsetsToTxnResponse>(broker, request, version).error_code;
  });
  expect_none("AddOffsetsToTxn v" + std::to_string(version), error);
}

void commit_offsets(Broker& broker, const ProducerState& producer, std::int16_t version, const std::string& topic,
                    const Uuid& topic_id, std::int64_t offset) {
  TxnOffsetCommitRequest request;
  request.transactional_id = producer.transactional_id;
  request.group_id = kGroup;
  request.producer_id = producer.id;
  request.producer_epoch = producer.epoch;
  TxnOffsetCommitRequest::Topic t;
  if (version >= TxnOffsetCommitRequest::first_topic_id_version)
    t.topic_id = topic_id;
  else
    t.name = topic;
  t.partitions = {{0, offset, version >= 2 ? 0 : -1, version % 2 == 0 ? std::optional<std::string>("kwire-capture")
                                                                         : std::nullopt,
                   {}}};
  request.topics = {t};
  const errc error = retry_while_busy("TxnOffsetCommit", [&] {
    const auto response = exchange<TxnOffsetCommitResponse>(broker, request, version);
    for (const auto& rt : response.topics)
      for (const auto& p : rt.partitions)
        if (p.error_code != errc::none) return p.error_code;
    return errc::none;
  });
  expect_none("TxnOffsetCommit v" + std::to_string(version), error);
}

/// EndTxn; from v5 adopts the next producer id and epoch (KIP-890).
void end_transaction(Broker& broker, ProducerState& producer, std::int16_t version, bool commit) {
  const EndTxnRequest request{producer.transactional_id, producer.id, producer.epoch, commit, {}};
  EndTxnResponse response;
  const errc error = retry_while_busy("EndTxn", [&] {
    response = exchange<EndTxnResponse>(broker, request, version, commit ? "commit" : "abort");
    return response.error_code;
  });
  expect_none("EndTxn v" + std::to_string(version), error);
  if (response.producer_id >= 0 && response.producer_epoch >= 0) {
    producer.id = response.producer_id;
    producer.epoch = response.producer_epoch;
    producer.next_sequence = 0;
  }
}

/// The admin APIs (KIP-664) while `producer`'s transaction is open; returns
/// the partition leader's coordinator epoch for it (for WriteTxnMarkers).
std::int32_t describe_open_transaction(Broker& broker, const Cluster& cluster, const ProducerState& producer,
                                       const std::string& topic, const std::string& what) {
  std::int32_t coordinator_epoch = -1;
  for (auto v : cluster.versions<DescribeProducersRequest>()) {
    DescribeProducersRequest request;
    request.topics = {{topic, {0, 99}, {}}};  // 99: a partition that does not exist
    const auto response = exchange<DescribeProducersResponse>(broker, request, v, what);
    for (const auto& t : response.topics)
      for (const auto& p : t.partitions)
        for (const auto& s : p.active_producers)
          if (s.producer_id == producer.id) coordinator_epoch = s.coordinator_epoch;
  }
  for (auto v : cluster.versions<ListTransactionsRequest>()) {
    ListTransactionsRequest request;
    if (v == 1) request.duration_filter = 0;
    if (v >= 1) request.state_filters = {"Ongoing", "NoSuchState"};
    if (v >= 2) request.transactional_id_pattern = "kwire-capture-.*";
    exchange<ListTransactionsResponse>(broker, request, v, what);
    exchange<ListTransactionsResponse>(broker, ListTransactionsRequest{}, v, what + "-all");
  }
  for (auto v : cluster.versions<DescribeTransactionsRequest>()) {
    const DescribeTransactionsRequest request{{producer.transactional_id, "kwire-capture-no-such-txn"}, {}};
    exchange<DescribeTransactionsResponse>(broker, request, v, what);
  }
  return coordinator_epoch;
}

// ------------------------------------------------------------------ flows

/// Transaction version 1: one transaction per client version of
/// AddPartitionsToTxn / AddOffsetsToTxn / TxnOffsetCommit / EndTxn, the last
/// one aborted. Produce stays at v11 (a TV1 producer must: KIP-890).
void capture_tv1(Broker& broker, const Cluster& cluster, ProducerState& producer, const std::string& topic,
                 const Uuid& topic_id) {
  auto versions_of = [&](auto request_tag, std::int16_t cap) {
    std::vector<std::int16_t> out;
    for (auto v : cluster.versions<decltype(request_tag)>())
      if (v <= cap) out.push_back(v);
    return out;
  };
  const auto add_versions = versions_of(AddPartitionsToTxnRequest{}, AddPartitionsToTxnRequest::max_client_version);
  const auto offsets_versions = versions_of(AddOffsetsToTxnRequest{}, AddOffsetsToTxnRequest::max_version);
  const auto commit_versions =
      versions_of(TxnOffsetCommitRequest{}, TxnOffsetCommitRequest::first_transaction_v2_version - 1);
  const auto end_versions = versions_of(EndTxnRequest{}, EndTxnRequest::first_transaction_v2_version - 1);
  const std::int16_t produce_version = cluster.serves(ApiKey::produce, 11) ? 11 : 3;
  const std::size_t rounds = std::max({add_versions.size(), offsets_versions.size(), commit_versions.size(),
                                       end_versions.size()});
  for (const auto* vs : {&add_versions, &offsets_versions, &commit_versions, &end_versions})
    if (vs->empty()) throw std::runtime_error("the broker serves no client version of a transaction API");
  auto pick = [](const std::vector<std::int16_t>& vs, std::size_t i) { return vs[std::min(i, vs.size() - 1)]; };
  for (std::size_t i = 0; i < rounds; ++i) {
    add_partition(broker, producer, pick(add_versions, i), topic);
    produce(broker, producer, produce_version, topic, topic_id);
    if (i == 1) describe_open_transaction(broker, cluster, producer, topic, "ongoing");
    add_offsets(broker, producer, pick(offsets_versions, i));
    commit_offsets(broker, producer, pick(commit_versions, i), topic, topic_id, static_cast<std::int64_t>(i) + 1);
    end_transaction(broker, producer, pick(end_versions, i), /*commit=*/i + 1 < rounds);
  }
}

/// Transaction version 2 (KIP-890 part 2): no AddPartitionsToTxn (Produce
/// v12+ adds the partition), no AddOffsetsToTxn (TxnOffsetCommit v5+), and
/// EndTxn v5 hands out the next epoch. As the Java client does when it sees
/// TV2 for the first time, the epoch is bumped first (InitProducerId with
/// the current id and epoch).
void capture_tv2(Broker& broker, const Cluster& cluster, ProducerState& producer, const std::string& topic,
                 const Uuid& topic_id) {
  init_producer_id(broker, cluster, producer, /*bump=*/true);
  const std::int16_t first_commit = TxnOffsetCommitRequest::first_transaction_v2_version;
  int round = 0;
  for (std::int16_t produce_version : {std::int16_t{12}, std::int16_t{13}}) {
    if (!cluster.serves(ApiKey::produce, produce_version)) continue;
    produce(broker, producer, produce_version, topic, topic_id);
    if (round == 0) describe_open_transaction(broker, cluster, producer, topic, "ongoing-tv2");
    const auto commit_version = static_cast<std::int16_t>(first_commit + round);
    if (cluster.serves(ApiKey::txn_offset_commit, commit_version))
      commit_offsets(broker, producer, commit_version, topic, topic_id, 100 + round);
    end_transaction(broker, producer, EndTxnRequest::first_transaction_v2_version, /*commit=*/round == 0);
    ++round;
  }
  // TV2 allows an empty abort (it bumps the epoch again).
  end_transaction(broker, producer, EndTxnRequest::first_transaction_v2_version, /*commit=*/false);
}

/// KIP-664: a transaction left open is aborted by writing the ABORT marker
/// straight to the partition leader with WriteTxnMarkers (what
/// kafka-transactions.sh abort does), then ended at its coordinator.
void capture_admin_abort(Broker& broker, const Cluster& cluster, const std::string& topic, const Uuid& topic_id) {
  if (cluster.versions<WriteTxnMarkersRequest>().empty()) return;
  wait_for_coordinator(broker, kHangingId, 1);
  ProducerState hanging{kHangingId};
  init_producer_id(broker, cluster, hanging, /*bump=*/false);
  add_partition(broker, hanging, AddPartitionsToTxnRequest::max_client_version, topic);
  produce(broker, hanging, cluster.serves(ApiKey::produce, 11) ? 11 : 3, topic, topic_id);
  const std::int32_t coordinator_epoch = describe_open_transaction(broker, cluster, hanging, topic, "hanging");
  for (auto v : cluster.versions<WriteTxnMarkersRequest>()) {
    WriteTxnMarkersRequest request;
    WriteTxnMarkersRequest::Marker marker;
    marker.producer_id = hanging.id;
    marker.producer_epoch = hanging.epoch;
    marker.transaction_result = false;
    marker.topics = {{topic, {0}, {}}};
    marker.coordinator_epoch = coordinator_epoch;
    if (v >= WriteTxnMarkersRequest::first_transaction_version_version) marker.transaction_version = 1;
    request.markers = {marker};
    exchange<WriteTxnMarkersResponse>(broker, request, v, "admin-abort");
  }
  end_transaction(broker, hanging, EndTxnRequest::first_transaction_v2_version - 1, /*commit=*/false);
}

Uuid topic_id_of(Broker& broker, const std::string& topic) {
  MetadataRequest request;
  request.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, topic, {}}};
  MetadataResponse response;
  const auto x = broker.call(ApiKey::metadata, 12, encode(request, 12));
  if (decode_message(x.response_body, 12, response) || response.topics.size() != 1)
    throw std::runtime_error("Metadata v12: cannot read topic " + topic);
  return response.topics[0].topic_id;
}

// ------------------------------------------------------------------ hand seeds

/// What a broker does not send a client: the broker-to-broker
/// AddPartitionsToTxn batch (KIP-890), unknown tags, the KIP-939 fields,
/// WriteTxnMarkers v0 (gone from 4.x), a TxnOffsetCommit by topic id.
void write_transaction_hand_seeds() {
  const TaggedFields tags{RawTaggedField{0, {0x01}}, RawTaggedField{7, {}}};
  for (std::int16_t v : {std::int16_t{4}, std::int16_t{5}}) {
    AddPartitionsToTxnRequest verify;
    verify.transactions = {{"tx-a", 4242, 3, true, {{"orders", {0, 1, 2}, tags}}, {}},
                           {"tx-b", 17, 0, false, {{"payments", {5}, {}}, {"audit", {}, {}}}, tags}};
    verify.unknown_tags = tags;
    hand_seed(Half::request, verify, v, "batched");
    AddPartitionsToTxnResponse answer;
    answer.throttle_time_ms = 3;
    answer.results_by_transaction = {
        {"tx-a", {{"orders", {{0, errc::none, {}}, {1, errc::transaction_abortable, tags}}, {}}}, tags},
        {"tx-b", {}, {}}};
    hand_seed(Half::response, answer, v, "batched");
  }
  AddPartitionsToTxnResponse refused;
  refused.error_code = errc::cluster_authorization_failed;
  hand_seed(Half::response, refused, 5, "top-level-error");

  EndTxnResponse exhausted;
  exhausted.producer_id = 9001;
  exhausted.producer_epoch = 0;  // a new producer id once the epoch ran out
  exhausted.unknown_tags = tags;
  hand_seed(Half::response, exhausted, 5, "epoch-exhausted");
  hand_seed(Half::request, EndTxnRequest{"tx", 1, 32766, true, tags}, 4, "tags");
  hand_seed(Half::request, AddOffsetsToTxnRequest{"tx", 1, 2, "group", tags}, 4, "tags");
  hand_seed(Half::response, AddOffsetsToTxnResponse{0, errc::transaction_abortable, tags}, 4, "tags");

  TxnOffsetCommitRequest by_id;
  by_id.transactional_id = "tx";
  by_id.group_id = "group";
  by_id.producer_id = 1;
  by_id.generation_id_or_member_epoch = 12;  // a KIP-848 member epoch
  by_id.member_id = "member";
  by_id.group_instance_id = "pod-0";
  Uuid id;
  for (std::uint8_t i = 0; i < 16; ++i) id.bytes[i] = static_cast<std::uint8_t>(0xf0 | i);
  by_id.topics = {{"", id, {{0, 10, 3, std::nullopt, tags}, {1, 20, -1, "meta", {}}}, tags}};
  by_id.unknown_tags = tags;
  hand_seed(Half::request, by_id, 6, "topic-ids");
  TxnOffsetCommitResponse fenced;
  fenced.topics = {{"", id, {{0, errc::fenced_instance_id, {}}, {1, errc::unknown_member_id, tags}}, {}}};
  hand_seed(Half::response, fenced, 6, "fenced");

  WriteTxnMarkersRequest markers;
  markers.markers = {{4242, 3, true, {{"orders", {0, 1}, {}}}, 7, 0, {}}, {17, 0, false, {}, -1, 0, {}}};
  hand_seed(Half::request, markers, 0, "two");
  WriteTxnMarkersResponse marker_results;
  marker_results.markers = {{4242, {{"orders", {{0, errc::none, {}}, {1, errc::not_leader_or_follower, {}}}, {}}}, {}}};
  hand_seed(Half::response, marker_results, 0, "two");

  ListTransactionsRequest listing{{"Ongoing"}, {4242, -1}, 60000, "tx-[0-9]+", tags};
  hand_seed(Half::request, listing, 2, "all-filters");

  // InitProducerId v6 (KIP-939): in the init_producer_id_* targets' format.
  InitProducerIdRequest two_phase;
  two_phase.transactional_id = "tx-2pc";
  two_phase.transaction_timeout_ms = 60000;
  two_phase.enable_2pc = true;
  two_phase.keep_prepared_txn = true;
  write_seed("init_producer_id_request", "two-phase-commit-v6-hand", {6}, encode(two_phase, 6));
  InitProducerIdResponse kept;
  kept.producer_id = 4242;
  kept.producer_epoch = 4;
  kept.ongoing_txn_producer_id = 4242;
  kept.ongoing_txn_producer_epoch = 3;
  write_seed("init_producer_id_response", "prepared-kept-v6-hand", {6}, encode(kept, 6));
}

}  // namespace

void capture_transactions(Broker& broker, const std::string& topic) {
  const Cluster cluster = describe_cluster(broker);
  const Uuid topic_id = topic_id_of(broker, topic);
  wait_for_coordinator(broker, kTransactionalId, 1);
  wait_for_coordinator(broker, kGroup, 0);

  ProducerState producer{kTransactionalId};
  init_producer_id(broker, cluster, producer, /*bump=*/false);
  capture_tv1(broker, cluster, producer, topic, topic_id);
  if (cluster.transaction_v2 && cluster.serves(ApiKey::end_txn, EndTxnRequest::first_transaction_v2_version))
    capture_tv2(broker, cluster, producer, topic, topic_id);
  capture_admin_abort(broker, cluster, topic, topic_id);
  write_transaction_hand_seeds();
  std::printf("transactions: captured (transaction version %d)\n", cluster.transaction_v2 ? 2 : 1);
}

}  // namespace kwire::capture
