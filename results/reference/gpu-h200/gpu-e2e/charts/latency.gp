# latency: drawn by `mpsbench plot` from gpu-e2e/run.json.
# Edit and re-plot from this folder: gnuplot latency.gp
# One format only: gnuplot -e "fmt='png'" latency.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 900,650 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 900,650 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "latency.png"
} else {
    set terminal svg size 900,650 noenhanced font "Sans,11" background "white"
    set output "latency.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set title "Job latency per cell (box: quartiles, line: median, whiskers: min and max, dots: jobs)" font ",13"
set ylabel "latency per job (ms)"
set xrange [-0.7:1.7]
set xtics rotate by 35 right scale 0 font ",10" ("cuda 224x224 b32" 0, "cuda 4032x3024 b32" 1)
set lmargin 12
set boxwidth 0.55
set style fill solid 0.35 border
set key outside below center horizontal
set logscale y
set yrange [29.07:2710.09]
set format y "%g"
set ytics ("50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000)
set mytics 10
plot 'latency.dat' index 0 using 1:3:2:6:5:8 with candlesticks whiskerbars 0.5 lw 1.5 lc rgb variable notitle, \
     '' index 0 using 1:4:4:4:4 with candlesticks lw 2.5 lc rgb "black" notitle, \
     '' index 1 using 1:2 with points pt 7 ps 0.45 lc rgb "#333333" title "one job", \
     NaN with boxes lc rgb "#5a9e00" title "cuda"
set output
}
