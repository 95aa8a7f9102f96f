# stages: drawn by `mpsbench plot` from gpu-rq-12mp/run.json.
# Edit and re-plot from this folder: gnuplot stages.gp
# One format only: gnuplot -e "fmt='png'" stages.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 640,522 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 640,522 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "stages.png"
} else {
    set terminal svg size 640,522 noenhanced font "Sans,11" background "white"
    set output "stages.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Where a job's time goes (mean per job)\ndecode, preprocess: CPU time over all threads" font ",13"
unset key
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border lc rgb "white"
set boxwidth 0.7
set ylabel "time per job (ms)"
set yrange [0:*]
set xtics rotate by 30 right scale 0 font ",10"
set lmargin 20
set origin 0.0000,0.1111
set size 1.0000,0.8046
set title "4032x3024 images"
plot 'stages.dat' index 0 using 2:xtic(1) lc rgb "#e69f00" title "decode", \
     'stages.dat' index 0 using 3 lc rgb "#cc79a7" title "preprocess", \
     'stages.dat' index 0 using 4 lc rgb "#56b4e9" title "transfer", \
     'stages.dat' index 0 using 5 lc rgb "#009e73" title "forward", \
     'stages.dat' index 0 using 6 lc rgb "#bbbbbb" title "other"
set origin 0,0
set size 1,0.1111
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
set key inside center center horizontal maxrows 2 samplen 2.5 width 1
plot NaN with boxes lc rgb "#e69f00" title "decode", NaN with boxes lc rgb "#cc79a7" title "preprocess", NaN with boxes lc rgb "#56b4e9" title "transfer", NaN with boxes lc rgb "#009e73" title "forward", NaN with boxes lc rgb "#bbbbbb" title "other"
unset multiplot
set output
}
