#pragma once
// A wallboard's call view of a call another instance of the fleet holds (issue 25). The
// page and its feed are served by whichever instance the supervisor's browser reached;
// what only the holder has (the call's timeline so far, its finished report) is asked of
// the holder over the bus (tonewatch.view.<instance>, core NATS request/reply) and given
// back as the holder would have answered it. The request never waits on a network thread
// (net::Response::deferred); the bus requester's timeout answers when the holder cannot.
//
// The wire format, both ways, is ours and small:
//   request: {"what":"timeline"|"report","call":ID,"after_s":T or null}
//   answer:  "<status> <content type>\n<body>"  (the body as is: no JSON escaping of
//            the timeline's hundreds of KB)

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "net/connection_handler.h"

namespace tw::server {

struct ViewRequest {
  std::string what;     ///< "timeline" or "report"
  std::string call;
  double after_s = -1;  ///< timeline: only the seconds after this (-1: all)
};

std::string encode_view_request(const ViewRequest& request);
/// Nothing for a malformed request (it is answered 400).
std::optional<ViewRequest> decode_view_request(std::string_view data);

/// The answer for the bus: a body over `max_bytes` (the bus's payload limit, less room
/// for the status line) becomes a 413 saying so.
std::string encode_view_answer(const net::Response& response, std::size_t max_bytes);
/// The holder's answer as a response (headers the holder would have sent are the
/// caller's to add); 502 for an answer that cannot be read.
net::Response decode_view_answer(std::string_view data);

}  // namespace tw::server
