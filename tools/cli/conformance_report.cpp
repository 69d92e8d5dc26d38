// The conformance report as a table for people and as JSON for machines.
#include <algorithm>
#include <cstdio>

#include "conformance.hpp"
#include "json.hpp"

namespace kwire::cli::conformance {
namespace {

const char* mark(Status s) {
  switch (s) {
    case Status::pass: return "ok";
    case Status::fail: return "FAIL";
    case Status::not_offered: return "-";
  }
  return "?";
}

std::string range_text(std::int16_t min, std::int16_t max) {
  if (min < 0) return "-";
  return std::to_string(min) + "-" + std::to_string(max);
}

std::string line(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

/// A cell of the version matrix ("versions" group, and the admin group's
/// per-version cells), listed on its own line only when it failed.
bool is_version_cell(const Cell& c) { return c.group == "versions" || c.group == "admin"; }

}  // namespace

std::string format_table(const Report& r) {
  std::string out;
  out += "kwire conformance: " + r.bootstrap + " (" + r.security_protocol +
         (r.sasl_mechanism.empty() ? "" : " " + r.sasl_mechanism) + ")" +
         (r.topic.empty() ? "" : ", topic " + r.topic) + "\n";

  // The version matrix: one line per API, one mark per version.
  if (!r.apis.empty()) {
    out += "\nAPI versions (ok = exercised and checked, FAIL = see below, - = not advertised)\n";
    out += line("  %-23s %-9s %-9s %s\n", "api", "endpoint", "kwire", "versions");
    for (const auto& api : r.apis) {
      std::string marks;
      for (std::int16_t v = api.kwire_min; v <= api.kwire_max; ++v) {
        const std::string name = api.name + " v" + std::to_string(v);
        auto cell = std::find_if(r.cells.begin(), r.cells.end(),
                                 [&](const Cell& c) { return is_version_cell(c) && c.name == name; });
        marks += " v" + std::to_string(v) + ":" + (cell == r.cells.end() ? "?" : mark(cell->status));
      }
      out += line("  %-23s %-9s %-9s%s\n", api.name.c_str(), range_text(api.broker_min, api.broker_max).c_str(),
                  range_text(api.kwire_min, api.kwire_max).c_str(), marks.c_str());
    }
  }

  // Every other cell on its own line; version cells only when they failed.
  std::string group;
  for (const auto& c : r.cells) {
    if (is_version_cell(c) && c.status != Status::fail) continue;
    if (c.group != group) {
      group = c.group;
      out += "\n" + group + "\n";
    }
    out += line("  %-12s %-32s ", std::string(status_name(c.status)).c_str(), c.name.c_str()) + c.detail + "\n";
  }
  out += line("\n%zu pass, %zu fail, %zu not offered in %.1f s\n", r.count(Status::pass), r.count(Status::fail),
              r.count(Status::not_offered), r.seconds);
  return out;
}

std::string format_json(const Report& r) {
  JsonWriter json;
  json.begin_object()
      .key("bootstrap").value(r.bootstrap)
      .key("security_protocol").value(r.security_protocol)
      .key("sasl_mechanism").value(r.sasl_mechanism)
      .key("topic").value(r.topic)
      .key("seconds").value(r.seconds)
      .key("ok").value(r.ok());
  json.key("summary").begin_object()
      .key("pass").value(static_cast<std::int64_t>(r.count(Status::pass)))
      .key("fail").value(static_cast<std::int64_t>(r.count(Status::fail)))
      .key("not_offered").value(static_cast<std::int64_t>(r.count(Status::not_offered)))
      .end_object();
  json.key("apis").begin_array();
  for (const auto& a : r.apis) {
    json.begin_object().key("key").value(static_cast<std::int64_t>(a.key)).key("name").value(a.name);
    json.key("endpoint_min").value(static_cast<std::int64_t>(a.broker_min));
    json.key("endpoint_max").value(static_cast<std::int64_t>(a.broker_max));
    json.key("kwire_min").value(static_cast<std::int64_t>(a.kwire_min));
    json.key("kwire_max").value(static_cast<std::int64_t>(a.kwire_max));
    json.key("exercised").begin_array();
    for (auto v : a.exercised) json.value(static_cast<std::int64_t>(v));
    json.end_array().key("passed").begin_array();
    for (auto v : a.passed) json.value(static_cast<std::int64_t>(v));
    json.end_array().end_object();
  }
  json.end_array();
  json.key("cells").begin_array();
  for (const auto& c : r.cells) {
    json.begin_object()
        .key("group").value(c.group)
        .key("name").value(c.name)
        .key("status").value(c.status == Status::not_offered ? "not_offered" : std::string(status_name(c.status)))
        .key("detail").value(c.detail);
    if (c.first_offset >= 0) {
      json.key("topic").value(c.topic)
          .key("partition").value(static_cast<std::int64_t>(c.partition))
          .key("first_offset").value(c.first_offset)
          .key("end_offset").value(c.end_offset);
      if (!c.record_set.empty()) json.key("record_set").value(c.record_set);
    }
    json.end_object();
  }
  json.end_array().end_object();
  return json.str();
}

}  // namespace kwire::cli::conformance
