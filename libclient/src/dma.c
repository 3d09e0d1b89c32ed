/* SPDX-License-Identifier: MIT */
/*
 * libdmabufd: the DMA engine (proto/dmabufd/dmaengine.h). A channel is a
 * fd of the dmaengine node; a request that waits for a controller is
 * asked again for the time left when the daemon's cap on one wait ends
 * it, as dmabufd_sync_wait() does.
 */
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int copy_name(char dst[DMABUFD_DMA_NAME_LEN], const char *src)
{
	size_t len;

	if (!src)
		return -EINVAL;
	len = strlen(src);
	if (len == 0 || len >= DMABUFD_DMA_NAME_LEN)
		return -EINVAL;
	memcpy(dst, src, len + 1);
	return 0;
}

static int request(struct dmabufd_dma_request *req, int timeout_ms,
		   struct dmabufd_dma_chan_info *ret_info)
{
	const struct dmabufd_dma_request in = *req;
	int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	int fd, r;

	fd = dmabufd_open_node(DMABUFD_NODE_DMAENGINE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fd;
	for (;;) {
		int64_t left = timeout_ms < 0 ? INT32_MAX : deadline - mono_ms();

		*req = in;
		req->timeout_ms = timeout_ms == 0 || left <= 0 ? 0
				  : left > INT32_MAX ? INT32_MAX
						     : (uint32_t)left;
		r = xioctl(fd, DMABUFD_DMA_IOC_REQUEST_CHAN, req);
		if (r == 0 || timeout_ms == 0)
			break;
		/* Interrupted, or the daemon's cap on one wait ended it:
		 * ask again while time is left. */
		if (r != -EINTR && r != -EAGAIN &&
		    !(r == -ENODEV && in.how == DMABUFD_DMA_REQ_BY_CHAN))
			break;
		if (timeout_ms > 0 && deadline - mono_ms() <= 0)
			break;
	}
	if (r < 0) {
		dmabufd_close_quiet(fd);
		return r;
	}
	/* The number may have been a channel's before. */
	dmabufd_dma_status_forget(fd);
	if (ret_info) {
		memset(ret_info, 0, sizeof(*ret_info));
		ret_info->chan_id = req->chan_id;
		ret_info->caps = req->caps;
		memcpy(ret_info->name, req->name, sizeof(ret_info->name));
		memcpy(ret_info->device, req->device, sizeof(ret_info->device));
		ret_info->name[sizeof(ret_info->name) - 1] = '\0';
		ret_info->device[sizeof(ret_info->device) - 1] = '\0';
	}
	return fd;
}

DMABUFD_EXPORT int dmabufd_dma_request_chan(const char *consumer, const char *name,
					    int timeout_ms,
					    struct dmabufd_dma_chan_info *ret_info)
{
	struct dmabufd_dma_request req = { .how = DMABUFD_DMA_REQ_BY_NAME };

	if (copy_name(req.consumer, consumer) < 0 || copy_name(req.name, name) < 0)
		return -EINVAL;
	return request(&req, timeout_ms, ret_info);
}

DMABUFD_EXPORT int dmabufd_dma_request_chan_by_cap(uint32_t cap_mask, int timeout_ms,
						   struct dmabufd_dma_chan_info *ret_info)
{
	struct dmabufd_dma_request req = {
		.how = DMABUFD_DMA_REQ_BY_CAP,
		.cap_mask = cap_mask,
	};

	if (!cap_mask)
		return -EINVAL;
	return request(&req, timeout_ms, ret_info);
}

DMABUFD_EXPORT int dmabufd_dma_request_chan_by_name(const char *chan_name, int timeout_ms,
						    struct dmabufd_dma_chan_info *ret_info)
{
	struct dmabufd_dma_request req = { .how = DMABUFD_DMA_REQ_BY_CHAN };

