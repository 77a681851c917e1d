# fanout: drawn by dxhub-bench-suite; run `gnuplot fanout.gp`
set encoding utf8
set terminal pngcairo noenhanced size 1100,800 font 'Sans,11'
set output 'fanout.png'
set title "Fan-out: one-way latency p50 by number of subscribers\nAMD EPYC, 2 CPUs, 2026-11-23T15:03:26Z"
set ylabel 'one-way latency p50 [µs]'
set logscale y
set grid xtics ytics mytics lc rgb '#dddddd'
set key below center box Left reverse width 2 maxcols 2
set bmargin 7
set format y '%g'
set xlabel 'subscribers (one publisher)'
set logscale x 2
set xrange [0.76923077:5.2]
set xtics ('1' 1, '4' 4)
$d0 << EOD
1 58.436
4 92.676
EOD
plot $d0 using 1:2 title 'shm, blocking, 4KiB' with linespoints lw 3 pt 5 ps 1.3 lc rgb '#1f77b4'
