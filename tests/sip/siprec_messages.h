#pragma once
// Test vectors for tests/sip: a SIPREC INVITE, its SDP offer and RFC 7865 metadata,
// written for these tests after the examples of RFC 7866 §12 and RFC 7865 §11
// (addresses from the documentation ranges of RFC 5737, names from the RFCs' examples).

#include <string>
#include <string_view>

namespace tw::test {

/// `text` with every "\n" written as "\r\n" (SIP and SDP lines end in CRLF).
inline std::string crlf(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

/// A two-stream SIPREC offer: the caller's stream (label 1) and the agent's (label 2),
/// both sendonly, PCMU/PCMA/G722 with telephone-event, then an SRTP-only stream.
inline std::string siprec_offer_sdp() {
  return crlf(
      "v=0\n"
      "o=CiscoSystemsSIP-GW-UserAgent 2890844526 2890844526 IN IP4 198.51.100.1\n"
      "s=SIP Call\n"
      "c=IN IP4 198.51.100.1\n"
      "t=0 0\n"
      "m=audio 12240 RTP/AVP 8 0 9 101\n"
      "a=rtpmap:8 PCMA/8000\n"
      "a=rtpmap:0 PCMU/8000\n"
      "a=rtpmap:101 telephone-event/8000\n"
      "a=fmtp:101 0-16\n"
      "a=ptime:20\n"
      "a=label:1\n"
      "a=sendonly\n"
      "m=audio 12242 RTP/AVP 9 0\n"
      "a=rtpmap:9 G722/8000\n"
      "a=label:2\n"
      "a=sendonly\n"
      "a=rtcp:12251\n"
      "m=audio 12244 RTP/SAVP 0\n"
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\n"
      "a=label:3\n"
      "a=sendonly\n");
}

/// RFC 7865 metadata for the offer above: one session, two participants (Alice first, the
/// calling party), two streams labelled 1 and 2, who sends what, and vendor extensions.
inline std::string siprec_metadata_xml() {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<recording xmlns='urn:ietf:params:xml:ns:recording:1'>
  <datamode>complete</datamode>
  <group group_id="7+OTCyoxTmqmqyA/1weDAg==">
    <associate-time>2010-12-16T23:41:07Z</associate-time>
    <call-center xmlns='urn:ietf:params:xml:ns:callcenter'>
      <supervisor>sip:alice@atlanta.com</supervisor>
    </call-center>
  </group>
  <session session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <sipSessionID>ab30317f1a784dc48ff824d0d3715d86;
      remote=47755a9de7794ba387653f2099600ef2</sipSessionID>
    <group-ref>7+OTCyoxTmqmqyA/1weDAg==</group-ref>
    <mydata xmlns='http://example.com/my'>
      <structure>FOO!</structure>
      <whatever>bar</whatever>
    </mydata>
  </session>
  <participant participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <nameID aor="sip:alice@atlanta.com">
      <name xml:lang="it">Alice</name>
    </nameID>
  </participant>
  <participant participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <nameID aor="sip:bob@agents.biloxi.example.com">
      <name xml:lang="en">Bob</name>
      <name xml:lang="fr">Robert</name>
    </nameID>
    <nameID aor="tel:+15550100123"/>
  </participant>
  <stream stream_id="UAAMm5GRQKSCMVvLyl4rFw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>1</label>
  </stream>
  <stream stream_id="i1Pz3to5hGk8fuXl+PbwCw==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <label>2</label>
  </stream>
  <sessionrecordingassoc session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <associate-time>2010-12-16T23:41:07Z</associate-time>
  </sessionrecordingassoc>
  <participantsessionassoc participant_id="srfBElmCRp2QB23b7Mpk0w==" session_id="hVpd7YQgRW2nD22h7q60JQ==">
    <associate-time>2010-12-16T23:41:07Z</associate-time>
  </participantsessionassoc>
  <participantstreamassoc participant_id="srfBElmCRp2QB23b7Mpk0w==">
    <send>UAAMm5GRQKSCMVvLyl4rFw==</send>
    <recv>i1Pz3to5hGk8fuXl+PbwCw==</recv>
  </participantstreamassoc>
  <participantstreamassoc participant_id="zSfPoSvdSDCmU3A3TRDxAw==">
    <send>i1Pz3to5hGk8fuXl+PbwCw==</send>
    <recv>UAAMm5GRQKSCMVvLyl4rFw==</recv>
  </participantstreamassoc>
  <extensiondata xmlns="http://cisco.com/siprec/extension">
    <callData><gcid>4f3f2c1e-aaaa-bbbb-cccc-0123456789ab</gcid></callData>
  </extensiondata>
</recording>
)";
}

/// The multipart/mixed body of a SIPREC INVITE (RFC 7866 §12): the offer and the metadata
/// as two parts, delimited by `boundary`.
inline std::string siprec_body(std::string_view boundary = "foobar") {
  const std::string b(boundary);
  return crlf("--" + b + "\nContent-Type: application/sdp\n\n") + siprec_offer_sdp() +
         crlf("\n--" + b +
              "\nContent-Type: application/rs-metadata+xml\n"
              "Content-Disposition: recording-session\n\n") +
         siprec_metadata_xml() + crlf("\n--" + b + "--\n");
}

/// A SIPREC INVITE (after RFC 7866 §12) with the offer and the metadata as multipart/mixed;
/// `boundary_parameter` as it appears in Content-Type (quoted or not).
inline std::string siprec_invite(std::string_view boundary = "foobar", std::string_view boundary_parameter = "foobar") {
  const std::string body = siprec_body(boundary);
  return crlf(
             "INVITE sip:recorder@srs.example.com SIP/2.0\n"
             "Via: SIP/2.0/TCP src.example.com;branch=z9hG4bKdf6b622b648d9\n"
             "From: <sip:2000@example.com>;tag=35e195d2-947d-4585-946f-09839247\n"
             "To: <sip:recorder@srs.example.com>\n"
             "Call-ID: d253c800-b0d1ea39-4a7dd-3f0e20a\n"
             "Session-ID: ab30317f1a784dc48ff824d0d3715d86\n"
             " ;remote=00000000000000000000000000000000\n"
             "CSeq: 101 INVITE\n"
             "Max-Forwards: 70\n"
             "Require: siprec\n"
             "Supported: timer, replaces\n"
             "Session-Expires: 1800;refresher=uac\n"
             "Min-SE: 90\n"
             "Accept: application/sdp, application/rs-metadata+xml,\n"
             " application/rs-metadata-request\n"
             "Contact: <sip:2000@src.example.com>;+sip.src\n"
             "Content-Type: multipart/mixed;boundary=") +
         std::string(boundary_parameter) + crlf("\nContent-Length: " + std::to_string(body.size()) + "\n\n") + body;
}

}  // namespace tw::test
