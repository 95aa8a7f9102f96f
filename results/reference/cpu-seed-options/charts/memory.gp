# memory: drawn by `mpsbench plot` from results/reference/cpu-seed-options/run.json.
# Edit and re-plot from this folder: gnuplot memory.gp
# One format only: gnuplot -e "fmt='png'" memory.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 640,817 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 640,817 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "memory.png"
} else {
    set terminal svg size 640,817 noenhanced font "Sans,11" background "white"
    set output "memory.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Peak memory against batch size (device memory on GPUs, resident set on the CPU)" font ",13"
unset key
set xlabel "batch size (images per forward pass)"
set logscale x 2
set xrange [10.6667:24]
set xtics ("16" 16)
set ylabel "peak memory (MiB)"
set origin 0.0000,0.4565
set size 1.0000,0.4896
set title "1024x768 images"
unset arrow
unset label
unset logscale y
set yrange [0:820.08]
set format y "%g"
set ytics autofreq
set mytics default
plot 'memory.dat' index 0 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 11 ps 1.3 dt 3 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off", \
     'memory.dat' index 1 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 15 ps 1.3 dt 1 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on", \
     'memory.dat' index 2 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 1 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off", \
     'memory.dat' index 3 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 5 ps 1.3 dt 2 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on", \
     'memory.dat' index 4 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 9 ps 1.3 dt 4 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off", \
     'memory.dat' index 5 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 13 ps 1.3 dt 5 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on", \
     'memory.dat' index 6 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 11 ps 1.3 dt 3 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off", \
     'memory.dat' index 7 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 15 ps 1.3 dt 1 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on", \
     'memory.dat' index 8 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 1 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off", \
     'memory.dat' index 9 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 5 ps 1.3 dt 2 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on", \
     'memory.dat' index 10 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 9 ps 1.3 dt 4 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off", \
     'memory.dat' index 11 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 13 ps 1.3 dt 5 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on", \
     'memory.dat' index 12 using 1:2 with points pt 2 ps 2.6 lw 3 lc rgb "#d62728" title "out of memory"
set origin 0,0
set size 1,0.4565
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
set key inside center center horizontal maxrows 17 samplen 2.5 width 1
plot NaN with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 1 title "cpu, fix off, FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 5 ps 1.3 dt 2 title "cpu, fix off, FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 9 ps 1.3 dt 4 title "cpu, fix off, FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 13 ps 1.3 dt 5 title "cpu, fix off, FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 11 ps 1.3 dt 3 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 15 ps 1.3 dt 1 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 1 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 5 ps 1.3 dt 2 title "cpu, fix off, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 9 ps 1.3 dt 4 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 13 ps 1.3 dt 5 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 11 ps 1.3 dt 3 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 15 ps 1.3 dt 1 title "cpu, fix on, FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 1 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 5 ps 1.3 dt 2 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 9 ps 1.3 dt 4 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 13 ps 1.3 dt 5 title "cpu, fix on, FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on", NaN with points pt 2 ps 2.6 lw 3 lc rgb "#d62728" title "out of memory"
unset multiplot
set output
}
