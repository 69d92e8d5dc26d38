#pragma once
// Client-side partition assignors of the classic group protocol. The group
// leader runs one after JoinGroup, over every member's ConsumerProtocol
// subscription, and sends each member its ConsumerProtocol assignment in
// SyncGroup. Java and librdkafka members may share the group, so the rules
// are Kafka's (RangeAssignor, RoundRobinAssignor, CooperativeStickyAssignor):
//
//   range               per topic, members subscribed to it in order, each
//                       a contiguous range; the first (partitions % members)
//                       get one more.
//   roundrobin          every partition of every subscribed topic, sorted by
//                       topic then partition, dealt to the members in order,
//                       skipping members not subscribed to its topic.
//   cooperative-sticky  KIP-429: balanced, keeps what members own, and never
//                       hands a partition to a new owner in the rebalance in
//                       which its old owner still holds it: the old owner is
//                       first told to give it up (it is left out of both
//                       assignments), rejoins, and the partition is assigned
//                       in the next rebalance.
// "In order" is Kafka's member order: static members (group.instance.id)
// first, by instance id, then dynamic members by member id. Every assignor is
// deterministic: the same input gives the same output.
//
// Thread: whichever thread runs the group state machine; assignors are
// stateless and may be shared.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kwire/protocol/consumer_protocol.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::consumer {

/// How members give up partitions in a rebalance (KIP-429).
enum class RebalanceProtocol {
  eager,        ///< revoke everything before JoinGroup
  cooperative,  ///< revoke only what the new assignment moves away
};

/// One member of the group as the leader sees it in the JoinGroup response.
struct GroupMember {
  std::string member_id;
  std::optional<std::string> group_instance_id;  ///< KIP-345 static members
  protocol::ConsumerProtocolSubscription subscription;
};

/// member id -> that member's assignment (every member appears, possibly
/// with nothing assigned).
using GroupAssignment = std::map<std::string, protocol::ConsumerProtocolAssignment>;

class Assignor {
 public:
  virtual ~Assignor() = default;
  /// The protocol name advertised in JoinGroup ("range", ...).
  virtual std::string_view name() const noexcept = 0;
  virtual RebalanceProtocol rebalance_protocol() const noexcept = 0;
  /// UserData this member puts in its subscription, given the generation
  /// in which it got its current assignment (-1 when it has none).
  virtual std::optional<std::vector<std::uint8_t>> subscription_user_data(std::int32_t generation) const {
    (void)generation;
    return std::nullopt;
  }
  /// Assigns `partitions_per_topic` (topic -> partition count, from
  /// metadata; topics missing from it are not assigned) to `members`.
  virtual GroupAssignment assign(const std::vector<GroupMember>& members,
                                 const std::map<std::string, std::int32_t>& partitions_per_topic) const = 0;
};

/// "range", "roundrobin" or "cooperative-sticky"; nullptr for other names.
std::unique_ptr<Assignor> make_assignor(std::string_view name);

/// The generation a cooperative-sticky member reports: the subscription's
/// GenerationId (v2+), else the int32 Java writes in UserData for older
/// readers, else -1.
std::int32_t subscription_generation(const protocol::ConsumerProtocolSubscription& subscription) noexcept;

}  // namespace kwire::consumer

KWIRE_PUBLIC_END
