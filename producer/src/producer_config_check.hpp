#pragma once
// Shared by the producer's property table (config.cpp) and validate()
// (config_validate.cpp); not part of the public API.
#include "kwire/producer/config.hpp"

namespace kwire::producer::detail {

/// Re-parses every checked producer field through its property setter
/// (range checks, normalisation), so that a config filled in directly from
/// C++ gets the same checks as one parsed. ClientConfig::validate() does the
/// same for the client fields.
void recheck_fields(ProducerConfig& config);

}  // namespace kwire::producer::detail
