// The Prometheus text the server exposes, and the event hub's alert bookkeeping.

#include <catch2/catch.hpp>

#include <algorithm>
#include <sstream>

#include "server/event_hub.h"
#include "server/metrics.h"

using tw::server::Metrics;

TEST_CASE("metrics render in the Prometheus text format 0.0.4", "[server][metrics]") {
  Metrics m;
  m.counter("tw_things_total", "Things", tw::server::label("kind", "a\"b\\c\nd")).add(3);
  m.counter("tw_things_total", "ignored later help", tw::server::label("kind", "plain")).add();
  m.gauge("tw_level", "Level").set(0.25);
  auto& h = m.histogram("tw_lag_seconds", "Lag", {0.01, 0.1, 1.0});
  for (double v : {0.005, 0.05, 0.05, 0.5, 5.0}) h.observe(v);
  const std::string text = m.render();
  CHECK(text.find("# HELP tw_things_total Things\n# TYPE tw_things_total counter\n") != std::string::npos);
  CHECK(text.find("tw_things_total{kind=\"a\\\"b\\\\c\\nd\"} 3\n") != std::string::npos);
  CHECK(text.find("tw_things_total{kind=\"plain\"} 1\n") != std::string::npos);
  CHECK(text.find("# TYPE tw_level gauge\ntw_level 0.25\n") != std::string::npos);
  CHECK(text.find("tw_lag_seconds_bucket{le=\"0.01\"} 1\n") != std::string::npos);
  CHECK(text.find("tw_lag_seconds_bucket{le=\"0.1\"} 3\n") != std::string::npos);
  CHECK(text.find("tw_lag_seconds_bucket{le=\"1\"} 4\n") != std::string::npos);
  CHECK(text.find("tw_lag_seconds_bucket{le=\"+Inf\"} 5\n") != std::string::npos);
  CHECK(text.find("tw_lag_seconds_count 5\n") != std::string::npos);
  CHECK(text.find("tw_lag_seconds_sum 5.605\n") != std::string::npos);
  // Quantiles interpolate within buckets, as PromQL's histogram_quantile does.
  const auto s = h.snapshot();
  CHECK(s.quantile(0.5) == Approx(0.01 + (0.1 - 0.01) * (2.5 - 1) / 2));
  CHECK(s.quantile(0.99) == 1.0);  // in the +Inf bucket: the highest bound
  CHECK_THROWS(m.gauge("tw_things_total", "wrong type"));
}

TEST_CASE("the hub tracks open alerts and episodes / an acknowledgement is an event", "[server][hub]") {
  Metrics m;
  std::ostringstream lines;
  tw::server::EventHub hub(m, &lines);
  std::vector<std::string> fed;
  const int id = hub.subscribe([&](const tw::alerts::Event&, const std::string& line) { fed.push_back(line); });

  tw::alerts::Event alert;
  alert.call_id = "c1";
  alert.sequence = 4;
  alert.kind = tw::alerts::EventKind::alert;
  alert.type = "supervisor_alert";
  alert.details = {{"reason", "escalation"}};
  alert.time_s = 19.0;
  tw::alerts::Event opened;
  opened.call_id = "c1";
  opened.sequence = 5;
  opened.type = "agent_raised_voice";
  opened.state = tw::alerts::EventState::opened;
  hub.on_event(alert);
  hub.on_event(opened);
  CHECK(hub.open_alert_count("c1") == 1);
  CHECK(hub.open_episodes("c1") == std::vector<std::string>{"agent_raised_voice"});

  CHECK_FALSE(hub.acknowledge("c1", 5, "sam"));  // not an alert
  const auto ack = hub.acknowledge("c1", 4, "sam");
  REQUIRE(ack);
  CHECK(ack->type == "alert_acknowledged");
  CHECK(ack->details["acknowledged_by"] == "sam");
  CHECK(ack->details["alert_seq"] == 4);
  CHECK_FALSE(hub.acknowledge("c1", 4, "kim"));  // already acknowledged
  CHECK(hub.open_alert_count("c1") == 0);
  CHECK(hub.alerts(true).empty());
  REQUIRE(hub.alerts(false).size() == 1);
  CHECK(hub.alerts(false)[0].acknowledged_by == "sam");

  opened.state = tw::alerts::EventState::closed;
  hub.on_event(opened);
  CHECK(hub.open_episodes("c1").empty());
  // Every event, the acknowledgement too, went to stdout and to the feed.
  CHECK(fed.size() == 4);
  CHECK(fed[2].find("\"alert_acknowledged\"") != std::string::npos);
  const std::string written = lines.str();
  CHECK(std::count(written.begin(), written.end(), '\n') == 4);
  hub.unsubscribe(id);
  hub.on_event(alert);
  CHECK(fed.size() == 4);
  CHECK(m.render().find("tonewatch_alerts_total{reason=\"escalation\"} 2") != std::string::npos);
}

