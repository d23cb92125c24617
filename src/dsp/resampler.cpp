#include "dsp/resampler.h"

#include <soxr.h>

#include <stdexcept>
#include <string>
#include <utility>

namespace tw::dsp {
namespace {
constexpr std::size_t kOutputFrames = 4096;
}

Resampler::Resampler(double input_rate_hz, double output_rate_hz, unsigned channels) : channels_(channels) {
  if (!(input_rate_hz > 0.0)) {
    throw std::invalid_argument("Resampler: input_rate_hz must be > 0, got " + std::to_string(input_rate_hz));
  }
  if (!(output_rate_hz > 0.0)) {
    throw std::invalid_argument("Resampler: output_rate_hz must be > 0, got " + std::to_string(output_rate_hz));
  }
  if (channels == 0) throw std::invalid_argument("Resampler: channels must be > 0");
  if (input_rate_hz == output_rate_hz) return;  // pass-through: no buffer, no converter
  output_.resize(kOutputFrames * channels);
  soxr_error_t error = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  // High quality: 20-bit precision, 91% passband, linear phase. At 8 kHz output
  // the passband ends at 3.64 kHz, above the 3.4 kHz telephone band.
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  handle_ = soxr_create(input_rate_hz, output_rate_hz, channels, &error, &io, &quality, nullptr);
  if (error != nullptr || handle_ == nullptr) {
    throw std::runtime_error(std::string("Resampler: libsoxr cannot convert ") + std::to_string(input_rate_hz) +
                             " Hz to " + std::to_string(output_rate_hz) + " Hz: " + (error ? error : "unknown"));
  }
}

Resampler::~Resampler() {
  if (handle_ != nullptr) soxr_delete(handle_);
}

Resampler::Resampler(Resampler&& other) noexcept
    : channels_(other.channels_), handle_(std::exchange(other.handle_, nullptr)), output_(std::move(other.output_)) {}

Resampler& Resampler::operator=(Resampler&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) soxr_delete(handle_);
    channels_ = other.channels_;
    handle_ = std::exchange(other.handle_, nullptr);
    output_ = std::move(other.output_);
  }
  return *this;
}

std::size_t Resampler::step(std::span<const float> input, std::size_t& consumed) {
  std::size_t in_done = 0;
  std::size_t out_done = 0;
  const soxr_error_t error = soxr_process(handle_, input.data(), input.size() / channels_, &in_done,
                                          output_.data(), kOutputFrames, &out_done);
  if (error != nullptr) throw std::runtime_error(std::string("Resampler: libsoxr failed: ") + error);
  consumed += in_done * channels_;
  return out_done;
}

std::size_t Resampler::drain_step() {
  std::size_t out_done = 0;
  const soxr_error_t error = soxr_process(handle_, nullptr, 0, nullptr, output_.data(), kOutputFrames, &out_done);
  if (error != nullptr) throw std::runtime_error(std::string("Resampler: libsoxr failed: ") + error);
  return out_done;
}

}  // namespace tw::dsp
