#pragma once
// Working memory that belongs to the thread running an analysis, not to a stream.
//
// Much of a stream's per-hop memory is scratch: the windowed frame, the spectrum, the
// pitch search's autocorrelation, a block de-interleaved into channels. Its values do
// not outlive the call that fills them, so nothing ties it to the stream. A server
// worker analyses hundreds of calls in turn, a few hops each; with the scratch in each
// call it is cold on every pump (the writes miss the caches, and every call's copy
// competes for them), where one copy per thread stays warm. The KissFFT plans went
// the same way for the same reason (dsp/real_fft.h).

#include <cstddef>
#include <span>
#include <vector>

namespace tw::dsp {

/// This thread's buffer of `T` for one use, named by the tag type `Use` (every
/// buffer that must be live at the same time as another needs its own tag). The
/// buffer grows to the largest size asked on the thread and is freed when the thread
/// ends. A span from get() is valid until the next get() of the same Use on the same
/// thread that asks for more: so a user's values last until its next call, and two
/// instances of one class on one thread share (and overwrite) the same buffer. Only
/// scratch whose contents are consumed within one call may live here.
template <typename T, typename Use>
class ThreadScratch {
 public:
  /// Makes this thread's buffer hold at least `n` now (allocates if it is smaller).
  /// Constructors call it, so a later get() of that size on the same thread does not
  /// allocate.
  static void reserve(std::size_t n) {
    std::vector<T>& b = buffer();
    if (b.size() < n) b.resize(n);
  }

  /// The first `n` elements of this thread's buffer, values left from earlier use.
  /// Real-time safe once reserve(n) ran on this thread (the first use on another
  /// thread allocates, as a KissFFT plan does).
  static std::span<T> get(std::size_t n) noexcept {
    std::vector<T>& b = buffer();
    if (b.size() < n) b.resize(n);  // noexcept: an allocation failure here ends the process
    return std::span<T>(b.data(), n);
  }

 private:
  static std::vector<T>& buffer() noexcept {
    thread_local std::vector<T> b;
    return b;
  }
};

}  // namespace tw::dsp
