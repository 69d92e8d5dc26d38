#include "kwire/net/transport.hpp"

namespace kwire::net {

std::string BrokerEndpoint::address() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

}  // namespace kwire::net
