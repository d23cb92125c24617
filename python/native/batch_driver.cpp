#include "batch_driver.h"

#include <stdexcept>

namespace tw::python {

BatchDriver::BatchDriver(const Analyzer& analyzer, const std::vector<std::string>& inputs,
                         const report::OutputOptions& output, bool force, const std::string& root,
                         const std::vector<std::string>& command_line) {
  options_.job = analyzer.job();
  options_.job.output = output;
  options_.force = force;
  options_.root = root;
  options_.command_line = command_line;
  options_.show_progress = false;
  run_ = std::make_unique<batch::BatchRun>(inputs, options_);
}

batch::CallResult::Status parse_status(const std::string& name) {
  using Status = batch::CallResult::Status;
  for (Status s : {Status::analysed, Status::skipped, Status::failed, Status::interrupted, Status::not_started,
                   Status::duplicate}) {
    if (name == batch::to_string(s)) return s;
  }
  throw std::invalid_argument("unknown call status '" + name + "'");
}

}  // namespace tw::python
