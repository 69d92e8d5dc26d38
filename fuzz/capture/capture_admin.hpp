#pragma once
// Real-broker seeds for the admin API targets (fuzz/create_topics.cpp, …):
// each request sent at every version the broker takes, stored with the
// broker's answer as fuzz/corpus/<api>/<Api>-v<N>-{request,response}-real
// in message_pair.hpp's input format, plus hand-made seeds for what a
// broker does not send unprompted (unknown tags, rare fields).
#include "capture_client.hpp"

namespace kwire::capture {

/// Runs every admin exchange against `broker` (a KRaft broker that is also
/// the controller, as tests/broker/kafka-broker starts); creates and deletes
/// its own topics and a SCRAM user. Throws on a failed exchange.
void capture_admin(Broker& broker);

}  // namespace kwire::capture
