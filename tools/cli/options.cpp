#include "options.hpp"

#include <cstdlib>
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
    } else if (arg == "--stats") {
      opts.stats = true;
    } else if (arg == "-d" || arg == "--debug") {
      std::string& debug = opts.properties["debug"];
      debug += (debug.empty() ? "" : ",") + next("-d");
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

const std::string* single_value(const std::map<char, std::vector<std::string>>& values, char letter) {
  auto it = values.find(letter);
  if (it == values.end()) return nullptr;
  if (it->second.size() > 1) throw UsageError(std::string("-") + letter + " given more than once");
  return &it->second.front();
}

}  // namespace kwire::cli
