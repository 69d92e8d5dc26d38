#include "capture_admin.hpp"

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <thread>

#include "kwire/protocol/alter_user_scram_credentials.hpp"
#include "kwire/protocol/api_versions.hpp"
#include "kwire/protocol/create_partitions.hpp"
#include "kwire/protocol/create_topics.hpp"
#include "kwire/protocol/delete_groups.hpp"
#include "kwire/protocol/delete_records.hpp"
#include "kwire/protocol/delete_topics.hpp"
#include "kwire/protocol/describe_cluster.hpp"
#include "kwire/protocol/describe_configs.hpp"
#include "kwire/protocol/describe_groups.hpp"
#include "kwire/protocol/describe_user_scram_credentials.hpp"
#include "kwire/protocol/incremental_alter_configs.hpp"
#include "kwire/protocol/list_groups.hpp"
#include "kwire/protocol/offset_delete.hpp"

namespace kwire::capture {
namespace {

/// What the broker advertises, by API.
using Ranges = std::map<ApiKey, std::pair<std::int16_t, std::int16_t>>;

Ranges broker_ranges(Broker& broker) {
  const auto x = broker.call(ApiKey::api_versions, 3, encode(ApiVersionsRequest{"kwire-capture", "0.1.0", {}}, 3));
  ApiVersionsResponse response;
  if (decode_message(x.response_body, 3, response)) throw std::runtime_error("ApiVersions v3: cannot decode");
  Ranges ranges;
  for (const auto& k : response.api_keys)
    ranges[static_cast<ApiKey>(k.api_key)] = {k.min_version, k.max_version};
  return ranges;
}

/// The target name for an API: its snake_case codec file name.
std::string target_of(ApiKey api) {
  switch (api) {
    case ApiKey::create_topics: return "create_topics";
    case ApiKey::delete_topics: return "delete_topics";
    case ApiKey::create_partitions: return "create_partitions";
    case ApiKey::describe_configs: return "describe_configs";
    case ApiKey::incremental_alter_configs: return "incremental_alter_configs";
    case ApiKey::describe_cluster: return "describe_cluster";
    case ApiKey::list_groups: return "list_groups";
    case ApiKey::describe_groups: return "describe_groups";
    case ApiKey::delete_groups: return "delete_groups";
    case ApiKey::offset_delete: return "offset_delete";
    case ApiKey::delete_records: return "delete_records";
    case ApiKey::describe_user_scram_credentials: return "describe_user_scram_credentials";
    case ApiKey::alter_user_scram_credentials: return "alter_user_scram_credentials";
    default: throw std::runtime_error("no admin fuzz target for " + std::string(api_name(api)));
  }
}

/// The versions both the broker and kwire's codec speak, ascending.
template <class Request>
std::vector<std::int16_t> versions(const Ranges& ranges) {
  std::vector<std::int16_t> out;
  const auto it = ranges.find(Request::api_key);
  if (it == ranges.end()) return out;
  for (auto v = std::max(it->second.first, Request::min_version); v <= std::min(it->second.second, Request::max_version);
       ++v)
    out.push_back(v);
  return out;
}

/// Sends `request` at `version`, stores request and response as seeds and
/// returns the decoded response.
template <class Response, class Request>
Response exchange(Broker& broker, const Request& request, std::int16_t version) {
  const Bytes body = encode(request, version);
  const auto x = broker.call(Request::api_key, version, body);
  const std::string name = std::string(api_name(Request::api_key)) + "-v" + std::to_string(version);
  const std::uint8_t vb = version_byte(version, Request::min_version);
  write_seed(target_of(Request::api_key), name + "-request-real", {0, vb}, body);
  write_seed(target_of(Request::api_key), name + "-response-real", {1, vb}, x.response_body);
  Response response;
  if (auto ec = decode_message(x.response_body, version, response))
    throw std::runtime_error(name + " response: " + ec.message());
  return response;
}

enum class Half : std::uint8_t { request = 0, response = 1 };

template <class M>
void hand_seed(Half half, const M& message, std::int16_t version, const std::string& what) {
  write_seed(target_of(M::api_key), std::string(api_name(M::api_key)) + "-v" + std::to_string(version) + "-" + what +
                 "-hand",
             {static_cast<std::uint8_t>(half), version_byte(version, M::min_version)},
             encode(message, version));
}

std::string topic_name(std::int16_t version) { return "kwire-capture-admin-v" + std::to_string(version); }

// ------------------------------------------------------------------ topics

void capture_create_topics(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<CreateTopicsRequest>(ranges)) {
    CreateTopicsRequest request;
    auto& topic = request.topics.emplace_back();
    topic.name = topic_name(v);
    topic.num_partitions = 2;
    topic.replication_factor = 1;
    topic.configs.push_back({"retention.ms", std::string("3600000"), {}});
    request.timeout_ms = 30000;
    exchange<CreateTopicsResponse>(broker, request, v);
    // An invalid one: the broker's error path (INVALID_CONFIG).
    CreateTopicsRequest bad = request;
    bad.topics[0].name += "-bad";
    bad.topics[0].configs = {{"cleanup.policy", std::string("no-such-policy"), {}}};
    if (v >= 1) bad.validate_only = true;
    const auto x = broker.call(ApiKey::create_topics, v, encode(bad, v));
    write_seed("create_topics", "CreateTopics-v" + std::to_string(v) + "-invalid-response-real",
               {1, version_byte(v, CreateTopicsResponse::min_version)}, x.response_body);
  }
  CreateTopicsResponse tagged;
  auto& t = tagged.topics.emplace_back();
  t.name = "t";
  t.topic_id.bytes.fill(4);
  t.topic_config_error_code = kwire::errc::topic_authorization_failed;
  t.configs.reset();
  t.unknown_tags = {{1, {1}}};
  tagged.unknown_tags = {{0, {}}};
  hand_seed(Half::response, tagged, 7, "tags");
  CreateTopicsRequest assignment;
  auto& a = assignment.topics.emplace_back();
  a.name = "manual";
  a.num_partitions = -1;
  a.replication_factor = -1;
  a.assignments = {{0, {1, 2, 3}, {{2, {}}}}, {1, {2, 3, 1}, {}}};
  a.configs = {{"x", std::nullopt, {{0, {9}}}}};
  hand_seed(Half::request, assignment, 5, "assignment");
}

/// The first topic capture_create_topics made (the broker's lowest version).
std::string first_topic(const Ranges& ranges) {
  const auto created = versions<CreateTopicsRequest>(ranges);
  if (created.empty()) throw std::runtime_error("the broker offers no CreateTopics version kwire speaks");
  return topic_name(created.front());
}

void capture_create_partitions(Broker& broker, const Ranges& ranges) {
  // Each version adds one partition to the first topic (created with 2);
  // a second entry asks for fewer partitions than there are (INVALID_PARTITIONS).
  std::int32_t count = 2;
  for (std::int16_t v : versions<CreatePartitionsRequest>(ranges)) {
    CreatePartitionsRequest request;
    request.topics.push_back({first_topic(ranges), ++count, std::nullopt, {}});
    request.topics.push_back({"kwire-capture-no-such-topic", 1, std::vector<CreatePartitionsRequest::Assignment>{{{1}, {}}}, {}});
    request.timeout_ms = 30000;
    exchange<CreatePartitionsResponse>(broker, request, v);
  }
}

void capture_describe_configs(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<DescribeConfigsRequest>(ranges)) {
    DescribeConfigsRequest request;
    request.resources.push_back({ConfigResourceType::topic, first_topic(ranges), std::nullopt, {}});
    request.resources.push_back(
        {ConfigResourceType::broker, "1", std::vector<std::string>{"log.retention.hours", "num.partitions"}, {}});
    request.resources.push_back({ConfigResourceType::topic, "kwire-capture-no-such-topic", std::nullopt, {}});
    request.include_synonyms = v >= 1;
    request.include_documentation = v >= 3;
    exchange<DescribeConfigsResponse>(broker, request, v);
  }
  DescribeConfigsResponse tagged;
  auto& r = tagged.results.emplace_back();
  r.resource_type = ConfigResourceType::group;
  r.resource_name = "g";
  r.configs.push_back({"consumer.session.timeout.ms", std::string("45000"), false, false, ConfigSource::group_config,
                       false, {{"group.consumer.session.timeout.ms", std::nullopt, ConfigSource::static_broker_config, {{1, {}}}}},
                       3, std::nullopt, {{0, {1}}}});
  r.unknown_tags = {{5, {}}};
  hand_seed(Half::response, tagged, 4, "tags");
}

