#include "support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <kwire/admin/admin.hpp>
#include <kwire/protocol/kafka_error.hpp>

namespace kwire::test {

std::string BrokerEnv::get(const std::string& key) const {
  auto it = vars.find(key);
  if (it == vars.end()) throw std::runtime_error("broker env lacks " + key);
  return it->second;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run: " + command);
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

const BrokerEnv& broker_env() {
  static const BrokerEnv env = [] {
    BrokerEnv e;
    std::string text;
    if (const char* bootstrap = std::getenv("KWIRE_BOOTSTRAP"); bootstrap && *bootstrap) {
      for (char** v = environ; *v; ++v) {
        std::string line = *v;
        if (line.rfind("KWIRE_", 0) == 0) text += line + "\n";
      }
    } else {
      auto r = run_command(shell_quote(KWIRE_BROKER_SCRIPT) + " env");
      if (r.exit_code != 0) throw std::runtime_error("kafka-broker env failed: is the broker running?");
      text = r.output;
    }
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("export ", 0) == 0) line = line.substr(7);
      auto eq = line.find('=');
      if (eq == std::string::npos) continue;
      std::string value = line.substr(eq + 1);
      if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"')) value = value.substr(1, value.size() - 2);
      e.vars[line.substr(0, eq)] = value;
    }
    if (!e.has("KWIRE_BOOTSTRAP")) throw std::runtime_error("no KWIRE_BOOTSTRAP in the broker env");
    return e;
  }();
  return env;
}

std::string unique_topic(const std::string& prefix) {
  static std::atomic<int> counter{0};
  return prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
}

void create_topic(const std::string& name, int partitions, int replication_factor) {
  // kwire's own CreateTopics (issue 17), then Metadata until every partition
  // has a leader (a KRaft broker learns the new topic a moment after the
  // controller answers).
  admin::Admin admin(cluster::ClientConfig::from_properties({{"bootstrap.servers", broker_env().bootstrap()}}));
  const auto created = admin.create_topics({{name, static_cast<std::int32_t>(partitions),
                                             static_cast<std::int16_t>(replication_factor > 0 ? replication_factor : -1),
                                             {}}});
  if (!created.at(0).error.ok() && created[0].error.error != kwire::errc::topic_already_exists)
    throw std::runtime_error("creating topic " + name + ": " + created[0].error.message());
  for (int attempt = 0; attempt < 300; ++attempt) {
    const auto described = admin.describe_topics({name});
    const bool ready = described.size() == 1 && described[0].error.ok() &&
                       described[0].partitions.size() == static_cast<std::size_t>(partitions) &&
                       std::all_of(described[0].partitions.begin(), described[0].partitions.end(),
                                   [](const auto& p) { return p.leader >= 0; });
    if (ready) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  throw std::runtime_error("topic " + name + " has no leader for every partition after 30 s");
}

namespace {

/// kcat from the beginning to the end of `topic` with `options` added,
/// parsed. A binary-safe format: a line of fields with the key and value
/// lengths (-1 for null), then exactly that many raw bytes of key and value.
std::vector<ConsumedRecord> kcat_read(const std::string& servers, const std::string& topic,
                                      const std::string& options) {
  const std::string command = "kcat -C -q -e -o beginning -b " + shell_quote(servers) + " -t " + shell_quote(topic) +
                              " -f 'P%p O%o T%T K%K S%S H%h\\n%k%s\\n'" + options;
  auto r = run_command(command);
  if (r.exit_code != 0) throw std::runtime_error("kcat failed (exit " + std::to_string(r.exit_code) + ")");

  std::vector<ConsumedRecord> records;
  const std::string& out = r.output;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto eol = out.find('\n', pos);
    if (eol == std::string::npos) throw std::runtime_error("kcat output ends mid-record");
    std::string line = out.substr(pos, eol - pos);
    pos = eol + 1;
    ConsumedRecord rec;
    long long offset = 0, timestamp = 0, key_len = 0, value_len = 0;
    int consumed = 0;
    if (std::sscanf(line.c_str(), "P%d O%lld T%lld K%lld S%lld H%n", &rec.partition, &offset, &timestamp, &key_len,
                    &value_len, &consumed) < 5)
      throw std::runtime_error("unexpected kcat line: " + line);
    rec.offset = offset;
    rec.timestamp_ms = timestamp;
    std::string headers = line.substr(static_cast<std::size_t>(consumed));
    std::size_t h = 0;
    while (h < headers.size()) {
      auto comma = headers.find(',', h);
      std::string kv = headers.substr(h, comma == std::string::npos ? std::string::npos : comma - h);
      auto eq = kv.find('=');
      rec.headers.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
      if (comma == std::string::npos) break;
      h = comma + 1;
    }
    auto take = [&](long long len) -> std::optional<std::string> {
      if (len < 0) return std::nullopt;
      if (pos + static_cast<std::size_t>(len) > out.size()) throw std::runtime_error("kcat output truncated");
      std::string bytes = out.substr(pos, static_cast<std::size_t>(len));
      pos += static_cast<std::size_t>(len);
      return bytes;
    };
    rec.key = take(key_len);
    rec.value = take(value_len);
    if (pos >= out.size() || out[pos] != '\n') throw std::runtime_error("kcat record not terminated");
    ++pos;
    records.push_back(std::move(rec));
  }
  return records;
}

}  // namespace

std::vector<ConsumedRecord> consume_with_kcat(const std::string& topic, std::optional<int> partition,
                                              std::optional<std::size_t> expected, const std::string& bootstrap) {
  std::string options;
  if (partition) options += " -p " + std::to_string(*partition);
  if (expected) options += " -c " + std::to_string(*expected);
  return kcat_read(bootstrap.empty() ? broker_env().bootstrap() : bootstrap, topic, options);
}

std::vector<ConsumedRecord> consume_with_kcat_isolation(const std::string& topic, const std::string& isolation_level) {
  return kcat_read(broker_env().bootstrap(), topic, " -X isolation.level=" + shell_quote(isolation_level));
}

std::string kwire_cli() { return KWIRE_CLI; }

std::map<int, std::int64_t> committed_by_kafka(const std::string& group, const std::string& topic) {
  auto result = run_command(shell_quote(KWIRE_BROKER_SCRIPT) +
                            " run-class org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server " +
                            shell_quote(broker_env().bootstrap()) + " --describe --group " + shell_quote(group) +
                            " 2>/dev/null");
  std::map<int, std::int64_t> out;
  std::istringstream in(result.output);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string g, t, partition, current;
    if (!(fields >> g >> t >> partition >> current) || g != group || t != topic) continue;
    if (current == "-") continue;
    out[std::stoi(partition)] = std::stoll(current);
  }
  return out;
}

}  // namespace kwire::test
