#pragma once
// Recording response callbacks (each must run exactly once, in the order the
// test expects) and small request/response bodies, for the net tests.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "kwire/protocol/writer.hpp"

namespace kwire::test {

/// One int32, big-endian: a body that is easy to tell apart.
inline std::vector<std::uint8_t> int32_body(std::int32_t v) {
  std::vector<std::uint8_t> b;
  protocol::Writer(b).write_int32(v);
  return b;
}

/// What one response callback got, and when.
struct Outcome {
  std::optional<std::error_code> error;
  std::vector<std::uint8_t> body;
  int order = -1;  ///< 0 for the first callback of the Recorder to run
};

/// Hands out response callbacks (Connection::ResponseHandler,
/// RequestPipeline::ResponseHandler) and records their outcomes.
struct Recorder {
  std::vector<Outcome> outcomes;
  int completed = 0;

  explicit Recorder(std::size_t n) : outcomes(n) {}
  std::function<void(std::error_code, std::span<const std::uint8_t>)> handler(std::size_t i) {
    return [this, i](std::error_code ec, std::span<const std::uint8_t> body) {
      REQUIRE_FALSE(outcomes[i].error.has_value());  // exactly once
      outcomes[i].error = ec;
      outcomes[i].body.assign(body.begin(), body.end());
      outcomes[i].order = completed++;
    };
  }
  bool all_done() const { return static_cast<std::size_t>(completed) == outcomes.size(); }
};

}  // namespace kwire::test
