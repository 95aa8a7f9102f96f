# latency: drawn by `mpsbench plot` from results/reference/gpu-h200/gpu-watermark-sweep/run.json.
# Edit and re-plot from this folder: gnuplot latency.gp
# One format only: gnuplot -e "fmt='png'" latency.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 3600,760 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 3600,760 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "latency.png"
} else {
    set terminal svg size 3600,760 noenhanced font "Sans,11" background "white"
    set output "latency.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set title "Job latency per cell (box: quartiles, line: median, whiskers: min and max, dots: jobs)" font ",13"
set ylabel "latency per job (ms)"
set xrange [-0.7:47.7]
set xtics rotate by 35 right scale 0 font ",10" ("cuda 224x224 b8, fix off, cleanup off" 0, "cuda 224x224 b32, fix off, cleanup off" 1, "cuda 224x224 b8, fix off, cleanup on" 2, "cuda 224x224 b32, fix off, cleanup on" 3, "cuda 224x224 b8, fix on, cleanup off" 4, "cuda 224x224 b32, fix on, cleanup off" 5, "cuda 224x224 b8, fix on, cleanup on" 6, "cuda 224x224 b32, fix on, cleanup on" 7, "cpu 224x224 b8, fix off, cleanup off" 8, "cpu 224x224 b32, fix off, cleanup off" 9, "cpu 224x224 b8, fix off, cleanup on" 10, "cpu 224x224 b32, fix off, cleanup on" 11, "cpu 224x224 b8, fix on, cleanup off" 12, "cpu 224x224 b32, fix on, cleanup off" 13, "cpu 224x224 b8, fix on, cleanup on" 14, "cpu 224x224 b32, fix on, cleanup on" 15, "cuda 1024x768 b8, fix off, cleanup off" 16, "cuda 1024x768 b32, fix off, cleanup off" 17, "cuda 1024x768 b8, fix off, cleanup on" 18, "cuda 1024x768 b32, fix off, cleanup on" 19, "cuda 1024x768 b8, fix on, cleanup off" 20, "cuda 1024x768 b32, fix on, cleanup off" 21, "cuda 1024x768 b8, fix on, cleanup on" 22, "cuda 1024x768 b32, fix on, cleanup on" 23, "cpu 1024x768 b8, fix off, cleanup off" 24, "cpu 1024x768 b32, fix off, cleanup off" 25, "cpu 1024x768 b8, fix off, cleanup on" 26, "cpu 1024x768 b32, fix off, cleanup on" 27, "cpu 1024x768 b8, fix on, cleanup off" 28, "cpu 1024x768 b32, fix on, cleanup off" 29, "cpu 1024x768 b8, fix on, cleanup on" 30, "cpu 1024x768 b32, fix on, cleanup on" 31, "cuda 4032x3024 b8, fix off, cleanup off" 32, "cuda 4032x3024 b32, fix off, cleanup off" 33, "cuda 4032x3024 b8, fix off, cleanup on" 34, "cuda 4032x3024 b32, fix off, cleanup on" 35, "cuda 4032x3024 b8, fix on, cleanup off" 36, "cuda 4032x3024 b32, fix on, cleanup off" 37, "cuda 4032x3024 b8, fix on, cleanup on" 38, "cuda 4032x3024 b32, fix on, cleanup on" 39, "cpu 4032x3024 b8, fix off, cleanup off" 40, "cpu 4032x3024 b32, fix off, cleanup off" 41, "cpu 4032x3024 b8, fix off, cleanup on" 42, "cpu 4032x3024 b32, fix off, cleanup on" 43, "cpu 4032x3024 b8, fix on, cleanup off" 44, "cpu 4032x3024 b32, fix on, cleanup off" 45, "cpu 4032x3024 b8, fix on, cleanup on" 46, "cpu 4032x3024 b32, fix on, cleanup on" 47)
set lmargin 26
set boxwidth 0.55
set style fill solid 0.35 border
set key outside below center horizontal
set logscale y
set yrange [5.17171:2131.29]
set format y "%g"
set ytics ("10" 10, "20" 20, "50" 50, "100" 100, "200" 200, "500" 500, "1000" 1000, "2000" 2000)
set mytics 10
plot 'latency.dat' index 0 using 1:3:2:6:5:8 with candlesticks whiskerbars 0.5 lw 1.5 lc rgb variable notitle, \
     '' index 0 using 1:4:4:4:4 with candlesticks lw 2.5 lc rgb "black" notitle, \
     '' index 1 using 1:2 with points pt 7 ps 0.45 lc rgb "#333333" title "one job", \
     NaN with boxes lc rgb "#5a9e00" title "cuda", \
     NaN with boxes lc rgb "#1f77b4" title "cpu"
set output
}
