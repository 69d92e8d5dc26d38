// ProducerConfig::from_properties on "key=value" lines: the parser behind
// every pasted Java / librdkafka config.
//
// Input: text; each line ('\n'-separated) is split at its first '=' (no '='
// means an empty value), the last of duplicate keys wins.
//
// Checked:
//  - the only exception is kwire::ConfigError, whose what() starts with its
//    key() and ": " (config.hpp); anything else escaping is a bug, and so is
//    a crash or sanitizer report;
//  - secrets never leak: replacing the bytes of every secret value with 'x'
//    (keeping whitespace, so set/unset and blank stay the same) changes
//    neither the error message nor describe(). Secret keys are kwire's own
//    (sasl.password, sasl.jaas.config, ssl.key.password, ssl.key.pem) and the
//    Java key store passwords kwire rejects;
//  - validate() is idempotent: running it again on an accepted config
//    neither throws nor changes describe().
#include <algorithm>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "kwire/producer/config.hpp"

using kwire::ConfigError;
using kwire::producer::ProducerConfig;

namespace {

using Properties = std::map<std::string, std::string>;

constexpr std::string_view kSecretKeys[] = {"sasl.password", "sasl.jaas.config", "ssl.key.password", "ssl.key.pem",
                                            "ssl.truststore.password", "ssl.keystore.password"};

Properties parse_lines(std::string_view text) {
  Properties out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos)
      out[std::string(line)] = "";
    else
      out[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return out;
}

Properties blind_secrets(Properties p) {
  for (auto key : kSecretKeys) {
    auto it = p.find(std::string(key));
    if (it == p.end()) continue;
    for (char& c : it->second)
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v') c = 'x';
  }
  return p;
}

struct Outcome {
  std::optional<ProducerConfig> config;
  std::string text;  ///< describe() on success, what() on error
  std::string key;   ///< the ConfigError's key
};

Outcome run(const Properties& properties) {
  Outcome o;
  try {
    o.config = ProducerConfig::from_properties(properties);
    o.text = o.config->describe();
  } catch (const ConfigError& e) {
    o.text = e.what();
    o.key = e.key();
    // A key of printable characters is shown as is; any other (control
    // characters, NUL, quotes, spaces) quoted and escaped, so what() never
    // carries a raw control character from the key.
    const bool plain = !o.key.empty() && std::all_of(o.key.begin(), o.key.end(), [](char c) {
      const auto u = static_cast<unsigned char>(c);
      return u > 0x20 && u < 0x7f && c != '"' && c != '\\';
    });
    KWIRE_FUZZ_CHECK(o.text.starts_with(plain ? o.key + ": " : std::string("\"")),
                     "a ConfigError's message must start with its key, quoted unless plain");
    if (!plain) {
      const std::string shown = o.text.substr(0, o.text.find("\": ") + 1);
      KWIRE_FUZZ_CHECK(std::none_of(shown.begin(), shown.end(),
                                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }),
                       "a quoted key still holds a control character");
    }
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Properties properties = parse_lines({reinterpret_cast<const char*>(data), size});
  Outcome outcome = run(properties);

  const Outcome blinded = run(blind_secrets(properties));
  KWIRE_FUZZ_CHECK(outcome.config.has_value() == blinded.config.has_value(),
                   "a secret's value decided whether the config is accepted");
  KWIRE_FUZZ_CHECK(outcome.text == blinded.text && outcome.key == blinded.key,
                   "a secret's value shows in an error message or in describe()");

  if (outcome.config) {
    try {
      outcome.config->validate();
    } catch (const ConfigError&) {
      KWIRE_FUZZ_CHECK(false, "validate() threw on a config from_properties accepted");
    }
    KWIRE_FUZZ_CHECK(outcome.config->describe() == outcome.text, "validate() again changed the config");
  }
  return 0;
}
