// Group protocol seeds from a real broker (see capture_groups.hpp).
//
// Seed layout (fuzz/message_pair.hpp): a byte choosing the request (0) or
// the response (1), the version byte, then the body. A real exchange writes
// <Api>-v<N>-<step>-request-real and ...-response-real.
//
// Classic groups: one group per JoinGroup version 0-9, each walked through
// join (KIP-394: v4+ dynamic members are first told MEMBER_ID_REQUIRED and
// join again with the id they were given; odd versions from 5 join as
// static members, KIP-345) → SyncGroup → Heartbeat → LeaveGroup, the other
// APIs at the closest version they have, so every version of all four is
// sent. In the last group, before it leaves, OffsetCommit and OffsetFetch
// at every version the broker speaks. KIP-848: one group per
// ConsumerGroupHeartbeat version (v0: the broker names the member; v1: the
// client does, KIP-1082), heartbeating until the assignment arrives, then
// ConsumerGroupDescribe, a commit and a fetch under the member epoch, and
// the leave (epoch -1).
#include "capture_groups.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <thread>

#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/consumer_group_describe.hpp"
#include "kwire/protocol/consumer_group_heartbeat.hpp"
#include "kwire/protocol/heartbeat.hpp"
#include "kwire/protocol/join_group.hpp"
#include "kwire/protocol/leave_group.hpp"
#include "kwire/protocol/message.hpp"
#include "kwire/protocol/metadata.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/offset_fetch.hpp"
#include "kwire/protocol/offset_for_leader_epoch.hpp"
#include "kwire/protocol/sync_group.hpp"

namespace kwire::capture {
namespace {

using namespace kwire::protocol;
using Bytes = std::vector<std::uint8_t>;
using kwire::errc;

constexpr std::uint8_t kRequestSeed = 0;  // fuzz/message_pair.hpp
constexpr std::uint8_t kResponseSeed = 1;

/// The fuzz target (and seed directory) of each API.
std::string target_of(ApiKey api) {
  switch (api) {
    case ApiKey::join_group: return "join_group";
    case ApiKey::sync_group: return "sync_group";
    case ApiKey::heartbeat: return "heartbeat";
    case ApiKey::leave_group: return "leave_group";
    case ApiKey::offset_commit: return "offset_commit";
    case ApiKey::offset_fetch: return "offset_fetch";
    case ApiKey::consumer_group_heartbeat: return "consumer_group_heartbeat";
    case ApiKey::consumer_group_describe: return "consumer_group_describe";
    case ApiKey::offset_for_leader_epoch: return "offset_for_leader_epoch";
    default: throw std::logic_error("no group fuzz target for " + std::string(api_name(api)));
  }
}

[[noreturn]] void fail(ApiKey api, std::int16_t version, const std::string& what) {
  throw std::runtime_error(std::string(api_name(api)) + " v" + std::to_string(version) + ": " + what);
}

template <KafkaMessage M>
Bytes encode_or_throw(const M& message, std::int16_t version) {
  Bytes out;
  if (auto ec = encode_message(message, version, out)) fail(M::api_key, version, "encode failed: " + ec.message());
  return out;
}

std::uint8_t version_byte(std::int16_t version, std::int16_t min_version) {
  return static_cast<std::uint8_t>(version - min_version);
}

// ConsumerProtocol v0 bytes (never flexible; the `consumer` helper owns the
// real codec), enough for the coordinator, which does not parse them: a
// subscription to one topic (Topics: [topic], UserData: null), or an
// assignment of its partition 0 (AssignedPartitions: [{topic, [0]}],
// UserData: null).
Bytes consumer_protocol_v0(const std::string& topic, bool assignment) {
  Bytes out;
  Writer w(out);
  w.write_int16(0);  // version
  w.write_int32(1);  // one topic
  w.write_string(topic, false);
  if (assignment) {
    w.write_int32(1);  // one partition: 0
    w.write_int32(0);
  }
  w.write_int32(-1);  // user data: null
  return out;
}

class GroupCapture {
 public:
  GroupCapture(const CallBroker& call, const WriteSeed& write_seed, std::string topic)
      : call_(call), write_seed_(write_seed), topic_(std::move(topic)) {}

