// Admin: offsets, record deletion and SCRAM users.
#include <algorithm>

#include "channel.hpp"
#include "kwire/security/sasl_scram.hpp"
#include "kwire/admin/translate.hpp"

namespace kwire::admin {

std::vector<PartitionOffset> Admin::list_offsets(const std::vector<TopicPartition>& partitions, std::int64_t timestamp,
                                                 bool read_committed) {
  using Req = protocol::ListOffsetsRequest;
  using Resp = protocol::ListOffsetsResponse;
  // One request per partition, all in flight at once, each to its leader; a
  // partition that fails does not fail the others.
  std::vector<std::future<cluster::Result<Resp>>> pending;
  for (const auto& tp : partitions) {
    auto request = translate::list_offsets_request({tp}, timestamp);
    if (read_committed) request.isolation_level = protocol::IsolationLevel::read_committed;
    pending.push_back(channel_->submit(Route::leader(tp), std::move(request), by_verdict<Req, Resp>()));
  }
  std::vector<PartitionOffset> out;
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    PartitionOffset& result = out.emplace_back();
    result.partition = partitions[i];
    try {
      const auto answers = translate::offsets(Channel::wait(pending[i], Req::api_key));
      if (const auto it = answers.find(partitions[i]); it != answers.end()) {
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
      using Req = protocol::DeleteRecordsRequest;
      using Resp = protocol::DeleteRecordsResponse;
      const auto response = channel_->call(Route::leader(item.partition), translate::delete_records_request({item}, timeout_ms),
                                           by_verdict<Req, Resp>());
      out.push_back(translate::delete_records_results(response, {item}).front());
    } catch (const AdminError& e) {
      out.push_back({item.partition, -1, {e.code(), e.what()}});
    }
  }
  return out;
}

std::vector<UserScramCredentials> Admin::describe_user_scram_credentials(const std::vector<std::string>& users) {
  return translate::scram_descriptions(channel_->call(Route::any_broker(), translate::describe_scram_request(users)),
                                      users);
}

std::vector<ScramAlterationResult> Admin::alter_user_scram_credentials(const std::vector<ScramUpsertion>& upsertions,
                                                                      const std::vector<ScramDeletion>& deletions) {
  std::vector<ScramAlterationResult> refused;
  protocol::AlterUserScramCredentialsRequest request;
  for (const auto& d : deletions) {
    const auto mechanism = translate::scram_mechanism(d.mechanism);
    if (mechanism == protocol::ScramMechanism::unknown) {
      refused.push_back({d.user, {make_error_code(kwire::errc::unsupported_sasl_mechanism), "unknown SCRAM mechanism '" + d.mechanism + "'"}});
      continue;
    }
    request.deletions.push_back({d.user, mechanism, {}});
  }
  for (const auto& u : upsertions) {
    const auto mechanism = translate::scram_mechanism(u.mechanism);
    if (mechanism == protocol::ScramMechanism::unknown) {
      refused.push_back({u.user, {make_error_code(kwire::errc::unsupported_sasl_mechanism), "unknown SCRAM mechanism '" + u.mechanism + "'"}});
      continue;
    }
    const auto algorithm = mechanism == protocol::ScramMechanism::sha_256 ? security::ScramAlgorithm::sha256
                                                                           : security::ScramAlgorithm::sha512;
    protocol::AlterUserScramCredentialsRequest::Upsertion upsertion;
    upsertion.name = u.user;
    upsertion.mechanism = mechanism;
    upsertion.iterations = u.iterations;
    upsertion.salt = security::ScramMechanism::random_salt();
    // A negative count is the broker's to refuse (it answers per user).
    upsertion.salted_password = security::ScramMechanism::salted_password(
        algorithm, u.password, upsertion.salt, static_cast<std::uint32_t>(std::max(u.iterations, 1)));
    request.upsertions.push_back(std::move(upsertion));
  }
  if (request.deletions.empty() && request.upsertions.empty()) return refused;
  std::vector<ScramAlterationResult> out;
  try {
    out = translate::scram_alteration_results(channel_->call(Route::controller(), request));
  } catch (const AdminError& e) {
    std::vector<std::string> users;
    for (const auto& d : request.deletions) users.push_back(d.name);
    for (const auto& u : request.upsertions) users.push_back(u.name);
    std::sort(users.begin(), users.end());
    users.erase(std::unique(users.begin(), users.end()), users.end());
    for (const auto& user : users) out.push_back({user, {e.code(), e.what()}});
  }
  out.insert(out.end(), refused.begin(), refused.end());
  return out;
}

}  // namespace kwire::admin
