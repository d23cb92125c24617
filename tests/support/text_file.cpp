#include "support/text_file.h"

#include <fstream>
#include <sstream>

namespace tw::test {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tw::test
