// The recorder's SDP offer/answer through libre (siprec/sdp_answerer.h), without SIP:
// which m= lines are accepted, the answer's text, holds, re-offers and refusals.

#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "sip/siprec_messages.h"
#include "siprec/sdp_answerer.h"

using namespace tw::siprec;
using tw::test::crlf;

namespace {

std::string two_stream_offer(const std::string& direction = "sendonly", const std::string& version = "1",
                             const std::string& address = "192.0.2.10") {
  return crlf("v=0\no=SRC 42 " + version + " IN IP4 192.0.2.10\ns=-\nc=IN IP4 " + address +
              "\nt=0 0\n"
              "m=audio 4000 RTP/AVP 0\na=label:caller\na=" + direction +
              "\n"
              "m=audio 4002 RTP/AVP 0\na=label:agent\na=" + direction + "\n");
}

// The o= line's session id and version (RFC 8866 §5.2).
std::pair<std::string, std::string> origin(const std::string& sdp) {
  std::smatch match;
  REQUIRE(std::regex_search(sdp, match, std::regex("o=- ([0-9]+) ([0-9]+) IN IP4")));
  return {match[1], match[2]};
}

}  // namespace

TEST_CASE("An offer of PCMA PCMU G722 and SRTP streams is answered recvonly with labels and SRTP with our own SDES key",
          "[siprec]") {
  RtpPortPool ports(40000, 40099);
  SdpAnswerer answerer("203.0.113.5");
  SessionChange change;
  const auto refusal = answerer.apply_offer(tw::test::siprec_offer_sdp(), ports, change);
  INFO((refusal ? refusal->detail : ""));
  REQUIRE_FALSE(refusal);
  const auto& streams = answerer.streams();
  REQUIRE(streams.size() == 3);
  CHECK(streams[0].label == "1");
  CHECK(streams[0].accepted);
  REQUIRE(streams[0].formats.size() == 4);  // the offer's order: PCMA, PCMU, G722, telephone-event
  CHECK(streams[0].formats[0].encoding == "PCMA");
  CHECK(streams[0].formats[0].payload_type == 8);
  CHECK(streams[0].formats[1].encoding == "PCMU");
  CHECK(streams[0].formats[2].encoding == "G722");
  CHECK(streams[0].formats[3].encoding == "telephone-event");
  CHECK(streams[0].formats[3].payload_type == 101);
  CHECK(streams[0].remote_address == "198.51.100.1");
  CHECK(streams[0].remote_rtp_port == 12240);
  CHECK(streams[1].accepted);
  REQUIRE(streams[1].formats.size() == 2);
  CHECK(streams[1].formats[0].encoding == "G722");
  CHECK(streams[1].formats[0].clock_rate_hz == 8000);  // RFC 3551 §4.5.2
  CHECK(streams[2].label == "3");
  // RTP/SAVP with an SDES key (RFC 4568): taken, the SRC's key kept for decryption.
  CHECK(streams[2].accepted);
  CHECK(streams[2].srtp_suite == "AES_CM_128_HMAC_SHA1_80");
  CHECK(streams[2].srtp_key == std::string("YS___semctl () {\t220;}\n}\nunles", 30));
  CHECK(streams[0].srtp_key.empty());
  CHECK(streams[2].local_rtp_port == 40004);
  CHECK(streams[0].local_rtp_port == 40000);
  CHECK(streams[1].local_rtp_port == 40002);
  CHECK(ports.in_use() == 3);
  const std::string answer = answerer.answer();
  INFO(answer);
  CHECK(answer.find("c=IN IP4 203.0.113.5\r\n") != std::string::npos);
  CHECK(answer.find("m=audio 40000 RTP/AVP 8 0 9 101\r\n") != std::string::npos);
  CHECK(answer.find("m=audio 40002 RTP/AVP 9 0\r\n") != std::string::npos);
  CHECK(answer.find("m=audio 40004 RTP/SAVP 0\r\n") != std::string::npos);
  // The answer's crypto line: the offer's tag and suite, and a key of ours (RFC 4568 §7.1.2).
  std::smatch crypto;
  REQUIRE(std::regex_search(answer, crypto, std::regex("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:([A-Za-z0-9+/]{40})\r\n")));
  CHECK(crypto[1] != "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz");
  CHECK(answer.find("a=label:1\r\n") != std::string::npos);
  CHECK(answer.find("a=label:2\r\n") != std::string::npos);
  CHECK(answer.find("a=sendrecv") == std::string::npos);
  CHECK(answer.find("a=recvonly\r\n") != std::string::npos);
  answerer.release_ports(ports);
  CHECK(ports.in_use() == 0);
}

