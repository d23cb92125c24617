#pragma once
// A batch whose calls are analysed elsewhere (Dask workers): the C++ BatchRun's
// plan, folder lock, resume and manifest, held by the driver process.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "analyzer.h"
#include "batch/batch_runner.h"

namespace tw::python {

class BatchDriver {
 public:
  /// Plans `inputs` into `out_dir` (taking its lock for the driver's lifetime;
  /// batch::OutputFolderError when in use) and records the run as started.
  BatchDriver(const Analyzer& analyzer, const std::vector<std::string>& inputs, const report::OutputOptions& output,
              bool force, const std::string& root, const std::vector<std::string>& command_line);

  /// Throws std::logic_error after close().
  batch::BatchRun& run() {
    if (!run_) throw std::logic_error("this batch run is closed");
    return *run_;
  }
  /// Releases the output folder (its lock) now, not when Python collects this
  /// object: a traceback kept by a notebook would hold it for the session.
  void close() noexcept { run_.reset(); }

 private:
  batch::BatchOptions options_;
  std::unique_ptr<batch::BatchRun> run_;
};

/// "analysed" and the other batch statuses back to the enum. Throws std::invalid_argument.
batch::CallResult::Status parse_status(const std::string& name);

}  // namespace tw::python
