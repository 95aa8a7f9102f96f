# baseline: drawn by `mpsbench plot` from results/reference/cpu-debian12/run.json.
# Edit and re-plot from this folder: gnuplot baseline.gp
# One format only: gnuplot -e "fmt='png'" baseline.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 1000,470 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 1000,470 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "baseline.png"
} else {
    set terminal svg size 1000,470 noenhanced font "Sans,11" background "white"
    set output "baseline.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set title "Throughput against the baseline: points are the change of the median images/s, bars\nits 95% bootstrap interval over the repetitions (not a verdict: see compare.md)\nAMD EPYC · model resnet50 · 16 images per job · libtorch 1.13.0" font ",12"
set xlabel "change of median throughput against results/reference/cpu-debian12/baseline-results.json (%)"
set ytics ("cpu 224x224 b1" 8, "cpu 224x224 b8" 7, "cpu 224x224 b16" 6, "cpu 1024x768 b1" 5, "cpu 1024x768 b8" 4, "cpu 1024x768 b16" 3, "cpu 4032x3024 b1" 2, "cpu 4032x3024 b8" 1, "cpu 4032x3024 b16" 0) scale 0
unset grid
set grid xtics lc rgb "#dddddd"
set yrange [-0.7:8.7]
set xrange [-124:880]
set lmargin 19
set object 1 rect from -5, graph 0 to 5, graph 1 fc rgb "#e4e4e4" fs solid 1.0 noborder behind
set arrow from 0, graph 0 to 0, graph 1 nohead lc rgb "#888888"
set key outside below center horizontal maxrows 2
plot 'baseline.dat' index 0 using 2:1:3:4 with xerrorbars pt 7 ps 1.4 lw 2 lc rgb "#1a9850" title "faster beyond the threshold", \
     'baseline.dat' index 1 using 2:1:3:4 with xerrorbars pt 7 ps 1.4 lw 2 lc rgb "#555555" title "within the threshold or the noise", \
     NaN with boxes fs solid 1.0 lc rgb "#e4e4e4" title "within the ±5% threshold"
set output
}
