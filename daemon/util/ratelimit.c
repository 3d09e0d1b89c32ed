/* SPDX-License-Identifier: MIT */
/* ratelimit: the contract is in ratelimit.h. */
#include "ratelimit.h"

bool ratelimit_allow(struct ratelimit *rl, uint64_t now_ns, uint64_t interval_ns,
		     unsigned burst, uint64_t *ret_missed)
{
	if (rl->begin_ns == 0 || now_ns - rl->begin_ns >= interval_ns) {
		rl->begin_ns = now_ns ? now_ns : 1;
		rl->allowed = 0;
	}
	if (rl->allowed >= burst) {
		rl->missed++;
		return false;
	}
	rl->allowed++;
	*ret_missed = rl->missed;
	rl->missed = 0;
	return true;
}
