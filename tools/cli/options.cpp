#include "options.hpp"

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace kwire::cli {

CommonOptions parse_options(int argc, char** argv, const std::string& extra,
                            std::map<char, std::vector<std::string>>& values) {
  CommonOptions opts;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&](const char* what) -> std::string {
      if (i + 1 >= argc) throw UsageError(std::string("option ") + what + " needs a value");
      return argv[++i];
    };
    if (arg == "--json") {
      opts.json = true;
    } else if (arg == "-b" || arg == "--bootstrap-server") {
      opts.bootstrap = next("-b");
    } else if (arg == "-X") {
      std::string kv = next("-X");
      auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) throw UsageError("-X expects key=value, got '" + kv + "'");
      opts.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
    } else if (arg.size() == 2 && arg[0] == '-' && extra.find(arg[1]) != std::string::npos) {
      values[arg[1]].push_back(next(arg.c_str()));
    } else if (arg.size() > 1 && arg[0] == '-' && arg != "-") {
      throw UsageError("unknown option " + arg);
    } else {
      opts.positional.push_back(arg);
    }
  }
  if (opts.bootstrap.empty()) {
    auto it = opts.properties.find("bootstrap.servers");
    if (it != opts.properties.end()) opts.bootstrap = it->second;
  }
  if (opts.bootstrap.empty()) {
    if (const char* env = std::getenv("KWIRE_BOOTSTRAP")) opts.bootstrap = env;
  }
  if (opts.bootstrap.empty()) throw UsageError("no broker given: use -b host:port (or set KWIRE_BOOTSTRAP)");
  return opts;
}

std::pair<std::string, std::uint16_t> split_host_port(const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      throw UsageError("bad broker address '" + address + "': expected [ipv6]:port");
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    auto colon = address.rfind(':');
    if (colon == std::string::npos || colon == 0) throw UsageError("bad broker address '" + address + "': expected host:port");
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
    throw UsageError("bad port in broker address '" + address + "'");
  return {host, static_cast<std::uint16_t>(value)};
}

std::string first_bootstrap(const std::string& list) {
  auto comma = list.find(',');
  std::string first = list.substr(0, comma);
  while (!first.empty() && first.front() == ' ') first.erase(first.begin());
  return first;
}

}  // namespace kwire::cli
