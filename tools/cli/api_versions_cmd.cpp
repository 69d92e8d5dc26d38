// kwire api-versions: what the broker advertises, what kwire implements, and
// the version kwire would pick for each API.
#include <cstdio>
#include <map>
#include <string>

#include <kwire/protocol/api.hpp>

#include "broker_session.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "options.hpp"

namespace kwire::cli {

int run_api_versions(int argc, char** argv) {
  std::map<char, std::vector<std::string>> values;
  CommonOptions options = parse_options(argc, argv, "", values);
  if (!options.positional.empty()) throw UsageError("api-versions takes no arguments");

  auto session = make_client(client_config(options));
  if (auto ec = session.connect()) {
    std::fprintf(stderr, "kwire api-versions: cannot reach a broker in %s: %s\n", options.bootstrap.c_str(),
                 connect_failure(session, ec).c_str());
    return 1;
  }
  auto& connection = session.connection();
  const auto& broker = connection.broker_versions();

  if (options.json) {
    JsonWriter json;
    json.begin_object()
        .key("broker").value(connection.address())
        .key("api_versions_version").value(static_cast<int>(connection.api_versions_version()))
        .key("apis").begin_array();
    for (const auto& api : broker.api_keys) {
      auto key = static_cast<protocol::ApiKey>(api.api_key);
      const auto* ours = protocol::find_support(key);
      auto chosen = connection.negotiated_version(key);
      json.begin_object()
          .key("key").value(static_cast<int>(api.api_key))
          .key("name").value(protocol::api_name(api.api_key))
          .key("broker_min").value(static_cast<int>(api.min_version))
          .key("broker_max").value(static_cast<int>(api.max_version));
      json.key("kwire_min");
      ours ? json.value(static_cast<int>(ours->min_version)) : json.null();
      json.key("kwire_max");
      ours ? json.value(static_cast<int>(ours->max_version)) : json.null();
      json.key("chosen");
      chosen ? json.value(static_cast<int>(*chosen)) : json.null();
      json.end_object();
    }
    json.end_array().end_object();
    std::printf("%s\n", json.str().c_str());
    return 0;
  }

  std::printf("broker %s (ApiVersions v%d)\n\n", connection.address().c_str(), connection.api_versions_version());
  std::printf("%4s  %-30s %7s %7s   %7s %7s   %s\n", "key", "api", "broker", "", "kwire", "", "chosen");
  std::printf("%4s  %-30s %7s %7s   %7s %7s\n", "", "", "min", "max", "min", "max");
  for (const auto& api : broker.api_keys) {
    auto key = static_cast<protocol::ApiKey>(api.api_key);
    const auto* ours = protocol::find_support(key);
    auto chosen = connection.negotiated_version(key);
    std::string kwire_min = ours ? std::to_string(ours->min_version) : "-";
    std::string kwire_max = ours ? std::to_string(ours->max_version) : "-";
    std::string pick = chosen ? "v" + std::to_string(*chosen) : (ours ? "none in common" : "-");
    std::printf("%4d  %-30s %7d %7d   %7s %7s   %s\n", api.api_key, std::string(protocol::api_name(api.api_key)).c_str(),
                api.min_version, api.max_version, kwire_min.c_str(), kwire_max.c_str(), pick.c_str());
  }
  return 0;
}

}  // namespace kwire::cli
