# memory: drawn by `mpsbench plot` from results/reference/cpu-seed-options/run.json.
# Edit and re-plot from this folder: gnuplot memory.gp
# One format only: gnuplot -e "fmt='png'" memory.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 1221,642 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 1221,642 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "memory.png"
} else {
    set terminal svg size 1221,642 noenhanced font "Sans,11" background "white"
    set output "memory.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Peak memory against batch size: device memory (peak allocated) on GPUs, resident\nset on the CPU; crosses mark cells that ran out of memory\nAMD EPYC · model resnet50 · 16 images per job · libtorch 1.13.0" font ",12"
unset key
set xlabel "peak memory (MiB), batch size 16"
unset ylabel
set lmargin 69
set origin 0.0000,0.0576
set size 1.0000,0.8162
set title "1024x768 images"
unset arrow
unset label
set ytics ("cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off" 0, "cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on" -1, "cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off" -2, "cpu, fix off (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on" -3, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off" -4, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on" -5, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off" -6, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on" -7, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off" -8, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on" -9, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off" -10, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on" -11, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off" -12, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on" -13, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off" -14, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on" -15) scale 0 font ",10"
set yrange [-15.6:0.6]
set xrange [0:790.167]
plot 'memory.dat' index 0 using 1:2:3 with points pt 7 ps 1.5 lc rgb variable notitle, \
     '' index 1 using 1:2 with points pt 2 ps 2.2 lw 3 lc rgb "#d62728" notitle
set origin 0,0
set size 1,0.0576
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
plot NaN with points pt 2 ps 2.6 lw 3 lc rgb "#d62728" title "out of memory (at the cap when there is one)"
unset multiplot
set output
}
