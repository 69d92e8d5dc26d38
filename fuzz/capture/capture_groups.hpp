#pragma once
// Seeds for the group protocol fuzz targets (fuzz/join_group.cpp, ...),
// captured from a real broker by kwire_capture_seeds: see capture_groups.cpp.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

#include "kwire/protocol/api.hpp"

namespace kwire::capture {

/// Sends one request body as (api, version) over the capture tool's plain
/// socket client and returns the response body (after the response header).
using CallBroker =
    std::function<std::vector<std::uint8_t>(protocol::ApiKey, std::int16_t, std::span<const std::uint8_t>)>;

/// Writes fuzz/corpus/<target>/<name>: `prefix`, then `bytes`.
using WriteSeed = std::function<void(const std::string& target, const std::string& name,
                                     std::initializer_list<std::uint8_t> prefix, std::span<const std::uint8_t> bytes)>;

/// Runs a classic group's join → sync → heartbeat → commit → fetch offsets →
/// leave at every version both kwire and the broker speak, a KIP-848 group's
/// ConsumerGroupHeartbeat join → acknowledge → leave (with
/// ConsumerGroupDescribe, and commits/fetches under the member epoch), and
/// OffsetForLeaderEpoch on `topic` (which must exist), writing every request
/// and response as a `*-real` seed; then writes hand-made seeds (`*-hand`)
/// with what the broker does not send unprompted (unknown tags, every
/// optional field). Throws std::runtime_error when the broker misbehaves.
void capture_groups(const CallBroker& call, const WriteSeed& write_seed, const std::string& topic);

}  // namespace kwire::capture
