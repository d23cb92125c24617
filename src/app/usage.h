#pragma once
// Usage errors: every one is exit status 2 with a message naming what is wrong.

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "app/closest_name.h"

namespace tw::app {

/// When the first argument is neither an option nor one of `app`'s subcommands,
/// the message for it ("unknown command 'analyse' (did you mean 'analyze'?)
/// ..."); empty otherwise. CLI11 itself would only say "A subcommand is required".
std::string unknown_command(const std::vector<std::string>& arguments, const CLI::App& app);

/// CLI11's message for a parse error, reworded where it names nothing a user
/// can act on (a missing command, listing `app`'s commands; missing input files).
std::string usage_message(const CLI::ParseError& error, const std::vector<std::string>& arguments,
                          const CLI::App& app);

}  // namespace tw::app
