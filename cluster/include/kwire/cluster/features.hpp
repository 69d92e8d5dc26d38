#pragma once
// Finalized features (KIP-584): the cluster-wide feature levels the brokers
// announce in ApiVersions v3+ (tags 1 and 2 of the response), e.g.
// `transaction.version` (KIP-890: which EndTxn/AddPartitionsToTxn flow to
// use) and `group.version` (KIP-848: whether the new consumer group protocol
// is on). Each broker reports the levels with an epoch; a broker that has not
// caught up reports an older epoch, so the newest epoch seen wins.
//
// Thread: the client's network thread only.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "kwire/protocol/api_versions.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster {

struct FinalizedFeatures {
  std::int64_t epoch = -1;  ///< -1: none announced (a broker before KIP-584, or ApiVersions < v3)
  std::map<std::string, std::int16_t, std::less<>> max_levels;

  /// The finalized (max) level of `name`; nullopt when not finalized (level 0 in Kafka's terms).
  std::optional<std::int16_t> level(std::string_view name) const;
  static FinalizedFeatures from(const protocol::ApiVersionsResponse& response);
};

class ClusterFeatures {
 public:
  /// A connection to `node_id` negotiated `response`. Returns true when the
  /// view changed (a newer epoch).
  bool update(std::int32_t node_id, const protocol::ApiVersionsResponse& response);
  /// The newest finalized features seen from any broker.
  const FinalizedFeatures& current() const noexcept { return current_; }
  /// What `node_id` announced last (nullptr: nothing yet).
  const FinalizedFeatures* of(std::int32_t node_id) const;

 private:
  FinalizedFeatures current_;
  std::map<std::int32_t, FinalizedFeatures> per_node_;
};

}  // namespace kwire::cluster

KWIRE_PUBLIC_END
