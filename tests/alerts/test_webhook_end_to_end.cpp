// The end-to-end requirement on the bundled example call: the whole
// pipeline (CallSession) hands its events through an AsyncEventSink to webhook sinks
// whose receivers are down for the first half of the call; afterwards each receiver
// has every event its filter passes, exactly once and in order.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "alerts/async_event_sink.h"
#include "alerts/event_sink.h"
#include "alerts/webhook_sink.h"
#include "alerts/webhook_test_support.h"
#include "app/default_model.h"
#include "dsp/stream_spec.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "pipeline/call_session.h"
#include "pipeline/channel_layout.h"
#include "build_paths.h"

using namespace std::chrono_literals;
using tw::alerts::Event;
using tw::alerts::WebhookConfig;
using tw::alerts::WebhookFailure;
using tw::alerts::WebhookSink;
using tw::test::HttpReceiver;
using tw::test::ScratchSpool;

namespace {

std::vector<float> example_call(int& channels) {
  tw::io::AudioFileSource file(tw::build::source_dir() + "/examples/example_call.wav");
  tw::io::ResamplingSource source(file, tw::dsp::kAnalysisRateHz);
  channels = source.format().channels;
  std::vector<float> audio;
  std::vector<float> block(4096 * static_cast<std::size_t>(channels));
  for (std::size_t n; (n = source.read(block)) > 0;) {
    audio.insert(audio.end(), block.begin(), block.begin() + static_cast<std::ptrdiff_t>(n) * channels);
  }
  return audio;
}

WebhookConfig config_for(const ScratchSpool& dir, const HttpReceiver& receiver) {
  WebhookConfig c;
  c.urls = {receiver.url()};
  c.spool_directory = dir.path();
  c.backoff = {5ms, 40ms, 0.5};
  c.log = [](const std::string&) {};
  return c;
}

std::uint64_t connect_failures(const WebhookSink& sink) {
  return sink.stats().urls[0].failures[static_cast<std::size_t>(WebhookFailure::connect)];
}

}  // namespace

TEST_CASE("Webhook end to end: receivers down for the first half of the example call get every alert once in order",
          "[alerts][webhook][pipeline]") {
  int channels = 0;
  const std::vector<float> audio = example_call(channels);
  const std::size_t frames = audio.size() / static_cast<std::size_t>(channels);

  HttpReceiver alerts_receiver(false);  // the default filter: alerts and acknowledgements
  HttpReceiver events_receiver(false);  // every event
  ScratchSpool alerts_spool;
  ScratchSpool events_spool;
  WebhookSink alerts_sink(config_for(alerts_spool, alerts_receiver));
  WebhookConfig all = config_for(events_spool, events_receiver);
  all.filter.all_events = true;
  WebhookSink events_sink(all);

  tw::alerts::CollectingSink truth;
  tw::alerts::FanoutSink fanout({&truth, &alerts_sink, &events_sink});
  tw::alerts::AsyncEventSink async(fanout, 256);
  const tw::detect::AgitationModel model = tw::app::load_agitation_model();
  tw::pipeline::CallSession session("example_call", {}, model, tw::pipeline::ChannelLayout{}.roles_for(channels), async);

  const auto play = [&](std::size_t from, std::size_t to) {
    for (std::size_t at = from; at < to;) {
      const std::size_t n = std::min<std::size_t>(800, to - at);  // 100 ms blocks, as a live source delivers
      session.process(std::span<const float>(audio).subspan(at * channels, n * channels));
      at += n;
    }
  };

  play(0, frames / 2);
  async.flush();  // everything raised in the first half is in the spools now
  const std::size_t first_half = truth.events().size();
  REQUIRE(first_half >= 5);
  REQUIRE(std::any_of(truth.events().begin(), truth.events().end(),
                      [](const Event& e) { return e.kind == tw::alerts::EventKind::alert; }));
  REQUIRE(tw::test::eventually([&] { return connect_failures(alerts_sink) >= 1 && connect_failures(events_sink) >= 1; }));
  CHECK(alerts_receiver.requests().empty());
  CHECK(events_receiver.requests().empty());

  alerts_receiver.up();
  events_receiver.up();
  play(frames / 2, frames);
  session.finish();
  async.flush();
  REQUIRE(truth.events().size() > first_half);  // the second half raised events too
  REQUIRE(alerts_sink.flush(std::chrono::steady_clock::now() + 10s));
  REQUIRE(events_sink.flush(std::chrono::steady_clock::now() + 10s));

  std::vector<Event> alerts;
  for (const Event& e : truth.events()) {
    if (e.kind == tw::alerts::EventKind::alert) alerts.push_back(e);
  }
  tw::test::check_exactly_once_in_order(alerts_receiver.requests(), alerts);
  tw::test::check_exactly_once_in_order(events_receiver.requests(), truth.events());
  CHECK(alerts_receiver.requests().size() == alerts.size());
  CHECK(events_receiver.requests().size() == truth.events().size());
  CHECK(async.dropped() == 0);
}
