#pragma once
// SIPp (Debian sip-tester), the SIP client the SIPREC tests use as the SBC: where it is,
// its arguments for one call of a scenario in tests/siprec/scenarios/, and a free port.

#include <cstdint>
#include <string>
#include <vector>

#include "support/run_command.h"

namespace tw::test {

/// A port free for both UDP and TCP on 127.0.0.1 (a SIP listener takes both).
std::uint16_t free_sip_port();

/// Where sipp is on PATH (run_command execs a path, not a name); "sipp" when it is not
/// found, which then fails to start with 127.
std::string sipp_program();

/// SIPp's arguments for one call (-m 1) of `scenario` (a file name in
/// tests/siprec/scenarios/) against a recorder on 127.0.0.1:`port`.
std::vector<std::string> sipp_arguments(const std::string& scenario, std::uint16_t port, const std::string& transport,
                                        const std::vector<std::string>& extra = {});

/// How long a SIPp call may take (40 s).
RunOptions sipp_options();

/// Runs SIPp once with `scenario` and waits (40 s at most); FAILs when sipp is not installed.
CommandResult run_sipp(const std::string& scenario, std::uint16_t port, const std::string& transport = "u1",
                       const std::vector<std::string>& extra = {});

}  // namespace tw::test
