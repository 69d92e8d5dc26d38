// DeleteTopics: deletes each named topic (or, v6+, each topic id); an
// unknown one gets UNKNOWN_TOPIC_OR_PARTITION (UNKNOWN_TOPIC_ID by id).
// Every broker accepts it (KIP-590 forwarding). Faults:
// fail_next(ApiKey::delete_topics, error, count, topic) answers that topic
// (or, without a topic, every topic of one request) with `error` and
// deletes nothing for it.
#include "cluster_state.hpp"
#include "kwire/protocol/delete_topics.hpp"

namespace kwire::mock::detail {

Outcome ClusterState::handle_delete_topics(const protocol::RequestHeader& header, std::span<const std::uint8_t> body) {
  using protocol::DeleteTopicsRequest;
  using protocol::DeleteTopicsResponse;
  const std::int16_t version = header.api_version;
  Outcome outcome;
  DeleteTopicsRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close

  DeleteTopicsResponse response;
  const auto whole_request = take_fail_rule(ApiKey::delete_topics, {});  // only a rule naming no topic
  for (const auto& t : request.topics) {
    DeleteTopicsResponse::Result answer;
    TopicState* topic = t.name ? find_topic(*t.name) : find_topic(t.topic_id);
    answer.name = t.name;
    answer.topic_id = t.topic_id;
    std::optional<FailRule> rule = whole_request;
    if (!rule && t.name)
      rule = take_item_fail_rule(ApiKey::delete_topics, *t.name);
    if (rule) {
      answer.error_code = rule->error;
    } else if (topic == nullptr) {
      answer.error_code = t.name ? kwire::errc::unknown_topic_or_partition : kwire::errc::unknown_topic_id;
    } else {
      answer.name = topic->name;
      answer.topic_id = topic->id;
      topics_.erase(topic->name);
    }
    if (answer.error_code != kwire::errc::none && version >= 5)
      answer.error_message = std::string(kwire::kafka_error_description(answer.error_code));
    if (version < 6) {
      answer.topic_id = {};
      if (!answer.name) answer.name = std::string();
    }
    response.responses.push_back(std::move(answer));
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

}  // namespace kwire::mock::detail
