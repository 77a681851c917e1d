# latency_p99: drawn by dxhub-bench-suite; run `gnuplot latency_p99.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'latency_p99.png'
set title "Latency, 99th percentile, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T15:03:26Z"
set ylabel 'latency p99 [µs]: one-way; request/reply rows: round trip'
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
32 0.2905
16777216 0.2905
EOD
$d1 << EOD
32 4023.64
16777216 4023.64
EOD
$d2 << EOD
64 4043.28
4096 4032.17
1048576 5220.28
8388608 16949
EOD
$d3 << EOD
64 4034.33
4096 4117.54
1048576 6226.19
8388608 10224
EOD
$d4 << EOD
64 1.3725
4096 1.618
1048576 1.3675
8388608 1.573
EOD
$d5 << EOD
64 4026.47
4096 4100.73
1048576 4062.72
8388608 4029.95
EOD
$d6 << EOD
64 7968.81
4096 9864.8
1048576 5718.77
8388608 12345.5
EOD
$d7 << EOD
64 9119.6
4096 7222.75
1048576 3836.2
8388608 16743.3
EOD
$d8 << EOD
64 5595.23
4096 8253.2
1048576 12465.6
8388608 36182.1
EOD
$d9 << EOD
64 3917.94
4096 8145.12
1048576 5890.62
8388608 31981.9
EOD
$d10 << EOD
64 3993.76
1048576 6562.95
EOD
$d11 << EOD
64 3654.94
1048576 3559.11
EOD
$d12 << EOD
64 2517.26
4096 5785.27
EOD
$d13 << EOD
64 4163.15
4096 4031.24
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
