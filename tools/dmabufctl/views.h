/* SPDX-License-Identifier: MIT */
/*
 * dmabufctl's kernel-format views (views.c): command handlers
 * for dmabufctl's command table, argv[0] the first argument (none).
 * Each returns dmabufctl's exit status.
 */
#pragma once

int ctl_cmd_bufinfo(int argc, char **argv);
int ctl_cmd_sync_info(int argc, char **argv);
int ctl_cmd_dma_summary(int argc, char **argv);
