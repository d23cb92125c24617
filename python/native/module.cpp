// tonewatch._native: the C++ library as the Python package (python/tonewatch/)
// calls it. The public API, its documentation and its types are in the package;
// this layer converts and releases the GIL around every analysis, so Python
// threads analyse in parallel.

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <string>
#include <tuple>
#include <vector>

#include "analyzer.h"
#include "app/config_file.h"
#include "batch/batch_runner.h"
#include "batch/call_ids.h"
#include "batch/output_folder.h"
#include "batch_driver.h"
#include "io/audio_error.h"
#include "io/path_text.h"
#include "report/call_report.h"

namespace py = pybind11;
using tw::python::Analyzer;
using tw::python::ArrayAudio;
using tw::python::BatchDriver;
using tw::python::FinishedCall;
using tw::python::StreamSession;

namespace {

// A batch call's result as the package reads it:
// (input path bytes, call id, status, error, note, summary JSON text or None).
using ResultTuple = std::tuple<py::bytes, std::string, std::string, std::string, std::string, py::object>;

ResultTuple result_tuple(const tw::batch::CallResult& r) {
  py::object summary = r.summary.is_null() ? py::object(py::none()) : py::object(py::str(r.summary.dump()));
  return {py::bytes(r.input_path), r.call_id, tw::batch::to_string(r.status), r.error, r.note, summary};
}

tw::report::OutputOptions output_options(const std::string& out_dir, const std::string& format, bool frames) {
  tw::report::OutputOptions output;
  output.dir = out_dir;
  if (format != "csv" && format != "jsonl") throw std::invalid_argument("format '" + format + "' is not csv or jsonl");
  output.format = format == "jsonl" ? tw::report::TableFormat::jsonl : tw::report::TableFormat::csv;
  output.frames = frames;
  return output;
}

}  // namespace

