// RFC 7865 recording metadata: the model read from XML, partial updates merged
// (RFC 7866 §6.2), hostile documents refused.

#include <catch2/catch.hpp>

#include "sip/siprec_metadata.h"
#include "siprec_messages.h"

using namespace tw::sip;

namespace {

RecordingMetadata parsed(const std::string& xml) {
  const MetadataResult result = parse_recording_metadata(xml);
  INFO(result.error);
  REQUIRE(result.ok());
  return *result.metadata;
}

const std::string kAlice = "srfBElmCRp2QB23b7Mpk0w==";
const std::string kBob = "zSfPoSvdSDCmU3A3TRDxAw==";
const std::string kStream1 = "UAAMm5GRQKSCMVvLyl4rFw==";
const std::string kStream2 = "i1Pz3to5hGk8fuXl+PbwCw==";

}  // namespace

TEST_CASE("RFC 7865 metadata reads into sessions participants streams associations and extensions", "[sip]") {
  const RecordingMetadata m = parsed(tw::test::siprec_metadata_xml());
  CHECK(m.mode == DataMode::complete);
  REQUIRE(m.groups.size() == 1);
  CHECK(m.groups[0].id == "7+OTCyoxTmqmqyA/1weDAg==");
  REQUIRE(m.groups[0].extensions.size() == 1);
  CHECK(m.groups[0].extensions[0].xml.find("<supervisor>sip:alice@atlanta.com</supervisor>") != std::string::npos);
  REQUIRE(m.sessions.size() == 1);
  CHECK(m.sessions[0].sip_session_ids ==
        std::vector<std::string>{"ab30317f1a784dc48ff824d0d3715d86;remote=47755a9de7794ba387653f2099600ef2"});
  CHECK(m.sessions[0].group_ref == "7+OTCyoxTmqmqyA/1weDAg==");
  REQUIRE(m.sessions[0].extensions.size() == 1);
  CHECK(m.sessions[0].extensions[0].xml.find("http://example.com/my") != std::string::npos);

  REQUIRE(m.participants.size() == 2);
  CHECK(m.participants[0].id == kAlice);
  CHECK(m.participants[0].aor() == "sip:alice@atlanta.com");
  CHECK(m.participants[0].display_name() == "Alice");
  const MetadataParticipant& bob = m.participants[1];
  REQUIRE(bob.names.size() == 2);  // two nameIDs
  CHECK(bob.names[0].names == std::vector<std::string>{"Bob", "Robert"});
  CHECK(bob.names[1].aor == "tel:+15550100123");
  CHECK(bob.names[1].names.empty());

  REQUIRE(m.streams.size() == 2);
  CHECK(m.streams[0].label == "1");
  CHECK(m.streams[0].session_id == "hVpd7YQgRW2nD22h7q60JQ==");
  CHECK(m.stream_by_label("2")->id == kStream2);
  CHECK(m.stream_by_label("3") == nullptr);
  REQUIRE(m.sender_of(kStream1) != nullptr);
  CHECK(m.sender_of(kStream1)->id == kAlice);
  CHECK(m.sender_of(kStream2)->id == kBob);
  REQUIRE(m.session_associations.size() == 1);
  CHECK_FALSE(m.session_associations[0].disassociated);

  // Cisco-style extensiondata directly under <recording> is kept whole.
  REQUIRE(m.extensions.size() == 1);
  CHECK(m.extensions[0].xml.find("<gcid>4f3f2c1e-aaaa-bbbb-cccc-0123456789ab</gcid>") != std::string::npos);
  CHECK(m.dropped_extensions == 0);
}

