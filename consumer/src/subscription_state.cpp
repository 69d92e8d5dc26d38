#include "kwire/consumer/subscription_state.hpp"

#include "kwire/consumer/consumer_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::consumer {

std::optional<OffsetResetPolicy> parse_offset_reset_policy(std::string_view text) noexcept {
  if (text == "earliest" || text == "smallest" || text == "beginning") return OffsetResetPolicy::earliest;
  if (text == "latest" || text == "largest" || text == "end") return OffsetResetPolicy::latest;
  if (text == "none" || text == "error") return OffsetResetPolicy::none;
  return std::nullopt;
}

std::int64_t list_offsets_timestamp(OffsetResetPolicy policy) noexcept {
  return policy == OffsetResetPolicy::earliest ? -2 : -1;
}

SubscriptionState::PartitionState* SubscriptionState::find(const TopicPartition& tp) {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? nullptr : &it->second;
}

void SubscriptionState::assign(const std::vector<TopicPartition>& partitions) {
  std::map<TopicPartition, PartitionState> next;
  for (const auto& tp : partitions) {
    auto kept = partitions_.find(tp);
    next[tp] = kept == partitions_.end() ? PartitionState{} : kept->second;
  }
  partitions_ = std::move(next);
}

void SubscriptionState::add_partitions(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) partitions_.try_emplace(tp);
}

void SubscriptionState::remove_partitions(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) partitions_.erase(tp);
}

std::vector<TopicPartition> SubscriptionState::assignment() const {
  std::vector<TopicPartition> out;
  out.reserve(partitions_.size());
  for (const auto& [tp, state] : partitions_) out.push_back(tp);
  return out;
}

std::optional<FetchPosition> SubscriptionState::position(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it == partitions_.end() ? std::nullopt : it->second.position;
}

std::error_code SubscriptionState::seek(const TopicPartition& tp, FetchPosition position) {
  PartitionState* state = find(tp);
  if (state == nullptr) return make_error_code(consumer_errc::partition_not_assigned);
  state->position = position;
  state->pending_reset.reset();
  state->awaiting_validation = false;
  state->awaiting_seek = false;
  return {};
}

std::vector<TopicPartition> SubscriptionState::awaiting_committed_offset() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : partitions_)
    if (!state.position && !state.pending_reset) out.push_back(tp);
  return out;
}

std::error_code SubscriptionState::apply_committed(const TopicPartition& tp,
                                                   std::optional<FetchPosition> committed) {
  PartitionState* state = find(tp);
  if (state == nullptr) return make_error_code(consumer_errc::partition_not_assigned);
  if (state->position || state->pending_reset) return {};  // a seek or reset got there first
  if (committed && committed->offset >= 0) {
    state->position = committed;
    // KIP-320: the leader may have lost records since the commit.
    state->awaiting_validation = committed->leader_epoch >= 0;
    state->validated_leader_epoch = -1;
    return {};
  }
  return request_reset(tp);
}

std::error_code SubscriptionState::request_reset(const TopicPartition& tp, std::optional<OffsetResetPolicy> policy) {
  PartitionState* state = find(tp);
  if (state == nullptr) return make_error_code(consumer_errc::partition_not_assigned);
  const OffsetResetPolicy chosen = policy.value_or(policy_);
  state->position.reset();
  state->awaiting_validation = false;
  state->awaiting_seek = false;
  if (chosen == OffsetResetPolicy::none) {
    state->pending_reset.reset();
    return make_error_code(consumer_errc::no_offset_for_partition);
  }
  state->pending_reset = chosen;
  return {};
}

std::error_code SubscriptionState::on_offset_out_of_range(const TopicPartition& tp, std::int64_t fetch_offset) {
  PartitionState* state = find(tp);
  if (state == nullptr || !state->position || state->position->offset != fetch_offset) return {};  // stale
  if (policy_ == OffsetResetPolicy::none) {
    state->position.reset();
    return make_error_code(kwire::errc::offset_out_of_range);
  }
  return request_reset(tp);
}

