# memory: drawn by `mpsbench plot` from gpu-watermark-sweep/run.json.
# Edit and re-plot from this folder: gnuplot memory.gp
# One format only: gnuplot -e "fmt='png'" memory.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 1310,941 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 1310,941 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "memory.png"
} else {
    set terminal svg size 1310,941 noenhanced font "Sans,11" background "white"
    set output "memory.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Peak memory against batch size: device memory (peak allocated) on GPUs, resident set on the CPU; crosses mark cells that ran out of memory\nNVIDIA H200 + Intel(R) Xeon(R) Processor · model resnet50 · 32 images per job · libtorch 2.11.0" font ",12"
unset key
set xlabel "batch size (images per forward pass)"
set logscale x 2
set xrange [5.33333:48]
set xtics ("8" 8, "32" 32)
set ylabel "peak memory (MiB)"
set origin 0.0000,0.5090
set size 0.3333,0.4251
set title "cuda, 224x224 images"
unset arrow
unset label
set arrow from graph 0, first 8192 to graph 1, first 8192 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 8 GiB" at graph 0.02, first 8192 offset 0,0.7 tc rgb "#d62728"
set logscale y
set yrange [132.661:13107.2]
set format y "%g"
set ytics ("200" 200, "500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set mytics 10
plot 'memory.dat' index 0 using 1:2 with linespoints lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup off", \
     'memory.dat' index 1 using 1:2 with linespoints lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup on", \
     'memory.dat' index 2 using 1:2 with linespoints lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup off", \
     'memory.dat' index 3 using 1:2 with linespoints lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup on"
set origin 0.3333,0.5090
set size 0.3333,0.4251
set title "cuda, 1024x768 images"
unset arrow
unset label
set arrow from graph 0, first 8192 to graph 1, first 8192 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 8 GiB" at graph 0.02, first 8192 offset 0,0.7 tc rgb "#d62728"
set logscale y
set yrange [135.532:13107.2]
set format y "%g"
set ytics ("200" 200, "500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set mytics 10
plot 'memory.dat' index 4 using 1:2 with linespoints lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup off", \
     'memory.dat' index 5 using 1:2 with linespoints lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup on", \
     'memory.dat' index 6 using 1:2 with linespoints lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup off", \
     'memory.dat' index 7 using 1:2 with linespoints lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup on"
set origin 0.6667,0.5090
set size 0.3333,0.4251
set title "cuda, 4032x3024 images"
unset arrow
unset label
set arrow from graph 0, first 8192 to graph 1, first 8192 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 8 GiB" at graph 0.02, first 8192 offset 0,0.7 tc rgb "#d62728"
set logscale y
set yrange [258.022:13107.2]
set format y "%g"
set ytics ("500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set mytics 10
plot 'memory.dat' index 8 using 1:2 with linespoints lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup off", \
     'memory.dat' index 9 using 1:2 with linespoints lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup on", \
     'memory.dat' index 10 using 1:2 with linespoints lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup off", \
     'memory.dat' index 11 using 1:2 with linespoints lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup on"
set origin 0.0000,0.0840
set size 0.3333,0.4251
set title "cpu, 224x224 images"
unset arrow
unset label
set arrow from graph 0, first 8192 to graph 1, first 8192 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 8 GiB" at graph 0.02, first 8192 offset 0,0.7 tc rgb "#d62728"
set logscale y
set yrange [399.182:13107.2]
set format y "%g"
set ytics ("500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set mytics 10
plot 'memory.dat' index 12 using 1:2 with linespoints lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup off", \
     'memory.dat' index 13 using 1:2 with linespoints lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup on", \
     'memory.dat' index 14 using 1:2 with linespoints lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup off", \
     'memory.dat' index 15 using 1:2 with linespoints lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup on"
set origin 0.3333,0.0840
set size 0.3333,0.4251
set title "cpu, 1024x768 images"
unset arrow
unset label
set arrow from graph 0, first 8192 to graph 1, first 8192 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 8 GiB" at graph 0.02, first 8192 offset 0,0.7 tc rgb "#d62728"
set logscale y
set yrange [422.144:13107.2]
set format y "%g"
set ytics ("500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set mytics 10
plot 'memory.dat' index 16 using 1:2 with linespoints lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup off", \
     'memory.dat' index 17 using 1:2 with linespoints lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup on", \
     'memory.dat' index 18 using 1:2 with linespoints lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup off", \
     'memory.dat' index 19 using 1:2 with linespoints lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup on"
set origin 0.6667,0.0840
set size 0.3333,0.4251
set title "cpu, 4032x3024 images"
unset arrow
unset label
set arrow from graph 0, first 8192 to graph 1, first 8192 nohead dt 2 lw 1.5 lc rgb "#d62728"
set label "memory cap 8 GiB" at graph 0.02, first 8192 offset 0,0.7 tc rgb "#d62728"
set logscale y
set yrange [456.824:13107.2]
set format y "%g"
set ytics ("500" 500, "1000" 1000, "2000" 2000, "5000" 5000, "10000" 10000)
set mytics 10
plot 'memory.dat' index 20 using 1:2 with linespoints lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup off", \
     'memory.dat' index 21 using 1:2 with linespoints lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup on", \
     'memory.dat' index 22 using 1:2 with linespoints lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup off", \
     'memory.dat' index 23 using 1:2 with linespoints lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup on"
set origin 0,0
set size 1,0.0840
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
set key inside center center horizontal maxrows 3 samplen 2.5 width 1
plot NaN with linespoints lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup off", NaN with linespoints lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "fix on (no effect: MPS only), cleanup on", NaN with linespoints lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup off", NaN with linespoints lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "fix off (no effect: MPS only), cleanup on"
unset multiplot
set output
}
