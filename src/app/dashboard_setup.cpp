#include "app/dashboard_setup.h"

#include <fstream>
#include <stdexcept>

#include "net/http_server.h"

namespace tw::app {

std::string read_token_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--dashboard-token-file: cannot read " + path);
  std::string line;
  std::getline(in, line);
  const std::size_t first = line.find_first_not_of(" \t\r\n");
  const std::size_t last = line.find_last_not_of(" \t\r\n");
  if (first == std::string::npos) throw std::invalid_argument("--dashboard-token-file: " + path + " holds no token on its first line");
  return line.substr(first, last - first + 1);
}

server::DashboardConfig dashboard_config(const std::string& token, const std::string& token_file,
                                         const std::string& listen, std::ostream& err) {
  if (!token.empty() && !token_file.empty()) {
    throw std::invalid_argument("give --dashboard-token or --dashboard-token-file, not both");
  }
  server::DashboardConfig config;
  config.access.token = token_file.empty() ? token : read_token_file(token_file);
  const std::string host = net::parse_address(listen).first;
  config.access.loopback_listener = server::is_loopback_name(host);
  config.access.host_names.push_back(host);  // the address it was told to listen on, as given
  config.log = &err;
  if (!config.access.loopback_listener && config.access.token.empty()) {
    err << "tonewatch serve: warning: listening on " << listen
        << " without --dashboard-token: anyone who can reach it sees every call and can acknowledge alerts\n";
  }
  return config;
}

}  // namespace tw::app
