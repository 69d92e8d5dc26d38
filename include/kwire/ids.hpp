#pragma once
// Identifiers that are plain integers on the wire but must never stand in for
// one another inside kwire: a broker's node id, a producer id, a producer
// epoch. Each is a type of its own, made explicitly from the wire value where
// a codec's field enters the client layers and read back with value() where
// it leaves for one, so a partition index, a correlation id, a transport id or
// an epoch cannot be passed where a node id is expected. They compare and
// order like their integers (map keys) and print as them.
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>

#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire {

/// An integer identifier of kind `Tag` (see the top of this file); -1, the
/// default, is Kafka's "none" for each of them.
template <class Tag, class Rep>
class StrongId {
 public:
  using rep = Rep;
  constexpr StrongId() noexcept = default;
  constexpr explicit StrongId(Rep value) noexcept : value_(value) {}
  constexpr Rep value() const noexcept { return value_; }
  /// Not "none" (-1) nor another negative placeholder.
  constexpr bool valid() const noexcept { return value_ >= 0; }
  friend constexpr auto operator<=>(StrongId, StrongId) noexcept = default;
  friend std::ostream& operator<<(std::ostream& out, StrongId id) { return out << +id.value_; }
  friend std::string to_string(StrongId id) { return std::to_string(id.value_); }

 private:
  Rep value_ = -1;
};

/// A broker's node id (Metadata's NodeId). kwire numbers the bootstrap
/// servers -1, -2, … until a Metadata response names the real brokers.
using NodeId = StrongId<struct NodeIdTag, std::int32_t>;
/// An idempotent or transactional producer's id (InitProducerId, KIP-98).
using ProducerId = StrongId<struct ProducerIdTag, std::int64_t>;
/// The epoch of a producer id: bumped on fencing and, under KIP-360 and
/// transaction version 2 (KIP-890), by the producer's own recovery.
using ProducerEpoch = StrongId<struct ProducerEpochTag, std::int16_t>;

}  // namespace kwire

template <class Tag, class Rep>
struct std::hash<kwire::StrongId<Tag, Rep>> {
  std::size_t operator()(kwire::StrongId<Tag, Rep> id) const noexcept { return std::hash<Rep>{}(id.value()); }
};

KWIRE_PUBLIC_END
