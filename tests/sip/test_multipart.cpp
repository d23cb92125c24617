// multipart/mixed bodies (RFC 2046 §5.1) and the SIPREC body split (RFC 7866 §9).

#include <catch2/catch.hpp>

#include "sip/multipart.h"
#include "sip/siprec_body.h"
#include "siprec_messages.h"

using namespace tw::sip;
using tw::test::crlf;

TEST_CASE("A SIPREC INVITE body splits into its SDP offer and its metadata", "[sip]") {
  const SiprecBody body = split_siprec_body("multipart/mixed;boundary=foobar", tw::test::siprec_body());
  INFO(body.error);
  REQUIRE(body.ok());
  REQUIRE(body.sdp);
  REQUIRE(body.metadata);
  CHECK(*body.sdp == tw::test::siprec_offer_sdp());
  CHECK(*body.metadata == tw::test::siprec_metadata_xml());
}

TEST_CASE("A quoted boundary with characters a token cannot hold is found", "[sip]") {
  const std::string boundary = "unique-boundary:1 (x)";
  const SiprecBody body =
      split_siprec_body("multipart/mixed; boundary=\"" + boundary + "\"", tw::test::siprec_body(boundary));
  INFO(body.error);
  REQUIRE(body.ok());
  CHECK(body.sdp == tw::test::siprec_offer_sdp());
  CHECK(body.metadata == tw::test::siprec_metadata_xml());
}

TEST_CASE("A multipart body with bare LF line ends a preamble and an epilogue splits into its parts", "[sip]") {
  const std::string body =
      "This is the preamble. It is to be ignored.\n"
      "--simple\n"
      "\n"
      "Implicitly typed plain US-ASCII text.\n"
      "--simple  \n"
      "Content-Type: application/rs-metadata\n"
      "Content-Disposition: recording-session;handling=required\n"
      "Content-ID: <meta@src.example.com>\n"
      "\n"
      "<recording/>\n"
      "\n"
      "--simple--\n"
      "This is the epilogue. It is also to be ignored.\n";
  const MultipartResult result = parse_multipart(body, "simple");
  INFO(result.error);
  REQUIRE(result.ok());
  REQUIRE(result.parts.size() == 2);
  CHECK(result.parts[0].content_type.is("text/plain"));  // RFC 2046 §5.1 default
  CHECK(result.parts[0].body == "Implicitly typed plain US-ASCII text.");
  CHECK(result.parts[1].content_type.is("application/rs-metadata"));
  CHECK(result.parts[1].disposition == "recording-session");
  CHECK(result.parts[1].content_id == "meta@src.example.com");
  CHECK(result.parts[1].body == "<recording/>\n");  // only the line break before the delimiter goes
  CHECK(find_part(result.parts, "application/rs-metadata") == &result.parts[1]);
  CHECK(find_part(result.parts, "application/sdp") == nullptr);
}

TEST_CASE("A boundary that only prefixes a line is not a delimiter", "[sip]") {
  const std::string body = crlf("--b\nContent-Type: text/plain\n\n--bb is text\n--b--\n");
  const MultipartResult result = parse_multipart(body, "b");
  REQUIRE(result.ok());
  REQUIRE(result.parts.size() == 1);
  CHECK(result.parts[0].body == "--bb is text");
}

TEST_CASE("Malformed multipart bodies are refused with a reason", "[sip]") {
  const std::string good = crlf("--x\nContent-Type: application/sdp\n\nv=0\n--x--\n");
  REQUIRE(parse_multipart(good, "x").ok());
  CHECK(parse_multipart(good, "").error.find("boundary") != std::string::npos);
  CHECK(parse_multipart(good, std::string(71, 'x')).error.find("70") != std::string::npos);
  CHECK(parse_multipart(good, "y").error.find("no boundary delimiter") != std::string::npos);
  // Truncated: the closing delimiter is missing.
  const MultipartResult truncated = parse_multipart(good.substr(0, good.size() - 8), "x");
  CHECK_FALSE(truncated.ok());
  CHECK(truncated.error.find("closing") != std::string::npos);
  CHECK(truncated.parts.empty());
  CHECK_FALSE(parse_multipart(crlf("--x--\n"), "x").ok());
  CHECK_FALSE(parse_multipart(crlf("--x\nthis is no header\n\nbody\n--x--\n"), "x").ok());
  CHECK_FALSE(parse_multipart(crlf("--x\nContent-Type: nonsense\n\nbody\n--x--\n"), "x").ok());
  MultipartLimits limits;
  limits.max_parts = 2;
  CHECK(parse_multipart(crlf("--x\n\na\n--x\n\nb\n--x\n\nc\n--x--\n"), "x", limits).error.find("more than 2") !=
        std::string::npos);
}

TEST_CASE("The SIPREC body split takes both metadata types and refuses others with 415 or 400", "[sip]") {
  CHECK(split_siprec_body("application/rs-metadata+xml", "<recording/>").metadata == std::string("<recording/>"));
  CHECK(split_siprec_body("Application/RS-Metadata", "<recording/>").metadata == std::string("<recording/>"));
  CHECK(split_siprec_body("application/sdp", "v=0\r\n").sdp == std::string("v=0\r\n"));
  const SiprecBody text = split_siprec_body("text/plain", "hello");
  CHECK(text.status_code == 415);
  CHECK(split_siprec_body("multipart/mixed", "--x\r\n\r\na\r\n--x--\r\n").status_code == 400);  // no boundary
  const SiprecBody two = split_siprec_body(
      "multipart/mixed;boundary=x",
      crlf("--x\nContent-Type: application/sdp\n\nv=0\n--x\nContent-Type: application/sdp\n\nv=0\n--x--\n"));
  CHECK(two.status_code == 400);
  const SiprecBody empty = split_siprec_body("application/sdp", "");
  CHECK(empty.ok());
  CHECK_FALSE(empty.sdp);
}
