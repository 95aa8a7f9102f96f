# memory: drawn by `mpsbench plot` from gpu-vs-cpu/run.json.
# Edit and re-plot from this folder: gnuplot memory.gp
# One format only: gnuplot -e "fmt='png'" memory.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 880,537 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 880,537 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "memory.png"
} else {
    set terminal svg size 880,537 noenhanced font "Sans,11" background "white"
    set output "memory.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Peak memory against batch size: device memory (peak allocated) on GPUs, resident\nset on the CPU; crosses mark cells that ran out of memory\nIntel(R) Xeon(R) Processor + NVIDIA H200 · model resnet50 ·\n32 images per job · libtorch 2.11.0" font ",12"
unset key
set xlabel "batch size (images per forward pass)"
set logscale x 2
set xrange [0.666667:48]
set xtics ("1" 1, "8" 8, "16" 16, "32" 32)
set ylabel "peak memory (MiB)"
set origin 0.0000,0.0689
set size 0.5000,0.7449
set title "224x224 images"
unset arrow
unset label
unset logscale y
set yrange [0:1331.73]
set format y "%g"
set ytics autofreq
set mytics default
plot 'memory.dat' index 0 using 1:2 with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", \
     'memory.dat' index 1 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 2 title "cpu"
set origin 0.5000,0.0689
set size 0.5000,0.7449
set title "1024x768 images"
unset arrow
unset label
unset logscale y
set yrange [0:1331.77]
set format y "%g"
set ytics autofreq
set mytics default
plot 'memory.dat' index 2 using 1:2 with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", \
     'memory.dat' index 3 using 1:2 with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 2 title "cpu"
set origin 0,0
set size 1,0.0689
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
plot NaN with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", NaN with linespoints lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 2 title "cpu"
unset multiplot
set output
}
