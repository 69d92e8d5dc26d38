// Producer property values: acks and partitioner names.
#include <optional>
#include <string_view>

#include "kwire/producer/config.hpp"

namespace kwire::producer {

std::string_view to_string(Acks acks) noexcept {
  switch (acks) {
    case Acks::none: return "0";
    case Acks::leader: return "1";
    case Acks::all: return "all";
  }
  return "?";
}

namespace {
struct PartitionerName {
  std::string_view name;
  PartitionerType type;
};
constexpr PartitionerName partitioner_names[] = {
    {"murmur2_random", PartitionerType::murmur2_random},
    {"murmur2", PartitionerType::murmur2},
    {"consistent_random", PartitionerType::consistent_random},
    {"consistent", PartitionerType::consistent},
    {"fnv1a_random", PartitionerType::fnv1a_random},
    {"fnv1a", PartitionerType::fnv1a},
    {"random", PartitionerType::random},
};
}  // namespace

std::string_view to_string(PartitionerType type) noexcept {
  for (const auto& p : partitioner_names)
    if (p.type == type) return p.name;
  return "?";
}

std::optional<PartitionerType> parse_partitioner(std::string_view name) noexcept {
  for (const auto& p : partitioner_names)
    if (p.name == name) return p.type;
  return std::nullopt;
}

}  // namespace kwire::producer
