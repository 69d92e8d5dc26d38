// SCRAM users made with kwire (AlterUserScramCredentials, KIP-554): a user
// created by `kwire users alter` authenticates over SASL_SSL with
// SCRAM-SHA-256 (the broker derived its keys from the salted password kwire
// sent), a wrong password does not, and after `--delete` the user no longer
// authenticates. Admin::alter_user_scram_credentials answers per user.
#include <doctest/doctest.h>

#include <string>

#include <kwire/admin/admin.hpp>
#include <kwire/protocol/kafka_error.hpp>

#include "secure_support.hpp"
#include "support.hpp"

using kwire::test::env_var;
using kwire::test::Properties;
using kwire::test::run_command;
using kwire::test::sasl_properties;
using kwire::test::shell_quote;

namespace {

/// The user's DescribeCluster over SASL_SSL SCRAM-SHA-256: empty if it
/// authenticated, else the failure.
std::string authenticate(const std::string& user, const std::string& password) {
  Properties p = sasl_properties("SASL_SSL", "SCRAM-SHA-256", user, password);
  p["bootstrap.servers"] = env_var("KWIRE_BOOTSTRAP_SASL_SSL");
  p["request.timeout.ms"] = "5000";
  try {
    kwire::admin::Admin admin(kwire::cluster::ClientConfig::from_properties(p));
    const auto cluster = admin.describe_cluster();
    return cluster.brokers.empty() ? "no brokers" : "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

std::string cli() { return shell_quote(kwire::test::kwire_cli()) + " "; }

}  // namespace

TEST_CASE("admin: a SCRAM user created by kwire authenticates with its password; deleted, it no longer does") {
  const std::string user = kwire::test::unique_topic("kwire-user");
  const std::string password = "p4ss-" + user;
  const std::string bootstrap = " -b " + shell_quote(kwire::test::broker_env().bootstrap()) + " ";

  auto created = run_command(cli() + "users alter" + bootstrap + shell_quote(user) + " --password " +
                             shell_quote(password) + " --iterations 8192");
  CHECK(created.exit_code == 0);
  CHECK(created.output == "Set SCRAM-SHA-256 for user " + user + ".\n");

  auto described = run_command(cli() + "users describe" + bootstrap + shell_quote(user) + " --json");
  CHECK(described.exit_code == 0);
  CHECK(described.output.find("\"mechanism\":\"SCRAM-SHA-256\",\"iterations\":8192") != std::string::npos);

  // SCRAM credentials reach every broker through the metadata log a moment
  // after the controller answers.
  std::string failure;
  for (int i = 0; i < 50; ++i) {
    failure = authenticate(user, password);
    if (failure.empty()) break;
  }
  CHECK_MESSAGE(failure.empty(), failure);
  const std::string wrong = authenticate(user, password + "-wrong");
  CHECK(wrong.find("SASL authentication failed") != std::string::npos);
  INFO(wrong);

  // Per-user answers through the API: an unknown mechanism is refused
  // locally, deleting a mechanism the user lacks is the broker's per-user error.
  kwire::admin::Admin admin(kwire::cluster::ClientConfig::from_properties({{"bootstrap.servers", kwire::test::broker_env().bootstrap()}}));
  auto refused = admin.alter_user_scram_credentials({{user, password, "SCRAM-MD5", 4096}});
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].error.error == kwire::errc::unsupported_sasl_mechanism);
  auto missing = admin.alter_user_scram_credentials({}, {{user, "SCRAM-SHA-512"}});
  REQUIRE(missing.size() == 1);
  CHECK(missing[0].user == user);
  CHECK(missing[0].error.error == kwire::errc::resource_not_found);

  auto deleted = run_command(cli() + "users alter" + bootstrap + shell_quote(user) + " --delete");
  CHECK(deleted.exit_code == 0);
  CHECK(deleted.output == "Deleted SCRAM-SHA-256 for user " + user + ".\n");
  std::string after;
  for (int i = 0; i < 50; ++i) {
    after = authenticate(user, password);
    if (!after.empty()) break;
  }
  CHECK(after.find("SASL authentication failed") != std::string::npos);
  INFO(after);
}