TEST_CASE("Vendor extension data is read out as namespaced values for the call's metadata", "[sip]") {
  // The shape an Oracle/Acme Packet SBC writes (its prefix declared on the root, the values
  // inside <extensiondata> under a session and a participant), a Cisco-style block with an
  // attribute at the document level, and a default-namespace element of another vendor.
  const RecordingMetadata m = parsed(R"(<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1' xmlns:apkt='http://acmepacket.com/siprec/extensiondata'>
  <datamode>complete</datamode>
  <session session_id="s1">
    <extensiondata>
      <apkt:ucid>00FA080018803B69810C2D;encoding=hex</apkt:ucid>
      <apkt:callerOrig>true</apkt:callerOrig>
    </extensiondata>
  </session>
  <participant participant_id="p1">
    <nameID aor="sip:+15551230000@carrier.example.net"/>
    <extensiondata><apkt:callingParty>true</apkt:callingParty></extensiondata>
  </participant>
  <extensiondata xmlns:cisco='http://cisco.com/siprec/extension'>
    <cisco:callData cisco:version="2"><cisco:gcid> 4f3f2c1e-aaaa </cisco:gcid><cisco:empty/></cisco:callData>
  </extensiondata>
  <avaya xmlns='http://avaya.com/siprec'><ucid>00001234561700000000</ucid></avaya>
</recording>)");
  REQUIRE(m.sessions.size() == 1);
  REQUIRE(m.sessions[0].extensions.size() == 1);
  const auto& session_values = m.sessions[0].extensions[0].values;
  REQUIRE(session_values.size() == 2);
  CHECK(session_values[0].namespace_uri == "http://acmepacket.com/siprec/extensiondata");
  CHECK(session_values[0].name == "ucid");
  CHECK(session_values[0].value == "00FA080018803B69810C2D;encoding=hex");
  CHECK(session_values[1].name == "callerOrig");
  CHECK(session_values[1].value == "true");
  REQUIRE(m.participants.size() == 1);
  REQUIRE(m.participants[0].extensions.size() == 1);
  REQUIRE(m.participants[0].extensions[0].values.size() == 1);
  CHECK(m.participants[0].extensions[0].values[0].name == "callingParty");
  REQUIRE(m.extensions.size() == 2);
  const auto& cisco = m.extensions[0].values;
  REQUIRE(cisco.size() == 2);  // the attribute and the trimmed leaf; the empty element gives nothing
  CHECK(cisco[0].name == "callData@version");
  CHECK(cisco[0].value == "2");
  CHECK(cisco[1].namespace_uri == "http://cisco.com/siprec/extension");
  CHECK(cisco[1].name == "callData/gcid");
  CHECK(cisco[1].value == "4f3f2c1e-aaaa");
  const auto& avaya = m.extensions[1].values;
  REQUIRE(avaya.size() == 1);
  CHECK(avaya[0].namespace_uri == "http://avaya.com/siprec");
  CHECK(avaya[0].name == "avaya/ucid");  // not an <extensiondata> wrapper: its own name leads

  // Bounded: values past the limit of one extension element are not read out.
  MetadataLimits limits;
  limits.max_extension_values = 1;
  const auto small = parse_recording_metadata(R"(<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
  <x xmlns='urn:example'><a>1</a><b>2</b><c>3</c></x></recording>)", limits);
  REQUIRE(small.ok());
  REQUIRE(small.metadata->extensions.size() == 1);
  CHECK(small.metadata->extensions[0].values.size() == 1);
}

