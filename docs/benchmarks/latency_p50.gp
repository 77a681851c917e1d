# latency_p50: drawn by dxhub-bench-suite; run `gnuplot latency_p50.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'latency_p50.png'
set title "One-way latency, median (p50), by message size\nAMD EPYC, 2 CPUs, 2026-11-23T11:43:27Z"
set ylabel 'one-way latency p50 [µs]'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 8
set format y '%g'
set xlabel 'message size [bytes, log scale]'
set logscale x 2
set xrange [32:16777216]
set xtics ('64B' 64, '4KiB' 4096, '1MiB' 1048576, '8MiB' 8388608)
$d0 << EOD
32 0.206
16777216 0.206
EOD
$d1 << EOD
32 64.5375
16777216 64.5375
EOD
$d2 << EOD
64 54.063
4096 54.6785
1048576 231.018
8388608 7534.36
EOD
$d3 << EOD
64 59.999
4096 61.2265
1048576 290.226
8388608 4003.05
EOD
plot $d0 using 1:2 title 'cache-line ping-pong (polling floor), 64B' with lines dt 2 lw 2 lc 1, \
     $d1 using 1:2 title 'futex ping-pong (blocking floor), 64B' with lines dt 2 lw 2 lc 2, \
     $d2 using 1:2 title 'Unix socket' with linespoints lw 2 pt 7 ps 1.2 lc 3, \
     $d3 using 1:2 title 'Boost.Interprocess message_queue' with linespoints lw 2 pt 7 ps 1.2 lc 4
