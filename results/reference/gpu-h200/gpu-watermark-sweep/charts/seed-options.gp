# seed-options: drawn by `mpsbench plot` from gpu-watermark-sweep/run.json.
# Edit and re-plot from this folder: gnuplot seed-options.gp
# One format only: gnuplot -e "fmt='png'" seed-options.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 1100,998 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 1100,998 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "seed-options.png"
} else {
    set terminal svg size 1100,998 noenhanced font "Sans,11" background "white"
    set output "seed-options.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "The seed's options, measured: bars are the median images/s; labels give\nthe throughput relative to no fix, or the OOM jobs\nNVIDIA H200 + Intel(R) Xeon(R) Processor · model resnet50 · 32 images per job · libtorch 2.11.0" font ",12"
unset key
set style fill solid 0.85 border lc rgb "white"
set boxwidth 0.6
set xrange [-0.6:4.6]
set bmargin 5
set ylabel "throughput (images/s, median)"
set origin 0.0000,0.4780
set size 0.5000,0.4409
set xtics ("no fix\n(reference)" 0, "1: fix on\n(no effect\non cuda)" 1, "2: FORCE_CPU" 2, "3: batch 8" 3, "4: cleanup" 4) scale 0 font ",10"
set title "224x224 images, reference on cuda"
set yrange [0:4870.17]
plot 'seed-options.dat' index 0 using 1:2:6 with boxes lc rgb variable notitle, \
     '' index 0 using 1:8:7 with labels font ",10" notitle
set origin 0.5000,0.4780
set size 0.5000,0.4409
set xtics ("no fix\n(reference)" 0, "1: fix on\n(no effect\non cuda)" 1, "2: FORCE_CPU" 2, "3: batch 8" 3, "4: cleanup" 4) scale 0 font ",10"
set title "1024x768 images, reference on cuda"
set yrange [0:1944.49]
plot 'seed-options.dat' index 1 using 1:2:6 with boxes lc rgb variable notitle, \
     '' index 1 using 1:8:7 with labels font ",10" notitle
set origin 0.0000,0.0371
set size 0.5000,0.4409
set xtics ("no fix\n(reference)" 0, "1: fix on\n(no effect\non cuda)" 1, "2: FORCE_CPU" 2, "3: batch 8" 3, "4: cleanup" 4) scale 0 font ",10"
set title "4032x3024 images, reference on cuda"
set yrange [0:342.844]
plot 'seed-options.dat' index 2 using 1:2:6 with boxes lc rgb variable notitle, \
     '' index 2 using 1:8:7 with labels font ",10" notitle
set origin 0,0
set size 1,0.0371
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
plot NaN with boxes lc rgb "#5a9e00" title "cuda", NaN with boxes lc rgb "#1f77b4" title "cpu"
unset multiplot
set output
}
