#pragma once
// One function per kwire subcommand; each returns the process exit code.
namespace kwire::cli {

int run_api_versions(int argc, char** argv);
int run_metadata(int argc, char** argv);
int run_produce(int argc, char** argv);
int run_copy(int argc, char** argv);
int run_consume(int argc, char** argv);
int run_conformance(int argc, char** argv);
int run_perf(int argc, char** argv);
int run_dump_log(int argc, char** argv);
int run_topics(int argc, char** argv);
int run_configs(int argc, char** argv);
int run_cluster(int argc, char** argv);
int run_groups(int argc, char** argv);
int run_users(int argc, char** argv);
int run_transactions(int argc, char** argv);

}  // namespace kwire::cli
