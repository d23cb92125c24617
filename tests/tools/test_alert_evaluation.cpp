// Detection against ground truth on composed calls, under every telephone line
// condition, with the agitation model trained on other speakers than the calls
// are made of (two speaker folds, each with both sexes; every EmoDB speaker is a
// caller once).

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>

#include "agitation_dataset.h"
#include "support/shared_data.h"
#include "tools/suite_runner.h"

namespace {

enum class Suite { main, early_and_pace };

/// Every call of the suite under every line condition, each fold's callers scored
/// by a model trained on the other fold (as `evaluate_calls --folds`).
std::vector<tw::tools::SuiteCallResult> run_both_folds(Suite which, std::size_t& calls) {
  const std::string emodb = tw::test::shared_data_path("emodb");
  const std::string ivr = tw::test::shared_data_path("telephone_voice");

  tw::training::DatasetOptions dataset_options;
  dataset_options.threads = 2;
  const tw::training::Dataset data = tw::training::build_dataset(emodb, dataset_options);

  tw::tools::EmodbCatalog catalog(emodb);
  const std::vector<std::string> prompts = tw::tools::select_prompts(ivr);
  REQUIRE(prompts.size() >= 10);
  for (const std::string& p : prompts) catalog.add_recording(p, "ivr");
  tw::tools::UtteranceCache cache;

  std::vector<tw::tools::SuiteCallResult> results;
  calls = 0;
  const auto& folds = tw::tools::kSpeakerFolds;
  for (const auto& [callers, training] : {std::pair{folds[0], folds[1]}, std::pair{folds[1], folds[0]}}) {
    const tw::training::TrainedModel trained = tw::training::train_model(data, training, {});
    const tw::detect::AgitationModel model =
        tw::detect::AgitationModel::from_json(tw::training::model_json(trained, "fold"));
    tw::tools::SuiteRunOptions options;
    options.jobs = 2;
    options.job.model = &model;
    options.conditions.assign(tw::tools::kAllLineConditions.begin(), tw::tools::kAllLineConditions.end());
    options.cache = &cache;
    const auto suite = which == Suite::main ? tw::tools::make_evaluation_suite(callers, prompts, emodb)
                                            : tw::tools::make_early_and_pace_suite(callers, emodb);
    calls += suite.size();
    const auto fold = tw::tools::run_suite(suite, catalog, options);
    results.insert(results.end(), fold.begin(), fold.end());
  }
  for (const auto& r : results) {
    INFO(r.name << " (" << tw::tools::to_string(r.condition) << "): " << r.error);
    REQUIRE(r.error.empty());
  }
  return results;
}

}  // namespace

TEST_CASE("composed calls under telephone line conditions: recall / precision / latency and calm callers never flagged",
          "[data][evaluation]") {
  const auto start = std::chrono::steady_clock::now();
  std::size_t calls = 0;
  const std::vector<tw::tools::SuiteCallResult> results = run_both_folds(Suite::main, calls);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto conditions = tw::tools::score_conditions(results);
  const std::string table = tw::tools::describe_conditions(conditions);
  std::cout << "\nComposed-call evaluation: " << calls << " calls x " << tw::tools::kAllLineConditions.size()
            << " line conditions (model trained on the other speaker fold), " << seconds << " s\n"
            << tw::tools::describe_suite(results) << "\n"
            << table;
  INFO(table);
  REQUIRE(conditions.size() == tw::tools::kAllLineConditions.size());
  // Every target of issue 10 fails the test when it breaks: the structure of the
  // suite, and under every condition onset latency, dead air and interruptions,
  // precision, recall and no calm caller flagged.
  for (const auto& c : conditions) {
    const bool clean = c.condition == tw::tools::LineCondition::clean;
    INFO("condition " << tw::tools::to_string(c.condition));
    CHECK(c.pooled.total.expected >= 100);
    CHECK(c.calm_calls >= 30);
    CHECK(c.median_latency_s <= 3.0);
    // Every kind of event is exercised.
    for (const char* category : {"caller_agitation", "interruption", "agent_raised_voice", "dead_air", "agent_fast_speech",
                                 "agent_slow_speech", "agent_monotone"}) {
      INFO(category);
      REQUIRE(c.pooled.categories.count(category) == 1);
      CHECK(c.pooled.categories.at(category).expected >= 8);
    }
    CHECK(tw::tools::recall(c.pooled.categories.at("dead_air")) >= 0.9);
    CHECK(tw::tools::recall(c.pooled.categories.at("interruption")) >= 0.9);
    CHECK(c.pooled.precision() >= 0.9);
    if (clean) CHECK(tw::tools::recall(c.pooled.categories.at("agent_monotone")) >= 0.9);
    // Issue 10's targets, per condition.
    CHECK(c.pooled.recall() >= 0.9);
    CHECK(c.calm_calls_with_caller_agitation == 0);
  }
}

// Issue 27's early shouting and short pace episodes (`evaluate_calls --folds --suite
// early-pace`): an agent who shouts 15-20 s in after ~10 s of calm speech, or from
// about 10 s in, before any baseline of their own; three short agent turns at 1.5x
// or 0.7x between normal ones; calm calls of short turns.
TEST_CASE("composed calls: an early shout is caught before the baseline is learned / 3-turn pace episodes found / calm short turns quiet",
          "[data][evaluation]") {
  const auto start = std::chrono::steady_clock::now();
  std::size_t calls = 0;
  const std::vector<tw::tools::SuiteCallResult> results = run_both_folds(Suite::early_and_pace, calls);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string table = tw::tools::describe_scenarios(results);
  std::cout << "\nEarly shouting and pace episodes: " << calls << " calls x " << tw::tools::kAllLineConditions.size()
            << " line conditions (model trained on the other speaker fold), " << seconds << " s\n"
            << table;
  INFO(table);

  int pace_calls = 0, pace_caught = 0;
  std::map<std::string, int> tallies_per_scenario;
  for (const tw::tools::ScenarioTally& t : tw::tools::tally_scenarios(results)) {
    INFO(t.scenario << " under " << tw::tools::to_string(t.condition) << ": " << t.caught << " of " << t.calls
                    << " caught, " << t.flagged << " flagged");
    ++tallies_per_scenario[t.scenario];
    CHECK(t.calls == 10);  // every EmoDB speaker an agent once
    if (t.scenario == "agent_shouts_early" || t.scenario == "agent_shouts_at_10s") {
      CHECK(t.caught >= 9);  // issue 27: >= 9 of 10, under every line
    } else if (t.scenario == "calm_short_turns") {
      CHECK(t.flagged == 0);  // no alert, no caller agitation
    } else if (t.scenario == "agent_fast_turns" || t.scenario == "agent_slow_turns") {
      pace_calls += t.calls;
      pace_caught += t.caught;
      CHECK(t.caught >= 5);  // no line loses most episodes
    }
  }
  CHECK(tallies_per_scenario.size() == 5);
  for (const auto& [scenario, conditions] : tallies_per_scenario) {
    INFO(scenario);
    CHECK(conditions == static_cast<int>(tw::tools::kAllLineConditions.size()));
  }
  // Issue 27: 3-turn pace episodes found in >= 80 % (fast and slow, every line).
  INFO(pace_caught << " of " << pace_calls << " pace episodes caught");
  CHECK(pace_calls == 120);
  CHECK(pace_caught >= 0.8 * pace_calls);
}
