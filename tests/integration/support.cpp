#include "support.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>

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
  std::string command = shell_quote(KWIRE_BROKER_SCRIPT) + " create-topic " + shell_quote(name) + " " +
                        std::to_string(partitions);
  if (replication_factor > 0) command += " " + std::to_string(replication_factor);
  auto r = run_command(command + " >&2");
  if (r.exit_code != 0) throw std::runtime_error("create-topic " + name + " failed");
}

std::vector<ConsumedRecord> consume_with_kcat(const std::string& topic, std::optional<int> partition,
                                              std::optional<std::size_t> expected, const std::string& bootstrap) {
  // A binary-safe format: a line of fields with the key and value lengths
  // (-1 for null), then exactly that many raw bytes of key and value.
  const std::string& servers = bootstrap.empty() ? broker_env().bootstrap() : bootstrap;
  std::string command = "kcat -C -q -e -o beginning -b " + shell_quote(servers) + " -t " +
                        shell_quote(topic) + " -f 'P%p O%o T%T K%K S%S H%h\\n%k%s\\n'";
  if (partition) command += " -p " + std::to_string(*partition);
  if (expected) command += " -c " + std::to_string(*expected);
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

std::string kwire_cli() { return KWIRE_CLI; }

}  // namespace kwire::test
