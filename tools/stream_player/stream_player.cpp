// stream_player: plays a WAV file (stereo: caller left, agent right) to a
// tonewatch server as a telephony platform would, over real sockets.
//
//   stream_player call.wav --protocol twilio --port 8080
//   stream_player call.wav --protocol audiosocket --port 9092 --agent-port 9093
//   stream_player call.wav --protocol audiohook --port 8080 --api-key K --client-secret S --speed 0
//   stream_player call.wav --protocol generic --port 8080 --call-id c1 --param agent_id=A17
//
// Real-time pace by default (20 ms chunks); --speed N plays N times faster,
// --speed 0 as fast as the connection takes it. Exits 0 when every leg streamed
// the whole file and the server closed normally, 1 when the server refused or
// dropped a leg (or a connection failed), 2 on bad usage. Plain ws:// and TCP.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <boost/asio/steady_timer.hpp>
#include <sndfile.h>

#include "streamers.h"

namespace {

using tw::player::PlayerAudio;
using tw::player::PlayerOptions;
using Clock = std::chrono::steady_clock;

PlayerAudio read_wav(const std::string& path) {
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  if (file == nullptr) throw std::runtime_error("cannot read " + path + ": " + sf_strerror(nullptr));
  if (info.channels < 1 || info.channels > 2) {
    sf_close(file);
    throw std::runtime_error(path + " has " + std::to_string(info.channels) + " channels; the player takes mono or stereo (caller left, agent right)");
  }
  PlayerAudio audio;
  audio.rate_hz = info.samplerate;
  audio.channels = info.channels;
  audio.samples.resize(static_cast<std::size_t>(info.frames) * static_cast<std::size_t>(info.channels));
  const sf_count_t got = sf_readf_short(file, audio.samples.data(), info.frames);
  sf_close(file);
  audio.samples.resize(static_cast<std::size_t>(got) * static_cast<std::size_t>(info.channels));
  return audio;
}

struct Run {
  bool streamed_all = false;
  bool timed_out = false;
};

Run play(const PlayerOptions& options, const PlayerAudio& audio, double speed, double duration_s, double timeout_s) {
  boost::asio::io_context io;
  auto streamer = tw::player::make_streamer(io, options, audio);
  const std::size_t chunk_frames = static_cast<std::size_t>(audio.rate_hz / 50);  // 20 ms
  std::size_t frames = audio.frames();
  if (duration_s > 0) frames = std::min(frames, static_cast<std::size_t>(duration_s * audio.rate_hz));
  const std::size_t chunks = (frames + chunk_frames - 1) / chunk_frames;

  Run run;
  boost::asio::steady_timer pacer(io), watchdog(io);
  std::size_t opened = 0, next_chunk = 0;
  bool streaming = false, finishing = false;
  Clock::time_point t0;
  const Clock::time_point started = Clock::now();
  Clock::time_point finish_deadline = Clock::time_point::max();

  auto finish_all = [&] {
    if (finishing) return;
    finishing = true;
    finish_deadline = Clock::now() + std::chrono::seconds(5);  // time for the server's goodbye
    for (auto& leg : streamer->legs) leg->finish();
  };
  auto broken = [&] {
    if (!streamer->protocol_error.empty()) return true;
    for (const auto& leg : streamer->legs)
      if (leg->closed() || leg->outcome().failed) return true;
    return false;
  };

  std::function<void()> pump = [&] {
    if (finishing) return;
    if (broken()) return finish_all();
    std::size_t backlog = 0;
    for (const auto& leg : streamer->legs) backlog = std::max(backlog, leg->backlog());
    if (backlog > 64) {  // full speed: let the socket drain before queueing more
      pacer.expires_after(std::chrono::milliseconds(1));
      pacer.async_wait([&](boost::system::error_code ec) { if (!ec) pump(); });
      return;
    }
    const std::size_t first = next_chunk * chunk_frames;
    streamer->chunk(next_chunk, first, std::min(chunk_frames, frames - first));
    if (++next_chunk == chunks) {
      run.streamed_all = true;
      streamer->end([&] { finish_all(); });
      finish_deadline = Clock::now() + std::chrono::seconds(5);
      return;
    }
    if (speed > 0) {
      pacer.expires_at(t0 + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(next_chunk * 0.02 / speed)));
    } else {
      pacer.expires_after(std::chrono::seconds(0));
    }
    pacer.async_wait([&](boost::system::error_code ec) { if (!ec) pump(); });
  };

  for (auto& leg : streamer->legs) {
    leg->start([&] {
      if (++opened < streamer->legs.size()) return;
      streamer->begin([&] {
        if (streaming) return;
        streaming = true;
        t0 = Clock::now();
        pump();
      });
    });
  }

