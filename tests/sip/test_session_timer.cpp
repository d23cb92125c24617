// RFC 4028 session-timer negotiation as the UAS (src/sip/session_timer): the header values
// and the answer to each kind of request, against the RFC's own rules.

#include <catch2/catch.hpp>

#include "sip/session_timer.h"

using namespace tw::sip;

TEST_CASE("Session-Expires and Min-SE values are read as RFC 4028 §4 and §5 write them", "[sip][session-timer]") {
  auto plain = parse_session_expires("1800");
  REQUIRE(plain);
  CHECK(plain->seconds == 1800);
  CHECK_FALSE(plain->refresher);
  auto uac = parse_session_expires(" 4000 ;refresher=uac");
  REQUIRE(uac);
  CHECK(uac->seconds == 4000);
  CHECK(uac->refresher == Refresher::uac);
  auto uas = parse_session_expires("90;x-other=1;Refresher=UAS");
  REQUIRE(uas);
  CHECK(uas->refresher == Refresher::uas);
  // delta-seconds saturate rather than wrap
  auto huge = parse_session_expires("99999999999999999999");
  REQUIRE(huge);
  CHECK(huge->seconds == 4294967295u);
  for (const char* bad : {"", "abc", "-5", "1.5", "90;refresher=both", "9 0"}) {
    INFO(bad);
    CHECK_FALSE(parse_session_expires(bad));
  }
  CHECK(parse_min_se("90") == 90u);
  CHECK(parse_min_se("120;ext=1") == 120u);
  CHECK_FALSE(parse_min_se("soon"));
}

TEST_CASE("The UAS answer follows RFC 4028 §9 for each kind of request", "[sip][session-timer]") {
  SessionTimerRequest request;
  SECTION("no Session-Expires: no timer and nothing added") {
    request.uac_supports_timer = true;
    const auto decision = decide_session_timer(request, 90);
    CHECK(decision.kind == SessionTimerDecision::Kind::none);
    CHECK(decision.response_headers().empty());
  }
  SECTION("an SRC supporting timers that names no refresher refreshes itself and the 2xx requires timer") {
    request.session_expires = "1800";
    request.uac_supports_timer = true;
    const auto decision = decide_session_timer(request, 90);
    CHECK(decision.kind == SessionTimerDecision::Kind::run);
    CHECK(decision.interval_s == 1800);
    CHECK(decision.refresher == Refresher::uac);
    CHECK(decision.response_headers() == "Session-Expires: 1800;refresher=uac\r\nRequire: timer\r\n");
  }
  SECTION("a refresher the request names is copied") {
    request.session_expires = "600;refresher=uas";
    request.uac_supports_timer = true;
    const auto decision = decide_session_timer(request, 90);
    CHECK(decision.refresher == Refresher::uas);
    CHECK(decision.response_headers() == "Session-Expires: 600;refresher=uas\r\n");
  }
  SECTION("a UAC without timer support cannot refresh: the UAS does and requires nothing of it") {
    request.session_expires = "600;refresher=uac";  // a proxy's, say; the UAC said nothing
    request.uac_supports_timer = false;
    const auto decision = decide_session_timer(request, 90);
    CHECK(decision.refresher == Refresher::uas);
    CHECK(decision.response_headers().find("Require") == std::string::npos);
  }
  SECTION("an interval below our Min-SE is refused 422 naming it or raised for a UAC without timers; at the minimum it is taken") {
    request.session_expires = "89";
    request.uac_supports_timer = true;
    auto decision = decide_session_timer(request, 90);
    CHECK(decision.kind == SessionTimerDecision::Kind::too_small);
    CHECK(decision.min_se_s == 90);
    CHECK(decision.response_headers().empty());
    request.session_expires = "90";
    decision = decide_session_timer(request, 90);
    CHECK(decision.kind == SessionTimerDecision::Kind::run);
    CHECK(decision.interval_s == 90);
    // A UAC without timer support would not understand 422: raised to our minimum and we refresh.
    request.session_expires = "30";
    request.uac_supports_timer = false;
    decision = decide_session_timer(request, 90);
    CHECK(decision.kind == SessionTimerDecision::Kind::run);
    CHECK(decision.interval_s == 90);
    CHECK(decision.refresher == Refresher::uas);
  }
  SECTION("an unreadable Session-Expires or Min-SE is a bad request with the value in the detail") {
    request.session_expires = "soon";
    auto decision = decide_session_timer(request, 90);
    CHECK(decision.kind == SessionTimerDecision::Kind::malformed);
    CHECK(decision.detail.find("soon") != std::string::npos);
    request.session_expires = "1800";
    request.min_se = "x\r\nInjected: 1";
    decision = decide_session_timer(request, 90);
    CHECK(decision.kind == SessionTimerDecision::Kind::malformed);
    CHECK(decision.detail.find('\r') == std::string::npos);  // safe to write into a Warning
  }
}

TEST_CASE("The non-refresher gives up min(32 s or a third) before expiry and the refresher refreshes at half", "[sip][session-timer]") {
  // RFC 4028 §10
  CHECK(expiry_deadline_ms(1800) == 1'768'000);  // 32 s before
  CHECK(expiry_deadline_ms(90) == 60'000);       // a third (30 s) before
  CHECK(expiry_deadline_ms(4) == 2'667);
  CHECK(refresh_due_ms(1800) == 900'000);
  CHECK(refresh_due_ms(4) == 2'000);
}