  void run() {
    learn_versions();
    learn_topic();
    find_coordinator("kwire-seeds-join-v0");
    const auto join_versions = versions<JoinGroupRequest>();
    for (std::int16_t v : join_versions) classic_group(v, v == join_versions.back());
    for (std::int16_t v : versions<ConsumerGroupHeartbeatRequest>()) consumer_group(v);
    offsets_for_leader_epoch();
  }

 private:
  // ------------------------------------------------------------ plumbing

  /// Sends `request` at `version`, writes both seeds, returns the decoded response.
  template <KafkaMessage Request, KafkaMessage Response>
  Response exchange(const Request& request, std::int16_t version, const std::string& step) {
    static_assert(Request::api_key == Response::api_key);
    const Bytes body = encode_or_throw(request, version);
    const Bytes answer = call_(Request::api_key, version, body);
    Response response;
    if (auto ec = decode_message(answer, version, response))
      fail(Request::api_key, version, "cannot decode the broker's response: " + ec.message());
    const std::string name = std::string(api_name(Request::api_key)) + "-v" + std::to_string(version) + "-" + step;
    const std::uint8_t vb = version_byte(version, Request::min_version);
    write_seed_(target_of(Request::api_key), name + "-request-real", {kRequestSeed, vb}, body);
    write_seed_(target_of(Request::api_key), name + "-response-real", {kResponseSeed, vb}, answer);
    return response;
  }

  void learn_versions() {
    ApiVersionsRequest request{"kwire-capture", "0.1.0", {}};
    ApiVersionsResponse response;
    if (decode_message(call_(ApiKey::api_versions, 3, encode_or_throw(request, 3)), 3, response) ||
        response.error_code != errc::none)
      throw std::runtime_error("ApiVersions v3 failed");
    broker_versions_ = response;
  }

  /// The versions both kwire and the broker speak, ascending.
  template <KafkaMessage M>
  std::vector<std::int16_t> versions() const {
    std::vector<std::int16_t> out;
    const auto* range = broker_versions_.find(M::api_key);
    if (!range) return out;
    const std::int16_t low = std::max(M::min_version, range->min_version);
    const std::int16_t high = std::min(M::max_version, range->max_version);
    for (std::int16_t v = low; v <= high; ++v) out.push_back(v);
    return out;
  }

  void learn_topic() {
    MetadataRequest request;
    request.topics = std::vector<MetadataRequest::Topic>{{Uuid{}, topic_, {}}};
    MetadataResponse response;
    if (decode_message(call_(ApiKey::metadata, 12, encode_or_throw(request, 12)), 12, response) ||
        response.topics.size() != 1 || response.topics[0].partitions.empty() ||
        response.topics[0].error_code != errc::none)
      throw std::runtime_error("topic " + topic_ + " is not there");
    topic_id_ = response.topics[0].topic_id;
    leader_epoch_ = response.topics[0].partitions[0].leader_epoch;
  }

  /// FindCoordinator is the `cluster` helper's codec; its v1 body (Key,
  /// KeyType 0 = group) is written by hand here only because it makes the
  /// broker create __consumer_offsets, without which no group is served.
  void find_coordinator(const std::string& group) {
    Bytes body;
    Writer w(body);
    w.write_string(group, false);
    w.write_int8(0);
    (void)call_(ApiKey::find_coordinator, 1, body);
  }

  static bool coordinator_not_ready(errc e) {
    return e == errc::coordinator_not_available || e == errc::not_coordinator ||
           e == errc::coordinator_load_in_progress;
  }

  static void wait_a_little() { std::this_thread::sleep_for(std::chrono::milliseconds(300)); }

  static std::int16_t at_most(std::int16_t version, std::int16_t max) { return std::min(version, max); }