std::map<TopicPartition, std::int64_t> SubscriptionState::pending_resets() const {
  std::map<TopicPartition, std::int64_t> out;
  for (const auto& [tp, state] : partitions_)
    if (state.pending_reset) out[tp] = list_offsets_timestamp(*state.pending_reset);
  return out;
}

bool SubscriptionState::complete_reset(const TopicPartition& tp, FetchPosition position) {
  PartitionState* state = find(tp);
  if (state == nullptr || !state->pending_reset) return false;
  state->pending_reset.reset();
  state->position = position;
  state->validated_leader_epoch = -1;
  return true;
}

void SubscriptionState::note_leader_epoch(const TopicPartition& tp, std::int32_t current_leader_epoch) {
  if (PartitionState* state = find(tp)) note_leader_epoch(*state, current_leader_epoch);
}

void SubscriptionState::note_leader_epochs(
    const std::function<std::int32_t(const TopicPartition&)>& current_leader_epoch) {
  for (auto& [tp, state] : partitions_)
    if (state.position && !state.awaiting_validation) note_leader_epoch(state, current_leader_epoch(tp));
}

void SubscriptionState::note_leader_epoch(PartitionState& state, std::int32_t current_leader_epoch) {
  if (!state.position || state.awaiting_validation) return;
  if (current_leader_epoch <= state.validated_leader_epoch) return;
  // A grown epoch puts a position read under an older leader in doubt. The
  // first epoch seen since the position was set is the one it was set
  // under, and a position without an epoch has nothing to check.
  if (state.validated_leader_epoch >= 0 && state.position->leader_epoch >= 0) state.awaiting_validation = true;
  else state.validated_leader_epoch = current_leader_epoch;
}

std::vector<TopicPartition> SubscriptionState::awaiting_validation() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : partitions_)
    if (state.awaiting_validation && state.position && !state.pending_reset) out.push_back(tp);
  return out;
}

bool SubscriptionState::position_unchecked(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it != partitions_.end() && (it->second.awaiting_validation || it->second.awaiting_seek);
}

std::error_code SubscriptionState::complete_validation(const TopicPartition& tp, FetchPosition asked,
                                                       std::int32_t current_leader_epoch, std::int64_t end_offset,
                                                       std::int32_t end_epoch, bool& truncated) {
  truncated = false;
  PartitionState* state = find(tp);
  if (state == nullptr || !state->awaiting_validation || state->position != asked) return {};  // stale
  state->awaiting_validation = false;
  state->validated_leader_epoch = current_leader_epoch;
  // The leader knows nothing of the epoch (Java
  // SubscriptionState.maybeCompleteValidation: undefined counts as truncation).
  const bool undefined = end_offset < 0 || end_epoch < 0;
  if (!undefined && end_offset >= asked.offset) return {};
  truncated = true;
  if (policy_ == OffsetResetPolicy::none) {
    state->awaiting_seek = true;
    return make_error_code(consumer_errc::log_truncation);
  }
  if (undefined) return request_reset(tp);
  // Go back to the first offset the two logs may disagree on.
  state->position = FetchPosition{end_offset, end_epoch};
  return {};
}

void SubscriptionState::pause(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions)
    if (PartitionState* state = find(tp)) state->paused = true;
}

void SubscriptionState::resume(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions)
    if (PartitionState* state = find(tp)) state->paused = false;
}

bool SubscriptionState::is_paused(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  return it != partitions_.end() && it->second.paused;
}

std::vector<TopicPartition> SubscriptionState::paused() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : partitions_)
    if (state.paused) out.push_back(tp);
  return out;
}

bool SubscriptionState::is_fetchable(const TopicPartition& tp) const {
  auto it = partitions_.find(tp);
  if (it == partitions_.end()) return false;
  const PartitionState& state = it->second;
  return state.position && !state.pending_reset && !state.paused && !state.awaiting_validation &&
         !state.awaiting_seek;
}

std::vector<TopicPartition> SubscriptionState::fetchable() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : partitions_)
    if (is_fetchable(tp)) out.push_back(tp);
  return out;
}

}  // namespace kwire::consumer
