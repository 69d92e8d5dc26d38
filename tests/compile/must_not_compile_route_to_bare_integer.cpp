// A node id is its own type (kwire/ids.hpp): an int — a partition index, a
// transport id — cannot be routed to as if it named a broker.
#include <kwire/cluster/cluster.hpp>

kwire::cluster::Route route_to_partition_number() { return kwire::cluster::Route::node(3); }
