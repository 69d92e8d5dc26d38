#include "kwire/cluster/features.hpp"

namespace kwire::cluster {

std::optional<std::int16_t> FinalizedFeatures::level(std::string_view name) const {
  auto it = max_levels.find(name);
  if (it == max_levels.end()) return std::nullopt;
  return it->second;
}

FinalizedFeatures FinalizedFeatures::from(const protocol::ApiVersionsResponse& response) {
  FinalizedFeatures f;
  if (response.finalized_features_epoch < 0) return f;  // the list is meaningless without an epoch
  f.epoch = response.finalized_features_epoch;
  for (const auto& feature : response.finalized_features) f.max_levels[feature.name] = feature.max_version_level;
  return f;
}

bool ClusterFeatures::update(std::int32_t node_id, const protocol::ApiVersionsResponse& response) {
  FinalizedFeatures announced = FinalizedFeatures::from(response);
  const bool newer = announced.epoch > current_.epoch;
  if (newer) current_ = announced;
  per_node_[node_id] = std::move(announced);
  return newer;
}

const FinalizedFeatures* ClusterFeatures::of(std::int32_t node_id) const {
  auto it = per_node_.find(node_id);
  return it == per_node_.end() ? nullptr : &it->second;
}

}  // namespace kwire::cluster
