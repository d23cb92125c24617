#pragma once
// Reading a whole file in a test: outputs, logs, docs, fixtures.

#include <string>

namespace tw::test {

/// The whole content of a file, bytes as they are ("" when it cannot be read).
std::string read_text(const std::string& path);

}  // namespace tw::test
