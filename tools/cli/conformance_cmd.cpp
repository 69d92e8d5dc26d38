// kwire conformance -b host:port [-X key=value ...] [-t topic] [--json]
//                   [--only GROUP,...] [--skip GROUP,...] [--quiet] [--keep]
//
// Runs the conformance suite (conformance.hpp) against the endpoint and
// prints the matrix; exits 0 when no cell failed, 1 when one did, 2 for a
// bad command line.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "commands.hpp"
#include "conformance.hpp"
#include "options.hpp"

namespace kwire::cli {
namespace {

std::set<std::string> split_groups(const std::string& list) {
  std::set<std::string> groups;
  std::stringstream in(list);
  std::string g;
  while (std::getline(in, g, ',')) {
    if (g.empty()) continue;
    const auto& known = conformance::group_names();
    if (std::find(known.begin(), known.end(), g) == known.end())
      throw UsageError("unknown group '" + g + "' (groups: connect, versions, produce, idempotence, errors, admin, consume, group, transactions)");
    groups.insert(g);
  }
  return groups;
}

}  // namespace

int run_conformance(int argc, char** argv) {
  conformance::SuiteOptions suite;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "--only")
      suite.only = split_groups(next());
    else if (arg == "--skip")
      suite.skip = split_groups(next());
    else if (arg == "--quiet")
      suite.progress = false;
    else if (arg == "--keep")
      suite.keep_topic = true;
    else
      rest.push_back(argv[i]);
  }
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(static_cast<int>(rest.size()), rest.data(), "t", values);
  if (!options.positional.empty()) throw UsageError("unexpected argument '" + options.positional.front() + "'");
  if (values.count('t')) suite.topic = values['t'].back();
  suite.properties = options.properties;
  suite.properties["bootstrap.servers"] = options.bootstrap;
  // "connect" always runs: every other group needs it.
  suite.only.erase("connect");
  if (!suite.only.empty()) suite.only.insert("connect");
  suite.skip.erase("connect");

  if (suite.progress) std::fprintf(stderr, "kwire conformance: running against %s\n", options.bootstrap.c_str());
  conformance::Report report = conformance::run_suite(suite);
  if (options.json)
    std::printf("%s\n", conformance::format_json(report).c_str());
  else
    std::fputs(conformance::format_table(report).c_str(), stdout);
  return report.ok() ? 0 : 1;
}

}  // namespace kwire::cli
