#pragma once
// How the CLI's one-shot commands reach a broker: the -X properties checked
// as a client configuration, and a BlockingClient over the bootstrap list.
#include <kwire/net/blocking_client.hpp>
#include <kwire/cluster/client_config.hpp>
#include <kwire/producer/config.hpp>

namespace kwire::cli {

struct CommonOptions;

/// The client configuration a command that is not a producer runs with
/// (metadata, api-versions, consume): every -X property, with -b as
/// bootstrap.servers. Unknown keys and bad values throw ConfigError.
cluster::ClientConfig client_config(const CommonOptions& options);

/// The same for the commands that produce (produce, perf): the producer's
/// keys are accepted too.
producer::ProducerConfig producer_config(const CommonOptions& options);

/// A blocking client that tries each bootstrap broker in turn.
net::BlockingClient make_client(const cluster::ClientConfig& config);

/// Why `client.connect()` failed with `ec`: the error's name, then the
/// connection's own detail when it has one (the OS reason, the TLS or SASL
/// refusal), e.g. "no broker reachable: 127.0.0.1:1: connection refused".
std::string connect_failure(const net::BlockingClient& client, std::error_code ec);

}  // namespace kwire::cli
