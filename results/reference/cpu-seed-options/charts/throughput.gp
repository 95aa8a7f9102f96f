# throughput: drawn by `mpsbench plot` from results/reference/cpu-seed-options/run.json.
# Edit and re-plot from this folder: gnuplot throughput.gp
# One format only: gnuplot -e "fmt='png'" throughput.gp
# Device colours, the same in every chart: cuda #5a9e00, mps #8e44ad, cpu #1f77b4.
if (!exists("fmt")) fmt = "svg png"
do for [f in fmt] {
if (f eq "png") {
    if (strstrt(GPVAL_TERMINALS, "pngcairo") > 0) {
        set terminal pngcairo size 1214,498 noenhanced font "Sans,11" background "white"
    } else {
        set terminal png size 1214,498 noenhanced font "Sans,11" background "#ffffff"
    }
    set output "throughput.png"
} else {
    set terminal svg size 1214,498 noenhanced font "Sans,11" background "white"
    set output "throughput.svg"
}
reset
set encoding utf8
set border lw 1
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set style data linespoints
set multiplot title "Throughput against batch size: points are the median images/s of the repetitions, bars span their min to max\nAMD EPYC · model resnet50 · 16 images per job · libtorch 1.13.0" font ",12"
unset key
set xlabel "throughput (images/s), batch size 16"
unset ylabel
set lmargin 68
set origin 0.0000,0.0161
set size 1.0000,0.8594
set title "1024x768 images"
set ytics ("cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off" 0, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on" -1, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off" -2, "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on" -3, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off" -4, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on" -5, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off" -6, "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on" -7, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off" -8, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on" -9, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off" -10, "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on" -11) scale 0 font ",10"
set yrange [-12.6:0.6]
set xrange [0:11.5501]
plot 'throughput.dat' index 0 using 2:1:3:4 with xerrorbars lc rgb "#0072b2" lw 2 pt 7 ps 1.3 dt 1 title "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off", \
     'throughput.dat' index 1 using 2:1:3:4 with xerrorbars lc rgb "#e69f00" lw 2 pt 5 ps 1.3 dt 1 title "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on", \
     'throughput.dat' index 2 using 2:1:3:4 with xerrorbars lc rgb "#009e73" lw 2 pt 9 ps 1.3 dt 1 title "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off", \
     'throughput.dat' index 3 using 2:1:3:4 with xerrorbars lc rgb "#cc79a7" lw 2 pt 13 ps 1.3 dt 1 title "cpu, fix off (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on", \
     'throughput.dat' index 4 using 2:1:3:4 with xerrorbars lc rgb "#56b4e9" lw 2 pt 11 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup off", \
     'throughput.dat' index 5 using 2:1:3:4 with xerrorbars lc rgb "#d55e00" lw 2 pt 15 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=16, cleanup on", \
     'throughput.dat' index 6 using 2:1:3:4 with xerrorbars lc rgb "#000000" lw 2 pt 7 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup off", \
     'throughput.dat' index 7 using 2:1:3:4 with xerrorbars lc rgb "#8c564b" lw 2 pt 5 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=false, GPU_BATCH_SIZE=8, cleanup on", \
     'throughput.dat' index 8 using 2:1:3:4 with xerrorbars lc rgb "#7f7f7f" lw 2 pt 9 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup off", \
     'throughput.dat' index 9 using 2:1:3:4 with xerrorbars lc rgb "#bcbd22" lw 2 pt 13 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=16, cleanup on", \
     'throughput.dat' index 10 using 2:1:3:4 with xerrorbars lc rgb "#17becf" lw 2 pt 11 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup off", \
     'throughput.dat' index 11 using 2:1:3:4 with xerrorbars lc rgb "#9467bd" lw 2 pt 15 ps 1.3 dt 1 title "cpu, fix on (no effect: MPS only), FORCE_CPU=true, GPU_BATCH_SIZE=8, cleanup on"
unset multiplot
set output
}
