/* SPDX-License-Identifier: MIT */
/* dmabufctl trace (trace.c): the command and its own options. */
#pragma once

/* "trace" with its arguments, @argv[0] the first one after "trace". */
int ctl_cmd_trace(int argc, char **argv);

/* Where "trace" is in dmabufctl's @argv, when it is the command; else
 * 0. Its options are its own: dmabufctl's getopt stops before it. */
int ctl_trace_index(int argc, char **argv);
