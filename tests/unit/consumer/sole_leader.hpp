#pragma once
// A JoinGroup answer that makes the member "m1" the group's only member and
// its leader, subscribed to `topics` (range assignor, generation 1): what the
// ConsumerCore tests answer a first join with.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kwire/protocol/consumer_protocol.hpp"
#include "kwire/protocol/join_group.hpp"

namespace kwire::test {

inline protocol::JoinGroupResponse sole_leader_join(std::vector<std::string> topics) {
  protocol::JoinGroupResponse joined;
  joined.generation_id = 1;
  joined.member_id = "m1";
  joined.leader = "m1";
  joined.protocol_name = "range";
  protocol::ConsumerProtocolSubscription subscription;
  subscription.topics = std::move(topics);
  protocol::JoinGroupResponse::Member self;
  self.member_id = "m1";
  REQUIRE_FALSE(protocol::encode_consumer_protocol(subscription, 3, self.metadata));
  joined.members.push_back(self);
  return joined;
}

}  // namespace kwire::test
