// Groups: listings, descriptions (classic and KIP-848), committed offsets,
// lag and offset reset plans.
#include <algorithm>
#include <set>

#include "kwire/admin/translate.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/consumer_protocol.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::admin::translate {

std::vector<GroupListing> group_listings(const protocol::ListGroupsResponse& response) {
  std::vector<GroupListing> groups;
  for (const auto& g : response.groups) groups.push_back({g.group_id, g.protocol_type, g.group_state, g.group_type});
  std::sort(groups.begin(), groups.end(), [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  return groups;
}

namespace {

void sort_assignment(std::vector<TopicPartition>& partitions) {
  std::sort(partitions.begin(), partitions.end(), TopicPartitionLess{});
}

}  // namespace

std::vector<GroupDescription> group_descriptions(const protocol::DescribeGroupsResponse& response) {
  std::vector<GroupDescription> groups;
  for (const auto& g : response.groups) {
    GroupDescription& out = groups.emplace_back();
    out.group_id = g.group_id;
    out.state = g.group_state;
    out.protocol_type = g.protocol_type;
    out.assignor = g.protocol_data;
    out.error = item_error(g.error_code, g.error_message);
    for (const auto& m : g.members) {
      GroupMember& member = out.members.emplace_back();
      member.member_id = m.member_id;
      member.instance_id = m.group_instance_id;
      member.client_id = m.client_id;
      member.client_host = m.client_host;
      // Only the "consumer" protocol type has a known assignment format;
      // Connect and others keep their bytes to themselves.
      if (g.protocol_type != "consumer" || m.member_assignment.empty()) continue;
      protocol::ConsumerProtocolAssignment assignment;
      if (protocol::decode_consumer_protocol(m.member_assignment, assignment)) continue;
      for (const auto& tp : assignment.assigned_partitions)
        for (auto p : tp.partitions) member.assignment.push_back({tp.topic, p});
      sort_assignment(member.assignment);
    }
  }
  return groups;
}

std::vector<GroupDescription> group_descriptions(const protocol::ConsumerGroupDescribeResponse& response) {
  std::vector<GroupDescription> groups;
  for (const auto& g : response.groups) {
    GroupDescription& out = groups.emplace_back();
    out.group_id = g.group_id;
    out.state = g.group_state;
    out.protocol_type = "consumer";
    out.assignor = g.assignor_name;
    out.consumer_protocol = true;
    out.group_epoch = g.group_epoch;
    out.error = item_error(g.error_code, g.error_message);
    for (const auto& m : g.members) {
      GroupMember& member = out.members.emplace_back();
      member.member_id = m.member_id;
      member.instance_id = m.instance_id;
      member.client_id = m.client_id;
      member.client_host = m.client_host;
      for (const auto& tp : m.assignment.topic_partitions)
        for (auto p : tp.partitions) member.assignment.push_back({tp.topic_name, p});
      sort_assignment(member.assignment);
    }
  }
  return groups;
}

std::vector<ItemError> delete_groups_results(const protocol::DeleteGroupsResponse& response,
                                             const std::vector<std::string>& requested) {
  std::vector<ItemError> results;
  for (const auto& group : requested) {
    const auto it = std::find_if(response.results.begin(), response.results.end(),
                                 [&](const auto& r) { return r.group_id == group; });
    if (it == response.results.end())
      results.push_back({make_error_code(client_errc::malformed), "the broker's answer does not mention " + group});
    else
      results.push_back(item_error(it->error_code, it->error_message));
  }
  return results;
}

protocol::OffsetFetchRequest offset_fetch_request(const std::string& group, std::int16_t version) {
  protocol::OffsetFetchRequest request;
  if (version >= protocol::OffsetFetchRequest::first_groups_version) {
    auto& g = request.groups.emplace_back();
    g.group_id = group;
    g.topics.reset();  // null: every partition the group committed
  } else {
    request.group_id = group;
    request.topics.reset();  // null (v2+): every partition
  }
  return request;
}

PartitionMap<std::int64_t> committed_offsets(const protocol::OffsetFetchResponse& response, const std::string& group,
                                             ItemError& error) {
  PartitionMap<std::int64_t> committed;
  auto collect = [&](const std::vector<protocol::OffsetFetchResponse::Topic>& topics) {
    for (const auto& t : topics)
      for (const auto& p : t.partitions)
        if (p.error_code == kwire::errc::none && p.committed_offset >= 0)
          committed[{t.name, p.partition_index}] = p.committed_offset;
  };
  error = {};
  if (!response.groups.empty()) {  // v8+
    for (const auto& g : response.groups) {
      if (g.group_id != group) continue;
      error = item_error(g.error_code, std::nullopt);
      collect(g.topics);
    }
  } else {
    error = item_error(response.error_code, std::nullopt);
    collect(response.topics);
  }
  return committed;
}

protocol::ListOffsetsRequest list_offsets_request(const std::vector<TopicPartition>& partitions,
                                                  std::int64_t timestamp) {
  protocol::ListOffsetsRequest request;
  for (const auto& tp : partitions) {
    auto it = std::find_if(request.topics.begin(), request.topics.end(),
                           [&](const auto& t) { return t.name == tp.topic; });
    if (it == request.topics.end()) {
      request.topics.push_back({});
      it = std::prev(request.topics.end());
      it->name = tp.topic;
    }
    it->partitions.push_back({tp.partition, -1, timestamp, {}});
  }
  return request;
}

PartitionMap<OffsetAnswer> offsets(const protocol::ListOffsetsResponse& response) {
  PartitionMap<OffsetAnswer> answers;
  for (const auto& t : response.topics)
    for (const auto& p : t.partitions)
      answers[{t.name, p.partition_index}] = {p.offset, item_error(p.error_code, std::nullopt)};
  return answers;
}

std::vector<PartitionLag> group_lag(const PartitionMap<std::int64_t>& committed,
                                    const PartitionMap<OffsetAnswer>& end_offsets, const GroupDescription& group) {
  PartitionMap<PartitionLag> rows;
  for (const auto& [tp, offset] : committed) {
    rows[tp].partition = tp;
    rows[tp].committed = offset;
  }
  for (const auto& member : group.members)
    for (const auto& tp : member.assignment) {
      PartitionLag& row = rows[tp];
      row.partition = tp;
      row.member_id = member.member_id;
      row.client_id = member.client_id;
      row.host = member.client_host;
    }
  std::vector<PartitionLag> out;
  for (auto& [tp, row] : rows) {
    if (const auto it = end_offsets.find(tp); it != end_offsets.end()) {
      row.end_offset = it->second.offset;
      row.error = it->second.error;
    } else {
      row.error = {make_error_code(client_errc::malformed), "no end offset for " + tp.topic + "-" +
                                                                std::to_string(tp.partition)};
    }
    // A committed offset past the end (the log was truncated) has no lag to
    // speak of, not a negative one.
    if (row.committed >= 0 && row.end_offset >= 0) row.lag = std::max<std::int64_t>(0, row.end_offset - row.committed);
    out.push_back(std::move(row));
  }
  return out;
}

std::vector<ResetPlanEntry> reset_plan(const std::vector<TopicPartition>& partitions, const ResetSpec& spec,
                                       const PartitionMap<std::int64_t>& committed,
                                       const PartitionMap<OffsetAnswer>& earliest,
                                       const PartitionMap<OffsetAnswer>& latest,
                                       const PartitionMap<OffsetAnswer>& by_timestamp) {
  std::vector<ResetPlanEntry> plan;
  std::vector<TopicPartition> sorted = partitions;
  std::sort(sorted.begin(), sorted.end(), TopicPartitionLess{});
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  auto lookup = [](const PartitionMap<OffsetAnswer>& answers, const TopicPartition& tp) -> const OffsetAnswer* {
    const auto it = answers.find(tp);
    return it == answers.end() ? nullptr : &it->second;
  };
  for (const auto& tp : sorted) {
    ResetPlanEntry& entry = plan.emplace_back();
    entry.partition = tp;
    if (const auto it = committed.find(tp); it != committed.end()) entry.current = it->second;
    const OffsetAnswer* low = lookup(earliest, tp);
    const OffsetAnswer* high = lookup(latest, tp);
    if (!low || !high || !low->error.ok() || !high->error.ok()) {
      const OffsetAnswer* bad = (!low || !high) ? nullptr : (!low->error.ok() ? low : high);
      entry.error = bad ? bad->error
                        : ItemError{make_error_code(client_errc::malformed), "log start or end offset unknown"};
      continue;
    }
    std::int64_t target = -1;
    switch (spec.kind) {
      case ResetSpec::Kind::to_earliest: target = low->offset; break;
      case ResetSpec::Kind::to_latest: target = high->offset; break;
      case ResetSpec::Kind::to_offset: target = spec.value; break;
      case ResetSpec::Kind::shift_by:
        // Kafka's tool shifts from the committed offset; with none, from
        // where a reset would start (we take the log end, as a new consumer
        // with auto.offset.reset=latest would).
        target = (entry.current >= 0 ? entry.current : high->offset) + spec.value;
        break;
      case ResetSpec::Kind::to_timestamp: {
        const OffsetAnswer* at = lookup(by_timestamp, tp);
        if (at && !at->error.ok()) {
          entry.error = at->error;
          continue;
        }
        // No record at or after the time: the end of the log.
        target = (at && at->offset >= 0) ? at->offset : high->offset;
        break;
      }
    }
    entry.target = std::clamp(target, low->offset, std::max(low->offset, high->offset));
  }
  return plan;
}

protocol::OffsetCommitRequest offset_commit_request(const std::string& group, const std::vector<ResetPlanEntry>& plan) {
  protocol::OffsetCommitRequest request;
  request.group_id = group;
  request.generation_id_or_member_epoch = -1;
  for (const auto& entry : plan) {
    if (!entry.error.ok()) continue;
    auto it = std::find_if(request.topics.begin(), request.topics.end(),
                           [&](const auto& t) { return t.name == entry.partition.topic; });
    if (it == request.topics.end()) {
      request.topics.push_back({});
      it = std::prev(request.topics.end());
      it->name = entry.partition.topic;
    }
    auto& p = it->partitions.emplace_back();
    p.partition_index = entry.partition.partition;
    p.committed_offset = entry.target;
  }
  return request;
}

void apply_commit_results(const protocol::OffsetCommitResponse& response, std::vector<ResetPlanEntry>& plan) {
  for (auto& entry : plan) {
    if (!entry.error.ok()) continue;
    bool seen = false;
    for (const auto& t : response.topics)
      for (const auto& p : t.partitions)
        if (t.name == entry.partition.topic && p.partition_index == entry.partition.partition) {
          entry.error = item_error(p.error_code, std::nullopt);
          seen = true;
        }
    if (!seen)
      entry.error = {make_error_code(client_errc::malformed), "the broker's answer does not mention the partition"};
  }
}

}  // namespace kwire::admin::translate