TEST_CASE("Video and codecs the media side cannot decode are refused with port 0", "[siprec]") {
  RtpPortPool ports(40000, 40099);
  SdpAnswerer answerer("127.0.0.1");
  SessionChange change;
  const std::string offer = crlf(
      "v=0\no=SRC 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
      "m=audio 5000 RTP/AVP 18\na=rtpmap:18 G729/8000\na=label:a\na=sendonly\n"
      "m=audio 5002 RTP/AVP 96\na=rtpmap:96 telephone-event/8000\na=label:dtmf-only\na=sendonly\n"
      "m=video 5004 RTP/AVP 97\na=rtpmap:97 H264/90000\na=label:v\na=sendonly\n"
      "m=audio 5006 RTP/AVP 0\na=label:b\na=sendonly\n");
  REQUIRE_FALSE(answerer.apply_offer(offer, ports, change));
  const auto& streams = answerer.streams();
  REQUIRE(streams.size() == 4);
  CHECK_FALSE(streams[0].accepted);
  CHECK_FALSE(streams[1].accepted);  // telephone-event alone is no audio to analyse
  CHECK_FALSE(streams[2].accepted);
  CHECK(streams[3].accepted);
  CHECK(ports.in_use() == 1);
  const std::string answer = answerer.answer();
  INFO(answer);
  CHECK(std::regex_search(answer, std::regex("m=audio 0 RTP/AVP")));
  CHECK(answer.find("m=video 0 RTP/AVP") != std::string::npos);
  CHECK(answer.find("m=audio 40000 RTP/AVP 0\r\n") != std::string::npos);
  // An offer with nothing we can record is refused outright.
  SdpAnswerer other("127.0.0.1");
  const auto refusal = other.apply_offer(crlf("v=0\no=SRC 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
                                              "m=audio 5000 RTP/AVP 18\na=sendonly\n"),
                                         ports, change);
  REQUIRE(refusal);
  CHECK(refusal->code == 488);
}

TEST_CASE("A re-offer with inactive streams is a hold and sendonly again resumes on the same ports", "[siprec]") {
  RtpPortPool ports(40000, 40099);
  SdpAnswerer answerer("127.0.0.1");
  SessionChange change;
  REQUIRE_FALSE(answerer.apply_offer(two_stream_offer(), ports, change));
  CHECK_FALSE(answerer.on_hold());
  const std::string first = answerer.answer();
  const auto ports_before = std::make_pair(answerer.streams()[0].local_rtp_port, answerer.streams()[1].local_rtp_port);

  SessionChange hold;
  REQUIRE_FALSE(answerer.apply_offer(two_stream_offer("inactive", "2"), ports, hold));
  CHECK(hold.hold_changed);
  CHECK_FALSE(hold.streams_changed);
  CHECK(answerer.on_hold());
  const std::string held = answerer.answer();
  CHECK(held.find("a=inactive") != std::string::npos);
  // RFC 3264 §8: the same origin, its version one higher.
  CHECK(origin(held).first == origin(first).first);
  CHECK(std::stoull(origin(held).second) == std::stoull(origin(first).second) + 1);

  SessionChange resume;
  REQUIRE_FALSE(answerer.apply_offer(two_stream_offer("sendonly", "3"), ports, resume));
  CHECK(resume.hold_changed);
  CHECK_FALSE(answerer.on_hold());
  CHECK(answerer.streams()[0].local_rtp_port == ports_before.first);
  CHECK(answerer.streams()[1].local_rtp_port == ports_before.second);

  // The old hold of RFC 2543: c=0.0.0.0 (RFC 3264 §8.4).
  SessionChange old_hold;
  REQUIRE_FALSE(answerer.apply_offer(two_stream_offer("sendonly", "4", "0.0.0.0"), ports, old_hold));
  CHECK(old_hold.hold_changed);
  CHECK(answerer.on_hold());
}

