#pragma once
// Asio itself, in the flavour this build uses (kwire/net/asio_fwd.hpp), for
// kwire's own sources and tests; not installed. They include Asio's headers
// through KWIRE_ASIO_INCLUDE (only those they need: ARCHITECTURE.md "Build
// cost"), name its types `asio::...` in either flavour, and take the error
// codes of Asio's non-throwing overloads as asio_error_code. Completion
// handlers may keep taking std::error_code: Boost.System's error_code
// converts to it, keeping its category (so comparisons against
// asio::error::get_ssl_category() still hold).
#include <system_error>

#include "kwire/net/asio_fwd.hpp"

#if KWIRE_ASIO_BOOST
#include <boost/system/error_code.hpp>
#define KWIRE_ASIO_INCLUDE(header) <boost/asio/header>
namespace asio = ::boost::asio;
namespace kwire::net {
using asio_error_code = ::boost::system::error_code;
}  // namespace kwire::net
#else
#define KWIRE_ASIO_INCLUDE(header) <asio/header>
namespace kwire::net {
using asio_error_code = std::error_code;
}  // namespace kwire::net
#endif
