#!/usr/bin/env bash
# Turn a dmabufd-bench CSV (--csv FILE) into one PNG with two panels:
#   left:  per operation, its median latency beside its floor (the round
#          trips the daemon counted x the clean null ioctl of the same
#          run), for each CPU placement in the file;
#   right: DMA memcpy throughput on the mock controller by transfer size,
#          beside memcpy() between the same buffers.
#
#   bench/plot.sh BENCH.csv OUT.png
#
# Needs gnuplot (Debian: gnuplot-nox). Run by hand; CI does not plot.
set -euo pipefail

if [ $# -ne 2 ]; then
	echo "usage: bench/plot.sh BENCH.csv OUT.png" >&2
	exit 2
fi
csv=$1 out=$2
command -v gnuplot >/dev/null || { echo "plot.sh: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Latency: one line per operation with counted round trips (the "vs bare"
# rows compare against another server, and the status page makes none):
# name|median same|floor same|median split|floor split ("-" if absent).
awk -F, '
	$1 != "latency" || $3 ~ / vs bare/ || $4 + 0 < 0.5 { next }
	!($3 in seen) { seen[$3] = 1; order[++n] = $3 }
	{ med[$3, $2] = $6; flr[$3, $2] = $4 * $8 }
	END {
		for (i = 1; i <= n; i++) {
			op = order[i]
			printf "\"%s\"", op
			split("same split", cpus, " ")
			for (c = 1; c <= 2; c++) {
				k = op SUBSEP cpus[c]
				printf " %s %s", (k in med) ? med[k] : "-", (k in flr) ? flr[k] : "-"
			}
			printf "\n"
		}
	}' "$csv" >"$tmp/lat.dat"
for cpu in same split; do
	awk -F, -v c="$cpu" '$1 == "dma" && $2 == c { print $3 / 1024, $4, $5 }' "$csv" >"$tmp/dma-$cpu.dat"
done
[ -s "$tmp/lat.dat" ] || { echo "plot.sh: no latency rows in $csv" >&2; exit 1; }
stamp=$(awk -F, '/^# run:/ { sub(/^# run: */, ""); print; exit }' "$csv")

gnuplot <<GP
set terminal pngcairo size 1400,600 font "sans,9" noenhanced
set output "$out"
set datafile missing "-"
set multiplot layout 1,2 title "dmabufd-bench, FUSE fallback. $stamp"

set title "Latency per operation against its floor (counted round trips x clean null ioctl)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set ylabel "median us"
set yrange [0:*]
set xtics rotate by -35 scale 0
set key outside top center horizontal maxrows 2
set grid ytics
plot "$tmp/lat.dat" using 2:xtic(1) title "same CPU: measured" lc rgb "#1f77b4", \
     "" using 3 title "same CPU: round trips x null" lc rgb "#aec7e8", \
     "" using 4 title "split CPUs: measured" lc rgb "#d62728", \
     "" using 5 title "split CPUs: round trips x null" lc rgb "#ff9896"

set title "DMA memcpy throughput (mock controller) against memcpy()"
set style data linespoints
set logscale x 2
set logscale y 10
set xlabel "transfer size, KiB"
set ylabel "GB/s"
set yrange [*:*]
set xtics auto rotate by 0 scale 1
set key inside bottom right vertical maxrows 4
plot "$tmp/dma-same.dat" using 1:2 title "DMA, same CPU" lw 2 lc rgb "#1f77b4", \
     "" using 1:3 title "memcpy(), same CPU" dt 2 lc rgb "#1f77b4", \
     "$tmp/dma-split.dat" using 1:2 title "DMA, split CPUs" lw 2 lc rgb "#d62728", \
     "" using 1:3 title "memcpy(), split CPUs" dt 2 lc rgb "#d62728"
unset multiplot
GP
echo "plot.sh: wrote $out"
