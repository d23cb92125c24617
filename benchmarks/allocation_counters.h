#pragma once
// The counters of tw_bench's counting operator new. The replaced operator new/delete and
// these two counters are defined in tw_bench.cpp and nowhere else: a program replaces the
// global allocation functions once, and every file of tw_bench that reads the counters
// (the pipeline runs, the memory per stream) reads these.

#include <atomic>
#include <cstdint>

namespace tw::bench {

/// operator new calls so far: allocations inside timed loops are reported (the analysis
/// path promises none).
extern std::atomic<std::int64_t> g_allocations;
/// Bytes of the live heap (malloc_usable_size of each block): the memory per stream.
extern std::atomic<std::int64_t> g_live_heap_bytes;

}  // namespace tw::bench
