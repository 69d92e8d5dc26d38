// Uses the installed headers and libraries the way an embedder would: a
// codec, a Producer (which links every kwire library and its dependencies:
// OpenSSL, Cyrus SASL, zlib, snappy, lz4, zstd), and a Producer on the
// program's own io_context of the Asio flavour kwire was built with
// (standalone Asio or Boost.Asio). Prints what it saw so the install test can
// check the program really ran.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <kwire/net/asio_flavour.hpp>
#include <kwire/producer/producer.hpp>
#include <kwire/protocol/api.hpp>
#include <kwire/protocol/writer.hpp>
#include <kwire/version.hpp>

#if KWIRE_ASIO_BOOST
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
namespace flavour = boost::asio;
constexpr const char* flavour_name = "boost";
#else
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
namespace flavour = asio;
constexpr const char* flavour_name = "standalone";
#endif

int main() {
  std::vector<std::uint8_t> out;
  kwire::protocol::Writer w(out);
  w.write_varint(-1);
  w.write_string("kwire", /*compact=*/true);
  for (auto b : out) std::printf("%02x", b);
  std::printf(" %s", std::string(kwire::protocol::api_name(kwire::protocol::ApiKey::produce)).c_str());
  std::printf(" %s", kwire::version_string);

  // Port 1 on loopback refuses at once: the fail-fast check must say so.
  kwire::Producer producer({{"bootstrap.servers", "127.0.0.1:1"}, {"compression.type", "zstd"}});
  auto ec = producer.wait_for_cluster(std::chrono::seconds(5));
  std::printf(" %s", ec == kwire::client_errc::no_broker_reachable ? "unreachable" : ec.message().c_str());

  // The same on an io_context this program owns and runs.
  flavour::io_context io;
  auto work = flavour::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  {
    kwire::Producer own({{"bootstrap.servers", "127.0.0.1:1"}}, io);
    ec = own.wait_for_cluster(std::chrono::seconds(5));
  }
  work.reset();
  runner.join();
  std::printf(" %s:%s\n", flavour_name, ec == kwire::client_errc::no_broker_reachable ? "unreachable" : ec.message().c_str());
  return out.size() == 7 ? 0 : 1;
}