	if (copy_name(req.name, chan_name) < 0)
		return -EINVAL;
	return request(&req, timeout_ms, ret_info);
}

DMABUFD_EXPORT int dmabufd_dma_caps(int chan_fd, struct dmabufd_dma_caps *ret_caps)
{
	struct dmabufd_dma_caps caps;
	int r;

	if (!ret_caps)
		return -EINVAL;
	r = xioctl(chan_fd, DMABUFD_DMA_IOC_CAPS, &caps);
	if (r < 0)
		return r;
	*ret_caps = caps;
	return 0;
}

DMABUFD_EXPORT int dmabufd_dma_slave_config(int chan_fd,
					    const struct dmabufd_dma_slave_config *cfg)
{
	struct dmabufd_dma_slave_config c;

	if (!cfg)
		return -EINVAL;
	c = *cfg;
	return xioctl(chan_fd, DMABUFD_DMA_IOC_SLAVE_CONFIG, &c);
}

DMABUFD_EXPORT int dmabufd_dma_attach(int chan_fd, int buf_fd, uint64_t *ret_size)
{
	struct dmabufd_dma_attach att = { 0 };
	uint64_t token;
	int r;

	r = dmabufd_export_token(buf_fd, &token);
	if (r == -EBADFD || r == -ENOTTY || r == -EBADF)
		return -EINVAL; /* not a dma-buf */
	if (r < 0)
		return r;
	/* An unused token dies with buf_fd or when it expires. */
	att.token = token;
	r = xioctl(chan_fd, DMABUFD_DMA_IOC_ATTACH, &att);
	if (r < 0)
		return r;
	if (att.attach_id == 0 || att.attach_id > INT32_MAX)
		return -EPROTO;
	if (ret_size)
		*ret_size = att.size;
	return (int)att.attach_id;
}

DMABUFD_EXPORT int dmabufd_dma_detach(int chan_fd, uint32_t attach_id)
{
	struct dmabufd_dma_attach att = { .attach_id = attach_id };

	return xioctl(chan_fd, DMABUFD_DMA_IOC_DETACH, &att);
}

/* PREP with SUBMIT and ISSUE: returns the cookie or -errno. */
static int32_t prep_issue(int chan_fd, struct dmabufd_dma_prep *prep, unsigned int flags)
{
	int r;

	if (flags & ~(unsigned int)DMABUFD_DMA_PREP_INTERRUPT)
		return -EINVAL;
	prep->flags = flags | DMABUFD_DMA_PREP_SUBMIT | DMABUFD_DMA_PREP_ISSUE;
	prep->nsegs = 1;
	r = xioctl(chan_fd, DMABUFD_DMA_IOC_PREP, prep);
	if (r < 0)
		return r;
	return prep->cookie > 0 ? prep->cookie : -EPROTO;
}

DMABUFD_EXPORT int32_t dmabufd_dma_memcpy(int chan_fd, uint32_t dst_id, uint64_t dst_off,
					  uint32_t src_id, uint64_t src_off, uint64_t len,
					  unsigned int flags)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_MEMCPY,
		.direction = DMABUFD_DMA_MEM_TO_MEM,
		.src = { .attach_id = src_id, .offset = src_off, .len = len },
		.segs[0] = { .attach_id = dst_id, .offset = dst_off, .len = len },
	};

	return prep_issue(chan_fd, &prep, flags);
}

DMABUFD_EXPORT int32_t dmabufd_dma_slave(int chan_fd, uint32_t attach_id, uint64_t off,
					 uint64_t len, unsigned int direction,
					 unsigned int flags)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_SLAVE,
		.direction = direction,
		.segs[0] = { .attach_id = attach_id, .offset = off, .len = len },
	};

	return prep_issue(chan_fd, &prep, flags);
}

DMABUFD_EXPORT int32_t dmabufd_dma_cyclic(int chan_fd, uint32_t attach_id, uint64_t off,
					  uint64_t buf_len, uint64_t period_len,
					  unsigned int direction, unsigned int flags)
{
	struct dmabufd_dma_prep prep = {
		.type = DMABUFD_DMA_CYCLIC,
		.direction = direction,
		.segs[0] = { .attach_id = attach_id, .offset = off, .len = buf_len },
		.period_len = period_len,
	};

	return prep_issue(chan_fd, &prep, flags);
}

DMABUFD_EXPORT int dmabufd_dma_prep(int chan_fd, struct dmabufd_dma_prep *prep)
{
	if (!prep)
		return -EINVAL;
	return xioctl(chan_fd, DMABUFD_DMA_IOC_PREP, prep);
}

DMABUFD_EXPORT int32_t dmabufd_dma_submit(int chan_fd, uint32_t desc_id)
{
	struct dmabufd_dma_submit sub = { .desc_id = desc_id };
	int r = xioctl(chan_fd, DMABUFD_DMA_IOC_SUBMIT, &sub);

	if (r < 0)
		return r;
	return sub.cookie > 0 ? sub.cookie : -EPROTO;
}

