#!/usr/bin/env bash
# Compares a live call's events with `tonewatch analyze`'s of the same audio: every
# batch event (agitation, interruptions, dead air, stages, alerts) must come live too,
# in the same order, of the same type, speaker and state, within TOLERANCE_S (0.5 s);
# live may add only what batch cannot know (a party leaving, acknowledgements).
#   tools/interop/same-events.sh BATCH.events.jsonl LIVE.events.jsonl [TOLERANCE_S]
# Prints both side by side; exit 0 when they agree, 1 when not.
set -euo pipefail
if [[ $# -lt 2 || $1 == -h || $1 == --help ]]; then
  sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi
tolerance=${3:-0.5}
pick='select(.type != "party_left" and .type != "alert_acknowledged")
      | [.type, (.speaker // "-"), (.details.to // .state // "-"), .time_s] | @tsv'
batch=$(jq -r "$pick" "$1")
live=$(jq -r "$pick" "$2")
[[ -n $batch ]] || { echo "no events in $1" >&2; exit 1; }
paste <(printf '%s\n' "$batch") <(printf '%s\n' "$live") | awk -F'\t' -v tol="$tolerance" '
  { same = ($1 == $5 && $2 == $6 && $3 == $7); d = $4 - $8; if (d < 0) d = -d
    ok = same && $8 != "" && d <= tol
    printf "  %-24s %-7s %-10s batch %7.2f s | live %-24s %-7s %-10s %7.2f s  %s\n", $1, $2, $3, $4, $5, $6, $7, $8, ok ? "ok" : "DIFFERENT"
    if (!ok) bad++ }
  END { exit bad > 0 }'
[[ $(wc -l <<< "$batch") -eq $(wc -l <<< "$live") ]] || { echo "batch has $(wc -l <<< "$batch") events, live $(wc -l <<< "$live")" >&2; exit 1; }
