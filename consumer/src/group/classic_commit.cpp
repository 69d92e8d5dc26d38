// The offset-commit part of ClassicMembership: commits are fenced by
// ownership and generation (never for revoked or lost partitions, see
// redpanda-data/connect#4477 and KAFKA-14196), and their errors act on the
// membership the way Java's OffsetCommitResponseHandler does.
#include <algorithm>

#include "classic_membership.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer::group {

std::optional<protocol::OffsetCommitRequest> ClassicMembership::commit_request(
    const std::vector<OffsetToCommit>& offsets, std::vector<TopicPartition>* refused) const {
  protocol::OffsetCommitRequest request;
  request.group_id = config_.group_id;
  request.generation_id_or_member_epoch = generation_;
  request.member_id = member_id_;
  request.group_instance_id = config_.group_instance_id;
  for (const auto& offset : offsets) {
    if (!may_commit(offset.partition)) {
      if (refused != nullptr) refused->push_back(offset.partition);
      continue;
    }
    auto topic = std::find_if(request.topics.begin(), request.topics.end(),
                              [&](const auto& t) { return t.name == offset.partition.topic; });
    if (topic == request.topics.end()) topic = request.topics.emplace(request.topics.end());
    topic->name = offset.partition.topic;
    protocol::OffsetCommitRequest::Partition p;
    p.partition_index = offset.partition.partition;
    p.committed_offset = offset.offset;
    p.committed_leader_epoch = offset.leader_epoch;
    p.committed_metadata = offset.metadata;
    topic->partitions.push_back(std::move(p));
  }
  if (request.topics.empty()) return std::nullopt;
  return request;
}

std::error_code ClassicMembership::on_commit_response(const protocol::OffsetCommitRequest& sent,
                                                      const protocol::OffsetCommitResponse& response,
                                                      TimePoint now) {
  for (const auto& topic : response.topics) {
    for (const auto& partition : topic.partitions) {
      const kwire::errc error = partition.error_code;
      switch (error) {
        case kwire::errc::none:
          continue;
        case kwire::errc::rebalance_in_progress:
          request_rejoin();
          break;
        case kwire::errc::unknown_member_id:
        case kwire::errc::illegal_generation:
          // Only if nothing moved on since the commit was sent: an answer
          // about an older generation must not reset the current one.
          if (sent.generation_id_or_member_epoch == generation_ && sent.member_id == member_id_)
            (void)handle_membership_error(error, now);
          break;
        case kwire::errc::not_coordinator:
        case kwire::errc::coordinator_not_available:
        case kwire::errc::request_timed_out:
          coordinator_lost(now);
          break;
        case kwire::errc::fenced_instance_id:
          fail(make_error_code(error));
          break;
        default:
          // COORDINATOR_LOAD_IN_PROGRESS, UNKNOWN_TOPIC_OR_PARTITION (retry),
          // OFFSET_METADATA_TOO_LARGE, INVALID_COMMIT_OFFSET_SIZE, group
          // authorization, ...: this commit fails, the membership is fine.
          break;
      }
      return make_error_code(error);
    }
  }
  return {};
}

}  // namespace kwire::consumer::group
