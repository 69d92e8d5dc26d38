// Uses the installed headers and libraries the way an embedder would: a
// codec, and a Producer (which links every kwire library and its
// dependencies: OpenSSL, Cyrus SASL, zlib, snappy, lz4, zstd). Prints what
// it saw so the install test can check the program really ran.
#include <chrono>
#include <cstdio>
#include <vector>

#include <kwire/producer/producer.hpp>
#include <kwire/protocol/api.hpp>
#include <kwire/protocol/writer.hpp>
#include <kwire/version.hpp>

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
  std::printf(" %s\n", ec == kwire::client_errc::no_broker_reachable ? "unreachable" : ec.message().c_str());
  return out.size() == 7 ? 0 : 1;
}
