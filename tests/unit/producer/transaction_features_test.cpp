// TransactionFeatureRefresh (transaction_features.hpp): when a TV1
// transactional producer re-reads the finalized features, and which view
// of them decides the transaction version.
#include <doctest/doctest.h>

#include "../../../producer/src/transaction_features.hpp"

using kwire::producer::TransactionFeatureRefresh;
namespace protocol = kwire::protocol;

namespace {

protocol::ApiVersionsResponse features(std::int64_t epoch, std::int16_t transaction_version) {
  protocol::ApiVersionsResponse r;
  r.finalized_features_epoch = epoch;
  r.finalized_features.push_back({"transaction.version", transaction_version, 0, {}});
  return r;
}

}  // namespace

TEST_CASE("TransactionFeatureRefresh: due once per interval on TV1, never on TV2 or while one is in flight") {
  TransactionFeatureRefresh refresh(1000);
  CHECK_FALSE(refresh.due(5000, false));  // starts the clock: the handshakes just read them
  CHECK(refresh.next_due_ms(false) == 6000);
  CHECK_FALSE(refresh.due(5999, false));
  CHECK_FALSE(refresh.due(6000, true));  // TV2 already: nothing to notice
  CHECK(refresh.next_due_ms(true) == -1);
  CHECK(refresh.due(6000, false));
  refresh.on_sent();
  CHECK_FALSE(refresh.due(9000, false));  // one at a time
  CHECK(refresh.next_due_ms(false) == -1);
  refresh.on_failed(9000);  // retried one interval later
  CHECK_FALSE(refresh.due(9999, false));
  CHECK(refresh.due(10000, false));
  refresh.on_sent();
  refresh.on_response(features(3, 1), 10050);
  CHECK(refresh.next_due_ms(false) == 11050);
  TransactionFeatureRefresh off(0);  // metadata.max.age.ms=0: never
  CHECK_FALSE(off.due(0, false));
  CHECK_FALSE(off.due(1000000, false));
}

TEST_CASE("TransactionFeatureRefresh: the newest features epoch decides, the handshakes' or the refresh's") {
  TransactionFeatureRefresh refresh(1000);
  const auto handshakes_tv1 = kwire::cluster::FinalizedFeatures::from(features(5, 1));
  CHECK(refresh.transaction_version(handshakes_tv1) == 1);  // nothing refreshed yet
  refresh.on_response(features(7, 2), 0);  // upgraded since
  CHECK(refresh.transaction_version(handshakes_tv1) == 2);
  refresh.on_response(features(6, 1), 0);  // an older epoch (a broker lagging behind) is ignored
  CHECK(refresh.transaction_version(handshakes_tv1) == 2);
  // A newer handshake wins over the refresh.
  CHECK(refresh.transaction_version(kwire::cluster::FinalizedFeatures::from(features(8, 1))) == 1);
  // No features announced at all (epoch -1): level 0.
  TransactionFeatureRefresh none(1000);
  CHECK(none.transaction_version(kwire::cluster::FinalizedFeatures{}) == 0);
}
