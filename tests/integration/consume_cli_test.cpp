// `kwire consume` (the single-partition reader) against a real Apache Kafka
// broker, checked against kcat (librdkafka): what kcat produced in every
// codec is read byte for byte; offsets, counts, JSON, base64 and errors.
#include <doctest/doctest.h>

#include <string>

#include "support.hpp"

using kwire::test::broker_env;
using kwire::test::consume_with_kcat;
using kwire::test::run_command;
using kwire::test::shell_quote;
using kwire::test::unique_topic;

namespace {

std::string cli() { return shell_quote(kwire::test::kwire_cli()); }

}  // namespace

TEST_CASE("kwire consume reads what kcat produced, in every codec, byte for byte") {
  const std::string bootstrap = broker_env().bootstrap();
  for (const char* codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    CAPTURE(codec);
    const std::string topic = unique_topic(std::string("kwire-consume-") + codec);
    // kcat -K: splits key and value; -H adds headers to every record.
    auto produced = run_command("printf 'k1:first\\nk2:second\\n:empty key\\nk4:\\n' | kcat -P -b " +
                                shell_quote(bootstrap) + " -t " + shell_quote(topic) +
                                " -p 0 -K : -H h1=a -H h2= -z " + codec);
    REQUIRE(produced.exit_code == 0);

    auto formatted = run_command(cli() + " consume -b " + shell_quote(bootstrap) + " -t " + shell_quote(topic) +
                                 " -e -f '%o|%k|%K|%s|%S|%h\\n' 2>/dev/null");
    CHECK(formatted.exit_code == 0);
    CHECK(formatted.output ==
          "0|k1|2|first|5|h1=a,h2=\n"
          "1|k2|2|second|6|h1=a,h2=\n"
          "2||0|empty key|9|h1=a,h2=\n"
          "3|k4|2||0|h1=a,h2=\n");

    // Cross-check offsets and timestamps with kcat's own view.
    auto theirs = consume_with_kcat(topic, 0, 4);
    REQUIRE(theirs.size() == 4);
    auto ts = run_command(cli() + " consume -b " + shell_quote(bootstrap) + " -t " + shell_quote(topic) +
                          " -e -f '%T\\n' 2>/dev/null");
    std::string expected_ts;
    for (const auto& r : theirs) expected_ts += std::to_string(r.timestamp_ms) + "\n";
    CHECK(ts.output == expected_ts);
  }
}

TEST_CASE("kwire consume: offsets, counts, JSON and base64") {
  const std::string bootstrap = broker_env().bootstrap();
  const std::string topic = unique_topic("kwire-consume-options");
  REQUIRE(run_command("printf 'a\\nb\\nc\\nd\\n' | kcat -P -b " + shell_quote(bootstrap) + " -t " +
                      shell_quote(topic) + " -p 0")
              .exit_code == 0);
  const std::string base = cli() + " consume -b " + shell_quote(bootstrap) + " -t " + shell_quote(topic) + " -e";

  CHECK(run_command(base + " 2>/dev/null").output == "a\nb\nc\nd\n");
  CHECK(run_command(base + " -o 2 2>/dev/null").output == "c\nd\n");
  CHECK(run_command(base + " -o -1 2>/dev/null").output == "d\n");
  CHECK(run_command(base + " -o end 2>/dev/null").output.empty());
  CHECK(run_command(base + " -c 2 2>/dev/null").output == "a\nb\n");
  CHECK(run_command(base + " -o beginning -c 0 2>/dev/null").output.empty());

  auto json = run_command(base + " --json -c 1 2>/dev/null");
  CHECK(json.output.find("\"offset\":0,") != std::string::npos);
  CHECK(json.output.find("\"key\":null,\"value\":\"a\"") != std::string::npos);
  CHECK(json.output.find("\"timestamp_type\":\"create\"") != std::string::npos);
  auto b64 = run_command(base + " --json --base64 -o 3 2>/dev/null");
  CHECK(b64.output.find("\"value\":\"ZA==\"") != std::string::npos);  // "d"

  // Errors: a missing topic, an offset past the end, a bad option.
  auto missing = run_command(cli() + " consume -b " + shell_quote(bootstrap) + " -t " +
                             shell_quote(unique_topic("kwire-consume-missing")) + " -e 2>&1");
  CHECK(missing.exit_code == 1);
  CHECK(missing.output.find("UNKNOWN_TOPIC_OR_PARTITION") != std::string::npos);
  auto past = run_command(base + " -o 100 2>&1");
  CHECK(past.exit_code == 1);
  CHECK(past.output.find("OFFSET_OUT_OF_RANGE") != std::string::npos);
  CHECK(run_command(base + " -o sideways 2>/dev/null").exit_code == 2);
}
