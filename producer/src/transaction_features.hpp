#pragma once
// TransactionFeatureRefresh: re-reads the cluster's finalized features
// (ApiVersions v3+, KIP-584) while a transactional producer runs on
// transaction version 1, so that an upgrade to TV2 (KIP-890 part 2) is
// noticed at a transaction boundary (issue 16). Features come with
// ApiVersions, which a connection sends once, when it is made: a producer
// whose connections live on would otherwise run TV1 until it reconnects.
// Every `interval_ms` (metadata.max.age.ms, the refresh period of the rest
// of the cluster view) one ApiVersions goes to a connected broker; the
// newest features epoch seen — by a connection's handshake or by a refresh
// — decides the transaction version, which the TransactionManager reads at
// its next commit or abort (Java's maybeUpdateTransactionV2Enabled). Once
// on TV2 nothing more is asked.
//
// Sans-I/O: the sender sends the request and hands the answer back.
// Thread: the network thread.
#include <cstdint>

#include "kwire/cluster/features.hpp"
#include "kwire/protocol/api_versions.hpp"

namespace kwire::producer {

class TransactionFeatureRefresh {
 public:
  explicit TransactionFeatureRefresh(std::int64_t interval_ms) noexcept : interval_ms_(interval_ms) {}

  /// Whether to send an ApiVersions now: the producer runs on TV1 (`v2`
  /// false), none is in flight, and the interval has passed since the last
  /// one (the first is due one interval after start: the handshakes have
  /// just read the features).
  bool due(std::int64_t now_ms, bool v2) noexcept;
  void on_sent() noexcept { in_flight_ = true; }
  /// The answer (any broker); a failed request is retried after the interval.
  void on_response(const protocol::ApiVersionsResponse& response, std::int64_t now_ms);
  void on_failed(std::int64_t now_ms) noexcept;
  /// When due() may next be true (-1: never, on TV2 or while one is in flight).
  std::int64_t next_due_ms(bool v2) const noexcept;

  /// The transaction.version of whichever is newer (by features epoch): the
  /// handshakes' view or the last refresh.
  std::int16_t transaction_version(const cluster::FinalizedFeatures& handshakes) const;

 private:
  std::int64_t interval_ms_;
  std::int64_t last_ms_ = -1;  ///< when the last refresh was sent or started the clock
  bool in_flight_ = false;
  cluster::FinalizedFeatures refreshed_;
};

}  // namespace kwire::producer
