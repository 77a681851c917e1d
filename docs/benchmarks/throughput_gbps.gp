# throughput_gbps: drawn by dxhub-bench-suite; run `gnuplot throughput_gbps.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'throughput_gbps.png'
set title "Throughput in payload bytes, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T15:03:26Z"
set ylabel 'throughput [GB/s, 10^9 bytes/s]'
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
64 0.00408093
4096 0.114475
1048576 1.29916
8388608 1.52503
EOD
$d1 << EOD
64 0.0057628
4096 0.234826
1048576 0.0910491
8388608 0.346915
EOD
$d2 << EOD
64 16.0132
4096 34.7172
1048576 17.6517
8388608 15.0654
EOD
$d3 << EOD
64 0.00760918
4096 0.577865
1048576 114.171
8388608 1088.94
EOD
$d4 << EOD
64 0.00812609
4096 0.601856
1048576 1.77117
8388608 1.57963
EOD
$d5 << EOD
64 0.0136328
4096 0.0407076
1048576 0.998697
8388608 1.80055
EOD
$d6 << EOD
64 0.057595
4096 0.518034
1048576 6.30003
8388608 2.22623
EOD
$d7 << EOD
1048576 1.04886
8388608 2.22299
EOD
$d8 << EOD
64 0.00819538
4096 0.251014
1048576 2.20686
8388608 0.668746
EOD
$d9 << EOD
64 0.033006
4096 0.205969
1048576 0.85424
8388608 0.730555
EOD
$d10 << EOD
1048576 1.31047
8388608 0.745018
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
