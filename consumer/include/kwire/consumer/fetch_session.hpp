#pragma once
// Incremental fetch sessions (KIP-227, Fetch v7+), one per broker the
// consumer fetches from: which partitions go into the next Fetch request and
// with which SessionId / SessionEpoch.
//
//  * A full request (epoch 0) lists every partition wanted. The broker
//    answers with a SessionId (0: no session slot was free, so the next
//    request is full again).
//  * Incremental requests carry that id and epochs 1, 2, ... (after
//    INT32_MAX comes 1). They list only partitions that are new or whose
//    fetch offset, leader epoch or max bytes changed, and name the partitions
//    no longer wanted in ForgottenTopicsData (with a topic id that changed,
//    v13+, the old id is forgotten and the new one added).
//  * The epoch advances only once a response arrived without a top-level
//    error. FETCH_SESSION_ID_NOT_FOUND drops the session (the next request
//    is full with SessionId 0); INVALID_FETCH_SESSION_EPOCH,
//    FETCH_SESSION_TOPIC_ID_ERROR, any other top-level error, and a request
//    that got no response, make the next request a full one under the same
//    id, which tells the broker to close the old session and open a new one
//    (Java FetchSessionHandler / FetchMetadata).
//  * Before v7 there are no sessions: every request is full with epoch -1.
//
// One request at a time per session: build_request(), then exactly one of
// handle_response() / handle_failure(). Thread: the network thread.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <system_error>

#include "kwire/consumer/topic_partition.hpp"
#include "kwire/protocol/fetch.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

/// What the consumer wants from one partition in the next fetch.
struct PartitionFetch {
  protocol::Uuid topic_id;                 ///< needed from Fetch v13
  std::int64_t fetch_offset = 0;
  std::int32_t current_leader_epoch = -1;  ///< KIP-320, v9+
  std::int32_t partition_max_bytes = 0;    ///< max.partition.fetch.bytes
  friend bool operator==(const PartitionFetch&, const PartitionFetch&) = default;
};

using FetchTargets = std::map<TopicPartition, PartitionFetch>;

/// Request-wide settings (fetch.max.wait.ms, fetch.min.bytes, ...).
struct FetchParams {
  std::int32_t max_wait_ms = 500;
  std::int32_t min_bytes = 1;
  std::int32_t max_bytes = 52428800;
  protocol::IsolationLevel isolation_level = protocol::IsolationLevel::read_uncommitted;
  std::string rack_id;  ///< client.rack (KIP-392), v11+
};

class FetchSession {
 public:
  /// Epoch 0 opens a session with a full request; -1 means no session.
  static constexpr std::int32_t initial_epoch = 0;
  static constexpr std::int32_t sessionless_epoch = -1;
  static constexpr std::int16_t first_session_version = 7;

  /// The epoch after `epoch` in an established session (wraps to 1).
  static std::int32_t epoch_after(std::int32_t epoch) noexcept;

  /// The next request for `targets` at Fetch `version`.
  protocol::FetchRequest build_request(const FetchTargets& targets, std::int16_t version, const FetchParams& params);

  /// The response to the last request built. Returns its top-level error,
  /// after adjusting the session (see above).
  std::error_code handle_response(const protocol::FetchResponse& response);

  /// The last request built got no response (disconnected, timed out).
  void handle_failure() noexcept { next_epoch_ = initial_epoch; }

  /// The next request built is a full one (under the same id, so the broker
  /// replaces the session), whatever a response still in flight says. The
  /// fetcher asks for it when the assignment dropped partitions: one revoked
  /// and assigned again before the next request never left the broker's
  /// session, and an incremental response only reports a partition whose
  /// data or watermarks changed, so its high watermark (dropped with the
  /// revocation) would never come back.
  void request_full() noexcept { full_requested_ = true; }

  /// A request that closes the session on the broker (epoch -1, no
  /// partitions), or nullopt when there is none to close. Forgets the
  /// session either way.
  std::optional<protocol::FetchRequest> close_request(std::int16_t version, const FetchParams& params);

  std::int32_t session_id() const noexcept { return session_id_; }
  /// The epoch the next request will carry (0: a full request).
  std::int32_t next_epoch() const noexcept { return next_epoch_; }
  /// What the broker's session holds, as of the last request built.
  const FetchTargets& session_partitions() const noexcept { return session_partitions_; }

 private:
  std::int32_t session_id_ = 0;
  std::int32_t next_epoch_ = initial_epoch;
  bool last_was_full_ = true;
  bool full_requested_ = false;
  FetchTargets session_partitions_;
};

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
