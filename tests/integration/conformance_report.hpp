#pragma once
// Reading `kwire conformance --json` reports in the integration tests
// (conformance_test.cpp, conformance_admin_test.cpp): its cells, and the
// admin group's expectations on the harness broker.
#include <cstdint>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "support.hpp"

namespace kwire::test::conformance_report {

inline std::string cli() { return shell_quote(kwire::test::kwire_cli()); }

// ------------------------------------------------------------ report cells

struct ReportCell {
  std::string group, name, status, detail, topic, record_set;
  std::int64_t first_offset = -1, end_offset = -1;
};

inline std::string json_unescape(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      out += s[i];
      continue;
    }
    char c = s[++i];
    switch (c) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case 'u': out += '?'; i += 4; break;
      default: out += c;
    }
  }
  return out;
}

/// The cells of a `kwire conformance --json` report (its own fixed layout).
inline std::vector<ReportCell> parse_cells(const std::string& json) {
  static const std::regex cell_re(
      R"re(\{"group":"([^"]*)","name":"([^"]*)","status":"([^"]*)","detail":"((?:[^"\\]|\\.)*)")re"
      R"re((?:,"topic":"([^"]*)","partition":\d+,"first_offset":(\d+),"end_offset":(\d+)(?:,"record_set":"([^"]*)")?)?\})re");
  std::vector<ReportCell> cells;
  for (auto it = std::sregex_iterator(json.begin(), json.end(), cell_re); it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    ReportCell c{m[1], m[2], m[3], json_unescape(m[4]), m[5], m[8], -1, -1};
    if (m[6].matched) {
      c.first_offset = std::stoll(m[6]);
      c.end_offset = std::stoll(m[7]);
    }
    cells.push_back(std::move(c));
  }
  return cells;
}

struct SuiteRun {
  int exit_code = -1;
  std::string json;
  std::vector<ReportCell> cells;
  const ReportCell* find(const std::string& name) const {
    for (const auto& c : cells)
      if (c.name == name) return &c;
    return nullptr;
  }
};

/// `env`: a prefix for the command line (GSSAPI's LSAN_OPTIONS), or "".
inline SuiteRun run_suite(const std::string& args, const std::string& env = {}) {
  auto r = run_command(env + (env.empty() ? "" : " ") + cli() + " conformance --json --quiet " + args);
  SuiteRun run{r.exit_code, r.output, parse_cells(r.output)};
  return run;
}

inline std::string listing(const std::vector<ReportCell>& cells, const std::string& status) {
  std::string out;
  for (const auto& c : cells)
    if (c.status == status) out += "  " + c.group + " / " + c.name + ": " + c.detail + "\n";
  return out;
}

/// What kcat (librdkafka, never auto-creating) says about `topic`: its
/// partition count, or -1 when the broker does not know it.
inline int kcat_partition_count(const std::string& topic) {
  auto r = run_command("kcat -L -X allow.auto.create.topics=false -b " + shell_quote(broker_env().bootstrap()) +
                       " -t " + shell_quote(topic) + " 2>&1");
  static const std::regex with_re(R"re(topic "[^"]*" with (\d+) partitions)re");
  std::smatch m;
  if (r.output.find("Unknown topic") != std::string::npos) return -1;
  if (!std::regex_search(r.output, m, with_re)) return -2;  // kcat failed: never equal to what a test expects
  return std::stoi(m[1]);
}

/// The admin group's cells on the harness broker: every version of every
/// admin API the broker serves passed, the others are "not offered" (kcat
/// checks what they did in the test below). "" when so, else what is wrong.
inline std::string admin_cells_pass(const SuiteRun& run, const std::string& kafka_version) {
  // The versions the harness's brokers serve (kwire speaks all of them).
  const bool v39 = kafka_version.rfind("3.9", 0) == 0;
  const std::map<std::string, std::pair<int, int>> served{
      {"CreateTopics", {v39 ? 0 : 2, 7}},     {"CreatePartitions", {0, 3}},
      {"DescribeConfigs", {v39 ? 0 : 1, 4}},  {"IncrementalAlterConfigs", {0, 1}},
      {"DescribeCluster", {0, v39 ? 1 : 2}},  {"DeleteTopics", {v39 ? 0 : 1, 6}}};
  std::string wrong;
  int admin_cells = 0;
  for (const auto& c : run.cells) {
    if (c.group != "admin") continue;
    ++admin_cells;
    const auto space = c.name.find(" v");
    const auto it = served.find(c.name.substr(0, space));
    if (it == served.end()) {
      wrong += "unexpected cell " + c.name + "\n";
      continue;
    }
    const int v = std::stoi(c.name.substr(space + 2));
    const bool offered = v >= it->second.first && v <= it->second.second;
    if (c.status != (offered ? "pass" : "not_offered")) wrong += c.name + ": " + c.status + " " + c.detail + "\n";
  }
  if (admin_cells != 8 + 4 + 5 + 2 + 3 + 7) wrong += std::to_string(admin_cells) + " admin cells\n";
  return wrong;
}

/// The report's top-level "topic": the suite's own topic.
inline std::string report_topic(const SuiteRun& run) {
  static const std::regex topic_re(R"re("topic":"([^"]*)")re");
  std::smatch m;
  return std::regex_search(run.json, m, topic_re) ? std::string(m[1]) : std::string();
}

}  // namespace kwire::test::conformance_report
