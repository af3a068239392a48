// Readiness checks against this machine (internal to the runtime).
#pragma once

#include <string>

#include "base/time.h"

namespace skiff::runtime::internal {

// Connects to address:port (an IPv4 address of this host: 127.0.0.1 or a
// pod's IP) within `timeout`; with `http`, also sends GET http_path and
// wants a 200-399 status, as Kubernetes' httpGet probe.
bool probe_local_port(const std::string& address, int port, bool http, const std::string& http_path,
                      Duration timeout);

}  // namespace skiff::runtime::internal