  // ----------------------------------------------------------- classic

  void classic_group(std::int16_t join_version, bool commit_and_fetch) {
    const std::string group = "kwire-seeds-join-v" + std::to_string(join_version);
    const bool is_static = join_version >= JoinGroupRequest::first_instance_id_version && join_version % 2 == 1;

    JoinGroupRequest join;
    join.group_id = group;
    join.session_timeout_ms = 30000;
    join.rebalance_timeout_ms = 30000;
    if (is_static) join.group_instance_id = "kwire-seeds-instance-v" + std::to_string(join_version);
    join.protocol_type = "consumer";
    const Bytes subscription = consumer_protocol_v0(topic_, false);
    join.protocols = {{"range", subscription, {}}, {"roundrobin", subscription, {}}};
    join.reason = "kwire seed capture";

    JoinGroupResponse joined;
    for (int attempt = 0;; ++attempt) {
      joined = exchange<JoinGroupRequest, JoinGroupResponse>(join, join_version, "join");
      if (joined.error_code == errc::member_id_required) {  // KIP-394: join again with the given id
        join.member_id = joined.member_id;
        joined = exchange<JoinGroupRequest, JoinGroupResponse>(join, join_version, "rejoin");
      }
      if (!coordinator_not_ready(joined.error_code) || attempt == 100) break;
      wait_a_little();
    }
    if (joined.error_code != errc::none)
      throw std::runtime_error(group + ": JoinGroup v" + std::to_string(join_version) + " answered error " +
                               std::to_string(static_cast<int>(joined.error_code)));

    const std::int16_t sync_version = at_most(join_version, SyncGroupRequest::max_version);
    SyncGroupRequest sync;
    sync.group_id = group;
    sync.generation_id = joined.generation_id;
    sync.member_id = joined.member_id;
    if (sync_version >= SyncGroupRequest::first_instance_id_version) sync.group_instance_id = join.group_instance_id;
    sync.protocol_type = "consumer";
    sync.protocol_name = joined.protocol_name;
    // We are the only member, so the leader.
    sync.assignments = {{joined.member_id, consumer_protocol_v0(topic_, true), {}}};
    (void)exchange<SyncGroupRequest, SyncGroupResponse>(sync, sync_version, "leader");

    const std::int16_t heartbeat_version = at_most(join_version, HeartbeatRequest::max_version);
    HeartbeatRequest heartbeat{group, joined.generation_id, joined.member_id, std::nullopt, {}};
    if (heartbeat_version >= HeartbeatRequest::first_instance_id_version)
      heartbeat.group_instance_id = join.group_instance_id;
    (void)exchange<HeartbeatRequest, HeartbeatResponse>(heartbeat, heartbeat_version, "stable");
    heartbeat.generation_id += 1;  // ILLEGAL_GENERATION
    (void)exchange<HeartbeatRequest, HeartbeatResponse>(heartbeat, heartbeat_version, "stale-generation");

    if (commit_and_fetch)
      commit_and_fetch_offsets(group, joined.generation_id, joined.member_id, join.group_instance_id);

    const std::int16_t leave_version = at_most(join_version, LeaveGroupRequest::max_version);
    LeaveGroupRequest leave;
    leave.group_id = group;
    if (leave_version < LeaveGroupRequest::first_batch_version)
      leave.member_id = joined.member_id;
    else
      leave.members = {{joined.member_id, join.group_instance_id, "the consumer is being closed", {}}};
    (void)exchange<LeaveGroupRequest, LeaveGroupResponse>(leave, leave_version, "close");
    // Again, now that the member is gone: UNKNOWN_MEMBER_ID (per member from v3).
    (void)exchange<LeaveGroupRequest, LeaveGroupResponse>(leave, leave_version, "unknown-member");
  }

