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
    return {};
  }
  return request_reset(tp);
}

std::error_code SubscriptionState::request_reset(const TopicPartition& tp, std::optional<OffsetResetPolicy> policy) {
  PartitionState* state = find(tp);
  if (state == nullptr) return make_error_code(consumer_errc::partition_not_assigned);
  const OffsetResetPolicy chosen = policy.value_or(policy_);
  state->position.reset();
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
  return true;
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
  return it != partitions_.end() && it->second.position && !it->second.pending_reset && !it->second.paused;
}

std::vector<TopicPartition> SubscriptionState::fetchable() const {
  std::vector<TopicPartition> out;
  for (const auto& [tp, state] : partitions_)
    if (is_fetchable(tp)) out.push_back(tp);
  return out;
}

}  // namespace kwire::consumer
