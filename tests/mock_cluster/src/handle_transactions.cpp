// AddPartitionsToTxn (v0-3, the client versions), AddOffsetsToTxn and
// EndTxn, as Kafka's TransactionCoordinator answers them, and
// TxnOffsetCommit, as its GroupCoordinator does, enough for fault injection
// around a transactional producer: only the transactional id's (the
// group's) coordinator serves it (NOT_COORDINATOR elsewhere, see
// move_coordinator), a stale producer id or epoch is fenced, and fail_next
// / drop_connection_after / delay apply as to every API (a TxnOffsetCommit
// fail rule naming a topic/partition fails only that partition).
// Transactions are tracked in the partitions, not in the coordinator: a
// transactional batch opens its producer's transaction where it lands
// (AddPartitionsToTxn is checked, not needed), and EndTxn writes a COMMIT or
// ABORT marker wherever that producer has one open (partition_log.cpp), so
// read_committed consumers see what Kafka would show them. The offsets
// TxnOffsetCommit accepts are listed as they come (txn_offset_commits())
// and reach the group's committed offsets when EndTxn commits.
#include "cluster_state.hpp"
#include "kwire/protocol/add_offsets_to_txn.hpp"
#include "kwire/protocol/add_partitions_to_txn.hpp"
#include "kwire/protocol/end_txn.hpp"
#include "kwire/protocol/find_coordinator.hpp"
#include "kwire/protocol/txn_offset_commit.hpp"

namespace kwire::mock::detail {

kwire::errc ClusterState::check_transactional(std::int32_t broker_id, const std::string& transactional_id,
                                              std::int64_t producer_id, std::int16_t epoch,
                                              std::int16_t version) const {
  if (coordinator_for(static_cast<std::int8_t>(protocol::CoordinatorType::transaction), transactional_id) != broker_id)
    return kwire::errc::not_coordinator;
  auto it = transactional_.find(transactional_id);
  if (it == transactional_.end() || it->second.producer_id != producer_id)
    return kwire::errc::invalid_producer_id_mapping;
  if (it->second.epoch != epoch)
    return version >= 2 ? kwire::errc::producer_fenced : kwire::errc::invalid_producer_epoch;  // KIP-588
  return kwire::errc::none;
}

Outcome ClusterState::handle_add_partitions_to_txn(std::int32_t broker_id, const protocol::RequestHeader& header,
                                                   std::span<const std::uint8_t> body) {
  const std::int16_t version = header.api_version;
  Outcome outcome;
  protocol::AddPartitionsToTxnRequest request;
  if (version > 3 || protocol::decode_message(body, version, request)) return outcome;  // close
  kwire::errc error = kwire::errc::none;
  if (auto rule = take_fail_rule(ApiKey::add_partitions_to_txn, {}))
    error = rule->error;
  else
    error = check_transactional(broker_id, request.v3_and_below_transactional_id, request.v3_and_below_producer_id,
                                request.v3_and_below_producer_epoch, version);
  protocol::AddPartitionsToTxnResponse response;
  for (const auto& topic : request.v3_and_below_topics) {
    auto& result = response.results_by_topic_v3_and_below.emplace_back();
    result.name = topic.name;
    for (std::int32_t p : topic.partitions) result.partitions.push_back({p, error, {}});
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

template <class Request, class Response, class OnSuccess>
Outcome ClusterState::answer_transactional(ApiKey api, std::int32_t broker_id, const protocol::RequestHeader& header,
                                           std::span<const std::uint8_t> body, OnSuccess&& on_success) {
  const std::int16_t version = header.api_version;
  Outcome outcome;
  Request request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close
  Response response;
  if (auto rule = take_fail_rule(api, {}))
    response.error_code = rule->error;
  else
    response.error_code =
        check_transactional(broker_id, request.transactional_id, request.producer_id, request.producer_epoch, version);
  if (response.error_code == kwire::errc::none) on_success(request);
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

Outcome ClusterState::handle_end_txn(std::int32_t broker_id, const protocol::RequestHeader& header,
                                     std::span<const std::uint8_t> body) {
  return answer_transactional<protocol::EndTxnRequest, protocol::EndTxnResponse>(
      ApiKey::end_txn, broker_id, header, body, [this](const protocol::EndTxnRequest& request) {
        write_markers(request.producer_id, request.producer_epoch, request.committed);
        auto pending = pending_txn_offsets_.find(request.producer_id);
        if (pending == pending_txn_offsets_.end()) return;
        if (request.committed)
          for (const auto& [group, offsets] : pending->second)
            for (const auto& [tp, offset] : offsets) groups_[group].offsets[tp] = offset;
        pending_txn_offsets_.erase(pending);
      });
}

Outcome ClusterState::handle_add_offsets_to_txn(std::int32_t broker_id, const protocol::RequestHeader& header,
                                                std::span<const std::uint8_t> body) {
  return answer_transactional<protocol::AddOffsetsToTxnRequest, protocol::AddOffsetsToTxnResponse>(
      ApiKey::add_offsets_to_txn, broker_id, header, body, [](const auto&) {});
}

Outcome ClusterState::handle_txn_offset_commit(std::int32_t broker_id, const protocol::RequestHeader& header,
                                               std::span<const std::uint8_t> body) {
  const std::int16_t version = header.api_version;
  Outcome outcome;
  protocol::TxnOffsetCommitRequest request;
  if (protocol::decode_message(body, version, request)) return outcome;  // close
  // The group coordinator answers for the whole request (GroupCoordinator:
  // NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS, ... go to every
  // partition); a fail rule naming a partition fails that partition only.
  const kwire::errc request_error =
      coordinator_for(static_cast<std::int8_t>(protocol::CoordinatorType::group), request.group_id) != broker_id
          ? kwire::errc::not_coordinator
          : kwire::errc::none;
  protocol::TxnOffsetCommitResponse response;
  for (const auto& topic : request.topics) {
    auto& result = response.topics.emplace_back();
    result.name = topic.name;
    for (const auto& p : topic.partitions) {
      kwire::errc error = request_error;
      if (error == kwire::errc::none) {
        if (auto rule = take_fail_rule(ApiKey::txn_offset_commit, {{topic.name, p.partition_index}}))
          error = rule->error;
      }
      if (error == kwire::errc::none) {
        txn_offsets_[request.group_id][{topic.name, p.partition_index}] = p.committed_offset;
        pending_txn_offsets_[request.producer_id][request.group_id][{topic.name, p.partition_index}] =
            p.committed_offset;
      }
      result.partitions.push_back({p.partition_index, error, {}});
    }
  }
  outcome.frame = response_frame(header, version, response);
  outcome.action = outcome.frame.empty() ? Outcome::Action::close : Outcome::Action::respond;
  return outcome;
}

std::map<std::pair<std::string, std::int32_t>, std::int64_t> ClusterState::txn_offset_commits(
    const std::string& group) const {
  Lock lock(mutex_);
  auto it = txn_offsets_.find(group);
  return it == txn_offsets_.end() ? std::map<std::pair<std::string, std::int32_t>, std::int64_t>{} : it->second;
}

}  // namespace kwire::mock::detail
