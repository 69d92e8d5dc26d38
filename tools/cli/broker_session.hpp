#pragma once
// How the CLI's one-shot commands reach a broker: the -X properties checked
// as a client configuration, and a BlockingClient over the bootstrap list.
#include <kwire/net/blocking_client.hpp>
#include <kwire/producer/config.hpp>

namespace kwire::cli {

struct CommonOptions;

/// The client configuration a command runs with: every -X property, with
/// -b as bootstrap.servers. Unknown keys and bad values throw ConfigError.
producer::ProducerConfig client_config(const CommonOptions& options);

/// A blocking client that tries each bootstrap broker in turn.
net::BlockingClient make_client(const producer::ProducerConfig& config);

}  // namespace kwire::cli
