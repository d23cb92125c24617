#include "server/remote_call_view.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace tw::server {

std::string encode_view_request(const ViewRequest& request) {
  return nlohmann::json{{"what", request.what},
                        {"call", request.call},
                        {"after_s", request.after_s >= 0 ? nlohmann::json(request.after_s) : nlohmann::json(nullptr)}}
      .dump();
}

std::optional<ViewRequest> decode_view_request(std::string_view data) {
  const nlohmann::json j = nlohmann::json::parse(data, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  const auto what = j.find("what"), call = j.find("call"), after = j.find("after_s");
  if (what == j.end() || !what->is_string() || call == j.end() || !call->is_string() || call->get_ref<const std::string&>().empty())
    return std::nullopt;
  ViewRequest r{what->get<std::string>(), call->get<std::string>(), -1};
  if (r.what != "timeline" && r.what != "report") return std::nullopt;
  if (after != j.end() && !after->is_null()) {
    if (!after->is_number() || !std::isfinite(after->get<double>()) || after->get<double>() < 0) return std::nullopt;
    r.after_s = after->get<double>();
  }
  return r;
}

std::string encode_view_answer(const net::Response& response, std::size_t max_bytes) {
  if (response.body.size() > max_bytes) {
    return "413 application/json\n" +
           nlohmann::json{{"error", "the call's " + std::string(response.content_type.rfind("text/html", 0) == 0 ? "report" : "timeline") +
                                        " (" + std::to_string(response.body.size()) +
                                        " bytes) is larger than the bus carries: open it on the instance that holds the call"}}
               .dump();
  }
  std::string out = std::to_string(response.status) + " " + response.content_type + "\n";
  out += response.body;
  return out;
}

net::Response decode_view_answer(std::string_view data) {
  const std::size_t space = data.find(' '), line = data.find('\n');
  int status = 0;
  if (space == std::string_view::npos || line == std::string_view::npos || space > line ||
      std::from_chars(data.data(), data.data() + space, status).ptr != data.data() + space || status < 100 || status > 599) {
    return net::Response::json(502, R"({"error":"the instance holding the call gave an answer that cannot be read"})");
  }
  net::Response r;
  r.status = status;
  r.content_type = std::string(data.substr(space + 1, line - space - 1));
  r.body = std::string(data.substr(line + 1));
  return r;
}

}  // namespace tw::server
