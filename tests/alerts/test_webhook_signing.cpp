// Webhook signing: HMAC-SHA256 against the published test vectors, the signature
// header a receiver checks, and the replay window on the timestamp.

#include <catch2/catch.hpp>

#include <string>

#include "alerts/hmac.h"

using namespace tw::alerts;

TEST_CASE("SHA-256 and HMAC-SHA256 match the published test vectors", "[alerts][webhook][hmac]") {
  // FIPS 180-2, Appendix B.1 ("abc"), and the digest of the empty message.
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  // RFC 4231, test cases 1 and 2.
  CHECK(hmac_sha256_hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hmac_sha256_hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 6: a key longer than the block size is hashed first.
  CHECK(hmac_sha256_hex(std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  // An empty key is a valid key (Python: hmac.new(b'', b'', sha256)).
  CHECK(hmac_sha256_hex("", "") == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("Webhook signature signs timestamp dot body and verifies only with the same secret", "[alerts][webhook][hmac]") {
  const std::string body = R"({"a":1})";
  // Computed independently: Python hmac.new(b'whsec_test', b'1700000000.{"a":1}', sha256).
  const std::string expected = "sha256=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789";
  CHECK(webhook_signature("whsec_test", "1700000000", body) == expected);
  CHECK(verify_webhook_signature("whsec_test", "1700000000", body, expected));

  CHECK_FALSE(verify_webhook_signature("another secret", "1700000000", body, expected));
  CHECK_FALSE(verify_webhook_signature("whsec_test", "1700000001", body, expected));      // timestamp replaced
  CHECK_FALSE(verify_webhook_signature("whsec_test", "1700000000", R"({"a":2})", expected));  // body altered
  CHECK_FALSE(verify_webhook_signature("whsec_test", "1700000000", body, expected.substr(7)));  // no scheme
  CHECK_FALSE(verify_webhook_signature("whsec_test", "1700000000", body, expected.substr(0, 70)));  // truncated
  CHECK_FALSE(verify_webhook_signature("whsec_test", "1700000000", body, "sha1=" + expected.substr(7)));
  CHECK_FALSE(verify_webhook_signature("whsec_test", "1700000000", body, ""));
}

TEST_CASE("Webhook timestamp is fresh only within the tolerance", "[alerts][webhook][hmac]") {
  CHECK(webhook_timestamp_fresh("1700000000", 1700000000));
  CHECK(webhook_timestamp_fresh("1700000000", 1700000300));
  CHECK_FALSE(webhook_timestamp_fresh("1700000000", 1700000301));
  CHECK(webhook_timestamp_fresh("1700000300", 1700000000));  // a receiver's clock behind ours
  CHECK_FALSE(webhook_timestamp_fresh("1700000000", 1700000061, 60));
  CHECK_FALSE(webhook_timestamp_fresh("", 1700000000));
  CHECK_FALSE(webhook_timestamp_fresh("17000000x0", 1700000000));
  CHECK_FALSE(webhook_timestamp_fresh("-1700000000", 1700000000));
  CHECK_FALSE(webhook_timestamp_fresh("99999999999999999999999", 1700000000));
}
