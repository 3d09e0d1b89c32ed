/* SPDX-License-Identifier: MIT */
/*
 * file_records - the control socket's listing of the device nodes' open
 * files (DMABUFD_CTL_FILES): who opened each, who called it last, and
 * the buffer, sync_file, timeline or channel it is bound to. In open
 * order, resumed by the open number. Threading: loop thread only.
 */
#pragma once

#include "listing.h"

/* Every open file of every node, oldest first. */
extern const struct ctl_lister ctl_file_lister;
