/* SPDX-License-Identifier: MIT */
/*
 * The interposed ioctl, alone in its file because it is not declared as
 * <sys/ioctl.h> declares it: three fixed arguments instead of "...". GCC
 * makes no tail call from a variadic function, so the variadic form
 * returned through one more frame after every system call, which cost a
 * foreign fd's ioctl 3-5% here (bench/compat-overhead.sh). With fixed
 * arguments an ioctl of any other magic is a jump into libc's. The Linux
 * ABIs this builds for (System V x86-64, AAPCS, AAPCS64) pass a variadic
 * call's third integer or pointer argument where a fixed one goes, so a
 * caller compiled against the variadic prototype reaches it unchanged.
 */
#include <linux/ioctl.h>

#include "compat.h"

COMPAT_EXPORT int ioctl(int fd, unsigned long cmd, void *arg);

COMPAT_EXPORT int ioctl(int fd, unsigned long cmd, void *arg)
{
	switch (_IOC_TYPE(cmd)) {
	case 'H':
	case 'b':
	case '>':
	case 'W':
		return ioctl_maybe_ours(fd, cmd, arg);
	case 'd':
		return compat_kernel_import_ioctl(fd, cmd, arg);
	}
	return real_ioctl(fd, cmd, arg);
}