void capture_incremental_alter_configs(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<IncrementalAlterConfigsRequest>(ranges)) {
    IncrementalAlterConfigsRequest request;
    request.resources.push_back({ConfigResourceType::topic,
                                 first_topic(ranges),
                                 {{"retention.ms", ConfigOperation::set, std::to_string(7200000 + v), {}},
                                  {"segment.ms", ConfigOperation::remove, std::nullopt, {}}},
                                 {}});
    // Errors: a missing topic, and appending to a config that is not a list.
    request.resources.push_back({ConfigResourceType::topic,
                                 "kwire-capture-no-such-topic",
                                 {{"retention.ms", ConfigOperation::set, std::string("1000"), {}}},
                                 {}});
    request.resources.push_back({ConfigResourceType::broker,
                                 "1",
                                 {{"log.retention.ms", ConfigOperation::append, std::string("5"), {}}},
                                 {}});
    request.validate_only = true;
    exchange<IncrementalAlterConfigsResponse>(broker, request, v);
  }
}

void capture_describe_cluster(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<DescribeClusterRequest>(ranges)) {
    DescribeClusterRequest request;
    request.include_cluster_authorized_operations = true;
    if (v >= 2) request.include_fenced_brokers = true;
    exchange<DescribeClusterResponse>(broker, request, v);
  }
}

