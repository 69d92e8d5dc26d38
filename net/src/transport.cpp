#include "kwire/net/transport.hpp"

#include <functional>
#include <utility>

namespace kwire::net {
namespace {

thread_local std::vector<std::uint8_t>* current_frame = nullptr;

}  // namespace

std::shared_ptr<const std::vector<std::uint8_t>> take_response_frame(const std::uint8_t* points_into) {
  std::vector<std::uint8_t>* frame = current_frame;
  if (frame == nullptr || frame->empty() || points_into == nullptr) return nullptr;
  // std::less: a total order even for pointers into different objects.
  const std::less<const std::uint8_t*> before;
  if (before(points_into, frame->data()) || !before(points_into, frame->data() + frame->size())) return nullptr;
  // A moved vector keeps its heap block: the handler's views stay valid.
  return std::make_shared<const std::vector<std::uint8_t>>(std::move(*frame));
}

namespace detail {

ResponseFrameScope::ResponseFrameScope(std::vector<std::uint8_t>& frame) noexcept
    : previous_(std::exchange(current_frame, &frame)) {}

ResponseFrameScope::~ResponseFrameScope() { current_frame = previous_; }

}  // namespace detail

std::string BrokerEndpoint::address() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace kwire::net