  std::function<void()> watch = [&] {
    const bool all_closed = std::all_of(streamer->legs.begin(), streamer->legs.end(), [](const auto& l) { return l->closed(); });
    const auto now = Clock::now();
    if ((finishing && all_closed) || (!streaming && broken())) return io.stop();
    if (now > finish_deadline || (!streaming && now - started > std::chrono::duration<double>(timeout_s))) {
      run.timed_out = !finishing || !all_closed;
      return io.stop();
    }
    if (streaming && !finishing && broken()) finish_all();
    watchdog.expires_after(std::chrono::milliseconds(20));
    watchdog.async_wait([&](boost::system::error_code ec) { if (!ec) watch(); });
  };
  watch();
  io.run();

  bool ok = run.streamed_all && !run.timed_out && streamer->protocol_error.empty();
  for (const auto& leg : streamer->legs) {
    const auto& o = leg->outcome();
    ok = ok && o.connected && !o.failed;
    std::cerr << leg->name << ": " << o.messages_sent << " messages, " << o.bytes_sent << " bytes"
              << (o.close_code ? ", server close " + std::to_string(o.close_code) : std::string())
              << (o.detail.empty() ? std::string() : " (" + o.detail + ")") << (o.failed ? " FAILED" : "") << "\n";
  }
  if (!streamer->protocol_error.empty()) std::cerr << "protocol: " << streamer->protocol_error << "\n";
  if (run.timed_out) std::cerr << "timed out waiting for the server\n";
  if (!run.streamed_all) std::cerr << "stopped after " << next_chunk << " of " << chunks << " chunks\n";
  run.streamed_all = ok;
  return run;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Plays a WAV file (caller left, agent right) to a tonewatch server as Twilio Media Streams, "
               "Asterisk AudioSocket, a generic WebSocket stream or Genesys AudioHook."};
  std::string file;
  PlayerOptions options;
  double speed = 1.0, duration_s = 0.0, timeout_s = 10.0;
  app.add_option("file", file, "WAV (or any libsndfile format) to play; stereo: caller left, agent right")->required();
  app.add_option("--protocol", options.protocol, "twilio | twilio-split | audiosocket | generic | audiohook")
      ->required()
      ->check(CLI::IsMember({"twilio", "twilio-split", "audiosocket", "generic", "audiohook"}));
  app.add_option("--host", options.host, "server host")->capture_default_str();
  app.add_option("--port", options.port, "server port (audiosocket: the caller leg's port)")->required();
  app.add_option("--agent-port", options.agent_port,
                 "audiosocket: the agent leg's port; twilio-split: the outbound track's (default --port)");
  app.add_option("--path", options.path, "WebSocket path (default /twilio, /stream or /audiohook)");
  app.add_option("--call-id", options.call_id, "call id (Twilio callSid, AudioSocket UUID, generic call_id, AudioHook conversationId)");
  app.add_option("--encoding", options.encoding, "generic: L16 (default) or PCMU; audiohook: PCMU (default) or L16");
  app.add_option("--api-key", options.api_key, "audiohook: X-API-KEY");
  app.add_option("--client-secret", options.client_secret, "audiohook: base64 client secret; signs the request");
  app.add_option("--organization-id", options.organization_id, "audiohook: organization id (default random)");
  app.add_option("--speed", speed, "1 = real time, N = N times faster, 0 = as fast as possible")->check(CLI::NonNegativeNumber)->capture_default_str();
  app.add_option("--duration", duration_s, "play at most this many seconds of the file (0: all)")->check(CLI::NonNegativeNumber);
  app.add_option("--timeout", timeout_s, "seconds to wait for the connection to open")->check(CLI::PositiveNumber)->capture_default_str();
  app.add_option("--seed", options.seed, "seed for generated ids (reproducible runs)");
  std::vector<std::string> params;
  app.add_option("--param", params, "KEY=VALUE call metadata, e.g. agent_id=A17 (generic: metadata keys; twilio: customParameters)");
  CLI11_PARSE(app, argc, argv);
  for (const std::string& p : params) {
    const std::size_t eq = p.find('=');
    if (eq == 0 || eq == std::string::npos) {
      std::cerr << "stream_player: --param takes KEY=VALUE, not '" << p << "'\n";
      return 2;
    }
    options.params.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  try {
    const PlayerAudio audio = read_wav(file);
    if (audio.frames() == 0) throw std::runtime_error(file + " holds no audio");
    return play(options, audio, speed, duration_s, timeout_s).streamed_all ? 0 : 1;
  } catch (const std::invalid_argument& e) {
    std::cerr << "stream_player: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "stream_player: " << e.what() << "\n";
    return 1;
  }
}
