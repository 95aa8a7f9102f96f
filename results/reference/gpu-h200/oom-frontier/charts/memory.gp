# memory: drawn by `mpsbench plot` from oom-frontier/run.json.
# Edit and re-plot from this folder: gnuplot memory.gp
# One format only: gnuplot -e "fmt='png'" memory.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 1310,499 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 1310,499 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "memory.png"
} else {
    set terminal svg size 1310,499 noenhanced font "Sans,11" background "white"
    set output "memory.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Peak memory against batch size: device memory (peak allocated) on GPUs, resident set on the CPU; crosses mark cells that ran out of memory\nNVIDIA H200 · model resnet18 · 32 images per job · libtorch 2.11.0" font ",12"
unset key
set xlabel "batch size (images per forward pass)"
set logscale x 2
set xrange [0.666667:384]
set xtics ("1" 1, "2" 2, "4" 4, "8" 8, "16" 16, "32" 32, "64" 64, "128" 128, "256" 256)
set ylabel "peak memory (MiB)"
set origin 0.0000,0.0741
set size 0.3333,0.8016
set title "224x224 images"
unset arrow
unset label
set arrow from graph 0, first 1024 to graph 1, first 1024 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 1 GiB" at graph 0.02, first 1024 offset 0,0.7 tc rgb "#d62728"
unset logscale y
set yrange [0:1177.6]
set format y "%g"
set ytics autofreq
set mytics default
plot 'memory.dat' index 0 using 1:2 with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", \
     'memory.dat' index 1 using 1:2 with points pt 2 ps 2.6 lw 3 lc rgb "#d62728" title "out of memory"
set origin 0.3333,0.0741
set size 0.3333,0.8016
set title "1024x768 images"
unset arrow
unset label
set arrow from graph 0, first 1024 to graph 1, first 1024 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 1 GiB" at graph 0.02, first 1024 offset 0,0.7 tc rgb "#d62728"
unset logscale y
set yrange [0:1177.6]
set format y "%g"
set ytics autofreq
set mytics default
plot 'memory.dat' index 2 using 1:2 with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", \
     'memory.dat' index 3 using 1:2 with points pt 2 ps 2.6 lw 3 lc rgb "#d62728" title "out of memory"
set origin 0.6667,0.0741
set size 0.3333,0.8016
set title "4032x3024 images"
unset arrow
unset label
set arrow from graph 0, first 1024 to graph 1, first 1024 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 1 GiB" at graph 0.02, first 1024 offset 0,0.7 tc rgb "#d62728"
unset logscale y
set yrange [0:1177.6]
set format y "%g"
set ytics autofreq
set mytics default
plot 'memory.dat' index 4 using 1:2 with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", \
     'memory.dat' index 5 using 1:2 with points pt 2 ps 2.6 lw 3 lc rgb "#d62728" title "out of memory"
set origin 0,0
set size 1,0.0741
set margins 0,0,0,0
unset border
unset tics
unset xlabel
unset ylabel
unset title
unset grid
unset logscale
unset arrow
unset label
unset object
set xrange [0:1]
set yrange [0:1]
set key inside center center horizontal maxrows 1 samplen 2.5 width 1
plot NaN with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", NaN with points pt 2 ps 2.6 lw 3 lc rgb "#d62728" title "out of memory"
unset multiplot
set output
}