  void commit_and_fetch_offsets(const std::string& group, std::int32_t generation, const std::string& member_id,
                                const std::optional<std::string>& instance_id) {
    for (std::int16_t v : versions<OffsetCommitRequest>()) {
      OffsetCommitRequest commit;
      commit.group_id = group;
      commit.generation_id_or_member_epoch = generation;
      commit.member_id = member_id;
      if (v >= OffsetCommitRequest::first_instance_id_version) commit.group_instance_id = instance_id;
      OffsetCommitRequest::Topic t;
      if (v >= OffsetCommitRequest::first_topic_id_version)
        t.topic_id = topic_id_;
      else
        t.name = topic_;
      OffsetCommitRequest::Partition p;
      p.committed_offset = 10 + v;
      p.committed_leader_epoch = leader_epoch_;
      p.committed_metadata = "v" + std::to_string(v);
      t.partitions = {p};
      commit.topics = {t};
      (void)exchange<OffsetCommitRequest, OffsetCommitResponse>(commit, v, "classic");
    }
    for (std::int16_t v : versions<OffsetFetchRequest>()) {
      (void)exchange<OffsetFetchRequest, OffsetFetchResponse>(offset_fetch(group, v, std::nullopt, -1), v, "classic");
      if (v >= OffsetFetchRequest::first_all_topics_version) {
        OffsetFetchRequest all = offset_fetch(group, v, std::nullopt, -1);
        if (v < OffsetFetchRequest::first_groups_version)
          all.topics = std::nullopt;
        else
          all.groups.push_back({"kwire-seeds-no-such-group", std::nullopt, -1, std::nullopt, {}});
        (void)exchange<OffsetFetchRequest, OffsetFetchResponse>(all, v, "all-topics");
      }
    }
  }

  /// An OffsetFetch of partition 0 of the topic for `group`, RequireStable where the version has it.
  OffsetFetchRequest offset_fetch(const std::string& group, std::int16_t v, std::optional<std::string> member_id,
                                  std::int32_t member_epoch) const {
    OffsetFetchRequest::Topic t;
    if (v >= OffsetFetchRequest::first_topic_id_version)
      t.topic_id = topic_id_;
    else
      t.name = topic_;
    t.partition_indexes = {0};
    OffsetFetchRequest fetch;
    fetch.require_stable = v >= OffsetFetchRequest::first_require_stable_version;
    if (v < OffsetFetchRequest::first_groups_version) {
      fetch.group_id = group;
      fetch.topics = std::vector<OffsetFetchRequest::Topic>{t};
    } else {
      OffsetFetchRequest::Group g{group, std::nullopt, -1, std::vector<OffsetFetchRequest::Topic>{t}, {}};
      if (v >= OffsetFetchRequest::first_member_epoch_version) {
        g.member_id = std::move(member_id);
        g.member_epoch = member_epoch;
      }
      fetch.groups = {g};
    }
    return fetch;
  }

  // ---------------------------------------------------------- KIP-848

  static std::string client_member_id() {
    std::random_device random;
    Uuid id;
    for (auto& b : id.bytes) b = static_cast<std::uint8_t>(random());
    return id.to_base64();  // as Java's consumer does (KIP-1082)
  }

