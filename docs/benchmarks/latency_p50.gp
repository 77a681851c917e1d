# latency_p50: drawn by dxhub-bench-suite; run `gnuplot latency_p50.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'latency_p50.png'
set title "Latency, median (p50), by message size\nAMD EPYC, 2 CPUs, 2026-11-23T15:03:26Z"
set ylabel 'latency p50 [µs]: one-way; request/reply rows: round trip'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 13
set format y '%g'
set xlabel 'message size [bytes, log scale]'
set logscale x 2
set xrange [32:16777216]
set xtics ('64B' 64, '4KiB' 4096, '1MiB' 1048576, '8MiB' 8388608)
$d0 << EOD
32 0.2105
16777216 0.2105
EOD
$d1 << EOD
32 58.912
16777216 58.912
EOD
$d2 << EOD
64 54.749
4096 54.3085
1048576 472.417
8388608 8067.38
EOD
$d3 << EOD
64 59.3125
4096 65.7495
1048576 266.972
8388608 4527.49
EOD
$d4 << EOD
64 1.0175
4096 1.012
1048576 1.017
8388608 1.0215
EOD
$d5 << EOD
64 57.6545
4096 58.436
1048576 57.965
8388608 57.439
EOD
$d6 << EOD
64 157.319
4096 302.245
1048576 422.291
8388608 2865.4
EOD
$d7 << EOD
64 218.064
4096 82.626
1048576 361.777
8388608 7672.38
EOD
$d8 << EOD
64 142.971
4096 279.562
1048576 574.4
8388608 21547.6
EOD
$d9 << EOD
64 80.834
4096 243.062
1048576 371.385
8388608 13415.6
EOD
$d10 << EOD
64 72.137
1048576 77.507
EOD
$d11 << EOD
64 95.171
1048576 86.644
EOD
$d12 << EOD
64 197.786
4096 206.743
EOD
$d13 << EOD
64 555.454
4096 807.744
EOD
plot $d0 using 1:2 title 'cache-line ping-pong (polling floor), 64B' with lines dt 2 lw 2 lc rgb '#1f77b4', \
     $d1 using 1:2 title 'futex ping-pong (blocking floor), 64B' with lines dt 2 lw 2 lc rgb '#d62728', \
     $d2 using 1:2 title 'Unix socket' with linespoints lw 1.5 pt 9 ps 1 lc rgb '#2ca02c', \
     $d3 using 1:2 title 'Boost.Interprocess message_queue' with linespoints lw 1.5 pt 11 ps 1 lc rgb '#ff7f0e', \
     $d4 using 1:2 title 'shm, busy-poll' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#9467bd', \
     $d5 using 1:2 title 'shm, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#8c564b', \
     $d6 using 1:2 title 'zmq envelope ipc, blocking' with linespoints lw 3 pt 9 ps 1.3 lc rgb '#e377c2', \
     $d7 using 1:2 title 'zmq raw ipc, blocking' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#17becf', \
     $d8 using 1:2 title 'zmq envelope tcp, blocking' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#7f7f7f', \
     $d9 using 1:2 title 'zmq raw tcp, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#bcbd22', \
     $d10 using 1:2 title 'raw shm, blocking' with linespoints lw 3 pt 9 ps 1.3 lc rgb '#000000', \
     $d11 using 1:2 title 'actor shm, blocking' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#006d2c', \
     $d12 using 1:2 title 'raw cppzmq ipc, blocking' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#1f77b4', \
     $d13 using 1:2 title 'actor call ipc, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#d62728'
