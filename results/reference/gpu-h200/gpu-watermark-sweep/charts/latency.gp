# latency: drawn by `mpsbench plot` from gpu-watermark-sweep/run.json.
# Edit and re-plot from this folder: gnuplot latency.gp
# One format only: gnuplot -e "fmt='png'" latency.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 1004,1570 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 1004,1570 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "latency.png"
} else {
    set terminal svg size 1004,1570 noenhanced font "Sans,11" background "white"
    set output "latency.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Job latency, enqueue to result: boxes span the quartiles, the black line is the\nmedian, whiskers reach min and max, dots are single jobs\nNVIDIA H200 + Intel(R) Xeon(R) Processor · model resnet50 · 32 images per job · libtorch 2.11.0" font ",12"
unset key
set xlabel "latency per job (ms)"
unset ylabel
set lmargin 44
set style fill solid 0.35 border
set origin 0.0000,0.6401
set size 1.0000,0.3083
set title "224x224 images"
set yrange [-0.6:15.6]
set ytics ("cuda b8, fix off (no effect: MPS only), cleanup off" 15, "cuda b32, fix off (no effect: MPS only), cleanup off" 14, "cuda b8, fix off (no effect: MPS only), cleanup on" 13, "cuda b32, fix off (no effect: MPS only), cleanup on" 12, "cuda b8, fix on (no effect: MPS only), cleanup off" 11, "cuda b32, fix on (no effect: MPS only), cleanup off" 10, "cuda b8, fix on (no effect: MPS only), cleanup on" 9, "cuda b32, fix on (no effect: MPS only), cleanup on" 8, "cpu b8, fix off (no effect: MPS only), cleanup off" 7, "cpu b32, fix off (no effect: MPS only), cleanup off" 6, "cpu b8, fix off (no effect: MPS only), cleanup on" 5, "cpu b32, fix off (no effect: MPS only), cleanup on" 4, "cpu b8, fix on (no effect: MPS only), cleanup off" 3, "cpu b32, fix on (no effect: MPS only), cleanup off" 2, "cpu b8, fix on (no effect: MPS only), cleanup on" 1, "cpu b32, fix on (no effect: MPS only), cleanup on" 0) scale 0 font ",10"
set logscale x
set xrange [6.30156:1109.94]
plot 'latency.dat' index 0 using 4:1:2:6:8 with xerrorbars ps 0 lw 1.5 lc rgb variable notitle, \
     '' index 0 using 4:1:3:5:($1-0.3):($1+0.3):8 with boxxyerror fs solid 0.35 border lc rgb variable notitle, \
     '' index 0 using 4:1:4:4:($1-0.3):($1+0.3) with boxxyerror lw 2.5 lc rgb "black" notitle, \
     '' index 1 using 2:1 with points pt 7 ps 0.45 lc rgb "#333333" notitle
set origin 0.0000,0.3318
set size 1.0000,0.3083
set title "1024x768 images"
set yrange [-0.6:15.6]
set ytics ("cuda b8, fix off (no effect: MPS only), cleanup off" 15, "cuda b32, fix off (no effect: MPS only), cleanup off" 14, "cuda b8, fix off (no effect: MPS only), cleanup on" 13, "cuda b32, fix off (no effect: MPS only), cleanup on" 12, "cuda b8, fix on (no effect: MPS only), cleanup off" 11, "cuda b32, fix on (no effect: MPS only), cleanup off" 10, "cuda b8, fix on (no effect: MPS only), cleanup on" 9, "cuda b32, fix on (no effect: MPS only), cleanup on" 8, "cpu b8, fix off (no effect: MPS only), cleanup off" 7, "cpu b32, fix off (no effect: MPS only), cleanup off" 6, "cpu b8, fix off (no effect: MPS only), cleanup on" 5, "cpu b32, fix off (no effect: MPS only), cleanup on" 4, "cpu b8, fix on (no effect: MPS only), cleanup off" 3, "cpu b32, fix on (no effect: MPS only), cleanup off" 2, "cpu b8, fix on (no effect: MPS only), cleanup on" 1, "cpu b32, fix on (no effect: MPS only), cleanup on" 0) scale 0 font ",10"
set logscale x
set xrange [15.2904:1163.98]
plot 'latency.dat' index 2 using 4:1:2:6:8 with xerrorbars ps 0 lw 1.5 lc rgb variable notitle, \
     '' index 2 using 4:1:3:5:($1-0.3):($1+0.3):8 with boxxyerror fs solid 0.35 border lc rgb variable notitle, \
     '' index 2 using 4:1:4:4:($1-0.3):($1+0.3) with boxxyerror lw 2.5 lc rgb "black" notitle, \
     '' index 3 using 2:1 with points pt 7 ps 0.45 lc rgb "#333333" notitle
set origin 0.0000,0.0236
set size 1.0000,0.3083
set title "4032x3024 images"
set yrange [-0.6:15.6]
set ytics ("cuda b8, fix off (no effect: MPS only), cleanup off" 15, "cuda b32, fix off (no effect: MPS only), cleanup off" 14, "cuda b8, fix off (no effect: MPS only), cleanup on" 13, "cuda b32, fix off (no effect: MPS only), cleanup on" 12, "cuda b8, fix on (no effect: MPS only), cleanup off" 11, "cuda b32, fix on (no effect: MPS only), cleanup off" 10, "cuda b8, fix on (no effect: MPS only), cleanup on" 9, "cuda b32, fix on (no effect: MPS only), cleanup on" 8, "cpu b8, fix off (no effect: MPS only), cleanup off" 7, "cpu b32, fix off (no effect: MPS only), cleanup off" 6, "cpu b8, fix off (no effect: MPS only), cleanup on" 5, "cpu b32, fix off (no effect: MPS only), cleanup on" 4, "cpu b8, fix on (no effect: MPS only), cleanup off" 3, "cpu b32, fix on (no effect: MPS only), cleanup off" 2, "cpu b8, fix on (no effect: MPS only), cleanup on" 1, "cpu b32, fix on (no effect: MPS only), cleanup on" 0) scale 0 font ",10"
unset logscale x
set xrange [0:1122.61]
plot 'latency.dat' index 4 using 4:1:2:6:8 with xerrorbars ps 0 lw 1.5 lc rgb variable notitle, \
     '' index 4 using 4:1:3:5:($1-0.3):($1+0.3):8 with boxxyerror fs solid 0.35 border lc rgb variable notitle, \
     '' index 4 using 4:1:4:4:($1-0.3):($1+0.3) with boxxyerror lw 2.5 lc rgb "black" notitle, \
     '' index 5 using 2:1 with points pt 7 ps 0.45 lc rgb "#333333" notitle
set origin 0,0
set size 1,0.0236
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
plot NaN with points pt 7 ps 0.6 lc rgb "#333333" title "one job", NaN with boxes lc rgb "#5a9e00" title "cuda", NaN with boxes lc rgb "#1f77b4" title "cpu"
unset multiplot
set output
}