  void consumer_group(std::int16_t version) {
    using Request = ConsumerGroupHeartbeatRequest;
    using Response = ConsumerGroupHeartbeatResponse;
    const std::string group = "kwire-seeds-848-v" + std::to_string(version);
    Request join;
    join.group_id = group;
    if (version >= Request::first_regex_version) join.member_id = client_member_id();
    join.member_epoch = Request::join_epoch;
    join.rack_id = "rack-a";
    join.rebalance_timeout_ms = 30000;
    join.subscribed_topic_names = std::vector<std::string>{topic_};
    join.topic_partitions = std::vector<ConsumerGroupTopicPartitions>{};

    Response answer;
    for (int attempt = 0;; ++attempt) {
      answer = exchange<Request, Response>(join, version, "join");
      if (!coordinator_not_ready(answer.error_code) || attempt == 100) break;
      wait_a_little();
    }
    if (answer.error_code == errc::unsupported_version) {
      // Kafka 3.9, or 4.x with the consumer protocol off, lists the API but
      // does not serve it (the join's answer is still a seed).
      std::fprintf(stderr, "kwire_capture_seeds: %s: the broker does not serve KIP-848 groups, skipped\n",
                   group.c_str());
      return;
    }
    if (answer.error_code != errc::none)
      throw std::runtime_error(group + ": ConsumerGroupHeartbeat v" + std::to_string(version) + " join answered " +
                               std::to_string(static_cast<int>(answer.error_code)) +
                               " (is the consumer protocol enabled?)");

    // Heartbeat, acknowledging whatever was assigned, until we own partition 0.
    Request beat;
    beat.group_id = group;
    beat.member_id = answer.member_id.value_or(join.member_id);
    std::int32_t epoch = answer.member_epoch;
    std::optional<std::vector<ConsumerGroupTopicPartitions>> owned;
    if (answer.assignment) owned = answer.assignment->topic_partitions;
    for (int round = 0; round < 30 && !(owned && !owned->empty()); ++round) {
      wait_a_little();
      beat.member_epoch = epoch;
      beat.topic_partitions = owned;
      const Response r = exchange<Request, Response>(beat, version, "heartbeat");
      if (r.error_code != errc::none) throw std::runtime_error(group + ": heartbeat failed");
      epoch = r.member_epoch;
      if (r.assignment) owned = r.assignment->topic_partitions;
    }
    beat.member_epoch = epoch;
    beat.topic_partitions = owned;
    (void)exchange<Request, Response>(beat, version, "acknowledge");

    for (std::int16_t v : versions<ConsumerGroupDescribeRequest>()) {
      ConsumerGroupDescribeRequest describe{{group, "kwire-seeds-no-such-group"}, true, {}};
      (void)exchange<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponse>(describe, v, "member");
    }

    // Commits and fetches under the member epoch (OffsetCommit/OffsetFetch v9+).
    for (std::int16_t v : versions<OffsetCommitRequest>()) {
      if (v < OffsetCommitRequest::first_member_epoch_version) continue;
      OffsetCommitRequest commit;
      commit.group_id = group;
      commit.generation_id_or_member_epoch = epoch;
      commit.member_id = beat.member_id;
      OffsetCommitRequest::Topic t;
      if (v >= OffsetCommitRequest::first_topic_id_version)
        t.topic_id = topic_id_;
      else
        t.name = topic_;
      t.partitions = {{0, 5, leader_epoch_, -1, std::nullopt, {}}};
      commit.topics = {t};
      (void)exchange<OffsetCommitRequest, OffsetCommitResponse>(commit, v, "848-v" + std::to_string(version));
      commit.generation_id_or_member_epoch = epoch + 1;  // STALE_MEMBER_EPOCH
      (void)exchange<OffsetCommitRequest, OffsetCommitResponse>(commit, v, "848-stale-v" + std::to_string(version));
    }
    for (std::int16_t v : versions<OffsetFetchRequest>()) {
      if (v < OffsetFetchRequest::first_member_epoch_version) continue;
      (void)exchange<OffsetFetchRequest, OffsetFetchResponse>(offset_fetch(group, v, beat.member_id, epoch), v,
                                                              "848-v" + std::to_string(version));
    }

    Request leave;
    leave.group_id = group;
    leave.member_id = beat.member_id;
    leave.member_epoch = Request::leave_epoch;
    (void)exchange<Request, Response>(leave, version, "leave");
  }

  // -------------------------------------------------- leader epochs

  void offsets_for_leader_epoch() {
    for (std::int16_t v : versions<OffsetForLeaderEpochRequest>()) {
      OffsetForLeaderEpochRequest request;
      request.replica_id = OffsetForLeaderEpochRequest::consumer_replica_id;
      request.topics = {{topic_, {{0, leader_epoch_, leader_epoch_, {}}, {99, leader_epoch_, 0, {}}}, {}}};
      (void)exchange<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(request, v, "current");
      // A current epoch from the future: UNKNOWN_LEADER_EPOCH (KIP-320).
      request.topics[0].partitions = {{0, leader_epoch_ + 5, leader_epoch_, {}}};
      (void)exchange<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse>(request, v, "future-epoch");
    }
  }

