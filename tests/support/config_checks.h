#pragma once
// Checks that a constructor refuses a configuration, naming the bad field.

#include <catch2/catch.hpp>

#include <functional>
#include <stdexcept>
#include <string>

namespace tw::test {

/// Runs `construct` and checks that it throws std::invalid_argument whose
/// message names `field`; `rule` says which rule the configuration breaks.
inline void check_rejected(const std::string& rule, const std::function<void()>& construct, const std::string& field) {
  INFO("rule: " << rule);
  try {
    construct();
    FAIL_CHECK("accepted a configuration that breaks '" << rule << "'");
  } catch (const std::invalid_argument& e) {
    INFO("message: " << e.what());
    CHECK(std::string(e.what()).find(field) != std::string::npos);
  }
}

}  // namespace tw::test
