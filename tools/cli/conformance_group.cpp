// The "group" group (issue 15 item 7): a classic consumer group cycle (join
// with KIP-394's MEMBER_ID_REQUIRED round trip from JoinGroup v4, sync with
// kwire's range assignor as leader, heartbeat, OffsetCommit, OffsetFetch read
// back, leave) at each version both sides support; static membership
// (KIP-345) from JoinGroup v5; and a KIP-848 ConsumerGroupHeartbeat join ->
// assignment -> commit with the member epoch -> leave cycle where offered.
#include <algorithm>
#include <thread>

#include <kwire/consumer/assignor.hpp>
#include <kwire/protocol/consumer_group_heartbeat.hpp>
#include <kwire/protocol/consumer_protocol.hpp>
#include <kwire/protocol/heartbeat.hpp>
#include <kwire/protocol/join_group.hpp>
#include <kwire/protocol/leave_group.hpp>
#include <kwire/protocol/offset_commit.hpp>
#include <kwire/protocol/offset_fetch.hpp>
#include <kwire/protocol/sync_group.hpp>

#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;

namespace {

std::string errc_text(kwire::errc e) { return error_name(make_error_code(e)); }
std::string v(std::int16_t version) { return "v" + std::to_string(version); }

/// The versions of `key` both sides speak, ascending.
template <class Request>
std::vector<std::int16_t> common_versions(const Suite& suite, ApiKey key) {
  std::vector<std::int16_t> out;
  for (auto version = Request::min_version; version <= Request::max_version; ++version)
    if (suite.advertises(key, version)) out.push_back(version);
  return out;
}

}  // namespace

std::string Suite::fetch_committed(const std::string& group, std::int16_t max_version, bool require_stable,
                                   std::int64_t& offset, std::int16_t* used, kwire::errc* refused,
                                   const std::optional<std::string>& member_id, std::int32_t member_epoch) {
  std::string why;
  auto* client = coordinator(group, 0, why);
  if (!client) return why;
  const auto& topic_id = reader_->location().topic_id;
  if (topic_id.is_zero()) max_version = std::min<std::int16_t>(max_version, 9);
  // Each version carries only its own fields (the codec refuses others).
  const auto chosen = net::request_version<protocol::OffsetFetchRequest, protocol::OffsetFetchResponse>(
      client->connection().negotiated_version(ApiKey::offset_fetch), max_version);
  if (!chosen) return advertised_text(ApiKey::offset_fetch);
  const std::int16_t fv = *chosen;
  protocol::OffsetFetchRequest::Topic t;
  if (fv >= protocol::OffsetFetchRequest::first_topic_id_version)
    t.topic_id = topic_id;
  else
    t.name = topic_;
  t.partition_indexes = {partition_};
  protocol::OffsetFetchRequest request;
  if (fv >= protocol::OffsetFetchRequest::first_groups_version) {
    request.groups.push_back({group, fv >= 9 ? member_id : std::nullopt, fv >= 9 ? member_epoch : -1,
                              std::vector<protocol::OffsetFetchRequest::Topic>{t}, {}});
  } else {
    request.group_id = group;
    request.topics = std::vector<protocol::OffsetFetchRequest::Topic>{t};
  }
  request.require_stable = require_stable && fv >= protocol::OffsetFetchRequest::first_require_stable_version;
  protocol::OffsetFetchResponse response;
  std::int16_t version = -1;
  if (auto ec = client->request(request, response, version, max_version))
    return "OffsetFetch v" + std::to_string(version) + ": " + error_name(ec);
  if (used) *used = version;
  const auto& topics = version >= 8 ? (response.groups.empty() ? response.topics : response.groups[0].topics)
                                    : response.topics;
  kwire::errc error = version >= 8 && !response.groups.empty() ? response.groups[0].error_code : response.error_code;
  offset = -2;
  for (const auto& rt : topics)
    for (const auto& rp : rt.partitions)
      if (rp.partition_index == partition_) {
        offset = rp.committed_offset;
        if (rp.error_code != kwire::errc::none) error = rp.error_code;
      }
  if (refused) *refused = error;
  if (error != kwire::errc::none) return "OffsetFetch v" + std::to_string(version) + ": " + errc_text(error);
  if (offset == -2) return "OffsetFetch v" + std::to_string(version) + " answered without the partition";
  return {};
}

