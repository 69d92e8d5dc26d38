// The "versions" group: every version of every API kwire implements that
// the endpoint advertises is sent, and its answer checked.
#include <algorithm>
#include <set>
#include <tuple>

#include <kwire/protocol/client_error.hpp>
#include <kwire/protocol/fetch.hpp>
#include <kwire/protocol/init_producer_id.hpp>
#include <kwire/protocol/kafka_error.hpp>
#include <kwire/protocol/list_offsets.hpp>
#include <kwire/protocol/metadata.hpp>
#include <kwire/version.hpp>

#include "conformance_suite.hpp"

namespace kwire::cli::conformance {

using protocol::ApiKey;

namespace {

std::string v(std::int16_t version) { return "v" + std::to_string(version); }

}  // namespace

void Suite::exercise(const std::string& group, ApiKey key, std::int16_t kwire_min, std::int16_t kwire_max,
                     const VersionCheck& check) {
  ApiRow row;
  row.key = static_cast<std::int16_t>(key);
  row.name = std::string(protocol::api_name(key));
  row.kwire_min = kwire_min;
  row.kwire_max = kwire_max;
  if (auto range = advertised(key)) std::tie(row.broker_min, row.broker_max) = *range;
  for (std::int16_t version = kwire_min; version <= kwire_max; ++version) {
    Cell c = cell(group, row.name + " " + v(version));
    if (!advertises(key, version)) {
      c.status = Status::not_offered;
      c.detail = advertised_text(key);
    } else {
      row.exercised.push_back(version);
      c.detail = check(version);
      if (c.detail.empty()) {
        c.status = Status::pass;
        row.passed.push_back(version);
      } else {
        c.status = Status::fail;
      }
    }
    add(std::move(c));
  }
  report_.apis.push_back(std::move(row));
}

std::string Suite::wrong_version(std::string_view api, std::int16_t asked, std::int16_t used) {
  return std::string(api) + " went out as v" + std::to_string(used) + ", not v" + std::to_string(asked);
}

void Suite::run_versions() {
  // The reference data the read cells compare against: the known record set
  // in one uncompressed batch, acks=all, at the newest common Produce version.
  reference_ = known_record_set("reference");
  const std::int64_t base_ts = now_ms();
  for (std::size_t i = 0; i < reference_.size(); ++i) reference_timestamps_.push_back(base_ts + static_cast<std::int64_t>(i));
  {
    auto batch = build_batch(reference_, base_ts);
    protocol::ProduceResponse::PartitionResponse answer;
    std::int16_t used = -1;
    std::string why;
    if (auto ec = produce_raw(leader(), topic_, reader_->location().topic_id, partition_, batch, -1,
                              protocol::ProduceRequest::max_version, answer, used, why)) {
      reference_error_ = why;
    } else if (answer.error_code != kwire::errc::none) {
      reference_error_ = "Produce v" + std::to_string(used) + ": " + error_name(make_error_code(answer.error_code));
    } else {
      reference_first_ = answer.base_offset;
    }
  }
  const std::int64_t reference_end = reference_first_ + static_cast<std::int64_t>(reference_.size());
  auto needs_reference = [&]() -> std::string {
    return reference_first_ < 0 ? "no reference records to read (" + reference_error_ + ")" : "";
  };


  // --------------------------------------------------------- ApiVersions
  exercise("versions", ApiKey::api_versions, protocol::ApiVersionsRequest::min_version, protocol::ApiVersionsRequest::max_version,
           [&](std::int16_t version) -> std::string {
             protocol::ApiVersionsRequest request;
             if (version >= 3) {
               request.client_software_name = "kwire-conformance";
               request.client_software_version = kwire::version_string;
             }
             protocol::ApiVersionsResponse response;
             std::int16_t used = -1;
             if (auto ec = bootstrap().request(request, response, used, version)) return error_name(ec);
             if (used != version) return wrong_version("ApiVersions", version, used);
             if (response.error_code != kwire::errc::none) return error_name(make_error_code(response.error_code));
             // Every version must list the same ranges as the negotiation did.
             auto ranges = [](const protocol::ApiVersionsResponse& r) {
               std::set<std::tuple<int, int, int>> s;
               for (const auto& a : r.api_keys) s.emplace(a.api_key, a.min_version, a.max_version);
               return s;
             };
             if (ranges(response) != ranges(versions_))
               return "lists " + std::to_string(response.api_keys.size()) + " ranges that differ from the " +
                      std::to_string(versions_.api_keys.size()) + " of the connect-time answer";
             const auto* self = response.find(ApiKey::api_versions);
             if (!self || self->max_version < version) return "does not list ApiVersions v" + std::to_string(version);
             return {};
           });

  // ------------------------------------------------------------ Metadata
  exercise("versions", ApiKey::metadata, protocol::MetadataRequest::min_version, protocol::MetadataRequest::max_version,
           [&](std::int16_t version) -> std::string {
             protocol::MetadataRequest request;
             request.topics.emplace();
             request.topics->push_back({.topic_id = {}, .name = topic_, .unknown_tags = {}});
             request.allow_auto_topic_creation = version < 4;  // the flag exists from v4
             protocol::MetadataResponse response;
             std::int16_t used = -1;
             if (auto ec = bootstrap().request(request, response, used, version)) return error_name(ec);
             if (used != version) return wrong_version("Metadata", version, used);
             if (response.error_code != kwire::errc::none)
               return "top-level error " + error_name(make_error_code(response.error_code));
             if (response.brokers.empty()) return "no brokers listed";
             auto t = std::find_if(response.topics.begin(), response.topics.end(),
                                   [&](const auto& x) { return x.name == topic_; });
             if (t == response.topics.end()) return "topic " + topic_ + " missing";
             if (t->error_code != kwire::errc::none) return "topic error " + error_name(make_error_code(t->error_code));
             auto p = std::find_if(t->partitions.begin(), t->partitions.end(),
                                   [&](const auto& x) { return x.partition_index == partition_; });
             if (p == t->partitions.end()) return "partition 0 missing";
             if (p->leader_id != reader_->location().leader_id)
               return "leader " + std::to_string(p->leader_id) + ", expected " +
                      std::to_string(reader_->location().leader_id);
             if (std::none_of(response.brokers.begin(), response.brokers.end(),
                              [&](const auto& b) { return b.node_id == p->leader_id; }))
               return "the leader is not among the brokers listed";
             if (version >= 10 && !reader_->location().topic_id.is_zero() && t->topic_id != reader_->location().topic_id)
               return "topic id " + t->topic_id.to_base64() + ", expected " + reader_->location().topic_id.to_base64();
             if (version >= 2 && !response.cluster_id) return "no cluster id";
             return {};
           });

  // ------------------------------------------------------ InitProducerId
  exercise("versions", ApiKey::init_producer_id, protocol::InitProducerIdRequest::min_version,
           protocol::InitProducerIdRequest::max_version, [&](std::int16_t version) -> std::string {
             protocol::InitProducerIdResponse response;
             std::int16_t used = -1;
             if (std::string why = init_producer_id(version, response, used); !why.empty()) return why;
             if (used != version) return wrong_version("InitProducerId", version, used);
             if (response.producer_id < 0 || response.producer_epoch < 0)
               return "producer id " + std::to_string(response.producer_id) + ", epoch " +
                      std::to_string(response.producer_epoch);
             return {};
           });

  // ------------------------------------------------------------- Produce
  exercise("versions", ApiKey::produce, protocol::ProduceRequest::min_version, protocol::ProduceRequest::max_version,
           [&](std::int16_t version) -> std::string {
             std::vector<TestRecord> one{{"produce-" + v(version), "a record sent with Produce " + v(version), {}}};
             const std::int64_t ts = now_ms();
             auto batch = build_batch(one, ts);
             protocol::ProduceResponse::PartitionResponse answer;
             std::int16_t used = -1;
             std::string why;
             if (version >= protocol::ProduceRequest::first_topic_id_version && reader_->location().topic_id.is_zero())
               return "no topic id from Metadata, which Produce v13 needs";
             if (auto ec = produce_raw(leader(), topic_, reader_->location().topic_id, partition_, batch, -1,
                                       version, answer, used, why))
               return why;
             if (used != version) return wrong_version("Produce", version, used);
             if (answer.error_code != kwire::errc::none) return error_name(make_error_code(answer.error_code));
             if (answer.base_offset < 0) return "base offset " + std::to_string(answer.base_offset);
             if (version >= 5 && answer.log_start_offset < 0)
               return "log start offset " + std::to_string(answer.log_start_offset);
             std::vector<protocol::Record> got;
             if (auto ec = reader_->read_range(answer.base_offset, answer.base_offset + 1, got, &why,
                                               protocol::FetchRequest::max_version,
                                               std::chrono::steady_clock::now() + options_.cell_timeout))
               return "read back: " + why;
             return compare_records(got, one, answer.base_offset);
           });

  // --------------------------------------------------------- ListOffsets
  exercise("versions", ApiKey::list_offsets, protocol::ListOffsetsRequest::min_version, protocol::ListOffsetsRequest::max_version,
           [&](std::int16_t version) -> std::string {
             if (auto missing = needs_reference(); !missing.empty()) return missing;
             std::int64_t earliest = -1, latest = -1;
             std::int16_t used = -1;
             std::string why;
             if (auto ec = reader_->list_offset(protocol::list_offsets_timestamp::earliest, earliest, &why, version, &used))
               return "earliest: " + why;
             if (used != version) return wrong_version("ListOffsets", version, used);
             if (auto ec = reader_->list_offset(protocol::list_offsets_timestamp::latest, latest, &why, version, &used))
               return "latest: " + why;
             if (earliest < 0 || earliest > reference_first_)
               return "earliest offset " + std::to_string(earliest) + ", but offset " + std::to_string(reference_first_) +
                      " holds a record";
             if (latest < reference_end)
               return "latest offset " + std::to_string(latest) + ", but offset " + std::to_string(reference_end - 1) +
                      " holds a record";
             // The log end offset must agree with Fetch's high watermark.
             FetchRound round;
             if (auto ec = reader_->fetch(latest, round, &why, protocol::FetchRequest::max_version,
                                          std::chrono::milliseconds(0)))
               return "Fetch at the latest offset: " + why;
             if (round.high_watermark != latest)
               return "latest offset " + std::to_string(latest) + " but Fetch's high watermark is " +
                      std::to_string(round.high_watermark);
             if (version >= 1) {
               // A timestamp lookup: the first reference record's time finds
               // an offset at or before it (earlier cells may share the ms).
               std::int64_t by_time = -1;
               if (auto ec = reader_->list_offset(reference_timestamps_.back(), by_time, &why, version))
                 return "by timestamp: " + why;
               if (by_time < earliest || by_time > reference_end - 1)
                 return "timestamp " + std::to_string(reference_timestamps_.back()) + " found offset " +
                        std::to_string(by_time) + ", expected at most " + std::to_string(reference_end - 1);
             }
             if (version >= 7) {
               std::int64_t max_ts = -1;
               if (auto ec = reader_->list_offset(protocol::list_offsets_timestamp::max_timestamp, max_ts, &why, version))
                 return "max timestamp (KIP-734): " + why;
               if (max_ts < earliest || max_ts >= latest)
                 return "max timestamp (KIP-734) offset " + std::to_string(max_ts) + " outside [" +
                        std::to_string(earliest) + ", " + std::to_string(latest) + ")";
             }
             return {};
           });

  // --------------------------------------------------------------- Fetch
  exercise("versions", ApiKey::fetch, protocol::FetchRequest::min_version, protocol::FetchRequest::max_version,
           [&](std::int16_t version) -> std::string {
             if (auto missing = needs_reference(); !missing.empty()) return missing;
             if (version >= protocol::FetchRequest::first_topic_id_version && reader_->location().topic_id.is_zero())
               return "no topic id from Metadata, which Fetch v13+ needs";
             std::vector<protocol::Record> got;
             std::vector<protocol::RecordBatch> batches;
             std::string why;
             std::int16_t used = -1;
             if (auto ec = reader_->read_range(reference_first_, reference_end, got, &why, version,
                                               std::chrono::steady_clock::now() + options_.cell_timeout, &batches,
                                               &used))
               return why;
             if (used != version) return wrong_version("Fetch", version, used);
             // A LogAppendTime topic replaces the timestamps we sent.
             const bool append_time = std::any_of(batches.begin(), batches.end(),
                                                  [](const auto& b) { return b.uses_log_append_time(); });
             return compare_records(got, reference_, reference_first_,
                                    append_time ? std::vector<std::int64_t>{} : reference_timestamps_);
           });
}

}  // namespace kwire::cli::conformance
