# throughput_msgs: drawn by dxhub-bench-suite; run `gnuplot throughput_msgs.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'throughput_msgs.png'
set title "Throughput in messages per second, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T15:03:26Z"
set ylabel 'throughput [messages/s]'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 12
set format y '%.0s%c'
set xlabel 'message size [bytes, log scale]'
set logscale x 2
set xrange [32:16777216]
set xtics ('64B' 64, '4KiB' 4096, '1MiB' 1048576, '8MiB' 8388608)
$d0 << EOD
64 63764.5
4096 27948
1048576 1238.98
8388608 181.798
EOD
$d1 << EOD
64 90043.8
4096 57330.6
1048576 86.8312
8388608 41.3555
EOD
$d2 << EOD
64 2.50206e+08
4096 8475890
1048576 16834
8388608 1795.93
EOD
$d3 << EOD
64 118893
4096 141080
1048576 108882
8388608 129812
EOD
$d4 << EOD
64 126970
4096 146938
1048576 1689.12
8388608 188.306
EOD
$d5 << EOD
64 213013
4096 9938.39
1048576 952.432
8388608 214.643
EOD
$d6 << EOD
64 899922
4096 126473
1048576 6008.18
8388608 265.387
EOD
$d7 << EOD
1048576 1000.27
8388608 265.001
EOD
$d8 << EOD
64 128053
4096 61282.8
1048576 2104.63
8388608 79.7207
EOD
$d9 << EOD
64 515719
4096 50285.5
1048576 814.667
8388608 87.0889
EOD
$d10 << EOD
1048576 1249.76
8388608 88.8131
EOD
plot $d0 using 1:2 title 'Unix socket' with linespoints lw 1.5 pt 5 ps 1 lc rgb '#1f77b4', \
     $d1 using 1:2 title 'Boost.Interprocess message_queue' with linespoints lw 1.5 pt 7 ps 1 lc rgb '#d62728', \
     $d2 using 1:2 title 'memcpy, one core (copy limit)' with linespoints lw 1.5 pt 9 ps 1 lc rgb '#2ca02c', \
     $d3 using 1:2 title 'shm zero copy, busy-poll' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#ff7f0e', \
     $d4 using 1:2 title 'shm filled, busy-poll' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#9467bd', \
     $d5 using 1:2 title 'zmq envelope ipc, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#8c564b', \
     $d6 using 1:2 title 'zmq raw ipc, blocking' with linespoints lw 3 pt 9 ps 1.3 lc rgb '#e377c2', \
     $d7 using 1:2 title 'zmq envelope shared ipc, blocking' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#17becf', \
     $d8 using 1:2 title 'zmq envelope tcp, blocking' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#7f7f7f', \
     $d9 using 1:2 title 'zmq raw tcp, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#bcbd22', \
     $d10 using 1:2 title 'zmq envelope shared tcp, blocking' with linespoints lw 3 pt 9 ps 1.3 lc rgb '#000000'
