# throughput: drawn by `mpsbench plot` from gpu-rq/run.json.
# Edit and re-plot from this folder: gnuplot throughput.gp
# One format only: gnuplot -e "fmt='png'" throughput.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 640,481 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 640,481 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "throughput.png"
} else {
    set terminal svg size 640,481 noenhanced font "Sans,11" background "white"
    set output "throughput.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Throughput against batch size (median of the repetitions, bars from min to max)" font ",13"
unset key
set xlabel "batch size (images per forward pass)"
set logscale x 2
set xrange [21.3333:48]
set xtics ("32" 32)
set ylabel "throughput (images/s)"
set origin 0.0000,0.0769
set size 1.0000,0.8316
set title "224x224 images"
unset logscale y
set yrange [0:760.932]
set format y "%g"
set ytics autofreq
set mytics default
plot 'throughput.dat' index 0 using 1:2:3:4 with yerrorlines lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda"
set origin 0,0
set size 1,0.0769
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
plot NaN with linespoints lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda"
unset multiplot
set output
}
