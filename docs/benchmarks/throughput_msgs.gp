# throughput_msgs: drawn by dxhub-bench-suite; run `gnuplot throughput_msgs.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'throughput_msgs.png'
set title "Throughput in messages per second, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T14:55:43Z"
set ylabel 'throughput [messages/s]'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 11
set format y '%.0s%c'
set xlabel 'message size [bytes, log scale]'
set logscale x 2
set xrange [32:16777216]
set xtics ('64B' 64, '4KiB' 4096, '1MiB' 1048576, '8MiB' 8388608)
$d0 << EOD
64 65553.4
4096 33848.6
1048576 1264.7
8388608 170.435
EOD
$d1 << EOD
64 83565.2
4096 75856.3
1048576 816.096
8388608 133.556
EOD
$d2 << EOD
64 2.50214e+08
4096 9065140
1048576 16818.5
8388608 1923.32
EOD
$d3 << EOD
64 301061
4096 70089.3
1048576 1343.41
8388608 48.8038
EOD
$d4 << EOD
64 1456110
4096 53249.8
1048576 846.434
8388608 166.561
EOD
$d5 << EOD
1048576 1441.6
8388608 118.761
EOD
$d6 << EOD
64 198075
4096 70307.4
1048576 882.912
8388608 88.669
EOD
$d7 << EOD
64 624278
4096 110261
1048576 2674
8388608 115.795
EOD
$d8 << EOD
1048576 800.114
8388608 111.401
EOD
plot $d0 using 1:2 title 'Unix socket' with linespoints lw 1.5 pt 5 ps 1 lc rgb '#1f77b4', \
     $d1 using 1:2 title 'Boost.Interprocess message_queue' with linespoints lw 1.5 pt 7 ps 1 lc rgb '#d62728', \
     $d2 using 1:2 title 'memcpy, one core (copy limit)' with linespoints lw 1.5 pt 9 ps 1 lc rgb '#2ca02c', \
     $d3 using 1:2 title 'zmq envelope ipc, blocking' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#ff7f0e', \
     $d4 using 1:2 title 'zmq raw ipc, blocking' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#9467bd', \
     $d5 using 1:2 title 'zmq envelope shared ipc, blocking' with linespoints lw 3 pt 7 ps 1.3 lc rgb '#8c564b', \
     $d6 using 1:2 title 'zmq envelope tcp, blocking' with linespoints lw 3 pt 9 ps 1.3 lc rgb '#e377c2', \
     $d7 using 1:2 title 'zmq raw tcp, blocking' with linespoints lw 3 pt 11 ps 1.3 lc rgb '#17becf', \
     $d8 using 1:2 title 'zmq envelope shared tcp, blocking' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#7f7f7f'
