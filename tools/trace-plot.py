#!/usr/bin/env python3
# Draw a `dmabufctl trace` file (trace-event JSON) as a PNG: one row per
# lane of each track (timeline, DMA channel, buffer, process), in the
# order the trace sorts them, each interval a bar coloured by its kind,
# time in milliseconds from the trace's start.
#
#   tools/trace-plot.py TRACE.json OUT.png [TITLE]
#
# Needs gnuplot (Debian: gnuplot-nox), as bench/plot.sh. Run by hand: the
# README's picture is docs/trace-demo.png, made with
#   DEMO_TRACE=/tmp/demo.json tools/demo.sh && tools/trace-plot.py /tmp/demo.json docs/trace-demo.png
import json
import os
import shutil
import subprocess
import sys
import tempfile

COLOURS = {"fence": "#4e79a7", "dma": "#e15759", "cpu": "#59a14f",
           "wait": "#f28e2b"}


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: tools/trace-plot.py TRACE.json OUT.png [TITLE]")
    src, out = sys.argv[1], sys.argv[2]
    title = sys.argv[3] if len(sys.argv) == 4 else "dmabufd trace: " + os.path.basename(src)
    if not shutil.which("gnuplot"):
        sys.exit("trace-plot.py: needs gnuplot (apt-get install gnuplot-nox)")
    with open(src) as f:
        events = json.load(f)["traceEvents"]

    names, order, lanes = {}, {}, {}
    for e in events:
        if e["ph"] == "M" and e["name"] == "process_name":
            names[e["pid"]] = e["args"]["name"]
        elif e["ph"] == "M" and e["name"] == "process_sort_index":
            order[e["pid"]] = e["args"]["sort_index"]
        elif e["ph"] == "X":
            lanes.setdefault((e["pid"], e["tid"]), []).append(e)
    if not lanes:
        sys.exit("trace-plot.py: no intervals in " + src)
    rows = sorted(lanes, key=lambda k: (order.get(k[0], 0), k[0], k[1]))
    top = len(rows)

    with tempfile.TemporaryDirectory() as tmp:
        data = {cat: open(os.path.join(tmp, cat), "w") for cat in COLOURS}
        ytics = []
        for i, key in enumerate(rows):
            y = top - i
            label = names.get(key[0], str(key[0])) if key[1] == 1 else ""
            ytics.append('"%s" %d' % (label.replace('"', "'"), y))
            for e in lanes[key]:
                x0 = e["ts"] / 1000.0
                x1 = (e["ts"] + e["dur"]) / 1000.0
                cat = e["cat"] if e["cat"] in data else "wait"
                # x y xlow xhigh ylow yhigh
                data[cat].write("%f %d %f %f %f %f\n" %
                                ((x0 + x1) / 2, y, x0, x1, y - 0.35, y + 0.35))
        for f in data.values():
            f.close()
        plots = ["'%s' using 2:2:3:4:5:6 with boxxyerror fs solid 0.85 noborder "
                 "lc rgb '%s' title '%s'" % (os.path.join(tmp, cat), colour, cat)
                 for cat, colour in COLOURS.items()
                 if os.path.getsize(os.path.join(tmp, cat))]
        # boxxyerror takes x y xlow xhigh ylow yhigh: columns 1 2 3 4 5 6.
        plots = [p.replace("using 2:2:3:4:5:6", "using 1:2:3:4:5:6") for p in plots]
        script = "\n".join([
            "set terminal pngcairo size 1400,%d font 'sans,10' noenhanced" % (160 + 26 * top),
            "set output '%s'" % out,
            "set title '%s'" % title.replace("'", ""),
            "set xlabel 'ms since the trace started'",
            "set ytics (%s)" % ", ".join(ytics),
            "set yrange [0.4:%f]" % (top + 0.6),
            "set grid xtics",
            "set key outside right top",
            "set lmargin 44",
            "plot " + ", ".join(plots),
        ])
        with open(os.path.join(tmp, "plot.gp"), "w") as f:
            f.write(script + "\n")
        subprocess.run(["gnuplot", os.path.join(tmp, "plot.gp")], check=True)


if __name__ == "__main__":
    main()
