#include "kwire/consumer/assignor.hpp"

#include "assignors.hpp"

namespace kwire::consumer {

std::unique_ptr<Assignor> make_assignor(std::string_view name) {
  if (name == "range") return std::make_unique<assignors::RangeAssignor>();
  if (name == "roundrobin") return std::make_unique<assignors::RoundRobinAssignor>();
  if (name == "cooperative-sticky") return std::make_unique<assignors::CooperativeStickyAssignor>();
  return nullptr;
}

std::int32_t subscription_generation(const protocol::ConsumerProtocolSubscription& subscription) noexcept {
  if (subscription.generation_id >= 0) return subscription.generation_id;
  // Members writing subscriptions older than v2 carry the generation in
  // UserData (CooperativeStickyAssignor.subscriptionUserData); anything else
  // there (another assignor's data) counts as unknown.
  const auto& data = subscription.user_data;
  if (!data || data->size() < 4) return -1;  // Java reads the first int32 only
  const auto value = (std::uint32_t{(*data)[0]} << 24) | (std::uint32_t{(*data)[1]} << 16) |
                     (std::uint32_t{(*data)[2]} << 8) | std::uint32_t{(*data)[3]};
  return static_cast<std::int32_t>(value);
}

}  // namespace kwire::consumer
