# oom-matrix: drawn by `mpsbench plot` from oom-frontier/run.json.
# Edit and re-plot from this folder: gnuplot oom-matrix.gp
# One format only: gnuplot -e "fmt='png'" oom-matrix.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 2375,357 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 2375,357 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "oom-matrix.png"
} else {
    set terminal svg size 2375,357 noenhanced font "Sans,11" background "white"
    set output "oom-matrix.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Out-of-memory matrix: each square gives the measured jobs of one configuration at one image and batch size that ran out of memory, failed or passed\nNVIDIA H200 · model resnet18 · 32 images per job · libtorch 2.11.0" font ",12"
unset key
unset grid
set style fill solid 1.0 border lc rgb "white"
set xlabel "batch size"
set ylabel "image size"
set xrange [-0.5:22.5]
set yrange [-0.5:2.5]
set xtics ("1" 0, "2" 1, "4" 2, "8" 3, "16" 4, "24" 5, "25" 6, "26" 7, "28" 8, "32" 9, "64" 10, "128" 11, "129" 12, "130" 13, "132" 14, "136" 15, "138" 16, "139" 17, "140" 18, "144" 19, "160" 20, "192" 21, "256" 22) scale 0
set ytics ("224x224" 0, "1024x768" 1, "4032x3024" 2) scale 0
set origin 0.0000,0.1036
set size 1.0000,0.7227
set title "cuda" font ",11"
plot 'oom-matrix.dat' index 0 using 1:2:(0.49):(0.49):3 with boxxyerror lc rgb variable notitle, \
     '' index 0 using 1:2:4 with labels font ",10" notitle
set origin 0,0
set size 1,0.1036
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
plot NaN with boxes lc rgb "#a1d99b" title "all jobs ok", NaN with boxes lc rgb "#d62728" title "out of memory"
unset multiplot
set output
}