void capture_delete_records(Broker& broker, const Ranges& ranges) {
  // The topics are empty: offset 0 succeeds, the high watermark (-1) too,
  // and an offset past the end is OFFSET_OUT_OF_RANGE.
  for (std::int16_t v : versions<DeleteRecordsRequest>(ranges)) {
    DeleteRecordsRequest request;
    request.topics.push_back(
        {first_topic(ranges), {{0, 0, {}}, {1, DeleteRecordsRequest::high_watermark, {}}, {2, 1000, {}}}, {}});
    request.timeout_ms = 30000;
    exchange<DeleteRecordsResponse>(broker, request, v);
  }
}

// ------------------------------------------------------------------ groups

/// Makes `group` exist (state Empty, protocol type "") with a committed
/// offset for partition 0 of `topic`: OffsetCommit v2 as an admin client
/// sends it (generation -1, no member), written by hand because this tool
/// has no OffsetCommit codec.
void commit_offset(Broker& broker, const std::string& group, const std::string& topic) {
  Bytes body;
  Writer w(body);
  w.write_string(group, false);
  w.write_int32(-1);      // generation: not a member
  w.write_string("", false);  // member id
  w.write_int64(-1);      // retention: the broker's default
  w.write_array_length(1, false);
  w.write_string(topic, false);
  w.write_array_length(1, false);
  w.write_int32(0);       // partition
  w.write_int64(0);       // offset
  w.write_nullable_string(std::string("kwire-capture"), false);
  // A fresh broker makes __consumer_offsets when a coordinator is first
  // looked up: FindCoordinator v0 (Key) until it answers, by hand too.
  for (int attempt = 0;; ++attempt) {
    Bytes find;
    Writer(find).write_string(group, false);
    const auto x = broker.call(ApiKey::find_coordinator, 0, find);
    Reader in(x.response_body);
    const std::int16_t error = in.read_int16();
    if (in.ok() && error == 0) break;
    if (attempt == 100) throw std::runtime_error("FindCoordinator for " + group + ": error " + std::to_string(error));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  // Then retry while the coordinator loads (14), is not available (15) or
  // not yet this broker (16).
  for (int attempt = 0;; ++attempt) {
    const auto x = broker.call(ApiKey::offset_commit, 2, body);
    // v2 response: Topics [Name, Partitions [Index, ErrorCode]].
    Reader in(x.response_body);
    std::int16_t error = 0;
    std::int32_t topics = in.read_int32();
    for (std::int32_t t = 0; t < topics && in.ok(); ++t) {
      (void)in.read_string(false);
      std::int32_t partitions = in.read_int32();
      for (std::int32_t p = 0; p < partitions && in.ok(); ++p) {
        (void)in.read_int32();
        if (const auto e = in.read_int16(); e != 0) error = e;
      }
    }
    if (error == 0) return;
    if ((error < 14 || error > 16) || attempt == 100)
      throw std::runtime_error("OffsetCommit for " + group + ": error " + std::to_string(error));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
}

std::string group_name(const std::string& what) { return "kwire-capture-group-" + what; }

void capture_list_groups(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<ListGroupsRequest>(ranges)) {
    ListGroupsRequest request;
    if (v >= ListGroupsRequest::first_states_filter_version) request.states_filter = {"Empty", "Stable"};
    if (v >= ListGroupsRequest::first_types_filter_version) request.types_filter = {"classic"};
    exchange<ListGroupsResponse>(broker, request, v);
  }
  ListGroupsResponse tagged;
  tagged.throttle_time_ms = 1;
  tagged.groups.push_back({"g", "consumer", "Stable", "consumer", {{0, {1}}}});
  tagged.unknown_tags = {{3, {}}};
  hand_seed(Half::response, tagged, 5, "tags");
}

void capture_describe_groups(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<DescribeGroupsRequest>(ranges)) {
    DescribeGroupsRequest request;
    request.groups = {group_name("main"), group_name("missing")};
    request.include_authorized_operations = v >= 3;
    exchange<DescribeGroupsResponse>(broker, request, v);
  }
  DescribeGroupsResponse stable;
  auto& g = stable.groups.emplace_back();
  g.group_id = "g";
  g.group_state = "Stable";
  g.protocol_type = "consumer";
  g.protocol_data = "range";
  g.members.push_back({"m-1", std::string("i-1"), "c", "/127.0.0.1", {0, 3, 0, 0, 0, 1, 0, 1, 't'}, {0, 3}, {{1, {}}}});
  g.authorized_operations = 3064;
  g.unknown_tags = {{0, {1}}};
  hand_seed(Half::response, stable, 5, "stable");
}

