#pragma once
// Drives headless Chromium over the Chrome DevTools Protocol, for browser tests
// that interact with a live page: navigate, evaluate script, click with real
// mouse events, type, wait for a condition, collect uncaught script errors, take
// screenshots. The protocol's WebSocket is spoken by the tests' own Beast client
// (support/web_client.h); no WebDriver, no Node, nothing downloaded.
//
// Chromium runs with a fresh profile and --remote-debugging-port=0; the port it
// picked is read from DevToolsActivePort in the profile. Each page is a target
// attached with flatten=true, so one connection serves every page.

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/child_process.h"
#include "support/web_client.h"

namespace tw::test {

class Browser;

/// One tab.
class BrowserPage {
 public:
  /// A DevTools command on this page; its result. Fails the test on a protocol
  /// error or no answer in `timeout_s`.
  nlohmann::json call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                      double timeout_s = 20.0);
  /// Loads `url` and waits for its load event.
  void navigate(const std::string& url, double timeout_s = 20.0);
  /// Evaluates `expression` (promises awaited) and returns its value. Fails the
  /// test if it throws.
  nlohmann::json evaluate(const std::string& expression, double timeout_s = 20.0);
  /// Polls `expression` until it is truthy; false on timeout.
  bool wait_for(const std::string& expression, double timeout_s, double poll_s = 0.05);
  /// Clicks the centre of the first element matching `selector` with real mouse
  /// events (scrolled into view first). Fails the test if there is none.
  void click(const std::string& selector);
  /// Focuses `selector` and types `text` into it.
  void type(const std::string& selector, const std::string& text);
  /// A PNG of the viewport (or the whole page) written to `path`.
  void screenshot(const std::string& path, bool full_page = false);
  /// Sets the viewport size in CSS pixels.
  void resize(int width, int height);
  /// Uncaught exceptions and console errors seen on this page so far.
  std::vector<std::string> script_errors() const { return errors_; }
  /// Every console message (type: text) so far.
  std::vector<std::string> console() const { return console_; }

 private:
  friend class Browser;
  BrowserPage(Browser& browser, std::string session) : browser_(browser), session_(std::move(session)) {}
  Browser& browser_;
  std::string session_;
  std::vector<std::string> errors_, console_;
  int load_events_ = 0;
};

class Browser {
 public:
  /// Starts headless Chromium (support/headless_chromium.h finds the binary and
  /// its flags) with a fresh profile named `name` under the scratch directory.
  explicit Browser(const std::string& name);
  ~Browser();
  Browser(const Browser&) = delete;
  Browser& operator=(const Browser&) = delete;

  /// Opens a new tab on `url` (and waits for its load event), sized width x height.
  BrowserPage& open(const std::string& url, int width = 1400, int height = 900);
  /// Chromium's stderr so far (for failure messages).
  std::string log() const { return process_->err(); }

 private:
  friend class BrowserPage;
  nlohmann::json command(const std::string& session, const std::string& method, const nlohmann::json& params,
                         double timeout_s);
  /// Sends a command and returns the whole answer ({"result"} or {"error"}).
  nlohmann::json exchange(const std::string& session, const std::string& method, const nlohmann::json& params,
                          double timeout_s);
  void dispatch(const nlohmann::json& message);  // an event to its page
  /// Reads messages for up to `timeout_s`, dispatching events.
  void pump(double timeout_s);

  std::unique_ptr<ChildProcess> process_;
  std::unique_ptr<WebSocketClient> socket_;
  std::vector<std::unique_ptr<BrowserPage>> pages_;
  int next_id_ = 1;
};

}  // namespace tw::test