DMABUFD_EXPORT int dmabufd_dma_issue_pending(int chan_fd)
{
	return ioctl(chan_fd, DMABUFD_DMA_IOC_ISSUE_PENDING) < 0 ? -errno : 0;
}

DMABUFD_EXPORT int dmabufd_dma_tx_status(int chan_fd, int32_t cookie,
					 struct dmabufd_dma_tx_status *ret_status)
{
	struct dmabufd_dma_tx_status st = { .cookie = cookie };
	int r;

	if (cookie < 1)
		return -EINVAL;
	/* Always the ioctl: the daemon knows which channel this fd is. The
	 * status page (dmabufd_dma_tx_status_page()) answers without a round
	 * trip, but by fd number, which another channel fd may have taken. */
	r = xioctl(chan_fd, DMABUFD_DMA_IOC_TX_STATUS, &st);
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = st;
	return (int)st.status;
}

DMABUFD_EXPORT int dmabufd_dma_fence(int chan_fd, int32_t cookie)
{
	struct dmabufd_dma_fence f = { .cookie = cookie };
	int r = xioctl(chan_fd, DMABUFD_DMA_IOC_FENCE, &f);

	if (r < 0)
		return r;
	return dmabufd_sync_claim(f.token);
}

DMABUFD_EXPORT int dmabufd_dma_wait(int chan_fd, int32_t cookie, int timeout_ms)
{
	const int64_t forever = INT64_C(3600) * 1000000000;
	int64_t deadline = timeout_ms < 0 ? 0 : now_ns() + (int64_t)timeout_ms * 1000000;
	struct dmabufd_dma_wait w;
	int r;

	for (;;) {
		int64_t left = timeout_ms < 0 ? forever : deadline - now_ns();

		w = (struct dmabufd_dma_wait){
			.timeout_ns = left < 0 ? 0 : left,
			.status.cookie = cookie,
		};
		r = xioctl(chan_fd, DMABUFD_DMA_IOC_WAIT, &w);
		if (r == -EINTR || r == -EAGAIN)
			continue;
		/* The daemon caps every wait: a longer one asks again. */
		if (r == -ETIME && (timeout_ms < 0 || deadline - now_ns() > 0))
			continue;
		if (r < 0)
			return r;
		if (w.status.status == DMABUFD_DMA_COMPLETE)
			return 0;
		return w.status.error < 0 ? w.status.error : -EIO;
	}
}

static int control(int chan_fd, uint32_t op, uint32_t arg)
{
	struct dmabufd_dma_control c = { .op = op, .arg = arg };

	return xioctl(chan_fd, DMABUFD_DMA_IOC_CONTROL, &c);
}

DMABUFD_EXPORT int dmabufd_dma_pause(int chan_fd)
{
	return control(chan_fd, DMABUFD_DMA_PAUSE, 0);
}

DMABUFD_EXPORT int dmabufd_dma_resume(int chan_fd)
{
	return control(chan_fd, DMABUFD_DMA_RESUME, 0);
}

DMABUFD_EXPORT int dmabufd_dma_terminate(int chan_fd)
{
	return control(chan_fd, DMABUFD_DMA_TERMINATE, 0);
}

DMABUFD_EXPORT int dmabufd_dma_synchronize(int chan_fd)
{
	return control(chan_fd, DMABUFD_DMA_SYNCHRONIZE, 0);
}

DMABUFD_EXPORT int dmabufd_dma_set_timeout(int chan_fd, uint32_t timeout_ms)
{
	return control(chan_fd, DMABUFD_DMA_SET_TIMEOUT, timeout_ms);
}

DMABUFD_EXPORT int dmabufd_dma_events(int chan_fd, struct dmabufd_dma_event *ret_events,
				      unsigned int max, uint32_t *ret_lost)
{
	struct dmabufd_dma_events ev;
	int r;

	if (!ret_events || max == 0)
		return -EINVAL;
	memset(&ev, 0, sizeof(ev));
	ev.count = max < DMABUFD_DMA_MAX_EVENTS ? max : DMABUFD_DMA_MAX_EVENTS;
	r = xioctl(chan_fd, DMABUFD_DMA_IOC_EVENTS, &ev);
	if (r < 0)
		return r;
	if (ev.count > max)
		return -EPROTO;
	memcpy(ret_events, ev.events, ev.count * sizeof(ev.events[0]));
	if (ret_lost)
		*ret_lost = ev.lost;
	return (int)ev.count;
}