PYBIND11_MODULE(_native, m) {
  m.doc() = "tonewatch's C++ library; use the tonewatch package, not this module";
  m.attr("__version__") = TW_VERSION;

  // Exceptions: the package re-exports these under its own names.
  static py::exception<tw::io::AudioError> audio_error(m, "AudioError", PyExc_OSError);
  static py::exception<tw::app::AnalysisChoiceError> config_error(m, "ConfigError", PyExc_ValueError);
  static py::exception<tw::batch::OutputFolderError> folder_error(m, "OutputFolderError", PyExc_OSError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const tw::io::AudioError& e) {
      // Messages name paths, which may be any bytes: Python's str must be UTF-8.
      audio_error(tw::io::escape_invalid_utf8(e.what()).c_str());
    } catch (const tw::app::AnalysisChoiceError& e) {
      config_error(tw::io::escape_invalid_utf8(e.option() + " " + e.what()).c_str());
    } catch (const tw::batch::OutputFolderError& e) {
      folder_error(tw::io::escape_invalid_utf8(e.what()).c_str());
    } catch (const std::filesystem::filesystem_error& e) {
      PyErr_SetString(PyExc_OSError, tw::io::escape_invalid_utf8(e.what()).c_str());
    } catch (const std::invalid_argument& e) {
      PyErr_SetString(PyExc_ValueError, tw::io::escape_invalid_utf8(e.what()).c_str());
    }
  });

  m.def("config_defaults", [] { return tw::app::config_to_json(tw::detect::DetectionConfig{}).dump(); });
  m.def("config_resolve", [](const std::string& json_text) {
    // Over the defaults, validated as --config validates a file.
    nlohmann::json changes;
    try {
      changes = nlohmann::json::parse(json_text);
    } catch (const nlohmann::json::exception& e) {
      throw tw::app::AnalysisChoiceError("--config", std::string("not JSON: ") + e.what());
    }
    tw::detect::DetectionConfig config;
    try {
      tw::app::apply_config_json(changes, config);
    } catch (const std::invalid_argument& e) {
      throw tw::app::AnalysisChoiceError("--config", e.what());
    }
    return tw::app::config_to_json(config).dump();
  });
  m.def("config_load", [](const std::string& path) {
    try {
      return tw::app::config_to_json(tw::app::load_config_file(path)).dump();
    } catch (const std::invalid_argument& e) {
      throw tw::app::AnalysisChoiceError("--config", e.what());
    }
  });
  // Whether an array would be read in place (no copy): for the tests of that promise.
  m.def("reads_in_place", [](const py::array& array) { return ArrayAudio(array, "array").zero_copy(); });
  m.def("call_ids", &tw::batch::make_call_ids, py::arg("inputs"), py::arg("root") = std::string());

  py::class_<FinishedCall>(m, "FinishedCall")
      .def_readonly("call_id", &FinishedCall::call_id)
      .def_property_readonly("summary_json", [](const FinishedCall& c) { return c.summary.dump(); })
      .def_property_readonly("events_jsonl", [](const FinishedCall& c) { return c.tables.events_jsonl; })
      .def_property_readonly("windows_csv", [](const FinishedCall& c) { return c.tables.windows_csv; })
      .def_property_readonly("has_frames", [](const FinishedCall& c) { return c.tables.frames_csv.has_value(); })
      .def_property_readonly("frames_csv",
                             [](const FinishedCall& c) -> py::object {
                               if (!c.tables.frames_csv) return py::none();
                               return py::str(*c.tables.frames_csv);
                             })
      .def("report_json",
           [](const FinishedCall& c) {
             py::gil_scoped_release release;
             return tw::report::call_report_json(c.timeline, c.summary).dump();
           })
      .def("report_html",
           [](const FinishedCall& c) {
             std::string html;
             {
               py::gil_scoped_release release;
               html = tw::report::call_report_html(c.timeline, c.summary);
             }
             return html;
           })
      .def("write", [](const FinishedCall& c, const std::string& out_dir) {
        std::string error;
        {
          py::gil_scoped_release release;
          try {
            tw::report::write_call_outputs(out_dir, c.call_id, c.tables, c.timeline, c.summary);
          } catch (const std::exception& e) {
            error = tw::io::escape_invalid_utf8(e.what());  // a folder or file that cannot be written
          }
        }
        if (!error.empty()) {
          PyErr_SetString(PyExc_OSError, error.c_str());
          throw py::error_already_set();
        }
      });

  py::class_<Analyzer>(m, "Analyzer")
      .def(py::init([](const std::string& channels, const std::string& mono_role, py::object config_json,
                       const std::string& model_path, const std::string& raw_encoding, int raw_rate_hz,
                       int raw_channels, bool raw_big_endian) {
             tw::app::AnalysisChoices choices;
             choices.channels = channels;
             choices.mono_role = mono_role;
             if (!config_json.is_none()) choices.config = nlohmann::json::parse(config_json.cast<std::string>());
             choices.model_path = model_path;
             choices.raw_encoding = raw_encoding;
             choices.raw_rate_hz = raw_rate_hz;
             choices.raw_channels = raw_channels;
             choices.raw_big_endian = raw_big_endian;
             return std::make_unique<Analyzer>(choices);
           }),
           py::arg("channels"), py::arg("mono_role"), py::arg("config_json"), py::arg("model_path"),
           py::arg("raw_encoding"), py::arg("raw_rate_hz"), py::arg("raw_channels"), py::arg("raw_big_endian"))
      .def("analysis_json", [](const Analyzer& a) { return a.job().run.summary_json().dump(); })
      .def("settings_json", [](const Analyzer& a) { return a.job().run.settings.dump(); })
      .def("analyze_file",
           [](const Analyzer& a, const std::string& path, const std::string& call_id, bool frames) {
             py::gil_scoped_release release;
             return a.analyze_file(path, call_id, frames);
           })
      .def("analyze_array",
           [](const Analyzer& a, const py::array& array, int sample_rate_hz, const std::string& call_id, bool frames) {
             const ArrayAudio audio(array, "source");
             py::gil_scoped_release release;
             return a.analyze_array(audio, sample_rate_hz, call_id, frames);
           })
      .def("analyze_call", [](const Analyzer& a, const std::string& path, const std::string& call_id,
                              const std::string& out_dir, const std::string& format, bool frames) {
        // For a Dask worker: what the driver records and shows, not the whole
        // summary (which is in the call's files): (status, error, note, duration_s,
        // alerts, final_stage), the last three None for a call not analysed.
        const tw::report::OutputOptions output = output_options(out_dir, format, frames);
        tw::batch::CallResult result;
        {
          py::gil_scoped_release release;
          result = a.analyze_call(path, call_id, output);
        }
        py::object duration = py::none(), alerts = py::none(), stage = py::none();
        if (result.summary.is_object()) {
          duration = py::float_(result.summary.value("duration_s", 0.0));
          const nlohmann::json& detection = result.summary.value("detection", nlohmann::json::object());
          alerts = py::int_(detection.value("alerts", nlohmann::json::array()).size());
          stage = py::str(detection.value("final_stage", std::string()));
        }
        return py::make_tuple(tw::batch::to_string(result.status), result.error, result.note, duration, alerts, stage);
      });

  py::class_<StreamSession>(m, "StreamSession")
      .def(py::init<const Analyzer&, int, int, std::string, bool>(), py::keep_alive<1, 2>(), py::arg("analyzer"),
           py::arg("sample_rate"), py::arg("channels"), py::arg("call_id"), py::arg("frames"))
      .def("process",
           [](StreamSession& s, const py::array& block) {
             const ArrayAudio audio(block, "block");
             const tw::python::InUse in_use(s.in_use());
             py::gil_scoped_release release;
             return s.process(audio);
           })
      .def("finish",
           [](StreamSession& s) {
             const tw::python::InUse in_use(s.in_use());
             py::gil_scoped_release release;
             return s.finish();
           })
      .def_property_readonly("finished", &StreamSession::finished)
      .def_property_readonly("duration_s", &StreamSession::duration_s);

  py::class_<BatchDriver>(m, "BatchRun")
      .def(py::init([](const Analyzer& analyzer, const std::vector<std::string>& inputs, const std::string& out_dir,
                       const std::string& format, bool frames, bool force, const std::string& root,
                       const std::vector<std::string>& command_line) {
             return std::make_unique<BatchDriver>(analyzer, inputs, output_options(out_dir, format, frames), force,
                                                  root, command_line);
           }),
           py::keep_alive<1, 2>())
      .def("calls",
           [](BatchDriver& d) {
             // (call index, input index, input path bytes, call id, done, note)
             std::vector<std::tuple<std::size_t, std::size_t, py::bytes, std::string, bool, std::string>> calls;
             const auto& planned = d.run().calls();
             for (std::size_t k = 0; k < planned.size(); ++k) {
               calls.emplace_back(k, planned[k].input, py::bytes(planned[k].path), planned[k].id, planned[k].done,
                                  planned[k].note);
             }
             return calls;
           })
      .def_property_readonly("run_id", [](BatchDriver& d) { return d.run().run_id(); })
      .def("skipped", [](BatchDriver& d, std::size_t k) { return result_tuple(d.run().skipped(k)); })
      .def("record",
           [](BatchDriver& d, std::size_t k, const std::string& status, const std::string& error,
              const std::string& note, py::object summary_json) {
             if (k >= d.run().calls().size()) throw py::index_error("no call " + std::to_string(k) + " in this run");
             tw::batch::CallResult result;
             result.input_path = d.run().calls()[k].path;
             result.call_id = d.run().calls()[k].id;
             result.status = tw::python::parse_status(status);
             result.error = error;
             result.note = note;
             if (!summary_json.is_none()) result.summary = nlohmann::json::parse(summary_json.cast<std::string>());
             d.run().record(k, std::move(result));
           })
      .def("close", [](BatchDriver& d) { d.close(); })
      .def("finish", [](BatchDriver& d, bool interrupted, bool sweep_temporaries) {
        const tw::batch::BatchOutcome outcome = d.run().finish(interrupted, sweep_temporaries);
        std::vector<ResultTuple> results;
        for (const auto& r : outcome.results) results.push_back(result_tuple(r));
        return std::make_tuple(results, outcome.warnings, outcome.removed_temporaries);
      });
}
