#pragma once
// Command-line options shared by every kwire subcommand, following kcat:
// -b bootstrap servers, -X key=value for any client property, --json.
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kwire::cli {

struct CommonOptions {
  std::string bootstrap;                          ///< -b host:port[,host:port]
  std::map<std::string, std::string> properties;  ///< -X key=value
  bool json = false;                              ///< --json
  bool stats = false;                             ///< --stats: print the producer's statistics at the end
  std::vector<std::string> positional;            ///< everything else, in order
};

/// Thrown for bad command lines; main prints it with the usage.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Parses argv (after the subcommand name). `-d category[,category]` (debug
/// log categories, repeatable) becomes the `debug` property. `extra` lists the single-letter
/// options the subcommand takes with a value (e.g. "tkH"); their values are
/// collected in `values[letter]` (repeatable options keep every value).
CommonOptions parse_options(int argc, char** argv, const std::string& extra,
                            std::map<char, std::vector<std::string>>& values);

/// The value of a single-letter option that may be given at most once:
/// nullptr when absent, UsageError when repeated.
const std::string* single_value(const std::map<char, std::vector<std::string>>& values, char letter);


}  // namespace kwire::cli
