// The per-call report: its JSON, the HTML page's structure and escaping, its size
// and speed on an hour-long call, and ([browser]) the page rendered by headless
// Chromium: the script draws every chart without an error.

#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "report/call_report.h"
#include "support/headless_chromium.h"
#include "support/shared_data.h"

namespace {

using nlohmann::json;
using tw::alerts::Event;
using tw::alerts::EventKind;
using tw::alerts::EventState;
using tw::alerts::Severity;
using tw::pipeline::CallTimeline;
using tw::pipeline::SpeakerSecond;
using tw::detect::Evidence;
using tw::detect::Stage;
using Catch::Matchers::Contains;

const std::string kNastyMessage =
    "agent cut in <b>\"twice\"</b> & kept going </script><script>document.body.dataset.rendered='pwned'</script><!--";

Event make_event(double time_s, const std::string& type, Severity severity, EventState state, const std::string& speaker,
                 const std::string& message) {
  Event e;
  e.call_id = "call-0042";
  e.time_s = time_s;
  e.type = type;
  e.severity = severity;
  e.state = state;
  e.speaker = speaker;
  e.since_s = time_s;
  e.message = message;
  return e;
}

// A 120 s billing complaint: calm, escalation at 41 s, venting, disarming, a
// relapse at 90 s, calm again from 110 s.
CallTimeline example_timeline() {
  CallTimeline t;
  t.call_id = "call-0042";
  t.duration_s = 120.0;
  t.roles = {"caller", "agent"};
  for (int i = 1; i <= 120; ++i) {
    const double time_s = i;
    const bool heated = (i > 40 && i < 80) || (i > 90 && i < 104);
    SpeakerSecond c;
    c.time_s = time_s;
    c.scored = i > 6;
    c.agitation = static_cast<float>(heated ? 0.75 + 0.1 * std::sin(i / 5.0) : 0.2 + 0.05 * std::sin(i / 7.0));
    c.score = c.agitation + 0.05f;
    c.speech_s = static_cast<float>(heated ? 2.6 : 1.4);
    const bool caller_quiet = (i >= 30 && i <= 34) || i % 17 == 0;  // lets the agent talk: no pitch
    c.loudness_db = caller_quiet ? NAN : static_cast<float>(heated ? 72.0 : 63.0 + std::sin(i / 3.0));
    c.f0_median_hz = caller_quiet ? NAN : static_cast<float>(heated ? 190.0 : 125.0 + 5 * std::sin(i / 4.0));
    c.speaking_rate_syl_per_s = caller_quiet ? NAN : static_cast<float>(heated ? 5.5 : 4.2);
    c.baseline_established = i > 20;
    t.caller.push_back(c);

    SpeakerSecond a;
    a.time_s = time_s;
    a.scored = i > 8;
    a.agitation = static_cast<float>(i > 68 && i < 80 ? 0.55 : 0.15);
    a.score = a.agitation;
    a.speech_s = static_cast<float>(heated ? 0.5 : 1.5);
    a.loudness_db = static_cast<float>(i > 68 && i < 80 ? 70.0 : 60.0 + std::cos(i / 3.0));
    a.f0_median_hz = i % 11 == 0 ? NAN : static_cast<float>(210.0 + 8 * std::cos(i / 5.0));
    a.speaking_rate_syl_per_s = static_cast<float>(4.5 + 0.3 * std::cos(i / 6.0));
    a.baseline_established = i > 22;
    t.agent.push_back(a);
  }
  t.stages = {{Stage::calm, 0.0, 41.0},       {Stage::escalating, 41.0, 52.0}, {Stage::venting, 52.0, 80.0},
              {Stage::disarming, 80.0, 90.0}, {Stage::escalating, 90.0, 96.0}, {Stage::venting, 96.0, 103.0},
              {Stage::disarming, 103.0, 110.0}, {Stage::calm, 110.0, 120.0}};
  t.escalations = 1;
  t.relapses = 1;
  t.time_to_calm_s = 69.0;
  t.overlaps = {{12.3, 12.9, "overlap"}, {44.0, 45.1, "overlap"}, {61.0, 62.4, "overlap"}, {63.5, 63.8, "overlap"},
                {97.2, 98.0, "overlap"}};
  t.silences = {{30.0, 32.6, "silence"}, {84.0, 87.5, "silence"}};

  Event stage = make_event(41.0, "stage_change", Severity::info, EventState::instant, "", "stage calm -> escalating");
  stage.details = {{"from", "calm"}, {"to", "escalating"}};
  stage.evidence = {{"agitation_score", 0.71f, NAN, NAN, 41.0}, {"caller_floor_share", 0.62f, NAN, NAN, 21.0}};
  t.events.push_back(stage);

  Event escalation = make_event(41.0, "supervisor_alert", Severity::warning, EventState::instant, "caller",
                                "call escalating: caller agitation 0.71 and rising");
  escalation.kind = EventKind::alert;
  escalation.details = {{"reason", "escalation"}, {"stage", "escalating"}};
  escalation.evidence = {{"agitation_score", 0.71f, NAN, NAN, 41.0},
                         {"loudness_db", 72.4f, 63.1f, 3.1f, 41.0},
                         {"f0_median_st", 33.2f, 30.5f, 1.35f, 41.0}};
  t.events.push_back(escalation);

  Event interruption = make_event(61.3, "interruption", Severity::critical, EventState::instant, "agent",
                                  "agent cut in 4.2 s into the caller's turn and kept talking over them");
  interruption.since_s = 61.0;
  interruption.details = {{"interrupter", "agent"}, {"interrupted", "caller"}};
  interruption.evidence = {{"overlap_s", 1.3f, NAN, NAN, 61.0}};
  t.events.push_back(interruption);

  Event broke = make_event(61.3, "supervisor_alert", Severity::critical, EventState::instant, "agent", kNastyMessage);
  broke.kind = EventKind::alert;
  broke.since_s = 61.0;
  broke.details = {{"reason", "agent_broke_listening_rules"}, {"stage", "venting"}};
  broke.evidence = {{"agitation_score", 0.8f, NAN, NAN, 52.0}, {"loudness_db", 73.0f, 63.1f, 3.3f, 52.0}};
  t.events.push_back(broke);

  Event raised = make_event(70.0, "agent_raised_voice", Severity::warning, EventState::opened, "agent",
                            "agent's voice is raised: loudness_db 70.0 (baseline 60.2, +2.5 units)");
  raised.since_s = 68.0;
  raised.evidence = {{"loudness_db", 70.0f, 60.2f, 2.5f, 68.0}, {"alpha_ratio_db", -9.5f, NAN, NAN, 68.0}};
  t.events.push_back(raised);

  Event dead_air = make_event(86.0, "dead_air", Severity::warning, EventState::opened, "", "both sides silent for 2 s");
  dead_air.since_s = 84.0;
  dead_air.evidence = {{"silence_s", 2.0f, NAN, NAN, 84.0}};
  t.events.push_back(dead_air);

  Event relapse = make_event(90.0, "supervisor_alert", Severity::critical, EventState::instant, "caller",
                             "caller escalating again (relapse 1): agitation 0.74");
  relapse.kind = EventKind::alert;
  relapse.details = {{"reason", "relapse"}, {"stage", "escalating"}};
  relapse.evidence = {{"agitation_score", 0.74f, NAN, NAN, 90.0}};
  t.events.push_back(relapse);

  Event calmer = make_event(96.0, "agent_raised_voice", Severity::info, EventState::closed, "agent",
                            "agent's voice back to normal");
  calmer.since_s = 68.0;
  t.events.push_back(calmer);
  return t;
}

json example_summary() {
  return {{"call", "call-0042"},
          {"duration_s", 120.0},
          {"speakers",
           {{{"role", "caller"}, {"channel", 0}, {"talk_time_s", 61.5}, {"f0_median_hz", 142.0},
             {"loudness_median_db", 66.2}, {"articulation_rate_syl_per_s", 4.8}},
            {{"role", "agent"}, {"channel", 1}, {"talk_time_s", 44.0}, {"f0_median_hz", 209.0},
             {"loudness_median_db", 60.4}, {"articulation_rate_syl_per_s", 4.5}}}},
          {"warnings", json::array()}};
}

// An hour of call: 3600 s per speaker, a stage change every few minutes, an
// overlap every 9 s, an event every 15 s.
CallTimeline hour_long_timeline() {
  CallTimeline t;
  t.call_id = "long-call";
  t.duration_s = 3600.0;
  t.roles = {"caller", "agent"};
  for (int i = 1; i <= 3600; ++i) {
    for (auto* seconds : {&t.caller, &t.agent}) {
      SpeakerSecond s;
      s.time_s = i;
      s.scored = true;
      s.agitation = static_cast<float>(0.5 + 0.45 * std::sin(i / 97.0));
      s.score = static_cast<float>(0.5 + 0.45 * std::sin(i / 97.0 + 0.3));
      s.speech_s = static_cast<float>(1.5 + std::sin(i / 13.0));
      s.loudness_db = static_cast<float>(62.0 + 6.0 * std::sin(i / 31.0));
      s.f0_median_hz = i % 9 == 0 ? NAN : static_cast<float>(150.0 + 40.0 * std::sin(i / 23.0));
      s.speaking_rate_syl_per_s = static_cast<float>(4.5 + std::sin(i / 17.0));
      s.baseline_established = i > 20;
      seconds->push_back(s);
    }
  }
  const Stage cycle[] = {Stage::calm, Stage::escalating, Stage::venting, Stage::disarming};
  for (int k = 0; k < 3600 / 150; ++k) t.stages.push_back({cycle[k % 4], k * 150.0, (k + 1) * 150.0});
  for (double s = 5.0; s < 3600.0; s += 9.0) t.overlaps.push_back({s, s + 0.7, "overlap"});
  for (double s = 40.0; s < 3600.0; s += 300.0) t.silences.push_back({s, s + 2.5, "silence"});
  for (double s = 10.0; s < 3600.0; s += 15.0) {
    Event e = make_event(s, "interruption", Severity::warning, EventState::instant, "agent", "agent cut in");
    e.call_id = t.call_id;
    e.evidence = {{"overlap_s", 0.8f, NAN, NAN, s - 0.8}};
    t.events.push_back(e);
  }
  t.escalations = 6;
  t.relapses = 5;
  t.time_to_calm_s = 3300.0;
  return t;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

/// The embedded report: the text of <script type="application/json" id="report-data">.
std::string embedded_json(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  const std::size_t start = html.find(open);
  REQUIRE(start != std::string::npos);
  const std::size_t end = html.find("</script>", start);
  REQUIRE(end != std::string::npos);
  return html.substr(start + open.size(), end - start - open.size());
}

/// The markup of the element with `id` up to the next chart container (or the section's end).
std::string chart_markup(const std::string& dom, const std::string& id) {
  const std::size_t start = dom.find("id=\"" + id + "\"");
  if (start == std::string::npos) return {};
  std::size_t end = dom.find("</figure>", start);
  if (end == std::string::npos) end = dom.size();
  return dom.substr(start, end - start);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  REQUIRE(out.good());
}

std::string fresh_profile_dir(const std::string& name) {
  const std::filesystem::path dir = std::filesystem::path(tw::test::scratch_dir()) / ("chromium-profile-" + name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

/// Lines of Chromium's stderr that report an uncaught script error.
std::string uncaught_errors(const std::string& err) {
  std::string found;
  std::istringstream lines(err);
  for (std::string line; std::getline(lines, line);) {
    if (line.find("Uncaught") != std::string::npos) found += line + "\n";
  }
  return found;
}

/// Renders `html_path` in headless Chromium and returns the DOM after the scripts
/// ran, failing the test on a timeout, a non-zero exit, an uncaught script error
/// or a render error the page reports.
std::string dump_dom(const std::string& chromium, const std::string& html_path, const std::string& name) {
  std::vector<std::string> args = tw::test::chromium_base_flags(fresh_profile_dir(name + "-dom"));
  args.insert(args.end(), {"--virtual-time-budget=5000", "--dump-dom", "file://" + html_path});
  const tw::test::ChromiumRun run = tw::test::run_chromium(chromium, args);
  INFO("command: " << run.command);
  INFO("stderr: " << run.err.substr(0, 4000));
  REQUIRE_FALSE(run.timed_out);
  REQUIRE(run.exit_code == 0);
  const std::string uncaught = uncaught_errors(run.err);
  if (!uncaught.empty()) FAIL("uncaught script errors in " << html_path << ":\n" << uncaught);
  REQUIRE_THAT(run.out, Contains("<body"));
  std::smatch error;
  if (std::regex_search(run.out, error, std::regex("data-render-error=\"([^\"]*)\""))) {
    FAIL("the page's script failed: " << error[1]);
  }
  return run.out;
}

const char* const kChartIds[] = {"chart-agitation", "chart-loudness", "chart-f0", "chart-rate", "chart-turns"};

}  // namespace

TEST_CASE("call report JSON carries the whole call / NaN as null", "[app][report]") {
  const CallTimeline timeline = example_timeline();
  const json report = tw::report::call_report_json(timeline, example_summary());

  CHECK(report["format"] == "tonewatch-call-report");
  CHECK(report["version"] == 1);
  CHECK(report["call"] == "call-0042");
  CHECK(report["duration_s"].get<double>() == Approx(120.0));
  CHECK(report["verdict"] == "Escalated at 0:41, caller vented 35 s, calm again after 1:09; 1 relapse; 3 alerts");

  REQUIRE(report["speakers"].size() == 2);
  CHECK(report["speakers"][0]["role"] == "caller");
  CHECK(report["speakers"][0]["talk_time_s"].get<double>() == Approx(61.5));  // merged from the summary
  CHECK(report["speakers"][1]["role"] == "agent");
  CHECK(report["speakers"][1]["f0_median_hz"].get<double>() == Approx(209.0));

  REQUIRE(report["stages"].size() == timeline.stages.size());
  CHECK(report["stages"][2] == json({{"stage", "venting"}, {"start_s", 52.0}, {"end_s", 80.0}}));
  CHECK(report["escalations"] == 1);
  CHECK(report["relapses"] == 1);
  CHECK(report["time_to_calm_s"].get<double>() == Approx(69.0));
  CHECK(report["venting_s"].get<double>() == Approx(35.0));
  CHECK(report["final_stage"] == "calm");

  REQUIRE(report["overlaps"].size() == 5);
  CHECK(report["overlaps"][1]["start_s"].get<double>() == Approx(44.0));
  CHECK(report["overlaps"][1]["end_s"].get<double>() == Approx(45.1));
  CHECK(report["overlap_s"].get<double>() == Approx(0.6 + 1.1 + 1.4 + 0.3 + 0.8));
  REQUIRE(report["silences"].size() == 2);
  CHECK(report["silence_s"].get<double>() == Approx(6.1));

  REQUIRE(report["events"].size() == timeline.events.size());
  CHECK(report["alert_count"] == 3);
  for (std::size_t i = 0; i < timeline.events.size(); ++i) {
    CHECK(report["events"][i] == tw::alerts::to_json(timeline.events[i]));
  }
  CHECK(report["events"][3]["message"] == kNastyMessage);          // the data is untouched; the page escapes it
  CHECK(report["events"][1]["evidence"][0]["baseline"].is_null());  // NaN evidence
  CHECK(report["events"][1]["evidence"][1]["deviation"].get<double>() == Approx(3.1));

  for (const char* role : {"caller", "agent"}) {
    INFO(role);
    const json& s = report["series"][role];
    for (const char* field : {"time_s", "agitation", "score", "loudness_db", "f0_median_hz", "speaking_rate_syl_per_s",
                              "speech_s", "scored", "baseline_established"}) {
      INFO(field);
      REQUIRE(s.contains(field));
      CHECK(s[field].size() == 120);
    }
  }
  const json& caller = report["series"]["caller"];
  CHECK(caller["time_s"][0].get<double>() == Approx(1.0));
  CHECK(caller["time_s"][119].get<double>() == Approx(120.0));
  CHECK(caller["f0_median_hz"][29].is_null());  // 30 s: the caller is quiet, pitch NaN
  CHECK(caller["loudness_db"][16].is_null());   // 17 s
  CHECK(caller["speaking_rate_syl_per_s"][33].is_null());
  CHECK(caller["f0_median_hz"][0].is_number());
  CHECK(caller["scored"][0] == false);
  CHECK(caller["scored"][10] == true);
  CHECK(report["series"]["agent"]["f0_median_hz"][10].is_null());  // 11 s
  // Rounded for size: three decimals for scores.
  const double agitation = caller["agitation"][50].get<double>();
  CHECK(agitation == Approx(std::round(timeline.caller[50].agitation * 1000.0) / 1000.0));
  CHECK(caller["agitation"][50].dump().size() <= 5);

  CHECK(report["summary"]["call"] == "call-0042");
  CHECK(report["warnings"].is_array());
}

TEST_CASE("call report JSON without a summary and for a calm call", "[app][report]") {
  CallTimeline timeline = example_timeline();
  timeline.stages = {{Stage::calm, 0.0, 120.0}};
  timeline.escalations = 0;
  timeline.relapses = 0;
  timeline.time_to_calm_s = -1.0;
  timeline.events.clear();
  const json report = tw::report::call_report_json(timeline, nullptr);
  CHECK(report["verdict"] == "No escalation; no alerts");
  CHECK(report["time_to_calm_s"].is_null());
  CHECK(report["summary"].is_null());
  CHECK(report["speakers"].size() == 2);
  CHECK(report["events"].empty());
  const std::string html = tw::report::call_report_html(timeline, json::object());
  CHECK_THAT(html, Contains("No escalation; no alerts"));
  CHECK_THAT(html, Contains("No events in this call."));

  SECTION("an escalation that never calms down") {
    timeline.stages = {{Stage::calm, 0.0, 20.0}, {Stage::escalating, 20.0, 30.0}, {Stage::venting, 30.0, 120.0}};
    timeline.escalations = 1;
    CHECK(tw::report::call_verdict(timeline) == "Escalated at 0:20, caller vented 1:30, still venting at the end; no relapses; no alerts");
    // A call still in progress is told in the present (the live API and wallboard).
    CHECK(tw::report::call_verdict_so_far(timeline) ==
          "Escalated at 0:20, caller has vented 1:30, venting now; no relapses; no alerts");
  }
  SECTION("a call in progress without an escalation") {
    CHECK(tw::report::call_verdict_so_far(timeline) == "No escalation so far; no alerts");
  }
}

TEST_CASE("call report clock and verdict formats", "[app][report]") {
  CHECK(tw::report::format_clock(0.0) == "0:00");
  CHECK(tw::report::format_clock(41.9) == "0:41");
  CHECK(tw::report::format_clock(98.0) == "1:38");
  CHECK(tw::report::format_clock(3723.0) == "1:02:03");
  CHECK(tw::report::format_clock(NAN) == "0:00");
  CHECK(tw::report::format_clock(-3.0) == "0:00");
}

TEST_CASE("call report HTML is self-contained / escaped and carries every chart", "[app][report]") {
  const CallTimeline timeline = example_timeline();
  const std::string html = tw::report::call_report_html(timeline, example_summary());

  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const char* id : kChartIds) {
    INFO(id);
    CHECK(count_of(html, std::string("id=\"") + id + "\"") == 1);
  }
  // Server-rendered, readable without script: header, verdict, the event table.
  CHECK_THAT(html, Contains("call-0042"));
  CHECK_THAT(html, Contains("Escalated at 0:41, caller vented 35 s, calm again after 1:09; 1 relapse; 3 alerts"));
  CHECK_THAT(html, Contains("id=\"event-table\""));
  for (std::size_t i = 0; i < timeline.events.size(); ++i) CHECK_THAT(html, Contains("id=\"ev-" + std::to_string(i) + "\""));
  CHECK_THAT(html, Contains("call escalating: caller agitation 0.71 and rising"));
  CHECK_THAT(html, Contains("agent&#39;s voice is raised"));
  CHECK_THAT(html, Contains("loudness (dB)"));  // evidence with readable names
  CHECK_THAT(html, Contains("+3.1"));           // deviation

  // The hostile message is escaped in the table and cannot end a script.
  CHECK_THAT(html, Contains("agent cut in &lt;b&gt;&quot;twice&quot;&lt;/b&gt; &amp; kept going &lt;/script&gt;"));
  CHECK(html.find(kNastyMessage) == std::string::npos);
  CHECK(html.find("<b>\"twice\"") == std::string::npos);
  CHECK(count_of(html, "</script>") == 2);  // the data block and the drawing script
  CHECK(count_of(html, "<script") == 2);
  CHECK(html.find("<!--") == std::string::npos);

  // The embedded data parses back to the report (plus what only the page needs).
  const std::string embedded = embedded_json(html);
  CHECK(embedded.find("</") == std::string::npos);
  CHECK_THAT(embedded, Contains("<\\/script>"));
  json data = json::parse(embedded);
  CHECK(data["events"][3]["message"] == kNastyMessage);
  REQUIRE(data.contains("ui"));
  CHECK(data["ui"]["explanations"].size() == timeline.events.size());
  CHECK(data["ui"]["marks"].size() == 6);  // not the stage change nor the episode end
  data.erase("ui");
  CHECK(data == tw::report::call_report_json(timeline, example_summary()));

  // Nothing is fetched: no external scripts, styles, fonts or images.
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find(" src=") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  std::string without_svg_namespace = html;
  for (std::size_t at; (at = without_svg_namespace.find("http://www.w3.org/2000/svg")) != std::string::npos;) {
    without_svg_namespace.erase(at, 26);
  }
  CHECK(without_svg_namespace.find("http") == std::string::npos);
}

TEST_CASE("call report survives invalid UTF-8 and hostile call ids", "[app][report]") {
  CallTimeline timeline = example_timeline();
  timeline.call_id = "bad\xff\xfe<id>&\"";
  timeline.events[0].message = "stage \xc3(\x80";
  std::string html;
  REQUIRE_NOTHROW(html = tw::report::call_report_html(timeline, nullptr));
  CHECK_THAT(html, Contains("bad\xEF\xBF\xBD\xEF\xBF\xBD&lt;id&gt;&amp;&quot;"));
  CHECK(html.find("<id>") == std::string::npos);
  CHECK_NOTHROW(json::parse(embedded_json(html)));
}

TEST_CASE("call report of a one-hour call stays small and quick to make", "[app][report]") {
  const CallTimeline timeline = hour_long_timeline();
  const auto start = std::chrono::steady_clock::now();
  const std::string html = tw::report::call_report_html(timeline, nullptr);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  INFO("report of an hour: " << html.size() / 1024 << " KiB in " << seconds * 1000.0 << " ms");
  CHECK(html.size() < 2'000'000);
  CHECK(seconds < 1.0);
  CHECK(json::parse(embedded_json(html))["series"]["agent"]["time_s"].size() == 3600);
}

TEST_CASE("call report renders in headless Chromium without script errors", "[app][report][browser]") {
  const std::string chromium = tw::test::chromium_binary();
  const std::filesystem::path dir = tw::test::scratch_dir();

  struct Page {
    std::string name;
    CallTimeline timeline;
    json summary;
    std::size_t markers;
  };
  std::vector<Page> pages;
  pages.push_back({"call_report", example_timeline(), example_summary(), 6});
  pages.push_back({"call_report_hour", hour_long_timeline(), nullptr, 240});

  for (const Page& page : pages) {
    DYNAMIC_SECTION(page.name) {
      const std::string html_path = (dir / (page.name + ".html")).string();
      const std::string html = tw::report::call_report_html(page.timeline, page.summary);
      write_file(html_path, html);
      const std::string dom = dump_dom(chromium, html_path, page.name);
      CHECK_THAT(dom, Contains("data-rendered=\"ok\""));
      CHECK(dom.find("data-rendered=\"pwned\"") == std::string::npos);  // the hostile message stayed text
      for (const char* id : kChartIds) {
        INFO(id);
        const std::string chart = chart_markup(dom, id);
        REQUIRE_FALSE(chart.empty());
        CHECK_THAT(chart, Contains("<svg"));
        const bool drawn = count_of(chart, "<path") >= 1 || count_of(chart, "<rect") >= 3;
        CHECK(drawn);
      }
      const std::string agitation = chart_markup(dom, "chart-agitation");
      CHECK(count_of(agitation, "class=\"ln caller\"") == 1);
      CHECK(count_of(agitation, "class=\"ln agent\"") == 1);
      CHECK(count_of(agitation, "class=\"band st-") >= 4);
      CHECK(count_of(dom, "class=\"mk ") == page.markers);
      CHECK(count_of(chart_markup(dom, "chart-turns"), "class=\"ovl\"") == page.timeline.overlaps.size());
      CHECK(count_of(chart_markup(dom, "chart-turns"), "class=\"sil\"") == page.timeline.silences.size());

      // A look at the page as a supervisor sees it on a laptop.
      const std::string png = (dir / (page.name + ".png")).string();
      std::vector<std::string> shot = tw::test::chromium_base_flags(fresh_profile_dir(page.name + "-shot"));
      shot.insert(shot.end(), {"--virtual-time-budget=5000", "--hide-scrollbars", "--window-size=1400,1800",
                               "--screenshot=" + png, "file://" + html_path});
      const tw::test::ChromiumRun shot_run = tw::test::run_chromium(chromium, shot);
      INFO("screenshot command: " << shot_run.command << "\n" << shot_run.err.substr(0, 2000));
      CHECK(shot_run.exit_code == 0);
      CHECK(uncaught_errors(shot_run.err).empty());
      REQUIRE(std::filesystem::exists(png));
      CHECK(std::filesystem::file_size(png) > 20'000);

      if (page.name == "call_report") {
        // Clicking the first critical alert's marker opens its message and evidence.
        std::string clicked = html;
        const std::size_t body_end = clicked.rfind("</body>");
        REQUIRE(body_end != std::string::npos);
        clicked.insert(body_end,
                       "<script>(function () {\n"
                       "  var mk = document.querySelector('.mk.kind-alert.sev-critical');\n"
                       "  mk.dispatchEvent(new MouseEvent('click', {bubbles: true}));\n"
                       "  document.body.dataset.clicked = mk.getAttribute('data-ev');\n"
                       "})();</script>\n");
        const std::string clicked_path = (dir / "call_report_clicked.html").string();
        write_file(clicked_path, clicked);
        const std::string after = dump_dom(chromium, clicked_path, "clicked");
        CHECK_THAT(after, Contains("data-clicked=\"3\""));
        const std::size_t tip = after.find("<div id=\"tip\"");
        REQUIRE(tip != std::string::npos);
        const std::string tip_markup = after.substr(tip, after.find("</div>\n<script", tip) - tip);
        CHECK(tip_markup.find("hidden") == std::string::npos);
        CHECK_THAT(tip_markup, Contains("agent cut in &lt;b&gt;\"twice\"&lt;/b&gt; &amp; kept going &lt;/script&gt;"));
        CHECK_THAT(tip_markup, Contains("<table class=\"evid\">"));
        CHECK_THAT(tip_markup, Contains("loudness (dB)"));
        CHECK_THAT(tip_markup, Contains("+3.3"));
        CHECK_THAT(after, Contains("id=\"ev-3\" class=\"sev-critical kind-alert hl\""));
      }
    }
  }
}