void capture_offset_delete(Broker& broker, const Ranges& ranges) {
  for (std::int16_t v : versions<OffsetDeleteRequest>(ranges)) {
    OffsetDeleteRequest request;
    request.group_id = group_name("main");
    request.topics.push_back({first_topic(ranges), {0, 1}});
    request.topics.push_back({"kwire-capture-no-such-topic", {0}});
    exchange<OffsetDeleteResponse>(broker, request, v);
    OffsetDeleteRequest missing;
    missing.group_id = group_name("missing");
    missing.topics.push_back({first_topic(ranges), {0}});
    const auto x = broker.call(ApiKey::offset_delete, v, encode(missing, v));
    write_seed("offset_delete", "OffsetDelete-v" + std::to_string(v) + "-missing-group-response-real", {1, 0},
               x.response_body);
  }
}

void capture_delete_groups(Broker& broker, const Ranges& ranges) {
  // A group of its own per version, plus one that does not exist.
  for (std::int16_t v : versions<DeleteGroupsRequest>(ranges)) {
    const std::string group = group_name("delete-v" + std::to_string(v));
    commit_offset(broker, group, first_topic(ranges));
    DeleteGroupsRequest request;
    request.groups_names = {group, group_name("missing")};
    exchange<DeleteGroupsResponse>(broker, request, v);
  }
}

