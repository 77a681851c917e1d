# latency_p99: drawn by dxhub-bench-suite; run `gnuplot latency_p99.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'latency_p99.png'
set title "Latency, 99th percentile, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T14:55:43Z"
set ylabel 'latency p99 [µs]: one-way; request/reply rows: round trip'
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
32 0.2805
16777216 0.2805
EOD
$d1 << EOD
32 4022.8
16777216 4022.8
EOD
$d2 << EOD
64 4011.64
4096 3988.72
1048576 4622.29
8388608 32005.4
EOD
$d3 << EOD
64 3992.72
4096 4000.14
1048576 7256.45
8388608 10412.1
EOD
$d4 << EOD
64 5550.5
4096 9560.44
1048576 7903.36
8388608 19646.3
EOD
$d5 << EOD
64 4035.43
4096 2802.8
1048576 6368.64
8388608 19350.3
EOD
$d6 << EOD
64 9490.04
4096 8152.88
1048576 5129.42
8388608 26774.1
EOD
$d7 << EOD
64 168.79
4096 7986.51
1048576 5579.83
8388608 24543.7
EOD
$d8 << EOD
64 7048.23
1048576 8432.4
EOD
$d9 << EOD
64 4001.19
1048576 3993.86
EOD
$d10 << EOD
64 450.004
4096 620.749
EOD
$d11 << EOD
64 1233.06
4096 2354.87
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
