#pragma once
// Folders given as inputs: the recorded calls inside them, found by walking them.

#include <string>
#include <vector>

namespace tw::batch {

/// What a folder walk keeps: files with an audio extension (.wav, .wave, .flac, .au,
/// .snd, any case), or with `raw` every file (headerless audio has no telling name).
/// Hidden files and folders (a leading '.') are skipped in both cases.
bool is_call_file_name(const std::string& file_name, bool raw);

/// `inputs` with every folder among them replaced by the call files below it
/// (recursively, in byte order of their paths; symbolic links to folders are not
/// followed, so a link loop cannot trap the walk). Other inputs, files or not,
/// stay as given and in place: the batch reports what is wrong with them. Throws
/// std::invalid_argument naming the folder when it cannot be read or holds no
/// call file, so that a mistyped archive path is not a silent empty run.
std::vector<std::string> expand_input_folders(const std::vector<std::string>& inputs, bool raw);

}  // namespace tw::batch
