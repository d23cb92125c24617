#include "support/devtools.h"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "support/headless_chromium.h"
#include "support/shared_data.h"

namespace tw::test {

using nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_left(Clock::time_point deadline) {
  return std::max(0.0, std::chrono::duration<double>(deadline - Clock::now()).count());
}

Clock::time_point after(double seconds) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

std::string decode_base64(const std::string& text) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    int v = -1;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    if (v < 0) continue;  // padding, line breaks
    buffer = (buffer << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xFF);
    }
  }
  return out;
}

std::string describe_exception(const json& details) {
  std::string text = details.value("text", std::string("exception"));
  if (details.contains("exception") && details["exception"].is_object()) {
    text += ": " + details["exception"].value("description", details["exception"].value("value", json()).dump());
  }
  text += " (" + details.value("url", std::string()) + ":" + std::to_string(details.value("lineNumber", 0) + 1) + ")";
  return text;
}

}  // namespace

Browser::Browser(const std::string& name) {
  const std::string binary = chromium_binary();
  const std::filesystem::path profile = std::filesystem::path(scratch_dir()) / ("chromium-devtools-" + name);
  std::filesystem::remove_all(profile);
  std::filesystem::create_directories(profile);
  std::vector<std::string> args = chromium_base_flags(profile.string());
  args.insert(args.end(), {"--remote-debugging-port=0", "--hide-scrollbars", "--mute-audio", "about:blank"});
  process_ = std::make_unique<ChildProcess>(binary, args, (profile / "chromium").string());
  // Chromium writes the port it took, and the browser target's path, to this file.
  const std::filesystem::path active = profile / "DevToolsActivePort";
  const auto deadline = after(30.0);
  std::string port_line, path_line;
  while (Clock::now() < deadline) {
    std::ifstream in(active);
    if (in && std::getline(in, port_line) && std::getline(in, path_line) && !path_line.empty()) break;
    if (!process_->running()) FAIL("Chromium exited at start: " << process_->command() << "\n" << process_->err().substr(0, 4000));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (path_line.empty()) FAIL("Chromium did not open its DevTools port in 30 s:\n" << process_->err().substr(0, 4000));
  socket_ = std::make_unique<WebSocketClient>("127.0.0.1", static_cast<std::uint16_t>(std::stoi(port_line)), path_line);
}

Browser::~Browser() {
  if (socket_) {
    try {
      socket_->close();
    } catch (...) {
    }
  }
  if (process_) process_->stop(SIGTERM, 5.0);
}

void Browser::dispatch(const json& m) {
  const std::string session = m.value("sessionId", std::string());
  const std::string method = m.value("method", std::string());
  for (auto& page : pages_) {
    if (page->session_ != session) continue;
    const json& p = m.contains("params") ? m["params"] : json::object();
    if (method == "Runtime.exceptionThrown") {
      page->errors_.push_back(describe_exception(p.value("exceptionDetails", json::object())));
    } else if (method == "Runtime.consoleAPICalled") {
      std::string text;
      for (const json& a : p.value("args", json::array())) {
        text += (text.empty() ? "" : " ") + (a.contains("value") ? (a["value"].is_string() ? a["value"].get<std::string>() : a["value"].dump())
                                                                : a.value("description", std::string()));
      }
      const std::string type = p.value("type", std::string());
      page->console_.push_back(type + ": " + text);
      if (type == "error" || type == "assert") page->errors_.push_back("console." + type + ": " + text);
    } else if (method == "Page.loadEventFired") {
      page->load_events_ += 1;
    }
  }
}

void Browser::pump(double timeout_s) {
  const auto deadline = after(timeout_s);
  do {
    const auto message = socket_->read(seconds_left(deadline));
    if (!message) {
      if (socket_->closed()) FAIL("the DevTools connection closed; Chromium's log:\n" << log().substr(0, 4000));
      return;
    }
    const json m = json::parse(*message, nullptr, false);
    if (m.is_object() && m.contains("method")) dispatch(m);
  } while (Clock::now() < deadline);
}

json Browser::command(const std::string& session, const std::string& method, const json& params, double timeout_s) {
  json answer = exchange(session, method, params, timeout_s);
  if (answer.contains("error")) FAIL("DevTools " << method << " failed: " << answer["error"].dump());
  return answer.value("result", json::object());
}

json Browser::exchange(const std::string& session, const std::string& method, const json& params, double timeout_s) {
  const int id = next_id_++;
  json message = {{"id", id}, {"method", method}, {"params", params}};
  if (!session.empty()) message["sessionId"] = session;
  socket_->send_text(message.dump());
  const auto deadline = after(timeout_s);
  while (Clock::now() < deadline) {
    const auto text = socket_->read(seconds_left(deadline));
    if (!text) {
      if (socket_->closed()) FAIL("the DevTools connection closed during " << method << "; Chromium's log:\n" << log().substr(0, 4000));
      break;
    }
    const json m = json::parse(*text, nullptr, false);
    if (!m.is_object()) continue;
    if (m.contains("method")) {
      dispatch(m);
      continue;
    }
    if (m.value("id", 0) != id) continue;
    return m;
  }
  FAIL("DevTools " << method << ": no answer in " << timeout_s << " s");
  return {};
}

BrowserPage& Browser::open(const std::string& url, int width, int height) {
  const json target = command("", "Target.createTarget", {{"url", "about:blank"}}, 20.0);
  const json attached = command("", "Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}}, 20.0);
  pages_.push_back(std::unique_ptr<BrowserPage>(new BrowserPage(*this, attached["sessionId"].get<std::string>())));
  BrowserPage& page = *pages_.back();
  page.call("Page.enable");
  page.call("Runtime.enable");
  page.resize(width, height);
  page.navigate(url);
  return page;
}

json BrowserPage::call(const std::string& method, const json& params, double timeout_s) {
  return browser_.command(session_, method, params, timeout_s);
}

void BrowserPage::navigate(const std::string& url, double timeout_s) {
  const int before = load_events_;
  const json result = call("Page.navigate", {{"url", url}}, timeout_s);
  if (result.contains("errorText")) FAIL("cannot load " << url << ": " << result["errorText"].dump());
  const auto deadline = after(timeout_s);
  while (load_events_ == before && Clock::now() < deadline) browser_.pump(std::min(0.1, seconds_left(deadline)));
  if (load_events_ == before) FAIL(url << " did not finish loading in " << timeout_s << " s");
}

json BrowserPage::evaluate(const std::string& expression, double timeout_s) {
  const json result =
      call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}}, timeout_s);
  if (result.contains("exceptionDetails")) FAIL("script failed: " << expression << "\n" << describe_exception(result["exceptionDetails"]));
  const json& value = result["result"];
  return value.contains("value") ? value["value"] : json(nullptr);
}

