// Who is who: the caller's and the agent's streams from the metadata and agent patterns.

#include <catch2/catch.hpp>

#include "sip/siprec_metadata.h"
#include "sip/stream_roles.h"
#include "siprec_messages.h"

using namespace tw::sip;
using tw::features::SpeakerRole;

namespace {

RecordingMetadata metadata() {
  const MetadataResult result = parse_recording_metadata(tw::test::siprec_metadata_xml());
  REQUIRE(result.ok());
  return *result.metadata;
}

}  // namespace

TEST_CASE("Globs match whole AoRs with star and question mark ignoring case", "[sip]") {
  CHECK(glob_match("sip:*@agents.example.com", "sip:bob@agents.example.com"));
  CHECK(glob_match("sip:*@agents.example.com", "SIP:Bob@Agents.Example.COM"));
  CHECK_FALSE(glob_match("sip:*@agents.example.com", "sip:bob@agents.example.com.evil.net"));
  CHECK_FALSE(glob_match("sip:*@agents.example.com", "sips:bob@agents.example.com"));
  CHECK(glob_match("tel:+1555010????", "tel:+15550101234"));
  CHECK_FALSE(glob_match("tel:+1555010????", "tel:+155501012345"));
  CHECK_FALSE(glob_match("tel:+1555010????", "tel:+1555010123"));
  CHECK(glob_match("*", ""));
  CHECK(glob_match("a*b*c", "aXXbYYbZZc"));
  CHECK_FALSE(glob_match("a*b*c", "aXXbYYbZZ"));
  CHECK_FALSE(glob_match("", "x"));
  // Many stars over a long text stay quick (no exponential backtracking).
  CHECK_FALSE(glob_match("*a*a*a*a*a*a*a*a*b", std::string(4000, 'a')));
}

TEST_CASE("A participant whose AoR matches an agent pattern is the agent and the other the caller", "[sip]") {
  // Bob (second participant) matches by his first AoR, Alice does not.
  const auto roles = decide_stream_roles(metadata(), {"sip:*@agents.biloxi.example.com"});
  REQUIRE(roles.size() == 2);
  CHECK(roles[0].label == "1");
  CHECK(roles[0].role == SpeakerRole::caller);
  CHECK(roles[0].aor == "sip:alice@atlanta.com");
  CHECK(roles[0].name == "Alice");
  CHECK(roles[0].basis == RoleBasis::agent_pattern);
  CHECK(roles[1].label == "2");
  CHECK(roles[1].role == SpeakerRole::agent);
  CHECK(roles[1].name == "Bob");
  // Matching by the second nameID's tel: AoR works the same.
  const auto by_number = decide_stream_roles(metadata(), {"tel:+1555010????"});
  CHECK(by_number[1].role == SpeakerRole::agent);
  CHECK(by_number[1].basis == RoleBasis::agent_pattern);
  // A pattern that names Alice makes her the agent although she is listed first.
  const auto flipped = decide_stream_roles(metadata(), {"sip:alice@*"});
  CHECK(flipped[0].role == SpeakerRole::agent);
  CHECK(flipped[1].role == SpeakerRole::caller);
}

TEST_CASE("Without a matching pattern the first participant in the metadata is the caller", "[sip]") {
  for (const std::vector<std::string>& patterns :
       {std::vector<std::string>{}, std::vector<std::string>{"sip:*@nowhere.example.com"},
        std::vector<std::string>{"*"}}) {  // every sender matching decides nothing either
    const auto roles = decide_stream_roles(metadata(), patterns);
    REQUIRE(roles.size() == 2);
    CHECK(roles[0].role == SpeakerRole::caller);
    CHECK(roles[0].participant_id == "srfBElmCRp2QB23b7Mpk0w==");
    CHECK(roles[0].basis == RoleBasis::first_participant);
    CHECK(roles[1].role == SpeakerRole::agent);
    CHECK(roles[1].basis == RoleBasis::first_participant);
  }
}

TEST_CASE("Streams nobody is said to send fall back on their order in the metadata", "[sip]") {
  RecordingMetadata m = metadata();
  m.stream_associations.clear();
  const auto roles = decide_stream_roles(m, {"sip:*@agents.biloxi.example.com"});
  REQUIRE(roles.size() == 2);
  CHECK(roles[0].role == SpeakerRole::caller);
  CHECK(roles[0].basis == RoleBasis::stream_order);
  CHECK(roles[0].participant_id.empty());
  CHECK(roles[1].role == SpeakerRole::agent);
  CHECK(to_string(roles[1].basis) == "stream_order");
}
