// The reconciliation half of ConsumerMembership (KIP-848): the coordinator's
// target assignment against what the member owns — topic ids resolved to
// names, revocation (after the commit of what was consumed) before
// assignment, then the acknowledgement — and the member's offset commits
// (OffsetCommit v9+: member id and member epoch).
#include <algorithm>

#include "consumer_membership.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer::group {
namespace {

template <class Map>
Map minus(const Map& a, const Map& b) {
  Map out;
  for (const auto& [id, partitions] : a) {
    auto other = b.find(id);
    for (auto p : partitions)
      if (other == b.end() || !other->second.contains(p)) out[id].insert(p);
  }
  return out;
}

}  // namespace

std::vector<TopicPartition> ConsumerMembership::names_of(const Assignment& partitions) const {
  std::vector<TopicPartition> out;
  for (const auto& [id, set] : partitions) {
    auto name = names_.find(id);
    if (name == names_.end()) continue;  // never: only resolved ids are owned
    for (auto p : set) out.push_back({name->second, p});
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<protocol::Uuid> ConsumerMembership::id_of(const std::string& topic) const {
  for (const auto& [id, name] : names_)
    if (name == topic) return id;
  return std::nullopt;
}

ConsumerMembership::Assignment ConsumerMembership::owned_after_reconciliation() const {
  if (!reconcile_events_pending_) return owned_;
  Assignment out = minus(owned_, revoking_);
  for (const auto& [id, partitions] : adding_) out[id].insert(partitions.begin(), partitions.end());
  return out;
}

std::set<TopicPartition> ConsumerMembership::owned() const {
  const auto list = names_of(owned_after_reconciliation());
  return {list.begin(), list.end()};
}

std::vector<protocol::Uuid> ConsumerMembership::unresolved_topic_ids() const {
  std::vector<protocol::Uuid> out;
  if (!target_) return out;
  for (const auto& [id, partitions] : *target_)
    if (!names_.contains(id)) out.push_back(id);
  return out;
}

void ConsumerMembership::on_topic_names(const TopicNames& names, TimePoint now) {
  (void)now;
  bool any = false;
  for (const auto& [id, name] : names) any |= names_.insert_or_assign(id, name).second;
  if (any) reconcile();
}

void ConsumerMembership::reconcile() {
  // One reconciliation at a time (Java): a newer target waits until the
  // callbacks of the current one ran.
  if (!target_ || !in_group() || awaiting_revoke_commit_ || reconcile_events_pending_) return;
  Assignment resolved;
  bool unresolved = false;
  for (const auto& [id, partitions] : *target_) {
    if (names_.contains(id)) resolved[id] = partitions;
    else unresolved = true;
  }
  // Ids not resolved yet stay in the target; what is owned under them
  // (none: owned ids are resolved) is kept until they resolve.
  revoking_ = minus(owned_, resolved);
  adding_ = minus(resolved, owned_);
  if (!unresolved) target_.reset();
  if (revoking_.empty() && adding_.empty()) return;
  state_ = State::reconciling;
  if (!revoking_.empty()) {
    // The owner commits what was consumed from them first (KIP-848: "the
    // member must commit its offsets before revoking"), then
    // revoke_commit_done().
    awaiting_revoke_commit_ = true;
    return;
  }
  apply_reconciliation();
}

std::vector<TopicPartition> ConsumerMembership::commit_before_revoke() const {
  return awaiting_revoke_commit_ ? names_of(revoking_) : std::vector<TopicPartition>{};
}

void ConsumerMembership::revoke_commit_done() {
  if (!awaiting_revoke_commit_) return;
  awaiting_revoke_commit_ = false;
  apply_reconciliation();
}

void ConsumerMembership::apply_reconciliation() {
  // Revoked before assigned, each its own event: the application's revoke
  // callback runs (and may commit) before the assign callback.
  reconcile_events_pending_ = true;
  if (auto revoked = names_of(revoking_); !revoked.empty()) queue(RebalanceEvent::Kind::revoked, std::move(revoked));
  if (auto added = names_of(adding_); !added.empty()) queue(RebalanceEvent::Kind::assigned, std::move(added));
}

bool ConsumerMembership::may_commit(const TopicPartition& tp) const {
  if (!in_group() || member_epoch_ <= 0) return false;
  const auto id = id_of(tp.topic);
  if (!id) return false;
  auto has = [&](const Assignment& a) {
    auto it = a.find(*id);
    return it != a.end() && it->second.contains(tp.partition);
  };
  // While the callbacks of a reconciliation run, both what they revoke (the
  // revoke callback may commit) and what they add are the member's.
  return has(owned_) || (reconcile_events_pending_ && has(adding_));
}

std::optional<protocol::OffsetCommitRequest> ConsumerMembership::commit_request(
    const std::vector<OffsetToCommit>& offsets, std::vector<TopicPartition>* refused) const {
  return build_commit_request(
      config_.group_id, member_epoch_, member_id_, config_.group_instance_id, offsets,
      [this](const TopicPartition& tp) { return may_commit(tp); }, refused);
}

std::error_code ConsumerMembership::on_commit_response(const protocol::OffsetCommitRequest& sent,
                                                       const protocol::OffsetCommitResponse& response,
                                                       TimePoint now) {
  (void)now;
  const kwire::errc error = first_commit_error(response);
  switch (error) {
    case kwire::errc::none:
      return {};
    case kwire::errc::stale_member_epoch:
      // The coordinator moved the member to a newer epoch than the one
      // the commit carried: heartbeat now to learn it (the owner retries).
      send_now_ = true;
      break;
    case kwire::errc::unknown_member_id:
    case kwire::errc::fenced_member_epoch:
      if (sent.generation_id_or_member_epoch == member_epoch_ && sent.member_id == member_id_ && in_group())
        fence(make_error_code(error));
      break;
    case kwire::errc::not_coordinator:
    case kwire::errc::coordinator_not_available:
    case kwire::errc::request_timed_out:
      coordinator_known_ = false;
      break;
    default:
      // COORDINATOR_LOAD_IN_PROGRESS, OFFSET_METADATA_TOO_LARGE,
      // authorization, ...: this commit fails, the membership is fine.
      break;
  }
  return make_error_code(error);
}

}  // namespace kwire::consumer::group
