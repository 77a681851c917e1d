# latency_p50: drawn by dxhub-bench-suite; run `gnuplot latency_p50.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'latency_p50.png'
set title "Latency, median (p50), by message size\nAMD EPYC, 2 CPUs, 2026-11-23T14:55:43Z"
set ylabel 'latency p50 [µs]: one-way; request/reply rows: round trip'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 12
set format y '%g'
set xlabel 'message size [bytes, log scale]'
set logscale x 2
set xrange [32:16777216]
set xtics ('64B' 64, '4KiB' 4096, '1MiB' 1048576, '8MiB' 8388608)
$d0 << EOD
32 0.2155
16777216 0.2155
EOD
$d1 << EOD
32 62.5285
16777216 62.5285
EOD
$d2 << EOD
64 61.9825
4096 57.755
1048576 216.386
8388608 7954.5
EOD
$d3 << EOD
64 65.2695
4096 60.66
1048576 237.857
8388608 4461.17
EOD
$d4 << EOD
64 124.176
4096 260.174
1048576 537.32
8388608 10309.1
EOD
$d5 << EOD
64 75.553
4096 81.966
1048576 423.725
8388608 7655.83
EOD
$d6 << EOD
64 265.444
4096 227.632
1048576 378.779
8388608 16000.3
EOD
$d7 << EOD
64 84.171
4096 199.519
1048576 304.218
8388608 10222.2
EOD
$d8 << EOD
64 79.221
1048576 74.752
EOD
$d9 << EOD
64 92.196
1048576 93.778
EOD
$d10 << EOD
64 188.097
4096 190.571
EOD
$d11 << EOD
64 539.816
4096 745.306
EOD
plot $d0 using 1:2 title 'cache-line ping-pong (polling floor), 64B' with lines dt 2 lw 2 lc rgb '#1f77b4', \
     $d1 using 1:2 title 'futex ping-pong (blocking floor), 64B' with lines dt 2 lw 2 lc rgb '#d62728', \
     $d2 using 1:2 title 'Unix socket' with linespoints lw 1.5 pt 9 ps 1 lc rgb '#2ca02c', \
     $d3 using 1:2 title 'Boost.Interprocess message_queue' with linespoints lw 1.5 pt 11 ps 1 lc rgb '#ff7f0e', \
     $d4 using 1:2 title 'zmq envelope ipc, blocking' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#9467bd', \
     $d5 using 1:2 title 'zmq raw ipc, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#8c564b', \
     $d6 using 1:2 title 'zmq envelope tcp, blocking' with linespoints lw 3 pt 9 ps 1.3 lc rgb '#e377c2', \
     $d7 using 1:2 title 'zmq raw tcp, blocking' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#17becf', \
     $d8 using 1:2 title 'raw shm, blocking' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#7f7f7f', \
     $d9 using 1:2 title 'actor shm, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#bcbd22', \
     $d10 using 1:2 title 'raw cppzmq ipc, blocking' with linespoints lw 3 pt 9 ps 1.3 lc rgb '#000000', \
     $d11 using 1:2 title 'actor call ipc, blocking' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#006d2c'
