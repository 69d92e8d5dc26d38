// Records and users: DeleteRecords and DescribeUserScramCredentials.
#include <algorithm>
#include <cctype>

#include "kwire/admin/translate.hpp"
#include "kwire/protocol/client_error.hpp"
#include "kwire/protocol/kafka_error.hpp"

namespace kwire::admin::translate {

protocol::DeleteRecordsRequest delete_records_request(const std::vector<PartitionOffset>& before,
                                                      std::int32_t timeout_ms) {
  protocol::DeleteRecordsRequest request;
  request.timeout_ms = timeout_ms;
  for (const auto& p : before) {
    auto it = std::find_if(request.topics.begin(), request.topics.end(),
                           [&](const auto& t) { return t.name == p.partition.topic; });
    if (it == request.topics.end()) {
      request.topics.push_back({});
      it = std::prev(request.topics.end());
      it->name = p.partition.topic;
    }
    it->partitions.push_back({p.partition.partition, p.offset, {}});
  }
  return request;
}

std::vector<PartitionOffset> delete_records_results(const protocol::DeleteRecordsResponse& response,
                                                    const std::vector<PartitionOffset>& requested) {
  std::vector<PartitionOffset> results;
  for (const auto& wanted : requested) {
    PartitionOffset& result = results.emplace_back();
    result.partition = wanted.partition;
    result.error = {make_error_code(client_errc::malformed), "the broker's answer does not mention the partition"};
    for (const auto& t : response.topics)
      for (const auto& p : t.partitions)
        if (t.name == wanted.partition.topic && p.partition_index == wanted.partition.partition) {
          result.offset = p.low_watermark;
          result.error = item_error(p.error_code, std::nullopt);
        }
  }
  return results;
}

protocol::DescribeUserScramCredentialsRequest describe_scram_request(const std::vector<std::string>& users) {
  protocol::DescribeUserScramCredentialsRequest request;
  if (!users.empty()) {
    request.users.emplace();
    for (const auto& user : users) request.users->push_back({user, {}});
  }
  return request;
}

namespace {

std::string mechanism_name(protocol::ScramMechanism mechanism) {
  switch (mechanism) {
    case protocol::ScramMechanism::sha_256: return "SCRAM-SHA-256";
    case protocol::ScramMechanism::sha_512: return "SCRAM-SHA-512";
    default: return "UNKNOWN";
  }
}

}  // namespace

std::vector<UserScramCredentials> scram_descriptions(const protocol::DescribeUserScramCredentialsResponse& response,
                                                     const std::vector<std::string>& requested) {
  std::vector<UserScramCredentials> out;
  if (response.error_code != kwire::errc::none) {
    for (const auto& user : requested)
      out.push_back({user, {}, item_error(response.error_code, response.error_message)});
    return out;
  }
  for (const auto& r : response.results) {
    UserScramCredentials& user = out.emplace_back();
    user.user = r.user;
    user.error = item_error(r.error_code, r.error_message);
    for (const auto& c : r.credential_infos) user.credentials.push_back({mechanism_name(c.mechanism), c.iterations});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.user < b.user; });
  return out;
}

protocol::ScramMechanism scram_mechanism(std::string_view name) {
  auto equals = [name](std::string_view want) {
    return name.size() == want.size() && std::equal(name.begin(), name.end(), want.begin(), [](char a, char b) {
             return std::toupper(static_cast<unsigned char>(a)) == b;
           });
  };
  if (equals("SCRAM-SHA-256")) return protocol::ScramMechanism::sha_256;
  if (equals("SCRAM-SHA-512")) return protocol::ScramMechanism::sha_512;
  return protocol::ScramMechanism::unknown;
}

std::vector<ScramAlterationResult> scram_alteration_results(const protocol::AlterUserScramCredentialsResponse& response) {
  std::vector<ScramAlterationResult> out;
  for (const auto& r : response.results) out.push_back({r.user, item_error(r.error_code, r.error_message)});
  return out;
}

}  // namespace kwire::admin::translate
