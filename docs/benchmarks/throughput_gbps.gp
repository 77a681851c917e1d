# throughput_gbps: drawn by dxhub-bench-suite; run `gnuplot throughput_gbps.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'throughput_gbps.png'
set title "Throughput in payload bytes, by message size\nAMD EPYC, 2 CPUs, 2026-11-23T14:55:43Z"
set ylabel 'throughput [GB/s, 10^9 bytes/s]'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 11
set format y '%g'
set xlabel 'message size [bytes, log scale]'
set logscale x 2
set xrange [32:16777216]
set xtics ('64B' 64, '4KiB' 4096, '1MiB' 1048576, '8MiB' 8388608)
$d0 << EOD
64 0.00419542
4096 0.138644
1048576 1.32614
8388608 1.42971
EOD
$d1 << EOD
64 0.00534817
4096 0.310707
1048576 0.855738
8388608 1.12035
EOD
$d2 << EOD
64 16.0137
4096 37.1308
1048576 17.6355
8388608 16.134
EOD
$d3 << EOD
64 0.0192679
4096 0.287086
1048576 1.40866
8388608 0.409396
EOD
$d4 << EOD
64 0.0931913
4096 0.218111
1048576 0.88755
8388608 1.39722
EOD
$d5 << EOD
1048576 1.51163
8388608 0.996238
EOD
$d6 << EOD
64 0.0126768
4096 0.287979
1048576 0.9258
8388608 0.74381
EOD
$d7 << EOD
64 0.0399538
4096 0.451631
1048576 2.80389
8388608 0.971355
EOD
$d8 << EOD
1048576 0.83898
8388608 0.934497
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
