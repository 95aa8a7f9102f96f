# latency: drawn by `mpsbench plot` from oom-frontier/run.json.
# Edit and re-plot from this folder: gnuplot latency.gp
# One format only: gnuplot -e "fmt='png'" latency.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 703,1138 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 703,1138 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "latency.png"
} else {
    set terminal svg size 703,1138 noenhanced font "Sans,11" background "white"
    set output "latency.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Job latency, enqueue to result: boxes span the quartiles, the black line\nis the median, whiskers reach min and max, dots are single jobs\nNVIDIA H200 · model resnet18 · 32 images per job · libtorch 2.11.0" font ",12"
unset key
set xlabel "latency per job (ms)"
unset ylabel
set lmargin 10
set style fill solid 0.35 border
set origin 0.0000,0.6301
set size 1.0000,0.2988
set title "224x224 images"
set yrange [-0.6:9.6]
set ytics ("cuda b1" 9, "cuda b2" 8, "cuda b4" 7, "cuda b8" 6, "cuda b16" 5, "cuda b32" 4, "cuda b64" 3, "cuda b128" 2, "cuda b136" 1, "cuda b138" 0) scale 0 font ",10"
unset logscale x
set xrange [0:1319.4]
plot 'latency.dat' index 0 using 4:1:2:6:8 with xerrorbars ps 0 lw 1.5 lc rgb variable notitle, \
     '' index 0 using 4:1:3:5:($1-0.3):($1+0.3):8 with boxxyerror fs solid 0.35 border lc rgb variable notitle, \
     '' index 0 using 4:1:4:4:($1-0.3):($1+0.3) with boxxyerror lw 2.5 lc rgb "black" notitle, \
     '' index 1 using 2:1 with points pt 7 ps 0.45 lc rgb "#333333" notitle
set origin 0.0000,0.3313
set size 1.0000,0.2988
set title "1024x768 images"
set yrange [-0.6:7.6]
set ytics ("cuda b1" 7, "cuda b2" 6, "cuda b4" 5, "cuda b8" 4, "cuda b16" 3, "cuda b32" 2, "cuda b64" 1, "cuda b128" 0) scale 0 font ",10"
unset logscale x
set xrange [0:1299.98]
plot 'latency.dat' index 2 using 4:1:2:6:8 with xerrorbars ps 0 lw 1.5 lc rgb variable notitle, \
     '' index 2 using 4:1:3:5:($1-0.3):($1+0.3):8 with boxxyerror fs solid 0.35 border lc rgb variable notitle, \
     '' index 2 using 4:1:4:4:($1-0.3):($1+0.3) with boxxyerror lw 2.5 lc rgb "black" notitle, \
     '' index 3 using 2:1 with points pt 7 ps 0.45 lc rgb "#333333" notitle
set origin 0.0000,0.0325
set size 1.0000,0.2988
set title "4032x3024 images"
set yrange [-0.6:6.6]
set ytics ("cuda b1" 6, "cuda b2" 5, "cuda b4" 4, "cuda b8" 3, "cuda b16" 2, "cuda b24" 1, "cuda b25" 0) scale 0 font ",10"
unset logscale x
set xrange [0:1412.9]
plot 'latency.dat' index 4 using 4:1:2:6:8 with xerrorbars ps 0 lw 1.5 lc rgb variable notitle, \
     '' index 4 using 4:1:3:5:($1-0.3):($1+0.3):8 with boxxyerror fs solid 0.35 border lc rgb variable notitle, \
     '' index 4 using 4:1:4:4:($1-0.3):($1+0.3) with boxxyerror lw 2.5 lc rgb "black" notitle, \
     '' index 5 using 2:1 with points pt 7 ps 0.45 lc rgb "#333333" notitle
set origin 0,0
set size 1,0.0325
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
plot NaN with points pt 7 ps 0.6 lc rgb "#333333" title "one job", NaN with boxes lc rgb "#5a9e00" title "cuda"
unset multiplot
set output
}
