#include "admin_args.hpp"

#include <charconv>

#include "broker_session.hpp"

namespace kwire::cli {

std::optional<std::string> AdminArgs::value(const std::string& name) const {
  const auto it = values.find(name);
  if (it == values.end() || it->second.empty()) return std::nullopt;
  return it->second.back();
}

std::int64_t AdminArgs::integer(const std::string& name, std::optional<std::int64_t> fallback) const {
  const auto text = value(name);
  if (!text) {
    if (fallback) return *fallback;
    throw UsageError(name + " is required");
  }
  std::int64_t n = 0;
  const auto* end = text->data() + text->size();
  const auto [ptr, ec] = std::from_chars(text->data() + (text->starts_with('+') ? 1 : 0), end, n);
  if (ec != std::errc() || ptr != end) throw UsageError(name + " expects an integer, got '" + *text + "'");
  return n;
}

const std::vector<std::string>& AdminArgs::all(const std::string& name) const {
  static const std::vector<std::string> none;
  const auto it = values.find(name);
  return it == values.end() ? none : it->second;
}

AdminArgs parse_admin_args(int argc, char** argv, const std::set<std::string>& with_value,
                           const std::set<std::string>& flags) {
  AdminArgs args;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (with_value.count(arg)) {
      if (i + 1 >= argc) throw UsageError("option " + arg + " needs a value");
      args.values[arg].push_back(argv[++i]);
    } else if (flags.count(arg)) {
      args.flags.insert(arg);
    } else {
      rest.push_back(argv[i]);
    }
  }
  std::map<char, std::vector<std::string>> unused;
  args.common = parse_options(static_cast<int>(rest.size()), rest.data(), "", unused);
  return args;
}

std::unique_ptr<admin::Admin> make_admin(const CommonOptions& options) {
  return std::make_unique<admin::Admin>(client_config(options));
}

void write_error(JsonWriter& json, const admin::ItemError& error) {
  json.key("error");
  if (error.ok())
    json.null();
  else
    json.value(error.message());
}

std::map<std::string, std::string> parse_configs(const std::vector<std::string>& items) {
  std::map<std::string, std::string> configs;
  for (const auto& item : items) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0) throw UsageError("--config expects key=value, got '" + item + "'");
    configs[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return configs;
}

}  // namespace kwire::cli
