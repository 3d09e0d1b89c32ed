#!/usr/bin/env python3
"""Sum up meson test logs: one line per suite and a total.

Reads meson-logs/testlog.json of each build directory given, and the
JUnit file meson writes next to it (testlog.junit.xml; for a copy named
NAME.json, NAME.junit.xml). A log given
as LABEL=PATH has its suites reported as LABEL-SUITE (e.g.
armhf=testlog-armhf.json gives "armhf-unit"), so that runs of the same
suite in another build stay apart; given as --merge LABEL=PATH, all its
suites make one line LABEL (--merge tsan=testlog-tsan.json gives "tsan").
A TAP test (the cmocka programs: protocol 'tap') counts as its cases, as
meson recorded them in the JUnit file (testlog.json has no per-case
results in meson 1.0.1): passed, failed (a failure or an error) and
skipped. When meson failed the test but none of its cases, or the
program was killed (a crash, a timeout), that counts as one more failed
case: a crash mid-run, a count short of the plan, a leak valgrind found,
the daemon of an integration test exiting badly.
The VM suite's cuse-integration is a TAP test too (its script turns the
guest's cmocka output and checks into TAP). Any other test counts as
one, but for the stress run (suite slow), which counts as the checks its
last line reports ("stress: N passed, M failed"). Prints "SUITE: N passed, M failed"
lines (", K skipped" when some were) and exits 1 if anything failed.
A libFuzzer target (suite fuzz: tests/fuzz/run-fuzz.sh) passes when it
ran its time without a crash; below its suite's line, one line per
target gives the executions and executions per second libFuzzer's final
statistics report.
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

label_re = re.compile(r"^([A-Za-z0-9_]+)=(.+)$")

execs_re = re.compile(r"^stat::number_of_executed_units: *(\d+)", re.M)
rate_re = re.compile(r"^stat::average_exec_per_sec: *(\d+)", re.M)
# The stress run (suite slow: tests/stress/stress.c) counts its checks.
checks_re = re.compile(r"^stress: (\d+) passed, (\d+) failed$", re.M)


def junit_path(path):
    """The JUnit file meson wrote with the log at PATH."""
    base = path[:-len(".json")] if path.endswith(".json") else path
    return base + ".junit.xml"


def tap_cases(path):
    """{test name as in testlog.json: [passed, failed, skipped]} of the
    TAP tests in the JUnit file at PATH.

    meson 1.0.1 writes a test with subtests as a testsuite named
    "PROJECT.NAME" (NAME as in testlog.json), one testcase per subtest;
    the exit-code tests go into one testsuite named "PROJECT".
    """
    cases = {}
    for suite in ET.parse(path).getroot().iter("testsuite"):
        name = suite.get("name", "")
        if "." not in name:
            continue
        counts = cases.setdefault(name.split(".", 1)[1], [0, 0, 0])
        for case in suite.iter("testcase"):
            if case.find("skipped") is not None:
                counts[2] += 1
            elif case.find("failure") is not None or case.find("error") is not None:
                counts[1] += 1
            else:
                counts[0] += 1
    return cases


def parse_args(args):
    """(label, path, merge) per log argument."""
    logs = []
    merge = False
    for arg in args:
        if arg == "--merge":
            merge = True
            continue
        m = label_re.match(arg)
        label, path = (m.group(1), m.group(2)) if m else (None, arg)
        if merge and not label:
            sys.exit(f"test-summary: --merge needs LABEL=PATH, not {arg!r}")
        logs.append((label, path, merge))
        merge = False
    return logs


def main(args):
    suites = {}
    details = {}
    for label, path, merge in parse_args(args):
        junit = junit_path(path)
        if not os.path.exists(junit):
            sys.exit(f"test-summary: no {junit} with {path} (meson writes both)")
        cases = tap_cases(junit)
        with open(path) as f:
            for line in f:
                t = json.loads(line)
                # "project:suite / name", several suites joined with "+"
                suite = t["name"].split(" / ")[0].split(":")[-1].split("+")[0]
                if merge:
                    suite = label
                elif label:
                    suite = f"{label}-{suite}"
                out = (t.get("stdout") or "") + (t.get("stderr") or "")
                ok = t["result"] in ("OK", "EXPECTEDFAIL")
                skipped = t["result"] == "SKIP"
                if t["name"] in cases:
                    p, fl, sk = cases[t["name"]]
                    killed = (t.get("returncode") or 0) < 0 or \
                        t["result"] in ("TIMEOUT", "INTERRUPT")
                    if not ok and not skipped and (fl == 0 or killed):
                        fl += 1  # the program failed beyond its cases
                else:
                    p = fl = 0
                    for cp, cf in checks_re.findall(out):
                        p, fl = p + int(cp), fl + int(cf)
                    sk = 1 if skipped else 0
                    if p == 0 and fl == 0 and not skipped:
                        p, fl = (1, 0) if ok else (0, 1)
                    elif not ok and fl == 0 and not skipped:
                        fl = 1  # crashed or timed out after some passes
                execs, rate = execs_re.findall(out), rate_re.findall(out)
                if execs:
                    test = t["name"].split(" / ")[-1]
                    details.setdefault(suite, []).append(
                        f"  {test}: {execs[-1]} executions, "
                        f"{rate[-1] if rate else '?'}/s"
                        + ("" if ok else f" ({t['result']})"))
                s = suites.setdefault(suite, [0, 0, 0])
                s[0] += p
                s[1] += fl
                s[2] += sk
    total = [0, 0, 0]
    for name, (p, fl, sk) in sorted(suites.items()):
        print(f"{name}: {p} passed, {fl} failed" + (f", {sk} skipped" if sk else ""))
        for line in details.get(name, []):
            print(line)
        total = [total[0] + p, total[1] + fl, total[2] + sk]
    print(f"total: {total[0]} passed, {total[1]} failed" + (f", {total[2]} skipped" if total[2] else ""))
    return 1 if total[1] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
