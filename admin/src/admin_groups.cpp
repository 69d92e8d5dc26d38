// Admin: consumer groups — list, describe (both protocols), delete, lag and
// offset resets.
#include <algorithm>

#include "channel.hpp"
#include "kwire/admin/translate.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::admin {

namespace {

/// OffsetFetch / OffsetCommit v10 name topics by id only (KIP-1078 era);
/// admin output wants names, so it stays at v9.
constexpr std::int16_t kMaxOffsetsVersion = 9;

Route coordinator_of(const std::string& group) { return Route::group_coordinator(group); }

}  // namespace

std::vector<GroupListing> Admin::list_groups() {
  std::vector<GroupListing> all;
  for (const auto& [node, response] : channel_->call_every_broker(protocol::ListGroupsRequest{})) {
    auto listed = translate::group_listings(response);
    all.insert(all.end(), listed.begin(), listed.end());
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  return all;
}

std::vector<GroupDescription> Admin::describe_groups(const std::vector<std::string>& groups) {
  std::vector<GroupDescription> out;
  for (const auto& group : groups) {
    GroupDescription description;
    description.group_id = group;
    try {
      const Route to = coordinator_of(group);
      bool described = false;
      // KIP-848 groups first, as Java's Admin does: a classic (or unknown)
      // group answers GROUP_ID_NOT_FOUND there, and a broker without the new
      // protocol UNSUPPORTED_VERSION (3.9 lists the API but has it off); both
      // fall back to DescribeGroups.
      try {
        protocol::ConsumerGroupDescribeRequest request;
        request.group_ids = {group};
        auto described_groups = translate::group_descriptions(channel_->call(
            to, request, by_verdict<protocol::ConsumerGroupDescribeRequest, protocol::ConsumerGroupDescribeResponse>()));
        if (described_groups.size() == 1 && described_groups[0].error.error != kwire::errc::group_id_not_found &&
            described_groups[0].error.error != kwire::errc::unsupported_version) {
          description = std::move(described_groups[0]);
          described = true;
        }
      } catch (const AdminError& e) {
        if (e.code() != client_errc::unsupported_version) throw;
      }
      if (!described) {
        protocol::DescribeGroupsRequest request;
        request.groups = {group};
        auto described_groups = translate::group_descriptions(
            channel_->call(to, request, by_verdict<protocol::DescribeGroupsRequest, protocol::DescribeGroupsResponse>()));
        if (described_groups.size() == 1) description = std::move(described_groups[0]);
      }
    } catch (const AdminError& e) {
      description.error = {e.code(), e.what()};
    }
    out.push_back(std::move(description));
  }
  return out;
}

std::vector<ItemError> Admin::delete_groups(const std::vector<std::string>& groups) {
  std::vector<ItemError> out;
  for (const auto& group : groups) {
    try {
      protocol::DeleteGroupsRequest request;
      request.groups_names = {group};
      const auto response = channel_->call(coordinator_of(group), request,
                                           by_verdict<protocol::DeleteGroupsRequest, protocol::DeleteGroupsResponse>());
      out.push_back(translate::delete_groups_results(response, {group}).front());
    } catch (const AdminError& e) {
      out.push_back({e.code(), e.what()});
    }
  }
  return out;
}

namespace {

/// Admin::list_offsets as a map, for the lag and reset arithmetic.
PartitionMap<translate::OffsetAnswer> offsets_by_partition(Admin& admin, const std::vector<TopicPartition>& partitions,
                                                           std::int64_t timestamp, bool read_committed) {
  PartitionMap<translate::OffsetAnswer> answers;
  for (auto& p : admin.list_offsets(partitions, timestamp, read_committed)) answers[p.partition] = {p.offset, p.error};
  return answers;
}

PartitionMap<std::int64_t> fetch_committed(Admin::Channel& channel, const std::string& group) {
  using Req = protocol::OffsetFetchRequest;
  using Resp = protocol::OffsetFetchResponse;
  // v8+'s shape (every broker kwire supports, Kafka 3.9 and later, speaks
  // v8-9); below v8 the codec refuses it and the call fails as unsupported.
  const auto response = channel.call(coordinator_of(group), translate::offset_fetch_request(group, kMaxOffsetsVersion),
                                     by_verdict<Req, Resp>(), kMaxOffsetsVersion);
  ItemError error;
  auto committed = translate::committed_offsets(response, group, error);
  if (!error.ok()) throw AdminError(error.error, "OffsetFetch for " + group + ": " + error.message());
  return committed;
}

}  // namespace

std::vector<PartitionLag> Admin::group_lag(const std::string& group, bool read_committed) {
  auto descriptions = describe_groups({group});
  const GroupDescription& description = descriptions.front();
  if (!description.error.ok()) throw AdminError(description.error.error, description.error.message());
  const auto committed = fetch_committed(*channel_, group);
  std::vector<TopicPartition> partitions;
  for (const auto& [tp, offset] : committed) partitions.push_back(tp);
  for (const auto& member : description.members)
    partitions.insert(partitions.end(), member.assignment.begin(), member.assignment.end());
  std::sort(partitions.begin(), partitions.end(), TopicPartitionLess{});
  partitions.erase(std::unique(partitions.begin(), partitions.end()), partitions.end());
  const auto end_offsets =
      offsets_by_partition(*this, partitions, protocol::list_offsets_timestamp::latest, read_committed);
  return translate::group_lag(committed, end_offsets, description);
}

std::vector<ResetPlanEntry> Admin::reset_offsets(const std::string& group,
                                                 const std::vector<TopicPartition>& requested, const ResetSpec& spec,
                                                 bool dry_run) {
  const auto committed = fetch_committed(*channel_, group);
  std::vector<TopicPartition> partitions;
  if (requested.empty()) {
    for (const auto& [tp, offset] : committed) partitions.push_back(tp);
  }
  for (const auto& tp : requested) {
    if (tp.partition >= 0) {
      partitions.push_back(tp);
      continue;
    }
    for (const auto& topic : describe_topics({tp.topic})) {
      if (!topic.error.ok()) throw AdminError(topic.error.error, "topic " + tp.topic + ": " + topic.error.message());
      for (const auto& p : topic.partitions) partitions.push_back({topic.name, p.partition});
    }
  }
  const auto earliest = offsets_by_partition(*this, partitions, protocol::list_offsets_timestamp::earliest, false);
  const auto latest = offsets_by_partition(*this, partitions, protocol::list_offsets_timestamp::latest, false);
  PartitionMap<translate::OffsetAnswer> by_time;
  if (spec.kind == ResetSpec::Kind::to_timestamp) by_time = offsets_by_partition(*this, partitions, spec.value, false);
  auto plan = translate::reset_plan(partitions, spec, committed, earliest, latest, by_time);
  if (dry_run) return plan;
  const auto response =
      channel_->call(coordinator_of(group), translate::offset_commit_request(group, plan),
                     by_verdict<protocol::OffsetCommitRequest, protocol::OffsetCommitResponse>(), kMaxOffsetsVersion);
  translate::apply_commit_results(response, plan);
  return plan;
}

}  // namespace kwire::admin
