#include "transaction_features.hpp"

namespace kwire::producer {

bool TransactionFeatureRefresh::due(std::int64_t now_ms, bool v2) noexcept {
  if (v2 || in_flight_ || interval_ms_ <= 0) return false;
  if (last_ms_ < 0) last_ms_ = now_ms;  // the handshakes have just read them
  if (now_ms - last_ms_ < interval_ms_) return false;
  last_ms_ = now_ms;
  return true;
}

void TransactionFeatureRefresh::on_response(const protocol::ApiVersionsResponse& response, std::int64_t now_ms) {
  in_flight_ = false;
  last_ms_ = now_ms;
  cluster::FinalizedFeatures features = cluster::FinalizedFeatures::from(response);
  if (features.epoch > refreshed_.epoch) refreshed_ = std::move(features);
}

void TransactionFeatureRefresh::on_failed(std::int64_t now_ms) noexcept {
  in_flight_ = false;
  last_ms_ = now_ms;
}

std::int64_t TransactionFeatureRefresh::next_due_ms(bool v2) const noexcept {
  if (v2 || in_flight_ || interval_ms_ <= 0 || last_ms_ < 0) return -1;
  return last_ms_ + interval_ms_;
}

std::int16_t TransactionFeatureRefresh::transaction_version(const cluster::FinalizedFeatures& handshakes) const {
  const cluster::FinalizedFeatures& newest = refreshed_.epoch > handshakes.epoch ? refreshed_ : handshakes;
  return newest.level("transaction.version").value_or(0);
}

}  // namespace kwire::producer
