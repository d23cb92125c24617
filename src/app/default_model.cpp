#include "app/default_model.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace tw::app {
namespace {
#include "embedded_model.inc"  // generated: constexpr char kEmbeddedModel[] = R"(...)";
}

std::string_view embedded_model_json() noexcept { return kEmbeddedModel; }

std::string read_model_text(const std::string& path) {
  if (path.empty()) return std::string(kEmbeddedModel);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(path + ": cannot open model file: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string model_name(const std::string& path) { return path.empty() ? "built-in models/agitation-v1.json" : path; }

detect::AgitationModel load_agitation_model(const std::string& path) {
  if (path.empty()) return detect::AgitationModel::from_text(std::string(kEmbeddedModel), "embedded model");
  std::ifstream in(path);
  if (!in) throw std::invalid_argument(path + ": cannot open model file");
  std::stringstream text;
  text << in.rdbuf();
  return detect::AgitationModel::from_text(text.str(), path);
}

}  // namespace tw::app
