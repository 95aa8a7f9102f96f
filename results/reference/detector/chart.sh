#!/bin/sh
# Draws detector.png from detector.json: per design, the false-alarm and
# detection rates at the JSON's repetition count (resampled trials), each
# with an error bar up to the upper end of its two-sided 95% Clopper-Pearson
# interval, and the targets as dashed lines.  A design without trials at that
# count (ab_fresh when it exceeds the sessions) is left out, not drawn as 0.
# usage: chart.sh [detector.json [detector.png]]
set -eu
dir=$(dirname "$0")
json=${1:-$dir/detector.json}
png=${2:-$dir/detector.png}
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
jq -r '.modes | to_entries[] | select(.value.false_alarm_trials > 0) | [.key,
  .value.false_alarm_rate, .value.false_alarm_upper95,
  .value.detect_5, .value.detect_5_upper95,
  .value.detect_10, .value.detect_10_upper95] | map(. // 0) | @tsv' "$json" >"$dat"
reps=$(jq -r '.config.repetitions' "$json")
load=$(jq -r '"load average \(.machine.load_average_start[0]) at start, \(.machine.load_average_end[0]) at end"' "$json")
cpus=$(jq -r 'if .machine.cpus_allowed_count then "\(.machine.cpus_allowed_count) pinned CPUs of a \(.machine.cores)-CPU machine" else "a \(.machine.cores)-CPU machine" end' "$json")
gnuplot <<GP
set terminal pngcairo size 900,520 font ",11"
set output "$png"
set title "Regression designs on $cpus, $reps repetitions (rounds) per verdict\n{/*0.8 tiny model, resampled trials; error bars to the 95% Clopper-Pearson upper end; $load}"
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.8 border -1
set yrange [0:1.05]
set ylabel "rate"
set format y "%.0f%%"
set ytics ("0%%" 0, "20%%" 0.2, "40%%" 0.4, "60%%" 0.6, "80%%" 0.8, "100%%" 1.0)
set key top left
set grid ytics
set arrow from graph 0, first 0.01 to graph 1, first 0.01 nohead dt 2 lc rgb "#c0392b"
set arrow from graph 0, first 0.80 to graph 1, first 0.80 nohead dt 2 lc rgb "#e67e22"
set arrow from graph 0, first 0.95 to graph 1, first 0.95 nohead dt 2 lc rgb "#27ae60"
plot "$dat" using 2:2:3:xtic(1) title "false alarms (A/A; target <= 1%)" lc rgb "#c0392b", \
     "" using 4:4:5 title "detected, 5% slower (target >= 80%)" lc rgb "#e67e22", \
     "" using 6:6:7 title "detected, 10% slower (target >= 95%)" lc rgb "#27ae60"
GP