bool BrowserPage::wait_for(const std::string& expression, double timeout_s, double poll_s) {
  const auto deadline = after(timeout_s);
  for (;;) {
    // A page in the middle of loading may have no body yet, or lose its context
    // under the script: that is "not yet", not a failure.
    const json answer = browser_.exchange(
        session_, "Runtime.evaluate",
        {{"expression", "(function () { try { return !!(" + expression + "); } catch (e) { return false; } })()"},
         {"returnByValue", true}},
        std::max(1.0, seconds_left(deadline)));
    if (answer.contains("result") && answer["result"].contains("result") && answer["result"]["result"].value("value", false) == true) {
      return true;
    }
    if (Clock::now() >= deadline) return false;
    browser_.pump(std::min(poll_s, seconds_left(deadline)));
  }
}

void BrowserPage::click(const std::string& selector) {
  const json at = evaluate("(function () { var e = document.querySelector(" + json(selector).dump() +
                           "); if (!e) return null; e.scrollIntoView({block: 'center'});"
                           " var r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()");
  if (!at.is_array()) FAIL("nothing to click: no element matches " << selector);
  const double x = at[0].get<double>(), y = at[1].get<double>();
  call("Input.dispatchMouseEvent", {{"type", "mouseMoved"}, {"x", x}, {"y", y}});
  call("Input.dispatchMouseEvent", {{"type", "mousePressed"}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", 1}});
  call("Input.dispatchMouseEvent", {{"type", "mouseReleased"}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", 1}});
}

void BrowserPage::type(const std::string& selector, const std::string& text) {
  const json found = evaluate("(function () { var e = document.querySelector(" + json(selector).dump() +
                              "); if (!e) return false; e.focus(); return true; })()");
  if (found != true) FAIL("nothing to type into: no element matches " << selector);
  call("Input.insertText", {{"text", text}});
}

void BrowserPage::resize(int width, int height) {
  call("Emulation.setDeviceMetricsOverride", {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

void BrowserPage::screenshot(const std::string& path, bool full_page) {
  json params = {{"format", "png"}};
  if (full_page) {
    const json metrics = call("Page.getLayoutMetrics");
    const json& size = metrics["cssContentSize"];
    params["captureBeyondViewport"] = true;
    params["clip"] = {{"x", 0}, {"y", 0}, {"width", size["width"]}, {"height", size["height"]}, {"scale", 1}};
  }
  const json shot = call("Page.captureScreenshot", params, 30.0);
  std::ofstream out(path, std::ios::binary);
  out << decode_base64(shot["data"].get<std::string>());
  if (!out) FAIL("cannot write the screenshot " << path);
}

}  // namespace tw::test
