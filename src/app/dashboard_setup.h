#pragma once
// serve's dashboard options turned into the dashboard's configuration.

#include <ostream>
#include <string>

#include "server/dashboard.h"

namespace tw::app {

/// The dashboard's settings from --dashboard-token / --dashboard-token-file and
/// --listen. Throws std::invalid_argument (both token options, an unreadable or
/// empty token file, an unusable token). Warns on `err` when the listener is not
/// a loopback address and no token is set: then anyone who reaches it sees every call.
server::DashboardConfig dashboard_config(const std::string& token, const std::string& token_file,
                                         const std::string& listen, std::ostream& err);

/// The token in a file: its first line, without surrounding white space.
std::string read_token_file(const std::string& path);

}  // namespace tw::app
