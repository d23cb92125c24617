// The webhook spool on its own: order and cursors per URL, restart, the byte bound,
// damaged files, and the lock against a second user.

#include <catch2/catch.hpp>

#include <fstream>
#include <string>
#include <vector>

#include "alerts/webhook_spool.h"
#include "alerts/webhook_test_support.h"
#include "support/config_checks.h"

using tw::alerts::SpooledEvent;
using tw::alerts::WebhookSpool;
using tw::alerts::WebhookSpoolConfig;
using tw::test::ScratchSpool;

namespace {

const std::vector<std::string> kTwoUrls{"http://a.example/hook", "http://b.example/hook"};

// Every record is the same size: key "call:<seq>" and a body padded to 100 bytes.
SpooledEvent record(std::uint64_t sequence) {
  std::string body = "{\"n\":" + std::to_string(sequence) + ",\"pad\":\"";
  body += std::string(100 - body.size() - 2, 'x') + "\"}";
  return {sequence, "call:" + std::to_string(sequence), body};
}

std::uint64_t append(WebhookSpool& spool) {
  const auto sequence = spool.append(record);
  REQUIRE(sequence.has_value());
  return *sequence;
}

// Takes everything `url` has waiting, acknowledging each; returns the sequences.
std::vector<std::uint64_t> drain(WebhookSpool& spool, std::size_t url) {
  std::vector<std::uint64_t> got;
  while (auto head = spool.head(url)) {
    CHECK(head->body == record(head->sequence).body);
    CHECK(head->idempotency_key == record(head->sequence).idempotency_key);
    got.push_back(head->sequence);
    CHECK(spool.ack(url, head->sequence));
  }
  return got;
}

std::size_t files_in(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

}  // namespace

TEST_CASE("Spool: each URL gets every event in order with its own cursor", "[alerts][webhook][spool]") {
  ScratchSpool dir;
  WebhookSpool spool({dir.path(), 1 << 20, true}, kTwoUrls);
  for (int i = 0; i < 5; ++i) CHECK(append(spool) == static_cast<std::uint64_t>(i + 1));
  CHECK(spool.depth(0).events == 5);
  CHECK(spool.depth(1).events == 5);

  // URL 0 takes two; the head does not move without an ack.
  CHECK(spool.head(0)->sequence == 1);
  CHECK(spool.head(0)->sequence == 1);
  CHECK(spool.ack(0, 1));
  CHECK(spool.ack(0, spool.head(0)->sequence));
  CHECK(spool.depth(0).events == 3);
  CHECK(spool.depth(0).bytes == 3 * (record(3).idempotency_key.size() + 1 + 100));
  CHECK(spool.depth(1).events == 5);
  CHECK(spool.total().events == 5);  // URL 1 still needs them all

  CHECK(drain(spool, 1) == std::vector<std::uint64_t>{1, 2, 3, 4, 5});
  CHECK(spool.total().events == 3);  // 1 and 2 are done for both and deleted
  CHECK(files_in(dir.path() / "events") == 3);
  CHECK(drain(spool, 0) == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(spool.total().events == 0);
  CHECK(spool.total().bytes == 0);
  CHECK(files_in(dir.path() / "events") == 0);
}

TEST_CASE("Spool: a new spool on the same folder resumes each cursor and never reuses a sequence",
          "[alerts][webhook][spool]") {
  ScratchSpool dir;
  {
    WebhookSpool spool({dir.path(), 1 << 20, true}, kTwoUrls);
    for (int i = 0; i < 6; ++i) append(spool);
    for (std::uint64_t s = 1; s <= 4; ++s) REQUIRE(spool.ack(0, s));
    REQUIRE(spool.ack(1, 1));
  }
  {
    WebhookSpool spool({dir.path(), 1 << 20, true}, kTwoUrls);
    CHECK(spool.depth(0).events == 2);
    CHECK(spool.depth(1).events == 5);
    CHECK(spool.next_sequence() == 7);
    CHECK(drain(spool, 0) == std::vector<std::uint64_t>{5, 6});
    CHECK(drain(spool, 1) == std::vector<std::uint64_t>{2, 3, 4, 5, 6});
    CHECK(spool.total().events == 0);
  }
  {
    // Everything was delivered and deleted: the cursors still remember sequence 7.
    WebhookSpool spool({dir.path(), 1 << 20, true}, kTwoUrls);
    CHECK(append(spool) == 7);
  }
}

TEST_CASE("Spool: a URL added later starts with new events and a URL removed holds none", "[alerts][webhook][spool]") {
  ScratchSpool dir;
  {
    WebhookSpool spool({dir.path(), 1 << 20, false}, {kTwoUrls[0]});
    for (int i = 0; i < 3; ++i) append(spool);
  }
  {
    WebhookSpool spool({dir.path(), 1 << 20, false}, {kTwoUrls[1], kTwoUrls[0]});
    CHECK(spool.depth(0).events == 0);  // the newcomer
    CHECK(spool.depth(1).events == 3);  // the old URL keeps its backlog
    append(spool);
    CHECK(drain(spool, 0) == std::vector<std::uint64_t>{4});
  }
  {
    // Only the newcomer now: the old URL's backlog is no longer kept.
    WebhookSpool spool({dir.path(), 1 << 20, false}, {kTwoUrls[1]});
    CHECK(spool.depth(0).events == 0);
    CHECK(spool.total().events == 0);
  }
}

TEST_CASE("Spool: the byte bound drops the oldest events and counts them per URL", "[alerts][webhook][spool]") {
  ScratchSpool dir;
  const std::uint64_t one = record(1).idempotency_key.size() + 1 + 100;  // "call:N" is 6 bytes for N < 10
  WebhookSpool spool({dir.path(), 3 * one + 10, true}, kTwoUrls);
  for (int i = 0; i < 3; ++i) append(spool);
  REQUIRE(spool.ack(1, 1));  // URL 1 already had event 1
  for (int i = 0; i < 2; ++i) append(spool);

  CHECK(spool.total().events == 3);
  CHECK(spool.total().bytes <= 3 * one + 10);
  CHECK(spool.dropped(0) == 2);  // events 1 and 2
  CHECK(spool.dropped(1) == 1);  // event 2 only
  CHECK(drain(spool, 0) == std::vector<std::uint64_t>{3, 4, 5});
  CHECK(drain(spool, 1) == std::vector<std::uint64_t>{3, 4, 5});

  // An event larger than the whole bound is refused and counted for every URL.
  const auto huge = spool.append([](std::uint64_t s) { return SpooledEvent{s, "k:1", "{" + std::string(500, ' ') + "}"}; });
  CHECK_FALSE(huge.has_value());
  CHECK(spool.dropped(0) == 3);
  CHECK(spool.dropped(1) == 2);
}

TEST_CASE("Spool: an event the bound drops while it is being sent counts once", "[alerts][webhook][spool]") {
  ScratchSpool dir;
  const std::uint64_t one = record(1).idempotency_key.size() + 1 + 100;
  WebhookSpool spool({dir.path(), 2 * one, true}, {kTwoUrls[0]});
  append(spool);
  append(spool);
  const auto in_flight = spool.head(0);
  REQUIRE(in_flight->sequence == 1);
  append(spool);  // pushes event 1 out while it is in flight
  CHECK(spool.dropped(0) == 1);
  // The send succeeded after all: the ack reports the drop and the drop is undone.
  CHECK_FALSE(spool.ack(0, 1));
  CHECK(spool.dropped(0) == 0);
  CHECK(drain(spool, 0) == std::vector<std::uint64_t>{2, 3});
}

TEST_CASE("Spool: damaged files are skipped or repaired and half-written files removed", "[alerts][webhook][spool]") {
  ScratchSpool dir;
  std::filesystem::path cursor_file;
  {
    WebhookSpool spool({dir.path(), 1 << 20, true}, {kTwoUrls[0]});
    for (int i = 0; i < 4; ++i) append(spool);
    REQUIRE(spool.ack(0, 1));
    cursor_file = dir.path() / "cursors" / WebhookSpool::cursor_file_name(kTwoUrls[0]);
  }
  std::ofstream(dir.path() / "events" / "00000000000000000003.event") << "not an event";
  std::ofstream(dir.path() / "events" / "00000000000000000009.event.tmp") << "half written";
  {
    WebhookSpool spool({dir.path(), 1 << 20, true}, {kTwoUrls[0]});
    CHECK_FALSE(std::filesystem::exists(dir.path() / "events" / "00000000000000000009.event.tmp"));
    CHECK(drain(spool, 0) == std::vector<std::uint64_t>{2, 4});
    CHECK(spool.corrupt() == 1);
  }
  // A damaged cursor resends from the oldest event kept rather than skip any.
  {
    WebhookSpool spool({dir.path(), 1 << 20, true}, kTwoUrls);
    for (int i = 0; i < 2; ++i) append(spool);  // 5 and 6; URL 1 (new) keeps them
    REQUIRE(spool.ack(0, 5));
  }
  std::ofstream(cursor_file) << "garbage";
  WebhookSpool spool({dir.path(), 1 << 20, true}, kTwoUrls);
  CHECK(drain(spool, 0) == std::vector<std::uint64_t>{5, 6});
  CHECK(drain(spool, 1) == std::vector<std::uint64_t>{5, 6});
}

TEST_CASE("Spool: one user at a time / bad configuration rejected", "[alerts][webhook][spool]") {
  ScratchSpool dir;
  {
    WebhookSpool first({dir.path(), 1 << 20, true}, {kTwoUrls[0]});
    CHECK_THROWS_WITH(WebhookSpool({dir.path(), 1 << 20, true}, {kTwoUrls[0]}),
                      Catch::Contains("in use by another webhook sink"));
  }
  CHECK_NOTHROW(WebhookSpool({dir.path(), 1 << 20, true}, {kTwoUrls[0]}));  // released with the first

  using tw::test::check_rejected;
  check_rejected("a directory", [&] { WebhookSpool({"", 1 << 20, true}, kTwoUrls); }, "directory");
  check_rejected("a positive bound", [&] { WebhookSpool({dir.path(), 0, true}, kTwoUrls); }, "max_bytes");
  check_rejected("a URL", [&] { WebhookSpool({dir.path(), 1 << 20, true}, {}); }, "URL");
  check_rejected("distinct URLs", [&] { WebhookSpool({dir.path(), 1 << 20, true}, {kTwoUrls[0], kTwoUrls[0]}); },
                 "twice");
}
