// kwire users describe|alter (kafka-configs --entity-type users with SCRAM
// credentials, KIP-554): which mechanisms each user has, and setting or
// removing one mechanism's password. The password is salted and hashed here;
// only the salted password goes to the broker.
#include <cstdio>
#include <string>

#include "admin_args.hpp"
#include "commands.hpp"

namespace kwire::cli {

namespace {

int describe_users(const AdminArgs& args) {
  const auto users = make_admin(args.common)->describe_user_scram_credentials(args.common.positional);
  int status = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& u : users) {
    if (!u.error.ok()) status = 1;
    if (args.common.json) {
      json.begin_object().key("user").value(u.user).key("credentials").begin_array();
      for (const auto& c : u.credentials)
        json.begin_object().key("mechanism").value(c.mechanism)
            .key("iterations").value(static_cast<std::int64_t>(c.iterations)).end_object();
      json.end_array();
      write_error(json, u.error);
      json.end_object();
      continue;
    }
    if (!u.error.ok()) {
      std::fprintf(stderr, "Error for user %s: %s\n", u.user.c_str(), u.error.message().c_str());
      continue;
    }
    std::printf("%s", u.user.c_str());
    for (const auto& c : u.credentials) std::printf(" %s(iterations=%d)", c.mechanism.c_str(), c.iterations);
    std::printf("\n");
  }
  if (args.common.json) std::printf("%s\n", json.end_array().str().c_str());
  return status;
}

int alter_users(const AdminArgs& args) {
  if (args.common.positional.empty()) throw UsageError("users alter needs USER ...");
  const std::string mechanism = args.value("--mechanism").value_or("SCRAM-SHA-256");
  const bool remove = args.has("--delete");
  const auto password = args.value("--password");
  if (remove == password.has_value()) throw UsageError("users alter needs exactly one of --password P and --delete");
  std::vector<admin::ScramUpsertion> upsertions;
  std::vector<admin::ScramDeletion> deletions;
  for (const auto& user : args.common.positional) {
    if (remove) {
      deletions.push_back({user, mechanism});
    } else {
      upsertions.push_back({user, *password, mechanism, static_cast<std::int32_t>(args.integer("--iterations", 4096))});
    }
  }
  const auto results = make_admin(args.common)->alter_user_scram_credentials(upsertions, deletions);
  int status = 0;
  JsonWriter json;
  json.begin_array();
  for (const auto& r : results) {
    if (!r.error.ok()) status = 1;
    if (args.common.json) {
      json.begin_object().key("user").value(r.user);
      write_error(json, r.error);
      json.end_object();
    } else if (r.error.ok()) {
      std::printf("%s %s for user %s.\n", remove ? "Deleted" : "Set", mechanism.c_str(), r.user.c_str());
    } else {
      std::fprintf(stderr, "Error for user %s: %s\n", r.user.c_str(), r.error.message().c_str());
    }
  }
  if (args.common.json) std::printf("%s\n", json.end_array().str().c_str());
  return status;
}

}  // namespace

int run_users(int argc, char** argv) {
  const std::string action = argc >= 1 ? argv[0] : "";
  if (action == "describe") return describe_users(parse_admin_args(argc - 1, argv + 1, {}, {}));
  if (action == "alter")
    return alter_users(parse_admin_args(argc - 1, argv + 1, {"--password", "--mechanism", "--iterations"}, {"--delete"}));
  throw UsageError("users needs an action: describe or alter");
}

}  // namespace kwire::cli
