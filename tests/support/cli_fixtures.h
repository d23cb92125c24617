#pragma once
// Inputs for end-to-end tests of batch runs: synthetic calls, FIFOs fed from a
// thread, and looks into an output folder.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/text_file.h"

namespace tw::test {

/// A two-party call of known length at 8 kHz, interleaved stereo: turns of
/// voiced, vibrato harmonic complexes (caller left at ~210 Hz, agent right at
/// ~120 Hz) in a little noise. Different seeds give different audio.
std::vector<float> synthetic_call(double seconds, std::uint32_t seed = 1);

/// Writes synthetic_call(seconds, seed) as a 16-bit stereo WAV.
void write_synthetic_call(const std::string& path, double seconds, std::uint32_t seed = 1);

/// A JSON file parsed (fails the test when it is not valid JSON).
nlohmann::json read_json(const std::string& path);

/// Names of the AtomicFile temporaries in `dir` (".tmp-" files).
std::vector<std::string> temporaries_in(const std::string& dir);

/// Polls `condition` every 5 ms until it holds or `timeout_s` passes; returns whether it held.
template <class Condition>
bool wait_until(Condition condition, double timeout_s = 60.0) {
  for (int i = 0; i < static_cast<int>(timeout_s * 200.0); ++i) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

/// A FIFO at `path` into which a thread writes a 16-bit stereo 8 kHz WAV whose
/// header promises `promised_s` seconds: `written_s` seconds of synthetic_call
/// audio at `pace` times real time (0: as fast as the reader takes it), then
/// the FIFO is closed (an early end when written_s < promised_s). The writer
/// stops when stop() is called or the reader goes away; it never blocks on a
/// FIFO nobody opens. SIGPIPE is ignored in the test process from then on.
class FifoWavWriter {
 public:
  FifoWavWriter(const std::string& path, double promised_s, double written_s, double pace = 0.0);
  ~FifoWavWriter();
  FifoWavWriter(const FifoWavWriter&) = delete;
  FifoWavWriter& operator=(const FifoWavWriter&) = delete;

  void stop();
  /// Bytes the reader has taken so far.
  std::int64_t bytes_written() const noexcept { return written_.load(); }

 private:
  void write_all(std::string path, double promised_s, double written_s, double pace);

  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> written_{0};
  std::thread thread_;
};

}  // namespace tw::test
