/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: sync_file fds (merge, wait, info, deadline) and sw_sync
 * timelines. Fd-returning calls get a claim token from the daemon and bind
 * it to a fresh open of the sync_file node.
 */
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "internal.h"

DMABUFD_EXPORT int dmabufd_sync_merge(const char *name, int fd1, int fd2)
{
	struct dmabufd_sync_merge req = { { 0 } };
	int r;

	if (name)
		strncpy(req.name, name, sizeof(req.name) - 1);
	uint64_t token2;

	/* fd2 not a sync_file: token 0, ENOENT from a sync_file fd1. */
	r = dmabufd_fd_arg_token(fd2, &token2);
	if (r < 0)
		return r;
	req.token2 = token2;
	/* An unused token2 dies when fd2 closes or when it expires. */
	r = xioctl(fd1, DMABUFD_SYNC_IOC_MERGE, &req);
	if (r < 0)
		return r;
	return dmabufd_sync_claim(req.token);
}

DMABUFD_EXPORT int dmabufd_sync_wait_ns(int sync_fd, int64_t timeout_ns, int *ret_status)
{
	struct dmabufd_sync_wait req = { .timeout_ns = timeout_ns };
	int r;

	if (timeout_ns < 0)
		return -EINVAL;
	r = xioctl(sync_fd, DMABUFD_SYNC_IOC_WAIT, &req);
	/* An error reply carries no payload: only success has a status. A
	 * timeout means the fence was still active. */
	if (ret_status && r == 0)
		*ret_status = req.status;
	else if (ret_status && r == -ETIME)
		*ret_status = 0;
	return r;
}

DMABUFD_EXPORT int dmabufd_sync_wait(int sync_fd, int timeout_ms)
{
	const int64_t forever = INT64_C(3600) * 1000000000;
	int64_t deadline = timeout_ms < 0 ? 0 : now_ns() + (int64_t)timeout_ms * 1000000;
	int r;

	for (;;) {
		int64_t left = timeout_ms < 0 ? forever : deadline - now_ns();

		r = dmabufd_sync_wait_ns(sync_fd, left < 0 ? 0 : left, NULL);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		/* The daemon caps every wait; a caller asking for ever waits on. */
		if (r == -ETIME && timeout_ms < 0)
			continue;
		if (r == -ETIME && timeout_ms >= 0 && deadline - now_ns() > 0)
			continue;
		return r;
	}
}

DMABUFD_EXPORT int dmabufd_sync_poll(int sync_fd, int timeout_ms)
{
	int64_t deadline = now_ns() + (int64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000;
	struct pollfd pfd = { .fd = sync_fd, .events = POLLIN };
	int r, left = timeout_ms;

	for (;;) {
		r = poll(&pfd, 1, left);
		if (r > 0) {
			if (pfd.revents & (POLLERR | POLLNVAL))
				return -EINVAL;
			return 0;
		}
		if (r == 0)
			return -ETIME;
		if (errno != EINTR && errno != EAGAIN)
			return -errno;
		if (timeout_ms >= 0) {
			int64_t ms = (deadline - now_ns() + 999999) / 1000000;

			left = ms < 0 ? 0 : (int)ms;
		}
	}
}

DMABUFD_EXPORT int dmabufd_sync_file_info(int sync_fd, struct dmabufd_sync_info *ret_info,
					  struct sync_fence_info *fences, uint32_t max_fences)
{
	struct dmabufd_sync_file_info req;
	struct dmabufd_sync_info info;
	uint32_t done = 0;
	int r;

	if (!ret_info || (max_fences && !fences))
		return -EINVAL;
	/* Without an array the kernel reports the status of the sync_file's
	 * own fence (a merge's container), which its number, kept by dmabufd
	 * for this case, does too; with one, the first child status that is
	 * not 1, as DMABUFD_SYNC_IOC_FILE_INFO. */
	if (max_fences == 0) {
		struct sync_file_info k = { .num_fences = 0 };

		r = xioctl(sync_fd, SYNC_IOC_FILE_INFO, &k);
		if (r < 0)
			return r;
		memcpy(info.name, k.name, sizeof(info.name));
		info.name[sizeof(info.name) - 1] = '\0';
		info.status = k.status;
		info.num_fences = k.num_fences;
		*ret_info = info;
		return 0;
	}
	do {
		memset(&req, 0, sizeof(req));
		req.first = done;
		r = xioctl(sync_fd, DMABUFD_SYNC_IOC_FILE_INFO, &req);
		if (r < 0)
			return r;
		if (done == 0) {
			memcpy(info.name, req.name, sizeof(info.name));
			info.name[sizeof(info.name) - 1] = '\0';
			info.status = req.status;
			info.num_fences = req.num_fences;
			if (max_fences < req.num_fences)
				return -EINVAL;
		}
		/* A sync_file's fence set never changes; guard the loop anyway. */
		if (req.num_fences != info.num_fences || req.count > DMABUFD_SYNC_INFO_MAX ||
		    req.count > info.num_fences - done || (req.count == 0 && done < info.num_fences))
			return -EPROTO;
		memcpy(fences + done, req.fences, req.count * sizeof(req.fences[0]));
		done += req.count;
	} while (done < info.num_fences);
	*ret_info = info;
	return 0;
}

DMABUFD_EXPORT int dmabufd_sync_status(int sync_fd, int *ret_status)
{
	struct dmabufd_sync_info info;
	int r;

	if (!ret_status)
		return -EINVAL;
	r = dmabufd_sync_file_info(sync_fd, &info, NULL, 0);
	if (r < 0)
		return r;
	*ret_status = info.status;
	return 0;
}

DMABUFD_EXPORT int dmabufd_sync_set_deadline(int sync_fd, uint64_t deadline_ns)
{
	struct sync_set_deadline req = { .deadline_ns = deadline_ns };

	return xioctl(sync_fd, SYNC_IOC_SET_DEADLINE, &req);
}

DMABUFD_EXPORT int dmabufd_timeline_create(void)
{
	return dmabufd_open_node(DMABUFD_NODE_SW_SYNC, O_RDWR | O_CLOEXEC);
}

DMABUFD_EXPORT int dmabufd_timeline_create_fence(int timeline_fd, const char *name,
						 uint32_t value)
{
	struct dmabufd_sw_sync_create_fence req = { .value = value };
	int r;

	if (name)
		strncpy(req.name, name, sizeof(req.name) - 1);
	r = xioctl(timeline_fd, DMABUFD_SW_SYNC_IOC_CREATE_FENCE, &req);
	if (r < 0)
		return r;
	return dmabufd_sync_claim(req.token);
}

DMABUFD_EXPORT int dmabufd_timeline_inc(int timeline_fd, uint32_t count)
{
	return xioctl(timeline_fd, SW_SYNC_IOC_INC, &count);
}

DMABUFD_EXPORT int dmabufd_timeline_get_deadline(int timeline_fd, int sync_fd,
						 uint64_t *ret_deadline_ns)
{
	struct dmabufd_sw_sync_get_deadline req = { 0 };
	int r;

	if (!ret_deadline_ns)
		return -EINVAL;
	uint64_t token;

	/* Not a sync_file: token 0, EINVAL from a timeline. */
	r = dmabufd_fd_arg_token(sync_fd, &token);
	if (r < 0)
		return r;
	req.token = token;
	r = xioctl(timeline_fd, DMABUFD_SW_SYNC_IOC_GET_DEADLINE, &req);
	if (r < 0)
		return r;
	*ret_deadline_ns = req.deadline_ns;
	return 0;
}
