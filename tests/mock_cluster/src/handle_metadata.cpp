// Metadata, as Kafka's broker answers it (KafkaApis.handleTopicMetadataRequest).
#include <algorithm>

#include "cluster_state.hpp"
#include "kwire/protocol/metadata.hpp"

namespace kwire::mock::detail {
namespace {

/// Kafka's topic name rule (Topic.validate): 1-249 of [a-zA-Z0-9._-], not
/// "." or "..".
bool valid_topic_name(const std::string& name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == '-';
  });
}

/// What a cluster without an authorizer grants on a topic (KIP-430 bit
/// positions): READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
/// DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11.
constexpr std::int32_t kTopicOperations = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) |
                                          (1 << 10) | (1 << 11);
/// CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10,
/// ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
constexpr std::int32_t kClusterOperations = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) |
                                            (1 << 12);

}  // namespace

Outcome ClusterState::handle_metadata(const protocol::RequestHeader& header, std::span<const std::uint8_t> body) {
  using protocol::MetadataRequest;
  using protocol::MetadataResponse;
  const std::int16_t version = header.api_version;
  Outcome outcome;
  MetadataRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close

  MetadataResponse response;
  for (const BrokerInfo& b : brokers_) {
    MetadataResponse::Broker& rb = response.brokers.emplace_back();
    rb.node_id = b.id;
    rb.host = "127.0.0.1";
    rb.port = b.port;
  }
  if (version >= 2) response.cluster_id = config_.cluster_id;
  if (version >= 1 && !brokers_.empty()) response.controller_id = brokers_.front().id;
  if (version >= 8 && version <= 10 && request.include_cluster_authorized_operations)
    response.cluster_authorized_operations = kClusterOperations;

  auto describe = [&](const TopicState& topic) {
    MetadataResponse::Topic& t = response.topics.emplace_back();
    t.name = topic.name;
    if (version >= 10) t.topic_id = topic.id;
    if (version >= 8 && request.include_topic_authorized_operations) t.topic_authorized_operations = kTopicOperations;
    for (std::size_t i = 0; i < topic.partitions.size(); ++i) {
      const PartitionState& ps = topic.partitions[i];
      MetadataResponse::Partition& p = t.partitions.emplace_back();
      p.partition_index = static_cast<std::int32_t>(i);
      p.leader_id = ps.leader;
      if (version >= 7) p.leader_epoch = ps.leader_epoch;
      p.replica_nodes = ps.replicas;
      p.isr_nodes = ps.replicas;
    }
  };
  auto missing = [&](kwire::errc error, std::optional<std::string> name, const protocol::Uuid& id) {
    MetadataResponse::Topic& t = response.topics.emplace_back();
    t.error_code = error;
    t.name = std::move(name);
    if (version >= 10) t.topic_id = id;
  };

  if (!request.topics) {
    for (const auto& [name, topic] : topics_) describe(topic);
  } else {
    // Auto-creation: the broker setting and, from v4, the request's flag.
    const bool may_create = config_.auto_create_topics && (version < 4 || request.allow_auto_topic_creation);
    for (const MetadataRequest::Topic& asked : *request.topics) {
      if (!asked.name) {
        // By id (v12+). Unknown ids come back with a null name.
        if (TopicState* t = find_topic(asked.topic_id))
          describe(*t);
        else
          missing(kwire::errc::unknown_topic_id, std::nullopt, asked.topic_id);
        continue;
      }
      const std::string& name = *asked.name;
      if (const TopicState* t = find_topic(name)) {
        describe(*t);
      } else if (!valid_topic_name(name)) {
        missing(kwire::errc::invalid_topic_exception, name, {});
      } else if (may_create) {
        describe(add_topic(name, config_.default_partitions));
      } else {
        missing(kwire::errc::unknown_topic_or_partition, name, {});
      }
    }
  }

  // Fault injection: a topic-level error (no partitions), or with a
  // partition given, a partition-level one with no leader.
  std::vector<std::pair<std::string, std::int32_t>> targets;
  for (const auto& t : response.topics)
    for (const auto& p : t.partitions) targets.emplace_back(t.name.value_or(""), p.partition_index);
  for (const auto& t : response.topics)
    if (t.partitions.empty()) targets.emplace_back(t.name.value_or(""), -1);
  if (auto rule = take_fail_rule(ApiKey::metadata, targets)) {
    for (auto& t : response.topics) {
      if (rule->topic && t.name != rule->topic) continue;
      if (rule->partition) {
        for (auto& p : t.partitions) {
          if (p.partition_index != *rule->partition) continue;
          p.error_code = rule->error;
          p.leader_id = -1;
          p.isr_nodes.clear();
        }
      } else {
        t.error_code = rule->error;
        t.partitions.clear();
      }
    }
  }

  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
