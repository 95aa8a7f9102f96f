# throughput: drawn by `mpsbench plot` from gpu-vs-cpu/run.json.
# Edit and re-plot from this folder: gnuplot throughput.gp
# One format only: gnuplot -e "fmt='png'" throughput.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 880,537 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 880,537 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "throughput.png"
} else {
    set terminal svg size 880,537 noenhanced font "Sans,11" background "white"
    set output "throughput.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Throughput against batch size: points are the median images/s of\nthe repetitions, bars span their min to max\nIntel(R) Xeon(R) Processor + NVIDIA H200 · model resnet50 ·\n32 images per job · libtorch 2.11.0" font ",12"
unset key
set xlabel "batch size (images per forward pass)"
set logscale x 2
set xrange [0.666667:48]
set xtics ("1" 1, "8" 8, "16" 16, "32" 32)
set ylabel "throughput (images/s)"
set origin 0.0000,0.0689
set size 0.5000,0.7449
set title "224x224 images"
set logscale y
set yrange [29.7766:6217.51]
set format y "%g"
set ytics ("50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000, "5000" 5000)
set mytics 10
plot 'throughput.dat' index 0 using 1:2:3:4 with yerrorlines lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", \
     'throughput.dat' index 1 using 1:2:3:4 with yerrorlines lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 2 title "cpu"
set origin 0.5000,0.0689
set size 0.5000,0.7449
set title "1024x768 images"
set logscale y
set yrange [20.4502:2921.79]
set format y "%g"
set ytics ("50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000)
set mytics 10
plot 'throughput.dat' index 2 using 1:2:3:4 with yerrorlines lc rgb "#5a9e00" lw 2 pt 7 ps 1.3 dt 1 title "cuda", \
     'throughput.dat' index 3 using 1:2:3:4 with yerrorlines lc rgb "#1f77b4" lw 2 pt 7 ps 1.3 dt 2 title "cpu"
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
