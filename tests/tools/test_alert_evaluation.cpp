// Alerts against ground truth on composed calls, with the agitation model
// trained on other speakers than the calls are made of (two speaker folds).

#include <catch2/catch.hpp>

#include <cstdio>
#include <iostream>

#include "agitation_dataset.h"
#include "support/shared_data.h"
#include "tools/suite_runner.h"

namespace {

// Two speaker folds, each with both sexes: the calls of one fold are scored with
// a model trained on the other.
const std::vector<std::string> kFoldA = {"03", "11", "15", "09", "14"};
const std::vector<std::string> kFoldB = {"10", "12", "08", "13", "16"};

}  // namespace

TEST_CASE("composed calls: recall / precision and onset latency of alerts - calm calls raise none",
          "[data][evaluation]") {
  const std::string emodb = tw::test::shared_data_path("emodb");
  const std::string ivr = tw::test::shared_data_path("telephone_voice");

  tw::training::DatasetOptions dataset_options;
  const tw::training::Dataset data = tw::training::build_dataset(emodb, dataset_options);

  tw::tools::EmodbCatalog catalog(emodb);
  const std::vector<std::string> prompts = tw::tools::select_prompts(ivr);
  REQUIRE(prompts.size() >= 10);
  for (const std::string& p : prompts) catalog.add_recording(p, "ivr");

  std::vector<tw::tools::SuiteCallResult> results;
  for (const auto& [calls, training] : {std::pair{kFoldA, kFoldB}, std::pair{kFoldB, kFoldA}}) {
    const tw::training::TrainedModel trained = tw::training::train_model(data, training, {});
    const tw::detect::AgitationModel model =
        tw::detect::AgitationModel::from_json(tw::training::model_json(trained, "fold"));
    tw::tools::SuiteRunOptions options;
    options.output_dir = tw::test::scratch_dir() + "/alert-evaluation";
    options.jobs = 2;
    options.job.model = &model;
    const auto suite = tw::tools::make_evaluation_suite(calls, prompts, emodb);
    const auto fold = tw::tools::run_suite(suite, catalog, options);
    results.insert(results.end(), fold.begin(), fold.end());
  }

  const std::string report = tw::tools::describe_suite(results);
  std::cout << "\nAlert evaluation on " << results.size() << " composed calls (model trained on the other fold):\n"
            << report;
  std::vector<tw::tools::CallScore> scores;
  for (const auto& r : results) {
    INFO(r.name << ": " << r.error);
    REQUIRE(r.error.empty());
    scores.push_back(r.score);
    if (r.calm) {
      INFO("calm call " << r.name << " raised alerts");
      CHECK(r.score.alerts == 0);
    }
  }
  const tw::tools::SuiteScore pooled = tw::tools::pool(scores);
  INFO(report);
  CHECK(pooled.total.expected >= 40);
  CHECK(pooled.recall() >= 0.9);
  CHECK(pooled.precision() >= 0.8);
  CHECK(pooled.median_latency_s() <= 3.0);
  // Every scenario type is exercised and found.
  for (const char* category : {"caller_agitation", "interruption", "agent_raised_voice", "dead_air"}) {
    INFO(category);
    REQUIRE(pooled.categories.count(category) == 1);
    CHECK(pooled.categories.at(category).expected >= 5);
    CHECK(tw::tools::recall(pooled.categories.at(category)) >= 0.8);
  }
}
