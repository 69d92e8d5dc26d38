#pragma once
// The io_context kwire runs on, declared without including Asio. Which Asio
// is fixed when kwire is built (cmake -DKWIRE_ASIO=standalone|boost, recorded
// in the generated kwire/net/asio_flavour.hpp):
//   standalone (the default): standalone Asio's asio::io_context (Debian's
//     libasio-dev); programs that pass their own build with ASIO_STANDALONE
//     and ASIO_NO_DEPRECATED, which kwire's CMake package and kwire.pc add;
//   boost: Boost.Asio's boost::asio::io_context (Debian's libboost-dev), for
//     services built on Boost.Asio or Beast (BOOST_ASIO_NO_DEPRECATED).
// Inside namespace kwire, `asio::io_context` names the flavour's io_context.
#include "kwire/net/asio_flavour.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

#if KWIRE_ASIO_BOOST
namespace boost::asio {
class io_context;
}  // namespace boost::asio
namespace kwire {
namespace asio = ::boost::asio;
}  // namespace kwire
#else
namespace asio {
class io_context;
}  // namespace asio
#endif

KWIRE_PUBLIC_END
