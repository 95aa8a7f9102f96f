# stages: drawn by `mpsbench plot` from gpu-vs-cpu/run.json.
# Edit and re-plot from this folder: gnuplot stages.gp
# One format only: gnuplot -e "fmt='png'" stages.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 696,690 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 696,690 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "stages.png"
} else {
    set terminal svg size 696,690 noenhanced font "Sans,11" background "white"
    set output "stages.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Where a job's time goes: mean time per job of each stage, stacked\n(decode and preprocess: CPU time summed over the worker's threads)\nIntel(R) Xeon(R) Processor + NVIDIA H200 · model resnet50 ·\n32 images per job · libtorch 2.11.0" font ",12"
unset key
set xlabel "time per job (ms)"
set xrange [0:*]
set lmargin 9
unset ylabel
set origin 0.0000,0.4696
set size 1.0000,0.3855
set title "224x224 images"
set ytics ("cuda b1" 7, "cuda b8" 6, "cuda b16" 5, "cuda b32" 4, "cpu b1" 3, "cpu b8" 2, "cpu b16" 1, "cpu b32" 0) scale 0 font ",10"
set yrange [-0.6:7.6]
plot 'stages.dat' index 0 using 8:1:(0):8:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#e69f00" notitle, \
     'stages.dat' index 0 using 9:1:8:9:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#cc79a7" notitle, \
     'stages.dat' index 0 using 10:1:9:10:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#56b4e9" notitle, \
     'stages.dat' index 0 using 11:1:10:11:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#009e73" notitle, \
     'stages.dat' index 0 using 12:1:11:12:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#bbbbbb" notitle
set origin 0.0000,0.0841
set size 1.0000,0.3855
set title "1024x768 images"
set ytics ("cuda b1" 7, "cuda b8" 6, "cuda b16" 5, "cuda b32" 4, "cpu b1" 3, "cpu b8" 2, "cpu b16" 1, "cpu b32" 0) scale 0 font ",10"
set yrange [-0.6:7.6]
plot 'stages.dat' index 1 using 8:1:(0):8:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#e69f00" notitle, \
     'stages.dat' index 1 using 9:1:8:9:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#cc79a7" notitle, \
     'stages.dat' index 1 using 10:1:9:10:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#56b4e9" notitle, \
     'stages.dat' index 1 using 11:1:10:11:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#009e73" notitle, \
     'stages.dat' index 1 using 12:1:11:12:($1-0.36):($1+0.36) with boxxyerror fs solid 0.9 border lc rgb "white" fc rgb "#bbbbbb" notitle
set origin 0,0
set size 1,0.0841
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
plot NaN with boxes fs solid 0.9 lc rgb "#e69f00" title "decode", NaN with boxes fs solid 0.9 lc rgb "#cc79a7" title "preprocess", NaN with boxes fs solid 0.9 lc rgb "#56b4e9" title "transfer", NaN with boxes fs solid 0.9 lc rgb "#009e73" title "forward", NaN with boxes fs solid 0.9 lc rgb "#bbbbbb" title "other"
unset multiplot
set output
}
