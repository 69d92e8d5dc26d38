// Finalized features (KIP-584) from ApiVersions v3+: the newest epoch wins.
#include <doctest/doctest.h>

#include "kwire/cluster/features.hpp"

using namespace kwire::cluster;
using kwire::protocol::ApiVersionsResponse;

namespace {

ApiVersionsResponse announcing(std::int64_t epoch, std::int16_t transaction_version) {
  ApiVersionsResponse r;
  r.finalized_features_epoch = epoch;
  r.finalized_features = {{"transaction.version", transaction_version, 0, {}}, {"metadata.version", 25, 1, {}}};
  return r;
}

}  // namespace

TEST_CASE("finalized features: levels by name, nothing without an epoch") {
  const FinalizedFeatures f = FinalizedFeatures::from(announcing(7, 2));
  CHECK(f.epoch == 7);
  CHECK(f.level("transaction.version") == 2);
  CHECK(f.level("metadata.version") == 25);
  CHECK_FALSE(f.level("group.version").has_value());

  ApiVersionsResponse old_broker = announcing(-1, 2);  // epoch -1: the list means nothing
  const FinalizedFeatures none = FinalizedFeatures::from(old_broker);
  CHECK(none.epoch == -1);
  CHECK(none.max_levels.empty());
}

TEST_CASE("the newest epoch seen from any broker wins; a lagging broker does not roll it back") {
  ClusterFeatures features;
  CHECK(features.current().epoch == -1);
  CHECK(features.update(1, announcing(10, 1)));
  CHECK(features.current().level("transaction.version") == 1);
  CHECK(features.update(2, announcing(12, 2)));   // the feature was upgraded
  CHECK_FALSE(features.update(3, announcing(10, 1)));  // a broker that has not caught up
  CHECK(features.current().epoch == 12);
  CHECK(features.current().level("transaction.version") == 2);
  REQUIRE(features.of(3));
  CHECK(features.of(3)->level("transaction.version") == 1);
  CHECK(features.of(4) == nullptr);
}
