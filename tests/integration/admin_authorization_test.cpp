// kwire::admin against a broker with an authorizer (the harness runs
// StandardAuthorizer with no ACLs: every principal of the other tests is a
// super user, its second SASL user has no privilege at all). The
// unprivileged user's topic and group operations fail per item with the
// broker's *_AUTHORIZATION_FAILED code and a detail naming it; the same
// calls by the privileged user succeed, so the denial is the authorizer's.
#include <doctest/doctest.h>

#include <string>

#include <kwire/admin/admin.hpp>
#include <kwire/protocol/kafka_error.hpp>

#include "secure_support.hpp"
#include "support.hpp"

using kwire::test::broker_env;
using kwire::test::env_var;
using kwire::test::has_env_vars;
using kwire::test::Properties;
using kwire::test::sasl_properties;
using kwire::test::unique_topic;

namespace {

kwire::admin::Admin sasl_admin(const std::string& user, const std::string& password) {
  Properties p = sasl_properties("SASL_SSL", "SCRAM-SHA-256", user, password);
  p["bootstrap.servers"] = env_var("KWIRE_BOOTSTRAP_SASL_SSL");
  p["request.timeout.ms"] = "10000";
  return kwire::admin::Admin(kwire::cluster::ClientConfig::from_properties(p));
}

kwire::admin::NewTopic new_topic(const std::string& name) {
  kwire::admin::NewTopic t;
  t.name = name;
  t.partitions = 1;
  t.replication_factor = 1;
  return t;
}

}  // namespace

TEST_CASE("admin: an unprivileged SASL user is refused per item (topic, cluster and group authorization)") {
  if (!has_env_vars({"KWIRE_BOOTSTRAP_SASL_SSL", "KWIRE_SASL_UNPRIVILEGED_USERNAME", "KWIRE_SASL_UNPRIVILEGED_PASSWORD"})) {
    // An external broker (KWIRE_BOOTSTRAP given) may have no such user;
    // the harness always does.
    if (broker_env().managed()) FAIL("the broker harness does not export the unprivileged SASL user");
    MESSAGE("no unprivileged SASL user on this endpoint: authorization not checked");
    return;
  }
  const std::string topic = unique_topic("kwire-admin-denied");
  auto mallory = sasl_admin(env_var("KWIRE_SASL_UNPRIVILEGED_USERNAME"), env_var("KWIRE_SASL_UNPRIVILEGED_PASSWORD"));
  auto alice = sasl_admin("", "");  // the harness's privileged user

  // CreateTopics: no Create on the cluster or the topic.
  auto created = mallory.create_topics({new_topic(topic)});
  REQUIRE(created.size() == 1);
  CHECK(created[0].name == topic);
  CHECK(created[0].error.error == kwire::errc::topic_authorization_failed);
  INFO(created[0].error.message());
  CHECK(created[0].error.message().find("TOPIC_AUTHORIZATION_FAILED") != std::string::npos);

  // The topic exists (made by alice); mallory may not delete it.
  auto made = alice.create_topics({new_topic(topic)});
  REQUIRE(made.size() == 1);
  REQUIRE_MESSAGE(made[0].error.ok(), made[0].error.message());
  auto deleted = mallory.delete_topics({topic});
  REQUIRE(deleted.size() == 1);
  CHECK(deleted[0].error.error == kwire::errc::topic_authorization_failed);
  CHECK(deleted[0].error.message().find("TOPIC_AUTHORIZATION_FAILED") != std::string::npos);

  // Groups: finding the coordinator already needs Describe on the group.
  auto groups = mallory.describe_groups({"kwire-admin-denied-group"});
  REQUIRE(groups.size() == 1);
  CHECK(groups[0].error.error == kwire::errc::group_authorization_failed);
  INFO(groups[0].error.message());
  CHECK(groups[0].error.message().find("GROUP_AUTHORIZATION_FAILED") != std::string::npos);
  auto group_deleted = mallory.delete_groups({"kwire-admin-denied-group"});
  REQUIRE(group_deleted.size() == 1);
  CHECK(group_deleted[0].error == kwire::errc::group_authorization_failed);

  // Cluster-level: broker configs need DescribeConfigs on the cluster.
  kwire::admin::ConfigResource broker{kwire::admin::ConfigResourceType::broker, "1"};
  auto configs = mallory.describe_configs({broker});
  REQUIRE(configs.size() == 1);
  CHECK(configs[0].error.error == kwire::errc::cluster_authorization_failed);
  CHECK(configs[0].error.message().find("CLUSTER_AUTHORIZATION_FAILED") != std::string::npos);

  // The privileged user may do all of it.
  auto alice_deleted = alice.delete_topics({topic});
  REQUIRE(alice_deleted.size() == 1);
  CHECK_MESSAGE(alice_deleted[0].error.ok(), alice_deleted[0].error.message());
}