void Suite::run_group() {
  const std::string group = "group";
  const auto joins = common_versions<protocol::JoinGroupRequest>(*this, ApiKey::join_group);
  const auto syncs = common_versions<protocol::SyncGroupRequest>(*this, ApiKey::sync_group);
  const auto beats = common_versions<protocol::HeartbeatRequest>(*this, ApiKey::heartbeat);
  const auto leaves = common_versions<protocol::LeaveGroupRequest>(*this, ApiKey::leave_group);
  const auto commits = common_versions<protocol::OffsetCommitRequest>(*this, ApiKey::offset_commit);
  const auto fetches = common_versions<protocol::OffsetFetchRequest>(*this, ApiKey::offset_fetch);
  const auto& topic_id = reader_->location().topic_id;
  auto pick = [](const std::vector<std::int16_t>& vs, std::size_t i) { return vs[std::min(i, vs.size() - 1)]; };
  // OffsetCommit's topic as `version` names it (by id from v10).
  auto commit_topic = [&](std::int16_t version, std::int64_t offset) {
    protocol::OffsetCommitRequest::Topic t;
    if (version >= protocol::OffsetCommitRequest::first_topic_id_version)
      t.topic_id = topic_id;
    else
      t.name = topic_;
    t.partitions.push_back({partition_, offset, version >= 6 ? 0 : -1, -1, std::string("kwire"), {}});
    return t;
  };

  // The group error that ended the last classic cycle's join, if any.
  kwire::errc join_refusal = kwire::errc::none;
  std::string commit_v0_refused;  // set when the endpoint lists OffsetCommit v0 but refuses it
  std::string fetch_v0_refused;   // the same for OffsetFetch v0
  // One classic cycle; "" on success, else why not. `detail` gets what was seen.
  auto classic_cycle = [&](const std::string& group_id, std::int16_t jv, std::int16_t sv, std::int16_t hv,
                           std::int16_t lv, std::int16_t cv, std::int16_t fv,
                           const std::optional<std::string>& instance_id, std::string& detail) -> std::string {
    std::string why;
    auto* client = coordinator(group_id, 0, why);
    if (!client) return why;
    // Join, as a consumer subscribed to the suite's topic with "range".
    auto assignor = consumer::make_assignor("range");
    protocol::ConsumerProtocolSubscription subscription;
    subscription.topics = {topic_};
    protocol::JoinGroupRequest join;
    join.group_id = group_id;
    join.session_timeout_ms = 30000;
    join.rebalance_timeout_ms = 30000;
    join.group_instance_id = instance_id;
    join.protocol_type = "consumer";
    join.protocols.push_back({std::string(assignor->name()), {}, {}});
    if (auto ec = protocol::encode_consumer_protocol(subscription, 0, join.protocols[0].metadata))
      return "ConsumerProtocolSubscription: " + error_name(ec);
    protocol::JoinGroupResponse joined;
    std::int16_t used = -1;
    // The group's first request meets a coordinator that may still be loading
    // its __consumer_offsets partition: ask again, as a consumer would.
    kwire::errc join_error = kwire::errc::none;
    const std::string join_failed =
        retry_busy(std::chrono::steady_clock::now() + options_.cell_timeout, join_error, [&]() -> std::string {
          if (auto ec = client->request(join, joined, used, jv)) return "JoinGroup " + v(jv) + ": " + error_name(ec);
          join_error = joined.error_code;
          return {};
        });
    if (!join_failed.empty()) return join_failed;
    if (used != jv) return wrong_version("JoinGroup", jv, used);
    bool member_id_round_trip = false;
    if (joined.error_code == kwire::errc::member_id_required) {
      // KIP-394: v4+ hands out the member id first; join again with it.
      if (jv < 4) return "JoinGroup " + v(jv) + " answered MEMBER_ID_REQUIRED below v4";
      if (instance_id) return "JoinGroup " + v(jv) + " answered MEMBER_ID_REQUIRED to a static member";
      if (joined.member_id.empty()) return "MEMBER_ID_REQUIRED without a member id";
      join.member_id = joined.member_id;
      member_id_round_trip = true;
      if (auto ec = client->request(join, joined, used, jv)) return "JoinGroup " + v(jv) + " rejoin: " + error_name(ec);
    } else if (jv >= 4 && !instance_id && joined.error_code == kwire::errc::none) {
      return "JoinGroup " + v(jv) + " accepted an empty member id (KIP-394 expects MEMBER_ID_REQUIRED)";
    }
    if (joined.error_code != kwire::errc::none) {
      join_refusal = joined.error_code;
      return "JoinGroup " + v(jv) + ": " + errc_text(joined.error_code);
    }
    const std::string member = joined.member_id;
    if (joined.leader != member) return "not the leader of a group of one (leader " + joined.leader + ")";
    if (joined.protocol_name.value_or("") != assignor->name())
      return "chose protocol " + joined.protocol_name.value_or("null");
    if (joined.members.size() != 1 || joined.members[0].member_id != member)
      return "the leader was given " + std::to_string(joined.members.size()) + " members";
    // Assign as leader: decode every member's subscription, run the assignor.
    std::vector<consumer::GroupMember> members;
    for (const auto& m : joined.members) {
      consumer::GroupMember gm{m.member_id, m.group_instance_id, {}};
      if (auto ec = protocol::decode_consumer_protocol(m.metadata, gm.subscription))
        return "member " + m.member_id + "'s subscription does not decode: " + error_name(ec);
      members.push_back(std::move(gm));
    }
    if (members[0].subscription.topics != std::vector<std::string>{topic_})
      return "the subscription came back changed";
    const auto assignment = assignor->assign(members, {{topic_, 1}});
    protocol::SyncGroupRequest sync;
    sync.group_id = group_id;
    sync.generation_id = joined.generation_id;
    sync.member_id = member;
    sync.group_instance_id = instance_id;
    sync.protocol_type = "consumer";
    sync.protocol_name = std::string(assignor->name());
    for (const auto& [id, a] : assignment) {
      auto& out = sync.assignments.emplace_back();
      out.member_id = id;
      if (auto ec = protocol::encode_consumer_protocol(a, 0, out.assignment)) return "assignment: " + error_name(ec);
    }
    protocol::SyncGroupResponse synced;
    if (auto ec = client->request(sync, synced, used, sv)) return "SyncGroup " + v(sv) + ": " + error_name(ec);
    if (used != sv) return wrong_version("SyncGroup", sv, used);
    if (synced.error_code != kwire::errc::none) return "SyncGroup " + v(sv) + ": " + errc_text(synced.error_code);
    protocol::ConsumerProtocolAssignment mine;
    if (auto ec = protocol::decode_consumer_protocol(synced.assignment, mine))
      return "SyncGroup " + v(sv) + "'s assignment does not decode: " + error_name(ec);
    if (mine.assigned_partitions.size() != 1 || mine.assigned_partitions[0].topic != topic_ ||
        mine.assigned_partitions[0].partitions != std::vector<std::int32_t>{partition_})
      return "SyncGroup " + v(sv) + " handed back another assignment than the leader's";
    // Heartbeat.
    protocol::HeartbeatRequest beat{group_id, joined.generation_id, member, instance_id, {}};
    protocol::HeartbeatResponse beaten;
    if (auto ec = client->request(beat, beaten, used, hv)) return "Heartbeat " + v(hv) + ": " + error_name(ec);
    if (used != hv) return wrong_version("Heartbeat", hv, used);
    if (beaten.error_code != kwire::errc::none) return "Heartbeat " + v(hv) + ": " + errc_text(beaten.error_code);
    // OffsetCommit, read back with OffsetFetch.
    const std::int64_t offset = 1000 + cv;
    protocol::OffsetCommitRequest commit;
    commit.group_id = group_id;
    commit.generation_id_or_member_epoch = joined.generation_id;
    commit.member_id = member;
    if (cv >= protocol::OffsetCommitRequest::first_instance_id_version) commit.group_instance_id = instance_id;
    if (cv == 0) {  // v0 has neither generation nor member id
      commit.generation_id_or_member_epoch = -1;
      commit.member_id.clear();
    }
    if (cv >= 10 && topic_id.is_zero()) return "no topic id for OffsetCommit v10";
    commit.topics.push_back(commit_topic(cv, offset));
    protocol::OffsetCommitResponse committed;
    if (auto ec = client->request(commit, committed, used, cv)) return "OffsetCommit " + v(cv) + ": " + error_name(ec);
    if (used != cv) return wrong_version("OffsetCommit", cv, used);
    kwire::errc commit_error = kwire::errc::none;
    for (const auto& t : committed.topics)
      for (const auto& p : t.partitions)
        if (p.error_code != kwire::errc::none) commit_error = p.error_code;
    if (cv == 0 && commit_error == kwire::errc::unsupported_version && commits.size() > 1) {
      // v0 stored offsets in ZooKeeper: a KRaft broker (3.x) still lists it
      // but refuses it. Reported as its own cell; the cycle commits at v1.
      commit_v0_refused = "OffsetCommit v0 (ZooKeeper-stored offsets) advertised but answered UNSUPPORTED_VERSION";
      commit.generation_id_or_member_epoch = joined.generation_id;
      commit.member_id = member;
      commit.topics = {commit_topic(commits[1], offset)};
      if (auto ec = client->request(commit, committed, used, commits[1]))
        return "OffsetCommit " + v(commits[1]) + ": " + error_name(ec);
      commit_error = kwire::errc::none;
      for (const auto& t : committed.topics)
        for (const auto& p : t.partitions)
          if (p.error_code != kwire::errc::none) commit_error = p.error_code;
    }
    if (commit_error != kwire::errc::none) return "OffsetCommit " + v(used) + ": " + errc_text(commit_error);
    std::int64_t seen = -2;
    std::int16_t fetch_used = -1;
    kwire::errc fetch_error = kwire::errc::none;
    why = fetch_committed(group_id, fv, fv >= 7, seen, &fetch_used, &fetch_error);
    std::int16_t fetched_with = fv;
    if (fv == 0 && fetch_error == kwire::errc::unsupported_version && fetches.size() > 1) {
      // v0 read offsets from ZooKeeper: refused by KRaft brokers, as above.
      fetch_v0_refused = "OffsetFetch v0 (ZooKeeper-stored offsets) advertised but answered UNSUPPORTED_VERSION";
      fetched_with = fetches[1];
      why = fetch_committed(group_id, fetched_with, false, seen, &fetch_used);
    }
    if (!why.empty()) return why;
    if (fetch_used != fetched_with) return wrong_version("OffsetFetch", fetched_with, fetch_used);
    if (seen != offset) return "OffsetFetch " + v(fv) + " read " + std::to_string(seen) + ", committed " + std::to_string(offset);
    // Leave.
    protocol::LeaveGroupRequest leave;
    leave.group_id = group_id;
    if (lv >= protocol::LeaveGroupRequest::first_batch_version)
      leave.members.push_back({member, instance_id, std::nullopt, {}});
    else
      leave.member_id = member;
    protocol::LeaveGroupResponse left;
    if (auto ec = client->request(leave, left, used, lv)) return "LeaveGroup " + v(lv) + ": " + error_name(ec);
    if (used != lv) return wrong_version("LeaveGroup", lv, used);
    if (left.error_code != kwire::errc::none) return "LeaveGroup " + v(lv) + ": " + errc_text(left.error_code);
    for (const auto& m : left.members)
      if (m.error_code != kwire::errc::none) return "LeaveGroup " + v(lv) + " member: " + errc_text(m.error_code);
    detail = (cv == 0 && !commit_v0_refused.empty() ? "committed with OffsetCommit " + v(commits[1]) + " (v0 refused), " : "") +
             (fetched_with != fv ? "read with OffsetFetch " + v(fetched_with) + " (v0 refused), " : "") +
             "generation " + std::to_string(joined.generation_id) + (member_id_round_trip ? ", KIP-394 member-id round trip" : "") +
             (instance_id ? ", static member " + *instance_id : "") + ", offset " + std::to_string(offset) +
             " committed and read back" + (fv >= 7 ? " (RequireStable)" : "");
    return {};
  };

  if (joins.empty() || syncs.empty() || beats.empty() || leaves.empty() || commits.empty() || fetches.empty()) {
    Cell c = cell(group, "classic cycle");
    c.status = Status::not_offered;
    c.detail = "the endpoint lacks one of JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch";
    add(std::move(c));
  } else {
    const std::size_t rounds = std::max({joins.size(), syncs.size(), beats.size(), leaves.size(), commits.size(), fetches.size()});
    for (std::size_t i = 0; i < rounds; ++i) {
      const auto jv = pick(joins, i), sv = pick(syncs, i), hv = pick(beats, i), lv = pick(leaves, i),
                 cv = pick(commits, i), fv = pick(fetches, i);
      Cell c = cell(group, "classic Join " + v(jv) + " Sync " + v(sv) + " HB " + v(hv) + " Commit " + v(cv) +
                               " Fetch " + v(fv) + " Leave " + v(lv));
      std::string detail;
      std::string why;
      // A group's state can turn against a lone new member under load: Kafka
      // 3.9 answered a KIP-394 rejoin UNKNOWN_MEMBER_ID, and another join
      // COORDINATOR_NOT_AVAILABLE for the whole cell timeout, with other
      // groups of the same coordinator working. A consumer starts its join
      // over; the cell does too, in a fresh group, at most twice more (the
      // versions checked stay the same; the detail says it happened).
      std::string restarted;
      for (int attempt = 0; attempt < 3; ++attempt) {
        join_refusal = kwire::errc::none;
        const std::string group_id =
            topic_ + "-group-" + std::to_string(i) + (attempt ? "-again-" + std::to_string(attempt) : "");
        why = classic_cycle(group_id, jv, sv, hv, lv, cv, fv, std::nullopt, detail);
        const bool restartable = join_refusal == kwire::errc::unknown_member_id ||
                                 join_refusal == kwire::errc::rebalance_in_progress || coordinator_busy(join_refusal);
        if (why.empty() || !restartable) break;
        restarted += (restarted.empty() ? "" : "; ") + why;
      }
      if (why.empty() && !restarted.empty()) detail += " (join started over after: " + restarted + ")";
      c.status = why.empty() ? Status::pass : Status::fail;
      c.detail = why.empty() ? detail : why;
      add(std::move(c));
    }
    for (const auto& [name, refused] : {std::pair{"OffsetCommit v0", commit_v0_refused}, {"OffsetFetch v0", fetch_v0_refused}})
      if (!refused.empty()) {
        Cell r = cell(group, name);
        r.status = Status::not_offered;
        r.detail = refused;
        add(std::move(r));
      }
    // Static membership (KIP-345): JoinGroup v5+, leave by instance id (v3+).
    Cell s = cell(group, "static membership");
    if (joins.back() < 5 || leaves.back() < 3) {
      s.status = Status::not_offered;
      s.detail = advertised_text(ApiKey::join_group);
    } else {
      std::string detail;
      std::string why = classic_cycle(topic_ + "-static", joins.back(), syncs.back(), beats.back(), leaves.back(),
                                      commits.back(), fetches.back(), std::string("kwire-conformance-static"), detail);
      s.status = why.empty() ? Status::pass : Status::fail;
      s.detail = why.empty() ? detail : why;
    }
    add(std::move(s));
  }

  // KIP-848: ConsumerGroupHeartbeat join -> assignment -> commit with the
  // member epoch -> leave.
  Cell k = cell(group, "KIP-848 cycle");
  if (!advertised(ApiKey::consumer_group_heartbeat)) {
    k.status = Status::not_offered;
    k.detail = advertised_text(ApiKey::consumer_group_heartbeat);
    add(std::move(k));
    return;
  }
  const std::string group_id = topic_ + "-consumer-group";
  std::string why;
  auto* client = coordinator(group_id, 0, why);
  protocol::ConsumerGroupHeartbeatRequest hb;
  hb.group_id = group_id;
  // v1: the client generates its member id (KIP-1082); v0: the broker does.
  hb.member_id = "kwire-conformance-" + std::to_string(now_ms());
  hb.member_epoch = protocol::ConsumerGroupHeartbeatRequest::join_epoch;
  hb.rebalance_timeout_ms = 30000;
  hb.subscribed_topic_names = std::vector<std::string>{topic_};
  hb.topic_partitions = std::vector<protocol::ConsumerGroupTopicPartitions>{};
  protocol::ConsumerGroupHeartbeatResponse answer;
  std::int16_t used = -1;
  bool assigned = false;
  const auto deadline = std::chrono::steady_clock::now() + options_.cell_timeout;
  while (client && why.empty()) {
    if (auto ec = client->request(hb, answer, used)) {
      why = "ConsumerGroupHeartbeat: " + error_name(ec);
      break;
    }
    if (answer.error_code == kwire::errc::unsupported_version || answer.error_code == kwire::errc::invalid_request) {
      k.status = Status::not_offered;
      k.detail = "the broker refuses the consumer group protocol (ConsumerGroupHeartbeat): " + errc_text(answer.error_code) + " " +
                 answer.error_message.value_or("");
      add(std::move(k));
      return;
    }
    if (coordinator_busy(answer.error_code) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      continue;
    }
    if (answer.error_code != kwire::errc::none) {
      why = "ConsumerGroupHeartbeat v" + std::to_string(used) + ": " + errc_text(answer.error_code) + " " +
            answer.error_message.value_or("");
      break;
    }
    if (answer.member_id) hb.member_id = *answer.member_id;
    hb.member_epoch = answer.member_epoch;
    hb.subscribed_topic_names.reset();  // unchanged from now on
    hb.rebalance_timeout_ms = -1;
    if (answer.assignment) {
      hb.topic_partitions = answer.assignment->topic_partitions;  // acknowledged with the next heartbeat
      for (const auto& tp : answer.assignment->topic_partitions)
        if (tp.topic_id == topic_id && tp.partitions == std::vector<std::int32_t>{partition_}) assigned = true;
    } else {
      hb.topic_partitions.reset();
    }
    if (assigned) break;
    if (std::chrono::steady_clock::now() > deadline) {
      why = "no assignment of partition 0 after " + std::to_string(options_.cell_timeout.count()) + " ms";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const std::int64_t offset = 4848;
  if (why.empty() && !advertises(ApiKey::offset_commit, 9)) why = "OffsetCommit v9 (member epoch) not advertised";
  if (why.empty()) {
    protocol::OffsetCommitRequest commit;
    commit.group_id = group_id;
    commit.generation_id_or_member_epoch = hb.member_epoch;
    commit.member_id = hb.member_id;
    const std::int16_t top = topic_id.is_zero() || !advertises(ApiKey::offset_commit, 10) ? 9 : 10;
    commit.topics.push_back(commit_topic(top, offset));
    protocol::OffsetCommitResponse committed;
    std::int16_t cv = -1;
    if (auto ec = client->request(commit, committed, cv, top)) why = "OffsetCommit: " + error_name(ec);
    for (const auto& t : committed.topics)
      for (const auto& p : t.partitions)
        if (p.error_code != kwire::errc::none && why.empty()) why = "OffsetCommit v" + std::to_string(cv) + ": " + errc_text(p.error_code);
  }
  std::int64_t seen = -2;
  if (why.empty()) why = fetch_committed(group_id, protocol::OffsetFetchRequest::max_version, true, seen, nullptr, nullptr,
                                         hb.member_id, hb.member_epoch);
  if (why.empty() && seen != offset) why = "OffsetFetch read " + std::to_string(seen) + ", committed " + std::to_string(offset);
  const std::int32_t epoch = hb.member_epoch;
  if (why.empty()) {
    hb.member_epoch = protocol::ConsumerGroupHeartbeatRequest::leave_epoch;
    hb.topic_partitions.reset();
    if (auto ec = client->request(hb, answer, used)) why = "leave: " + error_name(ec);
    else if (answer.error_code != kwire::errc::none) why = "leave: " + errc_text(answer.error_code);
    else if (answer.member_epoch != protocol::ConsumerGroupHeartbeatRequest::leave_epoch)
      why = "leave answered member epoch " + std::to_string(answer.member_epoch) + ", expected -1";
  }
  k.status = why.empty() ? Status::pass : Status::fail;
  k.detail = why.empty() ? "ConsumerGroupHeartbeat v" + std::to_string(used) + ": member epoch " + std::to_string(epoch) +
                               ", partition 0 assigned, offset " + std::to_string(offset) +
                               " committed with the member epoch and read back, left"
                         : why;
  add(std::move(k));
}

}  // namespace kwire::cli::conformance
