#pragma once
// Real-broker seeds for the transaction API targets (fuzz/add_partitions_to_txn.cpp,
// fuzz/end_txn.cpp, …): a real transactional exchange, stored as
// fuzz/corpus/<api>/<Api>-v<N>-{request,response}[-what]-real in
// message_pair.hpp's input format, plus hand-made seeds for what a broker
// does not send unprompted (the broker-to-broker AddPartitionsToTxn batch,
// unknown tags, KIP-939 fields).
#include <string>

#include "capture_client.hpp"

namespace kwire::capture {

/// Runs transactions against `broker` (a single-node KRaft broker, as
/// tests/broker/kafka-broker starts, so it is every coordinator and the
/// leader of `topic`): FindCoordinator → InitProducerId → AddPartitionsToTxn
/// → Produce → AddOffsetsToTxn → TxnOffsetCommit → EndTxn at every client
/// version the broker takes (transaction version 1, then 2 where the broker
/// serves EndTxn v5), DescribeProducers / ListTransactions /
/// DescribeTransactions while a transaction is open, and a KIP-664 abort by
/// WriteTxnMarkers. Throws on a failed exchange.
void capture_transactions(Broker& broker, const std::string& topic);

}  // namespace kwire::capture
