#pragma once
// Counts heap allocations made through operator new/delete while armed, to
// check that the analysis path allocates nothing after warm-up.
//
// The test binary replaces the global operator new/delete (allocation_counter.cpp).
// The replacement forwards to malloc/free and only counts while an
// AllocationScope is alive, so the rest of the binary is unaffected. It counts
// every thread's allocations while armed: keep other threads and Catch2
// assertions (which allocate) out of the armed region. Allocations made with
// malloc directly (KissFFT's own scratch, for instance) are not seen.

#include <cstddef>

namespace tw::test {

/// Arms the global counter for its lifetime and reports what it saw.
/// Scopes must not nest.
class AllocationScope {
 public:
  AllocationScope() noexcept;
  ~AllocationScope();
  AllocationScope(const AllocationScope&) = delete;
  AllocationScope& operator=(const AllocationScope&) = delete;

  /// Calls of any operator new (scalar, array, aligned, nothrow) since arming.
  std::size_t allocations() const noexcept;
  /// Calls of any operator delete with a non-null pointer since arming.
  std::size_t deallocations() const noexcept;
  /// Bytes requested through operator new since arming.
  std::size_t bytes() const noexcept;
};

}  // namespace tw::test
