# throughput_gbps: drawn by dxhub-bench-suite; run `gnuplot throughput_gbps.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'throughput_gbps.png'
set title "Throughput in payload bytes, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T11:43:27Z"
set ylabel 'throughput [GB/s, 10^9 bytes/s]'
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
64 0.00401991
4096 0.133455
1048576 1.45621
8388608 1.09939
EOD
$d1 << EOD
64 0.00595073
4096 0.274581
1048576 1.12622
8388608 1.0945
EOD
$d2 << EOD
64 15.2856
4096 30.5374
1048576 18.1653
8388608 13.615
EOD
plot $d0 using 1:2 title 'Unix socket' with linespoints lw 2 pt 7 ps 1.2 lc 1, \
     $d1 using 1:2 title 'Boost.Interprocess message_queue' with linespoints lw 2 pt 7 ps 1.2 lc 2, \
     $d2 using 1:2 title 'memcpy, one core (copy limit)' with linespoints lw 2 pt 7 ps 1.2 lc 3
