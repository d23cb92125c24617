#pragma once
// The per-call report a supervisor reads: what happened in a call, second by
// second, with every alert and the evidence behind it. Two forms of one content:
// JSON for machines and a self-contained HTML page (inline CSS, inline vanilla JS
// drawing SVG, no external resources) that opens offline.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/call_timeline.h"

namespace tw::report {

// The report is drawn from the pipeline's timeline of the call.
using pipeline::CallTimeline;
using pipeline::Interval;
using pipeline::SpeakerSecond;
using pipeline::StageSpan;

/// The machine-readable report of one call:
///   format, version, call, duration_s, verdict,
///   speakers        [{role, ...the call summary's figures for that role}],
///   stages          [{stage, start_s, end_s}],
///   escalations, relapses, time_to_calm_s (null if never calm again), venting_s, final_stage,
///   overlaps, silences  [{start_s, end_s, label}], overlap_s, silence_s (totals),
///   alert_count, events [alerts::to_json(event)...],
///   series          {<role>: {time_s:[], agitation:[], score:[], loudness_db:[], f0_median_hz:[],
///                             speaking_rate_syl_per_s:[], speech_s:[], scored:[], baseline_established:[]}},
///   summary         the call summary as given (null if none), warnings (from it).
/// Series are columns (one array per field, one entry per second), rounded to
/// what a reader can see; NaN and infinities are null. `call_summary` may be null
/// or empty. Not real-time safe (allocates); linear in the call length.
nlohmann::json call_report_json(const CallTimeline& timeline, const nlohmann::json& call_summary);

/// The report as one self-contained HTML page: a server-rendered header (call id,
/// duration, verdict, key figures) and table of every event with its evidence,
/// readable without JavaScript; and SVG charts on one time axis drawn by inline
/// script (assets/charts.js and assets/report.js, with assets/report.css, all
/// inlined) from the embedded report (`<script type="application/json" id="report-data">`):
/// agitation with the stage bands (#chart-agitation), loudness (#chart-loudness),
/// F0 (#chart-f0), speaking rate (#chart-rate) and turn taking (#chart-turns), with
/// alert markers that show their message and evidence. After drawing, the script
/// sets `data-rendered="ok"` on <body>, or `data-render-error` with the message.
/// Every text from the call is HTML-escaped; the embedded JSON cannot end its script.
std::string call_report_html(const CallTimeline& timeline, const nlohmann::json& call_summary);

/// What the page's chart script needs beyond the report (the report's "ui" block):
/// readable names of evidence features, a sentence per event on why it matters
/// (`explanations`, one per event, "" if none), which chart marks which event
/// (`marks`: [event index, "agitation"|"turns"]), and the speech window length.
/// The report page embeds it; the dashboard's live call view adds it to the
/// timeline so far. Not real-time safe.
nlohmann::json report_ui_json(const std::vector<alerts::Event>& events);

/// One line for a supervisor, e.g. "Escalated at 0:41, caller vented 55 s, calm
/// again after 1:38; 2 relapses; 3 alerts", or "No escalation; no alerts".
std::string call_verdict(const CallTimeline& timeline);
/// The verdict of a call still in progress, in the present: "No escalation so far",
/// "Escalated at 0:20, caller venting for 1:30, venting now; ..." (never "at the end").
std::string call_verdict_so_far(const CallTimeline& timeline);

/// Stream time as a clock: "1:05", "1:02:03" past an hour (whole seconds, rounded down).
std::string format_clock(double time_s);

}  // namespace tw::report