  const CallBroker& call_;
  const WriteSeed& write_seed_;
  std::string topic_;
  ApiVersionsResponse broker_versions_;
  Uuid topic_id_;
  std::int32_t leader_epoch_ = 0;
};

// ------------------------------------------------------------ hand seeds

template <KafkaMessage M>
void hand_seed(const WriteSeed& write_seed, std::uint8_t which, const M& message, std::int16_t version,
               const std::string& label) {
  const Bytes body = encode_or_throw(message, version);
  write_seed(target_of(M::api_key),
             std::string(api_name(M::api_key)) + "-v" + std::to_string(version) + "-" + label + "-hand",
             {which, version_byte(version, M::min_version)}, body);
}

/// What a broker does not send unprompted: unknown tags at every level,
/// every optional field set, the oldest versions 4.x no longer speaks.
void write_hand_seeds(const WriteSeed& write) {
  const TaggedFields tags{{0, {0x01}}, {7, {}}};
  const Uuid id{{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
  {
    JoinGroupRequest q{"g", 45000, 300000, "m-1", "pod-1", "consumer", {{"range", {0, 0}, tags}}, "why", tags};
    hand_seed(write, kRequestSeed, q, 9, "tags");
    JoinGroupResponse r{5, errc::none, 3, "consumer", "range", "m-1", true, "m-1", {{"m-1", "pod-1", {1}, tags}}, tags};
    hand_seed(write, kResponseSeed, r, 9, "tags");
  }
  {
    SyncGroupRequest q{"g", 3, "m-1", "pod-1", "consumer", "range", {{"m-1", {0, 0}, tags}}, tags};
    hand_seed(write, kRequestSeed, q, 5, "tags");
    hand_seed(write, kResponseSeed, SyncGroupResponse{1, errc::none, "consumer", "range", {0, 0}, tags}, 5, "tags");
  }
  {
    hand_seed(write, kRequestSeed, HeartbeatRequest{"g", 3, "m-1", "pod-1", tags}, 4, "tags");
    hand_seed(write, kResponseSeed, HeartbeatResponse{1, errc::rebalance_in_progress, tags}, 4, "tags");
  }
  {
    LeaveGroupRequest q{"g", "", {{"m-1", "pod-1", "closing", tags}, {"m-2", std::nullopt, std::nullopt, {}}}, tags};
    hand_seed(write, kRequestSeed, q, 5, "tags");
    LeaveGroupResponse r{1, errc::none, {{"m-1", "pod-1", errc::fenced_instance_id, tags}}, tags};
    hand_seed(write, kResponseSeed, r, 5, "tags");
  }
  {
    OffsetCommitRequest q{"g", 3, "m-1", "pod-1", -1, {{"", id, {{0, 42, 4, -1, "md", tags}}, tags}}, tags};
    hand_seed(write, kRequestSeed, q, 10, "tags");
    OffsetCommitRequest v1{"g", 3, "m-1", std::nullopt, -1, {{"t", {}, {{0, 42, -1, 1700000000000, "md", {}}}, {}}},
                           {}};
    hand_seed(write, kRequestSeed, v1, 1, "commit-timestamp");
    OffsetCommitRequest v0{"g", -1, "", std::nullopt, -1, {{"t", {}, {{0, 42, -1, -1, std::nullopt, {}}}, {}}}, {}};
    hand_seed(write, kRequestSeed, v0, 0, "zookeeper");
    OffsetCommitResponse r{1, {{"", id, {{0, errc::stale_member_epoch, tags}}, tags}}, tags};
    hand_seed(write, kResponseSeed, r, 10, "tags");
    OffsetCommitResponse r0{0, {{"t", {}, {{0, errc::none, {}}}, {}}}, {}};
    hand_seed(write, kResponseSeed, r0, 0, "zookeeper");
  }
  {
    OffsetFetchRequest q;
    q.groups = {{"g", "m-1", 4, std::vector<OffsetFetchRequest::Topic>{{"", id, {0, 1}, tags}}, tags},
                {"h", std::nullopt, -1, std::nullopt, {}}};
    q.require_stable = true;
    q.unknown_tags = tags;
    hand_seed(write, kRequestSeed, q, 10, "tags");
    OffsetFetchRequest v0;
    v0.group_id = "g";
    v0.topics = std::vector<OffsetFetchRequest::Topic>{{"t", {}, {0}, {}}};
    hand_seed(write, kRequestSeed, v0, 0, "zookeeper");
    OffsetFetchResponse r;
    r.groups = {{"g", {{"", id, {{0, 42, 3, "md", errc::unstable_offset_commit, tags}}, tags}}, errc::none, tags}};
    r.unknown_tags = tags;
    hand_seed(write, kResponseSeed, r, 10, "tags");
    OffsetFetchResponse v7;
    v7.topics = {{"t", {}, {{0, -1, -1, std::nullopt, errc::none, tags}}, tags}};
    v7.error_code = errc::not_coordinator;
    hand_seed(write, kResponseSeed, v7, 7, "single-group");
  }
  {
    ConsumerGroupHeartbeatRequest q;
    q.group_id = "g";
    q.member_id = "kTgCdxVhSzyb1J0YbmeEWA";
    q.instance_id = "pod-1";
    q.rack_id = "r";
    q.rebalance_timeout_ms = 1000;
    q.subscribed_topic_names = std::vector<std::string>{"t"};
    q.subscribed_topic_regex = "t.*";
    q.server_assignor = "range";
    q.topic_partitions = std::vector<ConsumerGroupTopicPartitions>{{id, {0, 1}, tags}};
    q.unknown_tags = tags;
    hand_seed(write, kRequestSeed, q, 1, "tags");
    ConsumerGroupHeartbeatResponse r{0, errc::none, "msg", "m", 3, 5000, {{{{id, {2}, tags}}, tags}}, tags};
    hand_seed(write, kResponseSeed, r, 1, "tags");
  }
  {
    hand_seed(write, kRequestSeed, ConsumerGroupDescribeRequest{{"g", "h"}, true, tags}, 1, "tags");
    ConsumerGroupDescribeResponse r;
    ConsumerGroupDescribeResponse::Member m{"m", "pod-1", "r", 3, "c", "/h", {"t"}, "t.*",
                                          {{{id, "t", {0}, tags}}, tags}, {{{id, "t", {0, 1}, {}}}, {}}, 1, tags};
    r.groups = {{errc::none, std::nullopt, "g", "Stable", 3, 3, "uniform", {m}, 8, tags}};
    r.unknown_tags = tags;
    hand_seed(write, kResponseSeed, r, 1, "tags");
  }
  {
    OffsetForLeaderEpochRequest q{-1, {{"t", {{0, 5, 4, tags}}, tags}}, tags};
    hand_seed(write, kRequestSeed, q, 4, "tags");
    hand_seed(write, kRequestSeed, OffsetForLeaderEpochRequest{-2, {{"t", {{0, -1, 4, {}}}, {}}}, {}}, 0, "old");
    OffsetForLeaderEpochResponse r{0, {{"t", {{errc::none, 0, 4, 100, tags}}, tags}}, tags};
    hand_seed(write, kResponseSeed, r, 4, "tags");
    hand_seed(write, kResponseSeed, OffsetForLeaderEpochResponse{0, {{"t", {{errc::none, 0, -1, 100, {}}}, {}}}, {}},
              0, "old");
  }
}

}  // namespace

void capture_groups(const CallBroker& call, const WriteSeed& write_seed, const std::string& topic) {
  GroupCapture(call, write_seed, topic).run();
  write_hand_seeds(write_seed);
}

}  // namespace kwire::capture