// ------------------------------------------------------------------ SCRAM

void capture_scram_credentials(Broker& broker, const Ranges& ranges) {
  const std::string user = "kwire-capture-user";
  for (std::int16_t v : versions<AlterUserScramCredentialsRequest>(ranges)) {
    // A new user's SHA-256 credential (any 32 bytes do as a salted
    // password: the broker stores, never checks it), and the deletion of a
    // credential nobody has (RESOURCE_NOT_FOUND).
    AlterUserScramCredentialsRequest request;
    std::vector<std::uint8_t> salt(16), salted(32);
    for (std::size_t i = 0; i < salted.size(); ++i) salted[i] = static_cast<std::uint8_t>(i * 7);
    for (std::size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<std::uint8_t>(0xa0 + i);
    request.upsertions.push_back({user, ScramMechanism::sha_256, 4096, salt, salted, {}});
    request.deletions.push_back({"kwire-capture-nobody", ScramMechanism::sha_512, {}});
    exchange<AlterUserScramCredentialsResponse>(broker, request, v);
  }
  for (std::int16_t v : versions<DescribeUserScramCredentialsRequest>(ranges)) {
    DescribeUserScramCredentialsRequest some;
    some.users = std::vector<DescribeUserScramCredentialsRequest::User>{{user, {}}, {"kwire-capture-nobody", {}}};
    exchange<DescribeUserScramCredentialsResponse>(broker, some, v);
    const auto all = broker.call(ApiKey::describe_user_scram_credentials, v, encode(DescribeUserScramCredentialsRequest{}, v));
    write_seed("describe_user_scram_credentials", "DescribeUserScramCredentials-v" + std::to_string(v) + "-all-response-real",
               {1, 0}, all.response_body);
  }
  AlterUserScramCredentialsRequest cleanup;
  cleanup.deletions.push_back({user, ScramMechanism::sha_256, {}});
  if (!versions<AlterUserScramCredentialsRequest>(ranges).empty())
    broker.call(ApiKey::alter_user_scram_credentials, 0, encode(cleanup, 0));
}

void capture_delete_topics(Broker& broker, const Ranges& ranges) {
  // One topic made per CreateTopics version; each DeleteTopics version
  // deletes one, plus a missing topic for the error path.
  const auto created = versions<CreateTopicsRequest>(ranges);
  std::size_t next = 0;
  for (std::int16_t v : versions<DeleteTopicsRequest>(ranges)) {
    DeleteTopicsRequest request;
    request.timeout_ms = 30000;
    if (next < created.size()) request.topics.push_back({topic_name(created[next++]), {}, {}});
    request.topics.push_back({std::string("kwire-capture-no-such-topic"), {}, {}});
    if (v >= DeleteTopicsRequest::first_topic_id_version) {
      Uuid unknown;
      unknown.bytes.fill(0x5a);
      request.topics.push_back({std::nullopt, unknown, {}});
    }
    exchange<DeleteTopicsResponse>(broker, request, v);
  }
  DeleteTopicsRequest rest;
  while (next < created.size()) rest.topics.push_back({topic_name(created[next++]), {}, {}});
  if (!rest.topics.empty()) broker.call(ApiKey::delete_topics, 4, encode(rest, 4));
}

}  // namespace

void capture_admin(Broker& broker) {
  const Ranges ranges = broker_ranges(broker);
  capture_create_topics(broker, ranges);
  capture_create_partitions(broker, ranges);
  capture_describe_configs(broker, ranges);
  capture_incremental_alter_configs(broker, ranges);
  capture_describe_cluster(broker, ranges);
  capture_delete_records(broker, ranges);
  commit_offset(broker, group_name("main"), first_topic(ranges));
  capture_list_groups(broker, ranges);
  capture_describe_groups(broker, ranges);
  capture_offset_delete(broker, ranges);
  capture_delete_groups(broker, ranges);
  capture_scram_credentials(broker, ranges);
  capture_delete_topics(broker, ranges);
}

}  // namespace kwire::capture
