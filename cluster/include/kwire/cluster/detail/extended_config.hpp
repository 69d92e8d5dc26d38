#pragma once
// Key lookup for the configs that extend ClientConfig (ProducerConfig,
// ConsumerConfig): the client's own table first, then the common client
// keys; and the one ConfigError for a key neither knows.
#include <span>
#include <string_view>
#include <vector>

#include "kwire/cluster/client_config.hpp"
#include "kwire/cluster/detail/config_parse.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::cluster::detail {

/// A key of `Config`'s own table (own_set), or else a common client key
/// (client_set, applied to the ClientConfig part).
template <class Config>
struct ExtendedKey {
  std::string_view canonical;  ///< empty when unknown
  typename KeyDef<Config>::Setter own_set = nullptr;
  typename KeyDef<ClientConfig>::Setter client_set = nullptr;
};

template <class Config>
ExtendedKey<Config> find_extended_key(std::span<const KeyDef<Config>> keys, std::span<const AliasDef<Config>> aliases,
                                      std::string_view key) noexcept {
  if (const Lookup<Config> own = lookup<Config>(keys, aliases, key); own.def) return {own.def->name, own.set, nullptr};
  if (const Lookup<ClientConfig> common = lookup(client_keys(), client_aliases(), key); common.def)
    return {common.def->name, nullptr, common.set};
  return {};
}

/// throw_unknown_key() with every name both tables accept as candidates and
/// both lists of refused keys.
template <class Config>
[[noreturn]] void throw_unknown_extended_key(std::string_view key, std::span<const KeyDef<Config>> keys,
                                             std::span<const AliasDef<Config>> aliases,
                                             std::span<const UnsupportedDef> own_unsupported) {
  std::vector<std::string_view> names;
  append_names<Config>(keys, aliases, names);
  append_names(client_keys(), client_aliases(), names);
  std::vector<UnsupportedDef> unsupported(own_unsupported.begin(), own_unsupported.end());
  for (const UnsupportedDef& u : client_unsupported()) unsupported.push_back(u);
  throw_unknown_key(key, unsupported, names);
}

}  // namespace kwire::cluster::detail

KWIRE_PUBLIC_END
