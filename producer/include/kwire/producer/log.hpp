#pragma once
// The producer's logging types are the cluster layer's (kwire/cluster/log.hpp):
// one set of levels, categories and handlers for every kwire client.
#include "kwire/cluster/log.hpp"
#include "kwire/export.hpp"

KWIRE_PUBLIC_BEGIN

namespace kwire::producer {

using cluster::contains;
using cluster::kAllLogCategories;
using cluster::kNoLogCategories;
using cluster::LogCategories;
using cluster::LogCategory;
using cluster::LogHandler;
using cluster::Logger;
using cluster::LogLevel;
using cluster::parse_log_categories;
using cluster::silent_log_handler;
using cluster::stderr_log_handler;
using cluster::to_string;
using cluster::operator|;

}  // namespace kwire::producer

KWIRE_PUBLIC_END
