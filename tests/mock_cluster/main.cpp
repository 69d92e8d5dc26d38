// kwire-mock-cluster: runs the mock cluster as a process, for tools and
// benchmarks outside the test binaries.
//
//   kwire-mock-cluster [--brokers N] [--partitions P] [--blackhole] [--port BASE]
//                      [--topic NAME[:PARTITIONS]]... [--no-auto-create] [--drop-fetch]
//                      [--fail-next API_KEY:ERROR_CODE[:COUNT]]...
//
// --drop-fetch makes it a deliberately broken endpoint (for `kwire
// conformance`'s own test): Fetch stays advertised, but every Fetch request
// closes its connection unanswered. --fail-next answers the next COUNT
// (default 1) requests of an API with a Kafka error, both given by their
// numbers on the wire (MockCluster::fail_next), e.g. 28:15 for one
// TxnOffsetCommit answered COORDINATOR_NOT_AVAILABLE.
//
// Prints `bootstrap=127.0.0.1:PORT[,...]` as its first stdout line (flushed),
// then serves until SIGINT or SIGTERM, and on exit prints to stdout one line
// per non-empty partition: `records TOPIC PARTITION COUNT`.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <pthread.h>

#include "kwire/mock/cluster.hpp"

namespace {

[[noreturn]] void usage(const char* why) {
  std::cerr << "kwire-mock-cluster: " << why << "\n"
            << "usage: kwire-mock-cluster [--brokers N] [--partitions P] [--blackhole] [--port BASE]\n"
            << "                          [--topic NAME[:PARTITIONS]]... [--no-auto-create] [--drop-fetch]\n"
            << "                          [--fail-next API_KEY:ERROR_CODE[:COUNT]]...\n";
  std::exit(2);
}

int parse_int(const char* text, int min, int max, const char* what) {
  char* end = nullptr;
  long v = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || v < min || v > max) usage((std::string("bad value for ") + what).c_str());
  return static_cast<int>(v);
}

struct FailRule {
  kwire::mock::ApiKey api;
  kwire::errc error;
  int count = 1;
};

FailRule parse_fail_rule(const std::string& spec) {
  const auto first = spec.find(':');
  if (first == std::string::npos) usage("--fail-next needs API_KEY:ERROR_CODE[:COUNT]");
  const auto second = spec.find(':', first + 1);
  const std::string api = spec.substr(0, first);
  const std::string error = spec.substr(first + 1, second == std::string::npos ? std::string::npos : second - first - 1);
  FailRule rule{static_cast<kwire::mock::ApiKey>(parse_int(api.c_str(), 0, 32767, "--fail-next API_KEY")),
                static_cast<kwire::errc>(parse_int(error.c_str(), -1, 32767, "--fail-next ERROR_CODE"))};
  if (second != std::string::npos)
    rule.count = parse_int(spec.c_str() + second + 1, 1, std::numeric_limits<int>::max(), "--fail-next COUNT");
  return rule;
}

}  // namespace

int main(int argc, char** argv) {
  kwire::mock::ClusterConfig config;
  bool drop_fetch = false;
  std::vector<FailRule> fail_rules;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage((std::string("missing value after ") + std::string(arg)).c_str());
      return argv[++i];
    };
    if (arg == "--brokers") {
      config.brokers = parse_int(value(), 1, 64, "--brokers");
    } else if (arg == "--partitions") {
      config.default_partitions = parse_int(value(), 1, 100000, "--partitions");
    } else if (arg == "--blackhole") {
      config.blackhole = true;
    } else if (arg == "--port") {
      config.base_port = static_cast<std::uint16_t>(parse_int(value(), 1, 65535, "--port"));
    } else if (arg == "--no-auto-create") {
      config.auto_create_topics = false;
    } else if (arg == "--topic") {
      std::string spec = value();
      kwire::mock::TopicSpec topic{spec, config.default_partitions};
      if (auto colon = spec.rfind(':'); colon != std::string::npos) {
        topic.name = spec.substr(0, colon);
        topic.partitions = parse_int(spec.c_str() + colon + 1, 1, 100000, "--topic partitions");
      }
      config.topics.push_back(topic);
    } else if (arg == "--drop-fetch") {
      drop_fetch = true;
    } else if (arg == "--fail-next") {
      fail_rules.push_back(parse_fail_rule(value()));
    } else if (arg == "--help" || arg == "-h") {
      usage("help");
    } else {
      usage((std::string("unknown option ") + std::string(arg)).c_str());
    }
  }

  // Block the stop signals before any thread starts, so every thread
  // inherits the mask and sigwait() below is the one place they land.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  try {
    kwire::mock::MockCluster cluster(config);
    if (drop_fetch) cluster.drop_connection_before(kwire::mock::ApiKey::fetch, std::numeric_limits<int>::max());
    for (const FailRule& rule : fail_rules) cluster.fail_next(rule.api, rule.error, rule.count);
    std::cout << "bootstrap=" << cluster.bootstrap_servers() << std::endl;  // endl: flush for the reader
    int signal = 0;
    sigwait(&stop_signals, &signal);

    // What was stored, for scripts that cannot look inside the process.
    for (const auto& [topic, partitions] : cluster.topics())
      for (std::int32_t p = 0; p < partitions; ++p)
        if (std::size_t n = cluster.record_count(topic, p); n > 0)
          std::cout << "records " << topic << ' ' << p << ' ' << n << '\n';
    std::cout << std::flush;
  } catch (const std::exception& e) {
    std::cerr << "kwire-mock-cluster: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