TEST_CASE("every acknowledgement has its own sequence number in its call / a call's open alerts close when it ends and late ones too",
          "[server][hub]") {
  using tw::alerts::Event;
  Metrics m;
  tw::server::EventHub hub(m, nullptr);
  // The call's counter, as a live call shares it between its analysis and its acks.
  std::uint64_t counter = 7;  // the analysis has numbered 7 events so far
  hub.set_sequencer([&](const std::string& call) { return call == "c1" ? ++counter : 0; });
  Event alert;
  alert.call_id = "c1";
  alert.kind = tw::alerts::EventKind::alert;
  alert.type = "supervisor_alert";
  alert.details = {{"reason", "escalation"}};
  alert.sequence = 3;
  hub.on_event(alert);
  alert.sequence = 6;
  hub.on_event(alert);
  const auto first = hub.acknowledge("c1", 3, "sam");
  const auto second = hub.acknowledge("c1", 6, "kim");
  REQUIRE(first);
  REQUIRE(second);
  // call + seq identifies an event (and is the webhook idempotency key): never 0, never shared.
  CHECK(first->sequence == 8);
  CHECK(second->sequence == 9);
  CHECK(hub.acknowledged_already("c1", 3));
  CHECK_FALSE(hub.acknowledged_already("c1", 4));

  // A call that ends with an alert nobody acknowledged: not open any more, kept, still acknowledgeable.
  alert.sequence = counter = 10;  // the analysis numbers on from the same counter
  hub.on_event(alert);
  CHECK(hub.open_alert_count("c1") == 1);
  hub.call_ended("c1");
  CHECK(hub.open_alert_count("c1") == 0);
  CHECK(hub.open_alert_counts().count("c1") == 0);
  CHECK(hub.alerts(true).empty());
  REQUIRE(hub.alerts(false).size() == 3);
  CHECK(hub.alerts(false)[0].call_ended);
  const auto late = hub.acknowledge("c1", 10, "sam");
  REQUIRE(late);
  CHECK(late->sequence == 11);

  // The call's last events reach the hub through the delivery queue, after the worker
  // that finished the call said it ended: an alert and an episode opened then are closed too.
  alert.sequence = 12;
  hub.on_event(alert);
  Event episode;
  episode.call_id = "c1";
  episode.kind = tw::alerts::EventKind::event;
  episode.type = "dead_air";
  episode.state = tw::alerts::EventState::opened;
  episode.sequence = 13;
  hub.on_event(episode);
  CHECK(hub.open_alert_count("c1") == 0);
  CHECK(hub.alerts(true).empty());
  REQUIRE(hub.alerts(false).size() == 4);
  CHECK(hub.alerts(false)[0].event.sequence == 12);
  CHECK(hub.alerts(false)[0].call_ended);
  CHECK(hub.open_episodes("c1").empty());
  // Another call is unaffected.
  alert.call_id = "c2";
  hub.on_event(alert);
  CHECK(hub.open_alert_count("c2") == 1);
}
