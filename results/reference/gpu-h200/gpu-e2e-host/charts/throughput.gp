# throughput: drawn by `mpsbench plot` from gpu-e2e-host/run.json.
# Edit and re-plot from this folder: gnuplot throughput.gp
# One format only: gnuplot -e "fmt='png'" throughput.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 668,436 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 668,436 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "throughput.png"
} else {
    set terminal svg size 668,436 noenhanced font "Sans,11" background "white"
    set output "throughput.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Throughput against batch size: points are the median images/s of\nthe repetitions, bars span their min to max\nNVIDIA H200 · model resnet50 · 256 images per\njob · libtorch 2.11.0" font ",12"
unset key
set xlabel "throughput (images/s), batch size 32"
unset ylabel
set lmargin 6
set origin 0.0000,0.3945
set size 1.0000,0.3761
set title "224x224 images"
set ytics ("cuda" 0) scale 0 font ",10"
set yrange [-1.6:0.6]
set xrange [0:6499.49]
plot 'throughput.dat' index 0 using 2:1:3:4 with xerrorbars lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda"
set origin 0.0000,0.0183
set size 1.0000,0.3761
set title "4032x3024 images"
set ytics ("cuda" 0) scale 0 font ",10"
set yrange [-1.6:0.6]
set xrange [0:340.366]
plot 'throughput.dat' index 1 using 2:1:3:4 with xerrorbars lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda"
unset multiplot
set output
}
