# throughput: drawn by `mpsbench plot` from gpu-rq-12mp/run.json.
# Edit and re-plot from this folder: gnuplot throughput.gp
# One format only: gnuplot -e "fmt='png'" throughput.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 829,277 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 829,277 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "throughput.png"
} else {
    set terminal svg size 829,277 noenhanced font "Sans,11" background "white"
    set output "throughput.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Throughput against batch size: points are the median images/s of\nthe repetitions, bars span their min to max\nLinux x86_64, 16 CPUs · model resnet50 · 32 images per job" font ",12"
unset key
set xlabel "throughput (images/s), batch size 32"
unset ylabel
set lmargin 24
set origin 0.0000,0.0289
set size 1.0000,0.6787
set title "4032x3024 images"
set ytics ("cuda, EMBED_JOB_PIL_DRAFT=1" 0, "cuda, EMBED_JOB_PIL_DRAFT=0" -1) scale 0 font ",10"
set yrange [-2.6:0.6]
set xrange [0:27.2775]
plot 'throughput.dat' index 0 using 2:1:3:4 with xerrorbars lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "cuda, EMBED_JOB_PIL_DRAFT=1", \
     'throughput.dat' index 1 using 2:1:3:4 with xerrorbars lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "cuda, EMBED_JOB_PIL_DRAFT=0"
unset multiplot
set output
}
