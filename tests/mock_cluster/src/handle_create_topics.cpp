// CreateTopics: creates each topic that does not exist yet (leaders placed
// as for ClusterConfig::topics); an existing name gets TOPIC_ALREADY_EXISTS,
// a bad partition count INVALID_PARTITIONS, validate_only creates nothing;
// the requested configs are echoed (v5+) but not applied.
// Every broker accepts it (KRaft brokers forward it to the controller,
// KIP-590). Faults: fail_next(ApiKey::create_topics, error, count, topic)
// answers that topic (or, without a topic, every topic of one request) with
// `error` and creates nothing for it — e.g. NOT_CONTROLLER, which a client
// must retry after refreshing metadata, for that topic only.
#include "cluster_state.hpp"
#include "kwire/protocol/create_topics.hpp"

namespace kwire::mock::detail {

Outcome ClusterState::handle_create_topics(const protocol::RequestHeader& header, std::span<const std::uint8_t> body) {
  using protocol::CreateTopicsRequest;
  using protocol::CreateTopicsResponse;
  const std::int16_t version = header.api_version;
  Outcome outcome;
  CreateTopicsRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close

  CreateTopicsResponse response;
  const auto whole_request = take_fail_rule(ApiKey::create_topics, {});  // only a rule naming no topic
  for (const auto& t : request.topics) {
    CreateTopicsResponse::Topic answer;
    answer.name = t.name;
    const std::int32_t partitions = t.num_partitions == -1 ? config_.default_partitions : t.num_partitions;
    std::optional<FailRule> rule = whole_request;
    if (!rule) {
      rule = take_item_fail_rule(ApiKey::create_topics, t.name);
    }
    if (rule) {
      answer.error_code = rule->error;
    } else if (find_topic(t.name) != nullptr) {
      answer.error_code = kwire::errc::topic_already_exists;
    } else if (partitions <= 0) {
      answer.error_code = kwire::errc::invalid_partitions;
    } else {
      answer.num_partitions = partitions;
      answer.replication_factor =
          static_cast<std::int16_t>(std::min<std::size_t>(brokers_.size(), static_cast<std::size_t>(config_.replication_factor)));
      if (!request.validate_only) answer.topic_id = add_topic(t.name, partitions).id;
      // v5+ lists the topic's configs; the mock knows only those asked for
      // (source 1: DYNAMIC_TOPIC_CONFIG), which it accepts without using.
      for (const auto& c : t.configs) answer.configs->push_back({c.name, c.value, false, 1, false, {}});
    }
    if (answer.error_code != kwire::errc::none) {
      answer.error_message = std::string(kwire::kafka_error_description(answer.error_code));
      answer.configs = std::nullopt;
      answer.topic_config_error_code = answer.error_code;
    }
    if (version < 5) {  // fields the version lacks stay at their defaults
      answer.num_partitions = -1;
      answer.replication_factor = -1;
      answer.configs = std::vector<CreateTopicsResponse::Config>{};
      answer.topic_config_error_code = kwire::errc::none;
    }
    if (version < 7) answer.topic_id = {};
    if (version < 1) answer.error_message = std::nullopt;
    response.topics.push_back(std::move(answer));
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
