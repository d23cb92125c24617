// A call's metadata kept within its limits, whatever the platform sent.

#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "server/call_metadata.h"

using nlohmann::json;
using tw::server::CallMetadata;
using tw::server::MetadataLimits;

TEST_CASE("call metadata within the limits is kept as sent", "[server][metadata][security]") {
  CallMetadata m{MetadataLimits{}};
  const json sent = {{"agent_id", "A17"},
                     {"queue", "billing"},
                     {"customParameters", {{"FirstName", "Jane"}, {"tier", 3}, {"vip", true}}},
                     {"tags", {"a", "b", nullptr, 1.5}}};
  CHECK(m.merge(sent) == 0);
  CHECK(m.value() == sent);
  CHECK(m.bytes() == sent.dump().size());
  CHECK(m.cut() == 0);
  // A later leg adds keys, never replaces them.
  CHECK(m.merge({{"agent_id", "B99"}, {"remote", "10.0.0.1:5000"}}) == 0);
  CHECK(m.value()["agent_id"] == "A17");
  CHECK(m.value()["remote"] == "10.0.0.1:5000");
  CHECK(m.bytes() == m.value().dump().size());
}

TEST_CASE("call metadata past its limits is cut to a few KiB and counted", "[server][metadata][security]") {
  const MetadataLimits limits;  // 4096 bytes, 64 entries, 256-byte strings, 4 deep
  SECTION("many keys and long strings") {
    CallMetadata m{limits};
    json sent = {{"platform_call_id", "CA123"}};
    for (int i = 0; i < 2000; ++i) sent["key" + std::to_string(i)] = std::string(1000, 'v');
    const std::size_t cut = m.merge(sent);
    CHECK(cut >= 1936);  // at most 64 of the 2001 members stay
    CHECK(m.value().dump().size() <= limits.max_bytes);
    CHECK(m.value().size() <= limits.max_entries);
    CHECK(m.value()["platform_call_id"] == "CA123");  // tonewatch's own key first, whatever the order
    for (const auto& [key, value] : m.value().items()) {
      if (value.is_string()) CHECK(value.get<std::string>().size() <= limits.max_string_bytes);
    }
  }
  SECTION("deep values become null at the depth limit") {
    CallMetadata m{limits};
    const json sent = {{"a", {{"b", {{"c", {{"d", 1}}}}}}}};  // the object is 1, a 2, b 3, c 4: d's object is 4 deep
    CHECK(m.merge(sent) == 0);
    CallMetadata n{limits};
    const json deeper = {{"a", {{"b", {{"c", {{"d", {1, 2}}}}}}}}};  // d's array would be 5 deep
    CHECK(n.merge(deeper) == 1);
    CHECK(n.value()["a"]["b"]["c"]["d"].is_null());
  }
  SECTION("a string is shortened at a UTF-8 boundary and escapes are counted") {
    CallMetadata m{limits};
    std::string text(255, 'x');
    text += "\xC3\xA9\xC3\xA9";  // 255 + é é: the cut at 256 would split the first é
    CHECK(m.merge({{"name", text}}) == 1);
    CHECK(m.value()["name"].get<std::string>() == std::string(255, 'x'));
    CallMetadata e{limits};
    CHECK(e.merge({{"ctl", std::string(200, '\x01')}}) == 0);
    CHECK(e.bytes() == e.value().dump().size());  // 200 × \u0001
  }
  SECTION("every leg together stays within the bytes limit") {
    CallMetadata m{limits};
    for (int leg = 0; leg < 10; ++leg) {
      json sent;
      for (int i = 0; i < 20; ++i) sent["leg" + std::to_string(leg) + "_" + std::to_string(i)] = std::string(200, 'x');
      m.merge(sent);
      CHECK(m.value().dump().size() <= limits.max_bytes);
      CHECK(m.bytes() == m.value().dump().size());
    }
    CHECK(m.cut() > 0);
  }
  SECTION("an array of 60000 elements keeps what fits") {
    CallMetadata m{limits};
    CHECK(m.merge({{"list", json(std::vector<int>(60000, 7))}}) >= 60000 - 64);
    CHECK(m.value()["list"].size() < 64);
    CHECK(m.value().dump().size() <= limits.max_bytes);
  }
}

TEST_CASE("call metadata limits must be positive", "[server][metadata]") {
  MetadataLimits bad;
  bad.max_bytes = 10;
  CHECK_THROWS_AS(CallMetadata(bad), std::invalid_argument);
  bad = {};
  bad.max_entries = 0;
  CHECK_THROWS_AS(CallMetadata(bad), std::invalid_argument);
}

TEST_CASE("call metadata updated mid-call replaces the members it names and stays within the limits",
          "[server][metadata][security]") {
  CallMetadata m{MetadataLimits{}};
  CHECK(m.merge({{"sip_call_id", "abc"}, {"participants", {{{"name", "Bob"}, {"role", "agent"}}}}}) == 0);
  // A SIPREC metadata update renames a participant: merge() would keep the old value.
  CHECK(m.update({{"participants", {{{"name", "Robert"}, {"role", "agent"}}}}}) == 0);
  CHECK(m.value()["participants"][0]["name"] == "Robert");
  CHECK(m.value()["sip_call_id"] == "abc");
  CHECK(m.bytes() == m.value().dump().size());
  // An update past the byte limit is cut and counted as merge() cuts it.
  MetadataLimits small;
  small.max_bytes = 128;
  CallMetadata bounded{small};
  bounded.merge({{"a", "1"}});
  CHECK(bounded.update({{"a", std::string(400, 'x')}}) > 0);
  CHECK(bounded.value().dump().size() <= 128);
  CHECK(m.update(json::array({1, 2})) == 0);  // not an object: ignored
  CHECK(m.value()["participants"][0]["name"] == "Robert");
}
