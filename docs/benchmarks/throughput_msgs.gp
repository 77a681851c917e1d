# throughput_msgs: drawn by dxhub-bench-suite; run `gnuplot throughput_msgs.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'throughput_msgs.png'
set title "Throughput in messages per second, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T11:43:27Z"
set ylabel 'throughput [messages/s]'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 8
set format y '%.0s%c'
set xlabel 'message size [bytes, log scale]'
set logscale x 2
set xrange [32:16777216]
set xtics ('64B' 64, '4KiB' 4096, '1MiB' 1048576, '8MiB' 8388608)
$d0 << EOD
64 62811.1
4096 32581.7
1048576 1388.75
8388608 131.057
EOD
$d1 << EOD
64 92980.2
4096 67036.4
1048576 1074.04
8388608 130.475
EOD
$d2 << EOD
64 2.38837e+08
4096 7455420
1048576 17323.8
8388608 1623.03
EOD
plot $d0 using 1:2 title 'Unix socket' with linespoints lw 2 pt 7 ps 1.2 lc 1, \
     $d1 using 1:2 title 'Boost.Interprocess message_queue' with linespoints lw 2 pt 7 ps 1.2 lc 2, \
     $d2 using 1:2 title 'memcpy, one core (copy limit)' with linespoints lw 2 pt 7 ps 1.2 lc 3
