#pragma once
// libre 1.1.0 writes some diagnostics straight to stderr with re_fprintf, not through its
// dbg module (sip/transp.c: "sip: msg decode err" for every SIP datagram or TCP message it
// cannot parse), which would put bare text lines into `serve --log-format json`'s stderr.
// libre_diagnostics.cpp defines re_fprintf, which takes libre's place at link time: the
// text is formatted with libre's own re_vsnprintf (its %m, %H... conversions), and what
// was meant for stderr goes to the calling thread's handler (the SIP thread's signalling,
// which logs and counts it). Output to other streams is written as libre would.

#include <string_view>

namespace tw::siprec {

/// Receives one diagnostic line (its trailing newline included, as libre wrote it).
using DiagnosticHandler = void (*)(void* context, std::string_view text);

/// Sets the calling thread's handler; null: stderr, as libre would.
void set_thread_diagnostic_handler(DiagnosticHandler handler, void* context) noexcept;

}  // namespace tw::siprec
