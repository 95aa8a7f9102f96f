#!/bin/sh
# Draws streams.png from detector-streams.json (a pooled --replay of live
# fresh-worker streams): per number of rounds a verdict, the false-alarm and
# detection rates of the independent (disjoint-window) verdicts, each with an
# error bar over its two-sided 95% Clopper-Pearson interval, and the targets
# as dashed lines.  The x axis is logarithmic in rounds; the top axis gives
# the minutes per A/B cell (start-up and warm-up included).
# usage: chart.sh [detector-streams.json [streams.png]]
set -eu
dir=$(dirname "$0")
json=${1:-$dir/detector-streams.json}
png=${2:-$dir/streams.png}
dat=$(mktemp)
trap 'rm -f "$dat"' EXIT
# rounds, then rate/low/high for false alarms, 5% and 10%, then minutes.
jq -r '.modes.fresh.by_repetitions | to_entries[] | .value.disjoint as $d |
  [(.key | tonumber),
   $d.false_alarm_rate, $d.false_alarm_upper95, $d.false_alarm_trials,
   $d.detect_5, $d.detect_5_upper95, $d.detect_10, $d.detect_10_upper95,
   $d.minutes_per_verdict] | @tsv' "$json" | sort -n >"$dat"
what=$(jq -r '"\(.measured.rounds) fresh-worker rounds in \(.measured.streams) streams of 2 CPUs side by side on a \(.machine.cores)-CPU machine; threshold \(.config.threshold * 100)%, p < \(.config.alpha)"' "$json")
gnuplot <<GP
set terminal pngcairo size 900,540 font ",11"
set output "$png"
set title "A/B verdicts with fresh workers: rates against rounds per verdict\n{/*0.8 $what;}\n{/*0.8 independent verdicts (disjoint windows), error bars up to the 95% Clopper-Pearson upper end}"
set logscale x 2
set xrange [12:160]
set xtics ("16" 16, "24" 24, "40" 40, "64" 64, "96" 96, "128" 128)
set xlabel "rounds per verdict (A and B each a new worker every round)"
set yrange [-0.02:1.05]
set ytics ("0%%" 0, "20%%" 0.2, "40%%" 0.4, "60%%" 0.6, "80%%" 0.8, "100%%" 1.0)
set ylabel "rate"
set grid ytics xtics
set key at graph 0.98, graph 0.44 right top box opaque
set arrow from graph 0, first 0.01 to graph 1, first 0.01 nohead dt 2 lc rgb "#c0392b"
set arrow from graph 0, first 0.80 to graph 1, first 0.80 nohead dt 2 lc rgb "#e67e22"
set arrow from graph 0, first 0.95 to graph 1, first 0.95 nohead dt 2 lc rgb "#27ae60"
set label 1 "targets" at graph 0.01, first 0.85 tc rgb "#555555" font ",9"
set x2tics ( \
$(awk '{ printf "%s\"%.1f min\" %s", (NR > 1 ? ", " : ""), $9, $1 }' "$dat") ) font ",9"
set x2range [12:160]
set logscale x2 2
plot "$dat" using 1:2:2:3 with yerrorlines lw 2 pt 7 lc rgb "#c0392b" title "false alarms, A/A (target <= 1%)", \
     "" using 1:5:5:6 with yerrorlines lw 2 pt 5 lc rgb "#e67e22" title "detected, 5% slower (target >= 80%)", \
     "" using 1:7:7:8 with yerrorlines lw 2 pt 9 lc rgb "#27ae60" title "detected, 10% slower (target >= 95%)"
GP
