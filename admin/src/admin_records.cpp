// Admin: offsets, record deletion and SCRAM users.
#include "channel.hpp"
#include "kwire/admin/translate.hpp"

namespace kwire::admin {

std::vector<PartitionOffset> Admin::list_offsets(const std::vector<TopicPartition>& partitions, std::int64_t timestamp,
                                                 bool read_committed) {
  std::vector<PartitionOffset> out;
  // One request per partition, each to its leader (the facade will batch by
  // leader); a partition that fails does not fail the others.
  for (const auto& tp : partitions) {
    PartitionOffset& result = out.emplace_back();
    result.partition = tp;
    try {
      auto request = translate::list_offsets_request({tp}, timestamp);
      if (read_committed) request.isolation_level = protocol::IsolationLevel::read_committed;
      protocol::ListOffsetsResponse response;
      channel_->call({Destination::Kind::leader, {}, tp}, request, response);
      const auto answers = translate::offsets(response);
      if (const auto it = answers.find(tp); it != answers.end()) {
        result.offset = it->second.offset;
        result.error = it->second.error;
      } else {
        result.error = {make_error_code(client_errc::malformed), "the broker's answer does not mention the partition"};
      }
    } catch (const AdminError& e) {
      result.error = {e.code(), e.what()};
    }
  }
  return out;
}

std::vector<PartitionOffset> Admin::delete_records(const std::vector<PartitionOffset>& before, std::int32_t timeout_ms) {
  std::vector<PartitionOffset> out;
  for (const auto& item : before) {
    try {
      protocol::DeleteRecordsResponse response;
      channel_->call({Destination::Kind::leader, {}, item.partition},
                     translate::delete_records_request({item}, timeout_ms), response);
      out.push_back(translate::delete_records_results(response, {item}).front());
    } catch (const AdminError& e) {
      out.push_back({item.partition, -1, {e.code(), e.what()}});
    }
  }
  return out;
}

std::vector<UserScramCredentials> Admin::describe_user_scram_credentials(const std::vector<std::string>& users) {
  protocol::DescribeUserScramCredentialsResponse response;
  channel_->call({}, translate::describe_scram_request(users), response);
  return translate::scram_descriptions(response, users);
}

}  // namespace kwire::admin
