# The summary chart: median ratio hb_beamr / floor per benchmark row and
# engine, on a log scale (1 = the floor). Called by bench/run.sh with
#   gnuplot -e "dat='summary.dat'; png='summary.png'" bench/summary.gp
set terminal pngcairo size 1400,560 font "sans,10" noenhanced
set output png
set title "hb_beamr / floor, median of repetitions (lower is better; 1 = floor). Row ids as in the README table."
set logscale y
set yrange [0.01:*]
set ylabel "ratio to floor (log scale)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left
set datafile missing "-"
set xtics rotate by -60 nomirror
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "black" lw 1
plot dat using 2:xtic(1) title "wasmtime" lc rgb "#1f77b4", \
     ''  using 3 title "wamr" lc rgb "#ff7f0e"