TEST_CASE("Unreadable offers and re-offers that drop m= lines are refused with 488", "[siprec]") {
  RtpPortPool ports(40000, 40099);
  SessionChange change;
  for (const std::string& bad : {std::string("garbage"), std::string("v=1\r\n"), std::string(""),
                                 crlf("v=0\no=SRC 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\n"), std::string("\x00\x01", 2)}) {
    SdpAnswerer answerer("127.0.0.1");
    const auto refusal = answerer.apply_offer(bad, ports, change);
    REQUIRE(refusal);
    CHECK(refusal->code == 488);
  }
  std::string many = crlf("v=0\no=SRC 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n");
  for (int i = 0; i < 17; ++i) many += crlf("m=audio " + std::to_string(5000 + 2 * i) + " RTP/AVP 0\n");
  SdpAnswerer answerer("127.0.0.1");
  const auto too_many = answerer.apply_offer(many, ports, change);
  REQUIRE(too_many);
  CHECK(too_many->detail.find("16") != std::string::npos);
  CHECK(ports.in_use() == 0);

  SdpAnswerer session("127.0.0.1");
  REQUIRE_FALSE(session.apply_offer(two_stream_offer(), ports, change));
  const std::string one_line = crlf("v=0\no=SRC 42 2 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\n"
                                    "m=audio 4000 RTP/AVP 0\na=sendonly\n");
  const auto fewer = session.apply_offer(one_line, ports, change);
  REQUIRE(fewer);
  CHECK(fewer->code == 488);
  session.release_ports(ports);
  CHECK_THROWS_AS(SdpAnswerer("0.0.0.0"), std::invalid_argument);
  CHECK_THROWS_AS(SdpAnswerer("recorder.example.com"), std::invalid_argument);
}

TEST_CASE("An offer that needs more RTP ports than are free is refused with 503", "[siprec]") {
  RtpPortPool ports(40000, 40001);  // one pair
  SdpAnswerer answerer("127.0.0.1");
  SessionChange change;
  const auto refusal = answerer.apply_offer(two_stream_offer(), ports, change);
  REQUIRE(refusal);
  CHECK(refusal->code == 503);
  answerer.release_ports(ports);
  CHECK(ports.in_use() == 0);
}

TEST_CASE("SRTP streams without a key we take are refused with port 0 / no a=crypto or another suite or an MKI or a short key",
          "[siprec][security]") {
  const std::string key = "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz";
  const std::vector<std::string> bad = {
      "",                                                                 // no a=crypto at all
      "a=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" + key + "\n",         // a suite libsrtp2 is not set up for here
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^20|1:4\n",  // an MKI
      "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkg\n",  // 15 octets
      "a=crypto:x AES_CM_128_HMAC_SHA1_80 inline:" + key + "\n",         // not a tag
  };
  for (const std::string& line : bad) {
    INFO(line);
    RtpPortPool ports(40000, 40099);
    SdpAnswerer answerer("203.0.113.5");
    SessionChange change;
    const std::string offer = crlf("v=0\no=SRC 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\n"
                                   "m=audio 4000 RTP/AVP 0\na=label:1\na=sendonly\n"
                                   "m=audio 4002 RTP/SAVP 0\n" + line + "a=label:2\na=sendonly\n");
    REQUIRE_FALSE(answerer.apply_offer(offer, ports, change));
    CHECK(answerer.streams()[0].accepted);
    CHECK_FALSE(answerer.streams()[1].accepted);
    CHECK(answerer.answer().find("m=audio 0 RTP/SAVP") != std::string::npos);
  }
  // A lifetime after the key is fine; the second of two lines is taken when the first is not usable.
  RtpPortPool ports(40000, 40099);
  SdpAnswerer answerer("203.0.113.5");
  SessionChange change;
  const std::string offer = crlf("v=0\no=SRC 1 1 IN IP4 192.0.2.10\ns=-\nc=IN IP4 192.0.2.10\nt=0 0\n"
                                 "m=audio 4002 RTP/SAVP 0\na=crypto:1 AES_256_CM_HMAC_SHA1_80 inline:" + key +
                                 "\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + key + "|2^31\na=label:2\na=sendonly\n");
  REQUIRE_FALSE(answerer.apply_offer(offer, ports, change));
  CHECK(answerer.streams()[0].accepted);
  CHECK(answerer.streams()[0].srtp_suite == "AES_CM_128_HMAC_SHA1_32");
  CHECK(answerer.answer().find("a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:") != std::string::npos);
}
