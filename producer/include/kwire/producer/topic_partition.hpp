#pragma once
// TopicPartition is the cluster layer's (kwire/cluster/topic_partition.hpp).
#include "kwire/cluster/topic_partition.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::producer {

using cluster::TopicPartition;
using cluster::TopicPartitionHash;

}  // namespace kwire::producer

KWIRE_PUBLIC_END
