// compose_call: builds a two-channel 8 kHz telephone test call from a JSON script
// of labelled EmoDB utterances, and writes the audio and a ground-truth timeline.
//
//   compose_call SCRIPT.json --out CALL.wav [--truth TRUTH.json] [--emodb DIR]
//                [--encoding pcm16|ulaw|alaw|float|flac]
//
// Channel 0 (left) is the caller, channel 1 (right) the agent: the convention of
// the whole product (as in Amazon Connect recordings).
//
// Script (JSON object; unknown keys are errors, so a typo never goes unnoticed):
//   description        string, free text
//   emodb_dir          string, default "../shared/data/emodb"; a relative path is
//                      taken from the repository root (--emodb overrides it, and
//                      is taken from the current directory)
//   sample_rate_hz     8000..48000, default 8000
//   noise_floor_dbfs   RMS of each channel's independent line noise (300-3400 Hz
//                      Gaussian), dB re full-scale sine, default -60
//   speech_level_dbfs  ITU-T P.56 active level of every utterance before gain_db,
//                      default -26 (EmoDB files are peak-normalized, so their own
//                      levels say nothing about vocal effort: gain_db does)
//   seed               non-negative integer for the line noise, default 1
//   tail_s             after the last speech, default 1.0
//   pause_s            default pause between the utterances of a turn, 0.35
//   turns              ordered list; each entry is a turn or a silence:
//     turn:    role        "caller" | "agent"                           (required)
//              utterances  list of EmoDB file names ("03a01Wa.wav") or selectors
//                          {"speaker": "03", "emotion": "W" | "anger", "text": "a01"}
//                          ("text" optional). A selector takes the best-recognised
//                          recording of that speaker and emotion the call has not
//                          used yet (ties by file name)                  (required)
//              gap_s       from the end of the speech so far (the latest-ending
//                          turn) to this turn's first syllable, default 0.5;
//                          negative = this turn interrupts the turn still talking
//              pause_s     between this turn's utterances (end of speech to onset)
//              gain_db     level change on top of speech_level_dbfs (raised voice)
//              label, stage  free text copied into the truth
//     silence: silence_s   dead air: neither side speaks; the next turn's gap_s
//                          counts from its end
//              label       free text
//   ("tempo" is refused: time-scaling would need sox at run time.)
//
// Truth (JSON, default CALL without extension + ".truth.json"); times in seconds
// from the start of the audio, rounded to 0.1 ms:
//   format "tonewatch-call-truth", version 1, generator, script (file name),
//   audio {file, encoding, sample_rate_hz, channels, frames}, duration_s,
//   speech_level_dbfs, noise_floor_dbfs, seed,
//   channels   [{channel, role, speakers: [{speaker, sex}]}]
//   turns      [{turn, role, start_s, end_s, gap_s, gain_db, label, stage}]
//              (turn = index in the script's "turns" list; start/end = first
//              syllable onset of the first utterance, end of speech of the last)
//   utterances [{turn, role, channel, file, speaker, sex, text_code, emotion (letter),
//               emotion_name, arousal (high|mid|low, labels.csv), recognition_pct,
//               start_s, end_s, bounds ("silb": first syllable onset and end-of-speech
//               mark of silb/; "file": the file bounds, when there is no silb),
//               syllables, level_dbfs, peak_dbfs, gain_db, label, stage}]
//   overlaps   [{turn, interrupted_turn, interrupter, interrupted, start_s, duration_s}]
//              (the overlap of the two turns' extents)
//   silences   [{turn, start_s, end_s, label}] (from a silence entry: the whole
//              stretch with no speech, including the next turn's gap)

#include <CLI/CLI.hpp>

#include <cctype>
#include <exception>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <string>

#include "io/atomic_file.h"
#include "io/audio_file_writer.h"
#include "tools/call_composer.h"
#include "tools/call_script.h"
#include "tools/emodb_catalog.h"
#include "build_paths.h"

