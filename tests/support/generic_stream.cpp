#include "support/generic_stream.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <optional>
#include <thread>

#include "io/audio_file_source.h"
#include "support/serve_process.h"
#include "support/shared_data.h"
#include "support/test_wav.h"
#include "support/web_client.h"
#include "build_paths.h"

namespace tw::test {

StreamOutcome play_generic_streams(std::uint16_t port, const std::vector<StreamedCall>& calls, double speed,
                                   double chunk_s, const std::atomic<bool>* stop) {
  using Clock = std::chrono::steady_clock;
  struct Player {
    const StreamedCall* call;
    std::unique_ptr<WebSocketClient> socket;
    std::size_t next_frame = 0;
    bool done = false;
  };
  StreamOutcome outcome;
  std::vector<Player> players;
  for (const StreamedCall& c : calls) players.push_back({&c, nullptr, 0, false});
  const auto start = Clock::now();
  auto stream_time = [&] { return std::chrono::duration<double>(Clock::now() - start).count() * speed; };
  std::size_t open = players.size();
  while (open > 0) {
    if (stop != nullptr && stop->load()) break;
    const double now_s = stream_time();
    for (Player& p : players) {
      if (p.done) continue;
      const StreamedCall& c = *p.call;
      const double own_s = now_s - c.start_after_s * speed;
      if (own_s < 0.0) continue;
      try {
        if (!p.socket) {
          p.socket = std::make_unique<WebSocketClient>("127.0.0.1", port, "/stream");
          nlohmann::json meta = c.metadata;
          meta["call_id"] = c.call_id;
          meta["sample_rate"] = c.sample_rate_hz;
          meta["channels"] = c.channels;
          meta["encoding"] = "L16";
          meta["roles"] = c.channels == 2 ? nlohmann::json{"caller", "agent"} : nlohmann::json{"caller"};
          p.socket->send_text(meta.dump());
        }
        const std::size_t total_frames = c.audio->size() / static_cast<std::size_t>(c.channels);
        const auto due = std::min(total_frames, static_cast<std::size_t>(own_s * c.sample_rate_hz));
        const auto chunk = static_cast<std::size_t>(std::max(1.0, chunk_s * c.sample_rate_hz));
        while (p.next_frame + chunk <= due || (due == total_frames && p.next_frame < due)) {
          const std::size_t n = std::min(chunk, total_frames - p.next_frame);
          std::vector<std::uint8_t> bytes(n * static_cast<std::size_t>(c.channels) * 2);
          for (std::size_t i = 0; i < n * static_cast<std::size_t>(c.channels); ++i) {
            const auto s = static_cast<std::uint16_t>((*c.audio)[p.next_frame * static_cast<std::size_t>(c.channels) + i]);
            bytes[2 * i] = static_cast<std::uint8_t>(s & 0xFF);
            bytes[2 * i + 1] = static_cast<std::uint8_t>(s >> 8);
          }
          p.socket->send_binary(bytes);
          p.next_frame += n;
        }
        if (p.next_frame >= total_frames) {
          p.socket->close();
          p.done = true;
          --open;
          ++outcome.calls_finished;
        }
      } catch (const std::exception& e) {
        outcome.errors.push_back(c.call_id + ": " + e.what());
        p.done = true;
        --open;
      }
    }
    std::this_thread::sleep_for(std::chrono::duration<double>(chunk_s / speed / 2.0));
  }
  for (Player& p : players) {
    if (p.socket && !p.done) p.socket->close();
  }
  return outcome;
}

namespace {
std::vector<std::string> player_arguments(std::uint16_t port, const std::string& wav, const std::string& call_id,
                                          const std::vector<std::string>& params, double speed) {
  std::vector<std::string> args = {wav, "--protocol", "generic", "--port", std::to_string(port), "--call-id", call_id,
                                   "--speed", std::to_string(speed)};
  for (const std::string& p : params) args.insert(args.end(), {"--param", p});
  return args;
}
}  // namespace

StreamPlayer::StreamPlayer(std::uint16_t port, const std::string& wav, const std::string& call_id,
                           const std::vector<std::string>& params, double speed)
    : process_(stream_player_binary(), player_arguments(port, wav, call_id, params, speed),
               scratch_dir() + "/stream-player-" + call_id) {}

int StreamPlayer::wait(double timeout_s) { return process_.wait(timeout_s); }

void write_call_wav(const std::string& path, const std::vector<std::int16_t>& interleaved, int channels, int rate_hz) {
  std::vector<float> samples(interleaved.size());
  for (std::size_t i = 0; i < samples.size(); ++i) samples[i] = s16_to_float(interleaved[i]);  // x 32768 gives it back
  write_wav_pcm16(path, samples, channels, rate_hz);
}

std::shared_ptr<const std::vector<std::int16_t>> example_call_audio() {
  // Read once per test process: some tests take it for every 20 ms message.
  static const std::shared_ptr<const std::vector<std::int16_t>> audio = [] {
    io::AudioFileSource source(tw::build::source_dir() + "/examples/example_call.wav");
    REQUIRE(source.format().sample_rate_hz == 8000);
    REQUIRE(source.format().channels == 2);
    auto out = std::make_shared<std::vector<std::int16_t>>();
    std::vector<float> block(4096 * 2);
    for (std::size_t n; (n = source.read(block)) > 0;) {
      for (std::size_t i = 0; i < n * 2; ++i) {
        out->push_back(static_cast<std::int16_t>(std::clamp(std::lround(block[i] * 32768.0f), -32768L, 32767L)));
      }
    }
    return out;
  }();
  return audio;
}

std::shared_ptr<const std::vector<std::int16_t>> looped(const std::vector<std::int16_t>& audio, int channels, int rate_hz,
                                                        double seconds, double total_s) {
  const auto piece = std::min(audio.size(), static_cast<std::size_t>(seconds * rate_hz) * static_cast<std::size_t>(channels));
  const auto total = static_cast<std::size_t>(total_s * rate_hz) * static_cast<std::size_t>(channels);
  auto out = std::make_shared<std::vector<std::int16_t>>();
  out->reserve(total);
  while (out->size() < total) {
    const std::size_t n = std::min(piece, total - out->size());
    out->insert(out->end(), audio.begin(), audio.begin() + static_cast<std::ptrdiff_t>(n));
  }
  return out;
}

}  // namespace tw::test
