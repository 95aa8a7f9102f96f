# oom-matrix: drawn by `mpsbench plot` from results/reference/cpu-seed-options/run.json.
# Edit and re-plot from this folder: gnuplot oom-matrix.gp
# One format only: gnuplot -e "fmt='png'" oom-matrix.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 781,665 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 781,665 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "oom-matrix.png"
} else {
    set terminal svg size 781,665 noenhanced font "Sans,11" background "white"
    set output "oom-matrix.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Out-of-memory matrix: each square gives the measured jobs of one configuration at\none image and batch size that ran out of memory, failed or passed\nAMD EPYC · model resnet50 · 16 images per job · libtorch 1.13.0" font ",12"
unset key
unset grid
set style fill solid 1.0 border lc rgb "white"
set origin 0.0000,0.0872
set size 1.0000,0.7910
set lmargin 69
set xrange [-0.5:0.5]
set yrange [-0.5:15.5]
set xlabel "image and batch size"
unset ylabel
set xtics ("1024x768 b16" 0) scale 0
set ytics ("cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off" 15, "cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on" 14, "cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off" 13, "cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on" 12, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off" 11, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on" 10, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off" 9, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on" 8, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off" 7, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on" 6, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off" 5, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on" 4, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off" 3, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on" 2, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off" 1, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on" 0) scale 0 font ",10"
plot 'oom-matrix.dat' index 0 using 1:2:(0.49):(0.49):3 with boxxyerror lc rgb variable notitle, \
     '' index 0 using 1:2:4 with labels font ",10" notitle
set origin 0,0
set size 1,0.0872
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
plot NaN with boxes lc rgb "#a1d99b" title "all jobs ok", NaN with boxes lc rgb "#d62728" title "out of memory"
unset multiplot
set output
}
