#pragma once
// The built-in assignors (see kwire/consumer/assignor.hpp for their rules).
// Private to consumer/src; applications get them from make_assignor().
#include "assignor_support.hpp"

namespace kwire::consumer::assignors {

class RangeAssignor final : public Assignor {
 public:
  std::string_view name() const noexcept override { return "range"; }
  RebalanceProtocol rebalance_protocol() const noexcept override { return RebalanceProtocol::eager; }
  GroupAssignment assign(const std::vector<GroupMember>& members,
                         const std::map<std::string, std::int32_t>& partitions_per_topic) const override;
};

class RoundRobinAssignor final : public Assignor {
 public:
  std::string_view name() const noexcept override { return "roundrobin"; }
  RebalanceProtocol rebalance_protocol() const noexcept override { return RebalanceProtocol::eager; }
  GroupAssignment assign(const std::vector<GroupMember>& members,
                         const std::map<std::string, std::int32_t>& partitions_per_topic) const override;
};

class CooperativeStickyAssignor final : public Assignor {
 public:
  std::string_view name() const noexcept override { return "cooperative-sticky"; }
  RebalanceProtocol rebalance_protocol() const noexcept override { return RebalanceProtocol::cooperative; }
  /// The generation as one big-endian int32, as Java's
  /// CooperativeStickyAssignor writes it for members that read
  /// subscriptions older than v2.
  std::optional<std::vector<std::uint8_t>> subscription_user_data(std::int32_t generation) const override;
  GroupAssignment assign(const std::vector<GroupMember>& members,
                         const std::map<std::string, std::int32_t>& partitions_per_topic) const override;
};

}  // namespace kwire::consumer::assignors
