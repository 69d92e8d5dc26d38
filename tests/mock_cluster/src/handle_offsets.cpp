// OffsetCommit and OffsetFetch, as Kafka's GroupCoordinator answers them for
// consumers (v0-9: topics by name; the mock advertises no higher): only
// the group's coordinator answers (NOT_COORDINATOR elsewhere); a commit with
// generation -1 and no member id is a simple (manual assignment) commit;
// otherwise the member must be in the group — a classic member at the
// current generation (ILLEGAL_GENERATION; REBALANCE_IN_PROGRESS while it
// has to rejoin or until the leader's SyncGroup), a KIP-848 member at its member epoch
// (STALE_MEMBER_EPOCH) — else UNKNOWN_MEMBER_ID.
// Faults: fail_next(ApiKey::offset_commit, error, count, topic, partition)
// fails the named partitions (no topic: the whole request);
// fail_next(ApiKey::offset_fetch, error, count, group) the whole request.
#include "cluster_state.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/offset_commit.hpp"
#include "kwire/protocol/offset_fetch.hpp"

namespace kwire::mock::detail {
namespace {

/// Whether a commit from (generation or member epoch, member id) may go
/// through; the error otherwise.
kwire::errc commit_fence(GroupState& group, std::int32_t generation, const std::string& member_id) {
  if (generation < 0 && member_id.empty()) return kwire::errc::none;  // simple commit
  if (const ConsumerGroupMember* m = group.consumer_member(member_id))
    return generation == m->member_epoch ? kwire::errc::none : kwire::errc::stale_member_epoch;
  const kwire::errc error = group.generation_error(member_id, generation);
  if (error == kwire::errc::none && group.awaiting_sync) return kwire::errc::rebalance_in_progress;
  return error;
}

}  // namespace

Outcome ClusterState::handle_offset_commit(std::int32_t broker_id, const protocol::RequestHeader& header,
                                           std::span<const std::uint8_t> body) {
  protocol::OffsetCommitRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  GroupState& group = groups_[request.group_id];
  std::vector<std::pair<std::string, std::int32_t>> targets;
  for (const auto& t : request.topics)
    for (const auto& p : t.partitions) targets.emplace_back(t.name, p.partition_index);
  const auto injected = take_fail_rule(ApiKey::offset_commit, targets);
  if (injected && injected->error == kwire::errc::unknown_member_id) group.forget(request.member_id);  // as expired

  kwire::errc request_error = kwire::errc::none;
  if (coordinator_for(static_cast<std::int8_t>(protocol::CoordinatorType::group), request.group_id) != broker_id)
    request_error = kwire::errc::not_coordinator;
  else
    request_error = commit_fence(group, request.generation_id_or_member_epoch, request.member_id);

  protocol::OffsetCommitResponse response;
  for (const auto& t : request.topics) {
    auto& tr = response.topics.emplace_back();
    tr.name = t.name;
    for (const auto& p : t.partitions) {
      kwire::errc error = request_error;
      if (injected && injected->matches(t.name, p.partition_index)) error = injected->error;
      if (error == kwire::errc::none) {
        group.offsets[{t.name, p.partition_index}] = p.committed_offset;
        group.offset_epochs[{t.name, p.partition_index}] = p.committed_leader_epoch;
      }
      tr.partitions.push_back({p.partition_index, error, {}});
    }
  }
  return respond(header, response);
}

Outcome ClusterState::handle_offset_fetch(std::int32_t broker_id, const protocol::RequestHeader& header,
                                          std::span<const std::uint8_t> body) {
  using protocol::OffsetFetchRequest;
  using protocol::OffsetFetchResponse;
  protocol::OffsetFetchRequest request;
  if (protocol::decode_message(body, header.api_version, request)) return {};  // close
  const bool batched = header.api_version >= 8;
  if (!batched) request.groups.push_back({request.group_id, std::nullopt, -1, request.topics, {}});

  OffsetFetchResponse response;
  for (const OffsetFetchRequest::Group& g : request.groups) {
    OffsetFetchResponse::Group& gr = response.groups.emplace_back();
    gr.group_id = g.group_id;
    const GroupState& group = group_for(ApiKey::offset_fetch, broker_id, g.group_id, {}, gr.error_code);
    if (gr.error_code != kwire::errc::none) continue;
    auto answer = [&](const std::string& topic, std::int32_t partition) {
      OffsetFetchResponse::Partition p;
      p.partition_index = partition;
      p.committed_offset = -1;
      auto it = group.offsets.find({topic, partition});
      if (it != group.offsets.end()) {
        p.committed_offset = it->second;
        auto epoch = group.offset_epochs.find({topic, partition});
        if (header.api_version >= 5 && epoch != group.offset_epochs.end()) p.committed_leader_epoch = epoch->second;
      }
      return p;
    };
    if (g.topics) {
      for (const auto& t : *g.topics) {
        auto& tr = gr.topics.emplace_back();
        tr.name = t.name;
        for (std::int32_t p : t.partition_indexes) tr.partitions.push_back(answer(t.name, p));
      }
    } else {  // null: every committed offset of the group
      for (const auto& [tp, offset] : group.offsets) {
        if (gr.topics.empty() || gr.topics.back().name != tp.first) gr.topics.emplace_back().name = tp.first;
        gr.topics.back().partitions.push_back(answer(tp.first, tp.second));
      }
    }
  }
  if (!batched) {
    response.topics = std::move(response.groups.front().topics);
    if (header.api_version >= 2) {
      response.error_code = response.groups.front().error_code;
    } else if (response.groups.front().error_code != kwire::errc::none) {
      // v0-1 have no top-level error: each asked partition carries it.
      for (const auto& t : request.groups.front().topics.value_or(std::vector<OffsetFetchRequest::Topic>{})) {
        auto& tr = response.topics.emplace_back();
        tr.name = t.name;
        for (std::int32_t p : t.partition_indexes)
          tr.partitions.push_back({p, -1, -1, std::string(), response.groups.front().error_code, {}});
      }
    }
    response.groups.clear();
  }
  return respond(header, response);
}

std::map<std::pair<std::string, std::int32_t>, std::int64_t> ClusterState::committed_offsets(
    const std::string& group) const {
  Lock lock(mutex_);
  auto it = groups_.find(group);
  return it == groups_.end() ? std::map<std::pair<std::string, std::int32_t>, std::int64_t>{} : it->second.offsets;
}

std::int32_t ClusterState::group_generation(const std::string& group) const {
  Lock lock(mutex_);
  auto it = groups_.find(group);
  if (it == groups_.end()) return 0;
  return it->second.consumer_members.empty() ? it->second.generation : it->second.group_epoch;
}

}  // namespace kwire::mock::detail
