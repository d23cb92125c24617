// The fleet bus's names (src/bus/bus_subjects): NATS subject tokens and message ids.

#include <catch2/catch.hpp>

#include "bus/bus_subjects.h"

using namespace tw::bus;

TEST_CASE("Call ids and instance ids become single NATS subject tokens", "[bus]") {
  CHECK(subject_token("CA1234") == "CA1234");
  // '.', '*', '>' and white space would split or widen a subject: each becomes '_'.
  CHECK(subject_token("call.7 *x>\t") == "call_7__x__");
  CHECK(subject_token("") == "_");
  CHECK(subject_token("äöü") == "äöü");  // UTF-8 kept
  CHECK(event_subject("node-1", "a.b", false) == "tonewatch.events.node-1.a_b.event");
  CHECK(event_subject("node-1", "a.b", true) == "tonewatch.events.node-1.a_b.notify");
  CHECK(heartbeat_subject("node-1") == "tonewatch.heartbeat.node-1");
  CHECK(event_message_id("node-1", "1765000000000", "a.b", 42) == "node-1:1765000000000:a.b:42");
}

TEST_CASE("An instance id is letters digits dashes and underscores up to 64 bytes", "[bus]") {
  CHECK(valid_instance_id("serve-2_eu"));
  CHECK(valid_instance_id(std::string(64, 'a')));
  CHECK_FALSE(valid_instance_id(std::string(65, 'a')));
  CHECK_FALSE(valid_instance_id(""));
  CHECK_FALSE(valid_instance_id("a.b"));
  CHECK_FALSE(valid_instance_id("a b"));
}
