// libFuzzer target: a recorded call's bytes through the decoder and the first
// seconds of analysis, as `tonewatch analyze` runs them.
//
// Input: a file as given (WAV, FLAC, or whatever libsndfile recognises), or,
// when the first byte is below 0x20, headerless raw audio whose format that
// byte chooses: bits 0-3 the encoding (mod 9 over s8, u8, s16, s24, s32, f32,
// f64, u-law, A-law; 9 and up big-endian), bit 4 stereo at 16 kHz (else mono
// at 8 kHz). The bytes go into an in-memory file (memfd), opened by path like
// any input. Input errors (io::AudioError) are expected; any other exception,
// crash, leak or undefined behaviour is a finding.

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "alerts/event_sink.h"
#include "app/default_model.h"
#include "dsp/stream_spec.h"
#include "io/audio_error.h"
#include "io/audio_file_source.h"
#include "io/resampling_source.h"
#include "pipeline/call_session.h"
#include "pipeline/channel_layout.h"
#include "report/call_report.h"
#include "report/call_summary.h"

namespace {

// Seconds of audio analysed per input: enough for the first windows, baselines
// and a few events; short enough for thousands of executions a second.
constexpr double kAnalysedSeconds = 4.0;

constexpr tw::io::RawEncoding kEncodings[] = {
    tw::io::RawEncoding::pcm_s8,  tw::io::RawEncoding::pcm_u8,  tw::io::RawEncoding::pcm_s16,
    tw::io::RawEncoding::pcm_s24, tw::io::RawEncoding::pcm_s32, tw::io::RawEncoding::float32,
    tw::io::RawEncoding::float64, tw::io::RawEncoding::ulaw,    tw::io::RawEncoding::alaw};

const tw::detect::AgitationModel& model() {
  static const tw::detect::AgitationModel shared = tw::app::load_agitation_model();
  return shared;
}

class DiscardingSink final : public tw::alerts::EventSink {
 public:
  void on_event(const tw::alerts::Event&) override {}
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  tw::io::FileSourceOptions options;
  std::size_t offset = 0;
  if (data[0] < 0x20) {
    const unsigned choice = data[0] & 0x0F;
    tw::io::RawFormat raw;
    raw.encoding = kEncodings[choice % 9];
    raw.big_endian = choice >= 9;
    raw.channels = (data[0] & 0x10) != 0 ? 2 : 1;
    raw.sample_rate_hz = raw.channels == 2 ? 16000 : 8000;
    options.raw = raw;
    offset = 1;
  }
  const int fd = ::memfd_create("fuzz-input", MFD_CLOEXEC);
  if (fd < 0) __builtin_trap();
  for (std::size_t done = offset; done < size;) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) __builtin_trap();
    done += static_cast<std::size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);

  try {
    tw::io::AudioFileSource file(path, options);
    tw::io::ResamplingSource source(file, tw::dsp::kAnalysisRateHz);
    DiscardingSink events;
    const tw::pipeline::ChannelLayout layout;
    const auto roles = layout.roles_for(file.format().channels);
    tw::pipeline::CallSession session("fuzz", {}, model(), roles, events);
    std::vector<float> block(static_cast<std::size_t>(tw::dsp::kAnalysisRateHz / 10) * session.channels());
    const auto limit = static_cast<std::int64_t>(kAnalysedSeconds * tw::dsp::kAnalysisRateHz);
    while (session.frames() < limit) {
      const std::size_t frames = source.read(block);
      if (frames == 0) break;
      session.process(std::span<const float>(block.data(), frames * session.channels()));
    }
    session.finish();
    // The summary and the report as a finished call writes them: every number
    // from any input must make valid JSON.
    const tw::io::AudioFormat& format = file.format();
    nlohmann::json summary = tw::report::make_call_summary(
        "fuzz", {path, format.description, format.sample_rate_hz, format.channels}, session.frames(),
        session.reports());
    tw::report::add_non_finite_samples(file.non_finite(), format.sample_rate_hz, roles, summary);
    tw::report::add_detection_summary(session.timeline(), summary);
    (void)summary.dump();
    (void)tw::report::call_report_json(session.timeline(), summary).dump();
  } catch (const tw::io::AudioError&) {
    // A file that is not audio, truncated, or unsupported: the expected outcome for most inputs.
  }
  ::close(fd);
  return 0;
}
