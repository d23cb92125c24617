#include "alerts/webhook_client.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include <curl/curl.h>

#include "text/ascii.h"

namespace tw::alerts {
namespace {

void global_init() {
  // curl_global_init is not thread-safe on every build; once per process, never
  // cleaned up (other threads of the process may still use libcurl at exit).
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("libcurl initialisation failed");
  });
}

constexpr std::size_t kErrorBodyBytes = 200;  // enough of an error page to say what the receiver objected to

struct Exchange {
  std::string body_start;
  std::optional<std::chrono::seconds> retry_after;
  std::int64_t now_unix_s = 0;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t bytes = size * count;
  const std::size_t room = kErrorBodyBytes - std::min(kErrorBodyBytes, exchange->body_start.size());
  exchange->body_start.append(data, std::min(room, bytes));
  return bytes;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) {
  auto* exchange = static_cast<Exchange*>(user);
  const std::size_t bytes = size * count;
  const std::string_view line(data, bytes);
  if (text::ascii_istarts_with(line, "HTTP/")) {
    // A new response (after a 1xx, say): what came before belongs to another one.
    exchange->retry_after.reset();
    exchange->body_start.clear();
  } else if (text::ascii_istarts_with(line, "retry-after:")) {
    exchange->retry_after = parse_retry_after(line.substr(12), exchange->now_unix_s);
  }
  return bytes;
}

WebhookFailure classify_transfer_error(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return WebhookFailure::connect;
    case CURLE_OPERATION_TIMEDOUT:
      return WebhookFailure::timeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return WebhookFailure::tls;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_WEIRD_SERVER_REPLY:
      return WebhookFailure::network;
    default:
      return WebhookFailure::other;
  }
}

}  // namespace

void validate_webhook_url(const std::string& url) {
  global_init();
  CURLU* parsed = curl_url();
  if (parsed == nullptr) throw std::runtime_error("libcurl: out of memory");
  const bool ok = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0) == CURLUE_OK;
  char* scheme = nullptr;
  char* host = nullptr;
  const bool has_scheme = ok && curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK;
  const bool has_host = ok && curl_url_get(parsed, CURLUPART_HOST, &host, 0) == CURLUE_OK;
  const std::string scheme_text = has_scheme ? scheme : "";
  const bool host_ok = has_host && host != nullptr && host[0] != '\0';
  curl_free(scheme);
  curl_free(host);
  curl_url_cleanup(parsed);
  if (!ok || !host_ok || (scheme_text != "http" && scheme_text != "https")) {
    throw std::invalid_argument("webhook URL '" + url + "' is not an absolute http:// or https:// URL");
  }
}

WebhookClient::WebhookClient(WebhookClientConfig config) : config_(std::move(config)) {
  global_init();
  easy_ = curl_easy_init();
  multi_ = curl_multi_init();
  if (easy_ == nullptr || multi_ == nullptr) {
    if (easy_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(easy_));
    if (multi_ != nullptr) curl_multi_cleanup(static_cast<CURLM*>(multi_));
    throw std::runtime_error("libcurl: cannot create a transfer handle");
  }
}

WebhookClient::~WebhookClient() {
  curl_easy_cleanup(static_cast<CURL*>(easy_));
  curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void WebhookClient::interrupt() noexcept { curl_multi_wakeup(static_cast<CURLM*>(multi_)); }

WebhookResponse WebhookClient::post(const std::string& url, const std::vector<std::string>& headers,
                                    const std::string& body, const std::atomic<bool>& abort) {
  CURL* easy = static_cast<CURL*>(easy_);
  CURLM* multi = static_cast<CURLM*>(multi_);
  WebhookResponse response;
  Exchange exchange;
  exchange.now_unix_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();

  curl_slist* header_list = nullptr;
  auto add_header = [&header_list](const char* line) {
    curl_slist* grown = curl_slist_append(header_list, line);
    if (grown == nullptr) throw std::bad_alloc();
    header_list = grown;
  };
  try {
    add_header("Content-Type: application/json");
    add_header("Expect:");  // no 100-continue round trip: the body is small and always wanted
    for (const std::string& h : headers) add_header(h.c_str());
  } catch (...) {
    curl_slist_free_all(header_list);
    throw;
  }

  char error_buffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);  // required with threads: no SIGALRM for DNS timeouts
  curl_easy_setopt(easy, CURLOPT_POST, 1L);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_list);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, config_.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &exchange);
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, &exchange);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);

  CURLcode result = CURLE_OK;
  bool finished = false;
  if (const CURLMcode added = curl_multi_add_handle(multi, easy); added != CURLM_OK) {
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
    curl_slist_free_all(header_list);
    response.failure = WebhookFailure::other;
    response.error = curl_multi_strerror(added);
    return response;
  }
  for (;;) {
    int running = 0;
    const CURLMcode performed = curl_multi_perform(multi, &running);
    if (performed != CURLM_OK) {
      response.error = curl_multi_strerror(performed);
      break;
    }
    if (running == 0) {
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
          result = message->data.result;
          finished = true;
        }
      }
      break;
    }
    if (abort.load(std::memory_order_acquire)) {
      response.aborted = true;
      break;
    }
    // Sleeps until the socket is ready, libcurl's own timer (the timeouts) is due,
    // or interrupt() wakes it; the 1 s ceiling is only a backstop.
    curl_multi_poll(multi, nullptr, 0, 1000, nullptr);
    if (abort.load(std::memory_order_acquire)) {
      response.aborted = true;
      break;
    }
  }
  curl_multi_remove_handle(multi, easy);  // an unfinished transfer is abandoned and its connection closed
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(header_list);
  if (response.aborted) return response;

  if (!finished) {
    response.failure = WebhookFailure::other;
    if (response.error.empty()) response.error = "transfer did not complete";
    return response;
  }
  if (result != CURLE_OK) {
    response.failure = classify_transfer_error(result);
    response.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(result);
    return response;
  }
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response.status);
  response.failure = classify_http_status(response.status);
  response.retry_after = exchange.retry_after;
  if (response.failure) response.error = exchange.body_start;
  return response;
}

}  // namespace tw::alerts