TEST_CASE("A partial update from a re-INVITE merges into the previous metadata by ids", "[sip]") {
  const RecordingMetadata before = parsed(tw::test::siprec_metadata_xml());
  // Bob is renamed, a third stream appears which Bob now sends instead of stream 2,
  // and Alice leaves the session.
  const RecordingMetadata update = parsed(R"(<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
  <datamode>partial</datamode>
  <participant participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <nameID aor="sip:bob@agents.biloxi.example.com"><name>Bob Agent</name></nameID>
  </participant>
  <stream stream_id="8zc6e0lYTlWIINA6GR+3ag==" session_id="hVpd7YQgRW2nD22h7q60JQ=="><label>3</label></stream>
  <participantsessionassoc participant_id="srfBElmCRp2QB23b7Mpk0w==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <disassociate-time>2010-12-16T23:45:07Z</disassociate-time>
  </participantsessionassoc>
  <participantstreamassoc participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <send>8zc6e0lYTlWIINA6GR+3ag==</send>
  </participantstreamassoc>
</recording>)");
  REQUIRE(update.mode == DataMode::partial);
  const RecordingMetadata after = merge_metadata(before, update);
  CHECK(after.mode == DataMode::complete);
  REQUIRE(after.participants.size() == 2);
  CHECK(after.participants[0].display_name() == "Alice");  // untouched
  CHECK(after.participants[1].display_name() == "Bob Agent");
  CHECK(after.participants[1].names.size() == 1);  // the update's nameIDs replace the old ones
  REQUIRE(after.streams.size() == 3);
  CHECK(after.streams[2].label == "3");
  CHECK(after.sender_of("8zc6e0lYTlWIINA6GR+3ag==")->id == kBob);
  CHECK(after.sender_of(kStream2) == nullptr);  // Bob's association was replaced
  CHECK(after.sender_of(kStream1)->id == kAlice);
  REQUIRE(after.session_associations.size() == 1);
  CHECK(after.session_associations[0].disassociated);
  CHECK(after.sessions.size() == 1);
  CHECK(after.extensions.size() == 1);

  // A complete update replaces everything.
  const RecordingMetadata replaced = merge_metadata(before, parsed(R"(<recording xmlns="urn:ietf:params:xml:ns:recording:1">
  <datamode>complete</datamode><participant participant_id="p9"/></recording>)"));
  REQUIRE(replaced.participants.size() == 1);
  CHECK(replaced.participants[0].id == "p9");
  CHECK(replaced.streams.empty());
}

TEST_CASE("Metadata with a DOCTYPE or an entity declaration is refused", "[sip]") {
  const std::string billion_laughs = R"(<?xml version="1.0"?>
<!DOCTYPE recording [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'><participant participant_id="p"><nameID aor="&lol3;"/></participant></recording>)";
  const MetadataResult laughs = parse_recording_metadata(billion_laughs);
  CHECK_FALSE(laughs.ok());
  CHECK(laughs.error.find("DOCTYPE") != std::string::npos);
  const std::string xxe = R"(<?xml version="1.0"?>
<!doctype recording SYSTEM "file:///etc/passwd">
<recording xmlns='urn:ietf:params:xml:ns:recording:1'/>)";
  CHECK_FALSE(parse_recording_metadata(xxe).ok());
  // Without the declaration, an undeclared entity reference is left as text, never expanded.
  const MetadataResult undeclared = parse_recording_metadata(
      R"(<recording xmlns='urn:ietf:params:xml:ns:recording:1'><participant participant_id="p"><nameID aor="&xxe;"/></participant></recording>)");
  REQUIRE(undeclared.ok());
  CHECK(undeclared.metadata->participants.at(0).aor() == "&xxe;");
}

TEST_CASE("Metadata that is too large malformed or not RFC 7865 is refused with a reason", "[sip]") {
  MetadataLimits limits;
  limits.max_bytes = 1000;
  CHECK(parse_recording_metadata(tw::test::siprec_metadata_xml(), limits).error.find("limit") != std::string::npos);
  CHECK(parse_recording_metadata("<recording xmlns='urn:ietf:params:xml:ns:recording:1'><participant>")
            .error.find("well-formed") != std::string::npos);
  CHECK(parse_recording_metadata("<recording/>").error.find("root") != std::string::npos);
  CHECK(parse_recording_metadata("<recording xmlns='urn:example:other'/>").error.find("root") != std::string::npos);
  CHECK(parse_recording_metadata("").error.find("element") != std::string::npos);
  CHECK(parse_recording_metadata("<recording xmlns='urn:ietf:params:xml:ns:recording:1'><participant/></recording>")
            .error.find("participant_id") != std::string::npos);
  CHECK(parse_recording_metadata(
            "<recording xmlns='urn:ietf:params:xml:ns:recording:1'><datamode>sometimes</datamode></recording>")
            .error.find("dataMode") != std::string::npos);
  limits = MetadataLimits{};
  limits.max_entities = 1;
  CHECK(parse_recording_metadata(tw::test::siprec_metadata_xml(), limits).error.find("more than 1") !=
        std::string::npos);
  limits = MetadataLimits{};
  limits.max_extension_bytes = 64;
  const MetadataResult small = parse_recording_metadata(tw::test::siprec_metadata_xml(), limits);
  REQUIRE(small.ok());
  CHECK(small.metadata->dropped_extensions == 3);  // the three extensions are each longer than 64 bytes
}

TEST_CASE("Prefixed names and draft-era send and recv inside participant are read", "[sip]") {
  const RecordingMetadata m = parsed(R"(<rs:recording xmlns:rs="urn:ietf:params:xml:ns:recording:1">
  <rs:dataMode>partial</rs:dataMode>
  <rs:participant id="caller-1">
    <rs:nameID aor="sip:+15551230000@sbc.example.com"><rs:name>Pat Caller</rs:name></rs:nameID>
    <rs:send>s1</rs:send>
    <rs:recv>s2</rs:recv>
  </rs:participant>
  <rs:stream id="s1"><rs:label>10</rs:label></rs:stream>
  <other:participant xmlns:other="urn:example:not-recording" participant_id="x"/>
</rs:recording>)");
  CHECK(m.mode == DataMode::partial);
  REQUIRE(m.participants.size() == 1);  // the element of another namespace is an extension
  CHECK(m.participants[0].display_name() == "Pat Caller");
  CHECK(m.sender_of("s1")->id == "caller-1");
  CHECK(m.streams.at(0).label == "10");
  CHECK(m.extensions.size() == 1);
}
