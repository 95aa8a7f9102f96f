# memory: drawn by `mpsbench plot` from gpu-e2e/run.json.
# Edit and re-plot from this folder: gnuplot memory.gp
# One format only: gnuplot -e "fmt='png'" memory.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 668,455 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 668,455 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "memory.png"
} else {
    set terminal svg size 668,455 noenhanced font "Sans,11" background "white"
    set output "memory.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Peak memory against batch size: device memory (peak allocated) on\nGPUs, resident set on the CPU; crosses mark cells that ran out of\nmemory\nNVIDIA H200 · model resnet50 · 256 images per\njob · libtorch 2.11.0" font ",12"
unset key
set xlabel "peak memory (MiB), batch size 32"
unset ylabel
set lmargin 6
set origin 0.0000,0.3780
set size 1.0000,0.3604
set title "224x224 images"
unset arrow
unset label
set ytics ("cuda" 0) scale 0 font ",10"
set yrange [-0.6:0.6]
set xrange [0:527.606]
plot 'memory.dat' index 0 using 1:2:3 with points pt 7 ps 1.5 lc rgb variable notitle, \
     '' index 1 using 1:2 with points pt 2 ps 2.2 lw 3 lc rgb "#d62728" notitle
set origin 0.0000,0.0176
set size 1.0000,0.3604
set title "4032x3024 images"
unset arrow
unset label
set ytics ("cuda" 0) scale 0 font ",10"
set yrange [-0.6:0.6]
set xrange [0:1272.08]
plot 'memory.dat' index 2 using 1:2:3 with points pt 7 ps 1.5 lc rgb variable notitle, \
     '' index 3 using 1:2 with points pt 2 ps 2.2 lw 3 lc rgb "#d62728" notitle
unset multiplot
set output
}
