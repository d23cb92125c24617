#include "bus/event_stream.h"

#include <nats/nats.h>

#include "bus/bus_connection.h"
#include "bus/bus_subjects.h"

namespace tw::bus {

std::string ensure_event_stream(jsCtx* jetstream, std::chrono::hours max_age, int replicas, bool& created) {
  created = false;
  jsErrCode error = static_cast<jsErrCode>(0);
  const std::string name(kEventStream), subjects(kEventSubjects);
  jsStreamInfo* info = nullptr;
  natsStatus status = js_GetStreamInfo(&info, jetstream, name.c_str(), nullptr, &error);
  if (status == NATS_NOT_FOUND) {
    jsStreamConfig stream;
    jsStreamConfig_Init(&stream);
    const char* subject_list[] = {subjects.c_str()};
    stream.Name = name.c_str();
    stream.Subjects = subject_list;
    stream.SubjectsLen = 1;
    stream.Storage = js_FileStorage;
    stream.MaxAge = std::chrono::duration_cast<std::chrono::nanoseconds>(max_age).count();
    stream.Duplicates = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::minutes(10)).count();
    stream.Replicas = static_cast<int64_t>(replicas);
    status = js_AddStream(&info, jetstream, &stream, nullptr, &error);
    if (status == NATS_OK) {
      created = true;
    } else {
      // Why it could not be made (the server's words: "replicas > 1 not supported in
      // non-clustered mode", say), kept before the look below overwrites nats.c's last error.
      std::string why = last_error_text(status);
      if (error != 0) why += " (JetStream error " + std::to_string(static_cast<int>(error)) + ")";
      // Another instance may have made it meanwhile: then it is there, as wanted.
      jsErrCode again = static_cast<jsErrCode>(0);
      if (js_GetStreamInfo(&info, jetstream, name.c_str(), nullptr, &again) == NATS_OK) status = NATS_OK;
      if (status != NATS_OK) {
        jsStreamInfo_Destroy(info);
        return why;
      }
    }
  }
  jsStreamInfo_Destroy(info);
  if (status == NATS_OK) return "";
  std::string why = last_error_text(status);
  if (error != 0) why += " (JetStream error " + std::to_string(static_cast<int>(error)) + ")";
  return why;
}

}  // namespace tw::bus
