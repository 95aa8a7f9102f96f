# throughput: drawn by `mpsbench plot` from results/reference/cpu-native-vs-rq/run.json.
# Edit and re-plot from this folder: gnuplot throughput.gp
# One format only: gnuplot -e "fmt='png'" throughput.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 766,672 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 766,672 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "throughput.png"
} else {
    set terminal svg size 766,672 noenhanced font "Sans,11" background "white"
    set output "throughput.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Throughput against batch size: points are the median images/s of\nthe repetitions, bars span their min to max\nIntel(R) Xeon(R) Processor · model resnet50 · 16\nimages per job · libtorch 1.13.0" font ",12"
unset key
set xlabel "throughput (images/s), batch size 16"
unset ylabel
set lmargin 17
set origin 0.0000,0.5714
set size 1.0000,0.2798
set title "224x224 images"
set ytics ("cpu, worker=native" 0, "cpu, worker=rq" -1) scale 0 font ",10"
set yrange [-2.6:0.6]
set xrange [0:29.7474]
plot 'throughput.dat' index 0 using 2:1:3:4 with xerrorbars lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "cpu, worker=native", \
     'throughput.dat' index 1 using 2:1:3:4 with xerrorbars lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "cpu, worker=rq"
set origin 0.0000,0.2917
set size 1.0000,0.2798
set title "1024x768 images"
set ytics ("cpu, worker=native" 0, "cpu, worker=rq" -1) scale 0 font ",10"
set yrange [-2.6:0.6]
set xrange [0:28.6327]
plot 'throughput.dat' index 2 using 2:1:3:4 with xerrorbars lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "cpu, worker=native", \
     'throughput.dat' index 3 using 2:1:3:4 with xerrorbars lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "cpu, worker=rq"
set origin 0.0000,0.0119
set size 1.0000,0.2798
set title "4032x3024 images"
set ytics ("cpu, worker=native" 0, "cpu, worker=rq" -1) scale 0 font ",10"
set yrange [-2.6:0.6]
set xrange [0:21.5116]
plot 'throughput.dat' index 4 using 2:1:3:4 with xerrorbars lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "cpu, worker=native", \
     'throughput.dat' index 5 using 2:1:3:4 with xerrorbars lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "cpu, worker=rq"
unset multiplot
set output
}
