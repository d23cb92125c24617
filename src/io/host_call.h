#pragma once
// A call into a sound host (PortAudio and the libraries under it) that may wait
// forever on a frozen sound server: ALSA's pulse plugin waits for its server's
// answers without a timeout. The call runs on a thread of its own and the caller
// waits on the returned future for as long as it chooses, so a host that never
// answers holds that thread, never the caller. The thread is detached: what the
// call uses must outlive it, or be left to it.

#include <functional>
#include <future>
#include <memory>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

namespace tw::io {

template <class Call>
std::future<std::invoke_result_t<Call>> call_detached(Call call) {
  auto task = std::make_shared<std::packaged_task<std::invoke_result_t<Call>()>>(std::move(call));
  std::future<std::invoke_result_t<Call>> result = task->get_future();
  try {
    std::thread([task] { (*task)(); }).detach();
  } catch (const std::system_error&) {
    (*task)();  // no thread to be had: the call runs here, unbounded
  }
  return result;
}

}  // namespace tw::io
