// libFuzzer target: what an instance reads from the fleet's bus (issue 25) — the others'
// calls messages, heartbeats and events (server/fleet_view.h), their rows' one-party
// marks (server/split_calls.h), and call-view requests and answers
// (server/remote_call_view.h). The first byte picks the parser; the rest is the message.
// The promises checked: nothing throws or crashes; whatever the view took in can be read
// back (rows, recent, instances, holder_of) and dumped as the wallboard does; a decoded
// view request is one this instance would answer (a known kind, a call id, after_s >= 0)
// and encodes back to the same request; a decoded answer has a status in 100-599 and the
// bytes after the first newline as its body; split_text never throws on any metadata.

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/fleet_view.h"
#include "server/remote_call_view.h"
#include "server/split_calls.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view message(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {  // the fleet view: calls, heartbeat or event, then every reader
      double now = 0;
      tw::server::FleetViewConfig config;
      config.own_instance = "self";
      config.now_s = [&now] { return now; };
      tw::server::FleetView view(config);
      int alerts_told = 0;
      view.set_listener([&alerts_told](const nlohmann::json& m) {
        alerts_told += 1;
        (void)m.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      });
      view.on_heartbeat(message);
      view.on_calls(message);
      view.on_event("tonewatch.events.other.call-1.notify", message);
      for (const nlohmann::json& row : view.rows()) {
        if (!row.is_object() || !row.contains("instance")) __builtin_trap();
        (void)tw::server::one_party_from_row(row);
        if (row.contains("call") && row["call"].is_string() && !view.holder_of(row["call"].get<std::string>())) __builtin_trap();
      }
      now = 100;  // every instance heard is lost by now: its calls move to the recent list
      for (const nlohmann::json& entry : view.recent()) (void)entry.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      (void)view.instances().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
    }
    case 1: {  // a view request
      const auto request = tw::server::decode_view_request(message);
      if (!request) break;
      if ((request->what != "timeline" && request->what != "report") || request->call.empty()) __builtin_trap();
      if (request->after_s != -1 && !(request->after_s >= 0 && std::isfinite(request->after_s))) __builtin_trap();
      const auto again = tw::server::decode_view_request(tw::server::encode_view_request(*request));
      if (!again || again->what != request->what || again->call != request->call || again->after_s != request->after_s) __builtin_trap();
      break;
    }
    case 2: {  // a view answer
      const tw::net::Response r = tw::server::decode_view_answer(message);
      if (r.status < 100 || r.status > 599) __builtin_trap();
      if (r.status != 502 && r.body != message.substr(message.find('\n') + 1)) __builtin_trap();
      break;
    }
    default: {  // metadata that may carry a split mark, and a row's one-party mark
      const nlohmann::json j = nlohmann::json::parse(message, nullptr, false);
      (void)tw::server::split_text(j);
      (void)tw::server::one_party_from_row(j);
      break;
    }
  }
  return 0;
}
