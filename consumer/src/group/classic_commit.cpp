// The offset-commit part of ClassicMembership: commits are fenced by
// ownership and generation (never for revoked or lost partitions, see
// redpanda-data/connect#4477 and KAFKA-14196), and their errors act on the
// membership the way Java's OffsetCommitResponseHandler does.
#include "classic_membership.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer::group {

std::optional<protocol::OffsetCommitRequest> ClassicMembership::commit_request(
    const std::vector<OffsetToCommit>& offsets, std::vector<TopicPartition>* refused) const {
  return build_commit_request(
      config_.group_id, generation_, member_id_, config_.group_instance_id, offsets,
      [this](const TopicPartition& tp) { return may_commit(tp); }, refused);
}

std::error_code ClassicMembership::on_commit_response(const protocol::OffsetCommitRequest& sent,
                                                      const protocol::OffsetCommitResponse& response,
                                                      TimePoint now) {
  const kwire::errc error = first_commit_error(response);
  switch (error) {
    case kwire::errc::none:
      return {};
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

}  // namespace kwire::consumer::group
