#pragma once
// What the admin subcommands (topics, configs, cluster, groups,
// transactions) share: kafka-scripts style long options (--partitions N,
// --config k=v, --dry-run) on top of the common -b / -X / --json handling,
// an Admin made from the ClientConfig, and per-item error printing.
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <kwire/admin/admin.hpp>

#include "json.hpp"
#include "options.hpp"

namespace kwire::cli {

struct AdminArgs {
  CommonOptions common;
  std::map<std::string, std::vector<std::string>> values;  ///< --name value (repeatable)
  std::set<std::string> flags;                             ///< --name

  bool has(const std::string& flag) const { return flags.count(flag) != 0; }
  /// The last value of `name`, if given.
  std::optional<std::string> value(const std::string& name) const;
  /// The value of `name` as an integer; UsageError when missing (no
  /// default) or not a number.
  std::int64_t integer(const std::string& name, std::optional<std::int64_t> fallback = std::nullopt) const;
  const std::vector<std::string>& all(const std::string& name) const;
};

/// Splits argv: `with_value` long options take the next argument, `flags`
/// take none; the rest goes to parse_options (-b, -X, --json, positional).
AdminArgs parse_admin_args(int argc, char** argv, const std::set<std::string>& with_value,
                           const std::set<std::string>& flags);

/// An Admin from -b and -X (the shared client keys).
std::unique_ptr<admin::Admin> make_admin(const CommonOptions& options);

/// Writes "error": message or null.
void write_error(JsonWriter& json, const admin::ItemError& error);

/// Parses "k=v" config arguments into a map; UsageError on a missing '='.
std::map<std::string, std::string> parse_configs(const std::vector<std::string>& items);

}  // namespace kwire::cli