namespace {

namespace fs = std::filesystem;

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

int run(const std::string& script_path, const std::string& out_path, std::string truth_path,
        const std::string& emodb_override, const std::string& encoding_name) {
  const std::string ext = lower_extension(out_path);
  tw::io::OutputEncoding encoding = ext == ".flac" ? tw::io::OutputEncoding::flac : tw::io::OutputEncoding::wav_pcm16;
  if (!encoding_name.empty()) encoding = tw::io::parse_output_encoding(encoding_name);
  // A FLAC stream in a .wav name (or WAV in .flac) would mislead every reader.
  if ((encoding == tw::io::OutputEncoding::flac) != (ext == ".flac")) {
    throw std::invalid_argument("--out " + out_path + ": encoding " + tw::io::to_string(encoding) + " needs a " +
                                (encoding == tw::io::OutputEncoding::flac ? ".flac" : ".wav") + " file name");
  }
  if (truth_path.empty()) truth_path = (fs::path(out_path).replace_extension("").string()) + ".truth.json";

  const tw::tools::CallScript script = tw::tools::load_call_script(script_path);
  fs::path emodb_dir = emodb_override.empty() ? fs::path(script.emodb_dir) : fs::path(emodb_override);
  if (emodb_override.empty() && emodb_dir.is_relative()) emodb_dir = fs::path(tw::build::source_dir()) / emodb_dir;
  const tw::tools::EmodbCatalog catalog(emodb_dir.lexically_normal().string());

  tw::tools::ComposedCall call;
  try {
    call = tw::tools::compose_call(script, catalog);
  } catch (const std::exception& e) {
    throw std::runtime_error(script_path + ": " + e.what());
  }
  tw::io::write_audio_file(out_path, call.interleaved, tw::tools::ComposedCall::kChannels,
                           call.truth.sample_rate_hz, encoding);
  const tw::tools::TruthFileInfo info{fs::path(script_path).filename().string(),
                                      fs::path(out_path).filename().string(), tw::io::to_string(encoding)};
  tw::io::write_file_atomically(truth_path, tw::tools::truth_to_json(call, info));

  const auto& t = call.truth;
  std::cout << std::fixed << std::setprecision(2) << "wrote " << out_path << ": " << t.duration_s << " s, "
            << t.sample_rate_hz << " Hz, 2 channels (0 caller, 1 agent), " << tw::io::to_string(encoding) << ", "
            << fs::file_size(out_path) << " bytes\n"
            << "wrote " << truth_path << ": " << t.turns.size() << " turns, " << t.utterances.size()
            << " utterances, " << t.overlaps.size() << " overlaps, " << t.silences.size() << " silences\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"compose_call: builds a two-channel telephone test call (channel 0 = caller, channel 1 = agent)\n"
               "from a JSON script of EmoDB utterances, and writes its ground-truth timeline as JSON.\n"
               "The script schema is described in examples/README.md."};
  std::string script_path, out_path, truth_path, emodb_dir, encoding;
  app.add_option("script", script_path, "call script (JSON)")->required()->check(CLI::ExistingFile);
  app.add_option("--out", out_path, "audio file to write (.wav, or .flac)")->required();
  app.add_option("--truth", truth_path, "truth timeline to write (default: OUT without extension + .truth.json)");
  app.add_option("--emodb", emodb_dir,
                 "EmoDB folder (labels.csv, wav/, silb/); default: the script's emodb_dir, relative to the "
                 "repository root");
  app.add_option("--encoding", encoding, "pcm16 | ulaw | alaw | float | flac (default: pcm16, or flac for .flac)")
      ->check(CLI::IsMember({"pcm16", "ulaw", "alaw", "float", "flac"}));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return run(script_path, out_path, truth_path, emodb_dir, encoding);
  } catch (const std::exception& e) {
    std::cerr << "compose_call: " << e.what() << "\n";
    return 2;
  }
}
