#pragma once
// Command-line options shared by every kwire subcommand, following kcat:
// -b bootstrap servers, -X key=value for any client property, --json.
#include <map>
#include <string>
#include <vector>

namespace kwire::cli {

struct CommonOptions {
  std::string bootstrap;                          ///< -b host:port[,host:port]
  std::map<std::string, std::string> properties;  ///< -X key=value
  bool json = false;                              ///< --json
  std::vector<std::string> positional;            ///< everything else, in order
};

/// Thrown for bad command lines; main prints it with the usage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses argv (after the subcommand name). `extra` lists the single-letter
/// options the subcommand takes with a value (e.g. "tkH"); their values are
/// collected in `values[letter]` (repeatable options keep every value).
CommonOptions parse_options(int argc, char** argv, const std::string& extra,
                            std::map<char, std::vector<std::string>>& values);

/// Splits "host:port" (IPv6 as "[::1]:9092"); throws UsageError.
std::pair<std::string, std::uint16_t> split_host_port(const std::string& address);

/// The first address in a comma-separated bootstrap list.
std::string first_bootstrap(const std::string& list);

}  // namespace kwire::cli
