#pragma once
// Picking ConsumerCore's outgoing requests by type, for the core's tests:
// of_type<R>(out) lists (request id, request) of every R in `out`;
// only<R>(out) requires exactly one.
#include <doctest/doctest.h>

#include <cstdint>
#include <utility>
#include <variant>
#include <vector>

#include "kwire/consumer/consumer_core.hpp"

namespace kwire::test {

template <class R>
std::vector<std::pair<std::uint64_t, R>> of_type(const std::vector<consumer::OutgoingRequest>& out) {
  std::vector<std::pair<std::uint64_t, R>> found;
  for (const auto& o : out)
    if (std::holds_alternative<R>(o.request)) found.emplace_back(o.id, std::get<R>(o.request));
  return found;
}

template <class R>
std::pair<std::uint64_t, R> only(const std::vector<consumer::OutgoingRequest>& out) {
  auto found = of_type<R>(out);
  REQUIRE(found.size() == 1);
  return found.front();
}

}  // namespace kwire::test
