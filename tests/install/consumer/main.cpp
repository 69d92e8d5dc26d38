// Uses a codec from the installed headers and library; prints the encoding
// so the install test can check the program really ran.
#include <cstdio>
#include <vector>

#include <kwire/protocol/api.hpp>
#include <kwire/protocol/writer.hpp>

int main() {
  std::vector<std::uint8_t> out;
  kwire::protocol::Writer w(out);
  w.write_varint(-1);
  w.write_string("kwire", /*compact=*/true);
  for (auto b : out) std::printf("%02x", b);
  std::printf(" %s\n", std::string(kwire::protocol::api_name(kwire::protocol::ApiKey::produce)).c_str());
  return out.size() == 7 ? 0 : 1;
}
