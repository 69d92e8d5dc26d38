#include "partition_reader.hpp"

#include <algorithm>
#include <optional>
#include <thread>
#include <utility>

#include <kwire/consumer/read_committed.hpp>
#include <kwire/protocol/client_error.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/metadata.hpp>

#include "broker_session.hpp"

namespace kwire::cli {
namespace {

void set_why(std::string* why, std::string text) {
  if (why) *why = std::move(text);
}

/// Leader moves and metadata lag: worth a fresh Metadata and a retry.
bool needs_reopen(kwire::errc e) noexcept {
  switch (e) {
    case kwire::errc::not_leader_or_follower:
    case kwire::errc::leader_not_available:
    case kwire::errc::fenced_leader_epoch:
    case kwire::errc::unknown_leader_epoch:
    case kwire::errc::unknown_topic_id:
    case kwire::errc::inconsistent_topic_id:
    case kwire::errc::replica_not_available:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::error_code locate_partition(net::BlockingClient& client, const std::string& topic, std::int32_t partition,
                                 PartitionLocation& out, std::string* why) {
  protocol::MetadataRequest request;
  request.topics.emplace();
  request.topics->push_back({.topic_id = {}, .name = topic, .unknown_tags = {}});
  request.allow_auto_topic_creation = false;  // reading must not create topics
  protocol::MetadataResponse response;
  std::int16_t version = -1;
  if (auto ec = client.request(request, response, version)) {
    set_why(why, "Metadata failed: " + error_name(ec));
    return ec;
  }
  for (const auto& t : response.topics) {
    if (t.name != topic) continue;
    if (t.error_code != kwire::errc::none) {
      set_why(why, "topic " + topic + ": " + error_name(make_error_code(t.error_code)));
      return make_error_code(t.error_code);
    }
    for (const auto& p : t.partitions) {
      if (p.partition_index != partition) continue;
      if (p.error_code != kwire::errc::none && p.error_code != kwire::errc::replica_not_available) {
        set_why(why, topic + "/" + std::to_string(partition) + ": " + error_name(make_error_code(p.error_code)));
        return make_error_code(p.error_code);
      }
      auto broker = std::find_if(response.brokers.begin(), response.brokers.end(),
                                 [&](const auto& b) { return b.node_id == p.leader_id; });
      if (p.leader_id < 0 || broker == response.brokers.end()) {
        set_why(why, topic + "/" + std::to_string(partition) + " has no leader");
        return make_error_code(kwire::errc::leader_not_available);
      }
      out.leader_id = p.leader_id;
      out.host = broker->host;
      out.port = static_cast<std::uint16_t>(broker->port);
      out.leader_epoch = p.leader_epoch;
      out.topic_id = t.topic_id;
      return {};
    }
    set_why(why, "topic " + topic + " has no partition " + std::to_string(partition));
    return make_error_code(kwire::errc::unknown_topic_or_partition);
  }
  set_why(why, "topic " + topic + " is not in the Metadata response");
  return make_error_code(kwire::errc::unknown_topic_or_partition);
}

PartitionReader::PartitionReader(cluster::ClientConfig config, std::string topic, std::int32_t partition)
    : config_(std::move(config)), topic_(std::move(topic)), partition_(partition) {}

std::error_code PartitionReader::open(std::string* why) {
  // The old connection (if any) stays until a new one is ready, so
  // leader() is valid after the first successful open().
  auto bootstrap = make_client(config_);
  if (auto ec = bootstrap.connect()) {
    set_why(why, "cannot connect to " + [&] {
      std::string list;
      for (const auto& s : config_.bootstrap_servers) list += (list.empty() ? "" : ",") + s;
      return list;
    }() + ": " + connect_failure(bootstrap, ec));
    return ec;
  }
  if (auto ec = locate_partition(bootstrap, topic_, partition_, location_, why)) return ec;
  cluster::ClientConfig leader_config = config_;
  leader_config.bootstrap_servers = {location_.host + ":" + std::to_string(location_.port)};
  auto leader = make_client(leader_config);
  if (auto ec = leader.connect()) {
    set_why(why, "cannot connect to leader " + std::to_string(location_.leader_id) + " at " +
                     leader_config.bootstrap_servers.front() + ": " + connect_failure(leader, ec));
    return ec;
  }
  leader_.emplace(std::move(leader));
  return {};
}

std::error_code PartitionReader::ensure_open(std::string* why) {
  // A broker that closed the connection (e.g. on a request it cannot parse)
  // costs that request only: the next one gets a fresh connection.
  if (leader_ && leader_->connection().is_open()) return {};
  return open(why);
}

std::error_code PartitionReader::list_offset(std::int64_t timestamp, std::int64_t& offset, std::string* why,
                                             std::int16_t max_version, std::int16_t* version_used) {
  if (auto ec = ensure_open(why)) return ec;
  for (int attempt = 0;; ++attempt) {
    protocol::ListOffsetsRequest request;
    request.isolation_level = isolation_level_;
    request.timeout_ms = config_.request_timeout_ms;
    request.topics = {{topic_, {{partition_, location_.leader_epoch, timestamp, {}}}, {}}};
    protocol::ListOffsetsResponse response;
    std::int16_t version = -1;
    std::error_code ec = leader_->request(request, response, version, max_version);
    if (version_used) *version_used = version;
    if (ec) {
      set_why(why, "ListOffsets v" + std::to_string(version) + " failed: " + error_name(ec));
      return ec;
    }
    const protocol::ListOffsetsResponse::Partition* found = nullptr;
    for (const auto& t : response.topics)
      for (const auto& p : t.partitions)
        if (t.name == topic_ && p.partition_index == partition_) found = &p;
    if (!found) {
      set_why(why, "ListOffsets v" + std::to_string(version) + " response lacks " + topic_ + "/" +
                       std::to_string(partition_));
      return make_error_code(client_errc::malformed);
    }
    if (found->error_code != kwire::errc::none) {
      if (attempt < 3 && needs_reopen(found->error_code)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
        if (auto reopen = open(why)) return reopen;
        continue;
      }
      set_why(why, "ListOffsets v" + std::to_string(version) + ": " + error_name(make_error_code(found->error_code)));
      return make_error_code(found->error_code);
    }
    offset = found->offset;
    return {};
  }
}

std::error_code PartitionReader::fetch(std::int64_t offset, FetchRound& out, std::string* why,
                                       std::int16_t max_version, std::chrono::milliseconds max_wait) {
  if (auto ec = ensure_open(why)) return ec;
  // Fetch v13+ names topics by id only; without one (Metadata < v10) stay
  // at v12.
  if (location_.topic_id.is_zero()) max_version = std::min<std::int16_t>(max_version, 12);

  for (int attempt = 0;; ++attempt) {
    protocol::FetchRequest request;
    request.max_wait_ms = static_cast<std::int32_t>(max_wait.count());
    request.min_bytes = 1;
    request.max_bytes = max_bytes_;
    request.isolation_level = isolation_level_;
    protocol::FetchRequest::Topic t;
    t.topic = topic_;
    t.topic_id = location_.topic_id;
    protocol::FetchRequest::Partition p;
    p.partition = partition_;
    p.current_leader_epoch = location_.leader_epoch;
    p.fetch_offset = offset;
    p.partition_max_bytes = max_bytes_;
    t.partitions.push_back(p);
    request.topics.push_back(std::move(t));

    protocol::FetchResponse response;  // views into leader_'s last response: valid until its next request
    out = FetchRound{};
    out.next_offset = offset;
    std::error_code ec = leader_->request(request, response, out.version, max_version);
    const std::string label = "Fetch v" + std::to_string(out.version);
    if (ec) {
      set_why(why, label + " failed: " + error_name(ec));
      return ec;
    }
    if (response.error_code != kwire::errc::none) {
      set_why(why, label + ": " + error_name(make_error_code(response.error_code)));
      return make_error_code(response.error_code);
    }
    const protocol::FetchResponse::Partition* found = nullptr;
    for (const auto& rt : response.responses) {
      const bool ours = out.version >= protocol::FetchRequest::first_topic_id_version ? rt.topic_id == location_.topic_id
                                                                                       : rt.topic == topic_;
      if (!ours) continue;
      for (const auto& rp : rt.partitions)
        if (rp.partition_index == partition_) found = &rp;
    }
    if (!found) {
      set_why(why, label + " response lacks " + topic_ + "/" + std::to_string(partition_));
      return make_error_code(client_errc::malformed);
    }
    if (found->error_code != kwire::errc::none) {
      if (attempt < 3 && needs_reopen(found->error_code)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
        if (auto reopen = open(why)) return reopen;
        if (location_.topic_id.is_zero()) max_version = std::min<std::int16_t>(max_version, 12);
        continue;
      }
      set_why(why, label + ": " + error_name(make_error_code(found->error_code)));
      return make_error_code(found->error_code);
    }
    out.high_watermark = found->high_watermark;
    out.last_stable_offset = found->last_stable_offset;
    out.log_start_offset = found->log_start_offset;
    if (found->aborted_transactions) out.aborted_transactions = *found->aborted_transactions;
    if (found->records && !found->records->empty()) {
      std::string detail;
      const std::size_t limit = max_decompressed_;
      protocol::RecordsDecompressor decompress = [this, limit](compression::Codec codec,
                                                               std::span<const std::uint8_t> in,
                                                               std::vector<std::uint8_t>& into) {
        into.clear();
        return decompressor_.decompress(codec, in, into, limit);
      };
      if (auto dec = protocol::decode_record_batches(*found->records, out.batches, &detail, decompress,
                                                     &out.partial_tail_bytes)) {
        set_why(why, label + ": records from offset " + std::to_string(offset) + " do not decode: " +
                         (detail.empty() ? error_name(dec) : detail));
        return dec;
      }
      if (!out.batches.empty()) {
        const auto& last = out.batches.back();
        out.next_offset = std::max(offset, last.base_offset + last.last_offset_delta + 1);
      }
      if (isolation_level_ == protocol::IsolationLevel::read_committed && found->aborted_transactions)
        consumer::drop_aborted_transactions(out.batches, *found->aborted_transactions);
    }
    return {};
  }
}

std::error_code PartitionReader::read_range(std::int64_t from, std::int64_t to, std::vector<protocol::Record>& out,
                                            std::string* why, std::int16_t max_version,
                                            std::chrono::steady_clock::time_point deadline,
                                            std::vector<protocol::RecordBatch>* batches, std::int16_t* version) {
  std::int64_t offset = from;
  if (version) *version = -1;
  FetchRound round;
  while (offset < to) {
    if (std::chrono::steady_clock::now() > deadline) {
      set_why(why, "timed out reading " + topic_ + "/" + std::to_string(partition_) + " at offset " +
                       std::to_string(offset) + " of [" + std::to_string(from) + ", " + std::to_string(to) + ")");
      return make_error_code(client_errc::timed_out);
    }
    if (auto ec = fetch(offset, round, why, max_version)) return ec;
    if (version && (*version < 0 || round.version < *version)) *version = round.version;
    for (auto& batch : round.batches) {
      bool kept = false;
      if (!batch.is_control()) {
        for (auto& r : batch.records) {
          if (r.offset < offset || r.offset >= to) continue;
          out.push_back(r);
          kept = true;
        }
      }
      if (kept && batches) batches->push_back(std::move(batch));
    }
    if (round.next_offset <= offset && round.high_watermark >= 0 && round.high_watermark < to) {
      // Nothing more is there yet; the Fetch already waited max_wait.
      continue;
    }
    offset = std::max(offset, round.next_offset);
  }
  return {};
}

}  // namespace kwire::cli
