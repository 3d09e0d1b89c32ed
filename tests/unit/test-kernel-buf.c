/* SPDX-License-Identifier: MIT */
/*
 * daemon/kernel_buf.c with the kernel replaced: UDMABUF_CREATE gives a
 * pipe, and the count of the kernel dma-buf's other holders is a number
 * the test sets. The real kernel's side is tests/vm/kinterop.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <uv.h>

#include "kernel_buf.h"
#include "model/acct.h"
#include "model/dma_buf.h"

static uv_loop_t loop;
static int holders;       /* what fake_holders answers */
static int create_result; /* 0: a pipe; else this error */
static uint64_t created_size;
static bool released;
static int memfd = -1;    /* the exporter's: a pipe end stands in */
static int pipe_ends[2];

static int fake_create(int fd, uint64_t size)
{
	int p[2];

	if (create_result)
		return create_result;
	if (fd != memfd)
		return -EBADF;
	created_size = size;
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	close(p[1]);
	return p[0];
}

static int fake_holders(int fd)
{
	return holders;
}

static const struct kernel_buf_ops fake_ops = {
	.create = fake_create,
	.holders = fake_holders,
};

static int exp_map(struct dma_buf_attachment *att, enum dma_data_direction dir,
		   struct dma_buf_sgt **ret_sgt)
{
	return -ENOSYS;
}

static void exp_unmap(struct dma_buf_attachment *att, struct dma_buf_sgt *sgt,
		      enum dma_data_direction dir)
{
}

static void exp_release(struct dma_buf *buf)
{
	released = true;
}

static int exp_get_memfd(struct dma_buf *buf)
{
	return memfd;
}

static const struct dma_buf_ops memfd_ops = {
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.release = exp_release,
	.get_memfd = exp_get_memfd,
};

static const struct dma_buf_ops no_memfd_ops = {
	.map_dma_buf = exp_map,
	.unmap_dma_buf = exp_unmap,
	.release = exp_release,
};

static struct dma_buf *buf_new(const struct dma_buf_ops *ops)
{
	static int priv;
	struct dma_buf *buf = NULL;

	assert_int_equal(dma_buf_export(&(struct dma_buf_export_info){
						 .exp_name = "test",
						 .ops = ops,
						 .size = 8192,
						 .flags = O_RDWR,
						 .priv = &priv,
					 },
					 &buf),
			 0);
	return buf;
}

static int setup(void **state)
{
	holders = 1;
	create_result = 0;
	created_size = 0;
	released = false;
	assert_int_equal(pipe2(pipe_ends, O_CLOEXEC), 0);
	memfd = pipe_ends[0];
	assert_int_equal(uv_loop_init(&loop), 0);
	kernel_buf_start(&loop, &fake_ops);
	return 0;
}

static int teardown(void **state)
{
	kernel_buf_stop();
	assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	close(pipe_ends[0]);
	close(pipe_ends[1]);
	return 0;
}

static void export_holds_the_buffer_until_no_other_holder(void **state)
{
	struct dma_buf *buf = buf_new(&memfd_ops);
	int fd = -1;

	assert_int_equal(kernel_buf_export(buf, 1000, &fd), 0);
	assert_true(fd >= 0);
	assert_int_equal(created_size, 8192);
	assert_int_equal(kernel_buf_exports(), 1);
	dma_buf_unref(buf);
	close(fd);
	holders = 1; /* an importer still holds the kernel dma-buf */
	kernel_buf_sweep();
	assert_false(released);
	assert_int_equal(kernel_buf_exports(), 1);
	holders = 0;
	kernel_buf_sweep();
	assert_true(released);
	assert_int_equal(kernel_buf_exports(), 0);
}

static void buffer_is_marked_exported_while_its_export_lives(void **state)
{
	struct dma_buf *buf = buf_new(&memfd_ops);
	int a = -1;

	assert_false(buf->kernel_exported);
	assert_int_equal(kernel_buf_export(buf, 1000, &a), 0);
	assert_true(buf->kernel_exported);
	close(a);
	holders = 1;
	kernel_buf_sweep();
	assert_true(buf->kernel_exported);
	holders = 0;
	dma_buf_ref(buf);
	kernel_buf_sweep();
	assert_int_equal(kernel_buf_exports(), 0);
	assert_false(buf->kernel_exported);
	dma_buf_unref(buf);
}

/* As the kernel: one dma-buf per buffer, whoever asks how often. */
static void export_again_gives_the_same_kernel_dma_buf_at_no_charge(void **state)
{
	struct dma_buf *buf = buf_new(&memfd_ops);
	struct acct *acct = NULL;
	struct stat sa, sb;
	int a = -1, b = -1;

	assert_int_equal(acct_get(1000, &acct), 0);
	assert_int_equal(kernel_buf_export(buf, 1000, &a), 0);
	created_size = 0;
	assert_int_equal(kernel_buf_export(buf, 1000, &b), 0);
	assert_int_equal(created_size, 0); /* no UDMABUF_CREATE */
	assert_int_not_equal(a, b);
	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_true(sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino);
	assert_int_equal(kernel_buf_exports(), 1);
	assert_int_equal(acct->used[ACCT_FILES], 1);
	close(a);
	close(b);
	dma_buf_unref(buf);
	holders = 0;
	kernel_buf_sweep();
	assert_int_equal(kernel_buf_exports(), 0);
	assert_int_equal(acct->used[ACCT_FILES], 0);
	acct_unref(acct);
}

static void export_is_charged_one_file_while_it_lives(void **state)
{
	struct dma_buf *buf = buf_new(&memfd_ops);
	struct acct *acct = NULL;
	uint64_t before;
	int fd = -1;

	assert_int_equal(acct_get(1000, &acct), 0);
	before = acct->used[ACCT_FILES];
	assert_int_equal(kernel_buf_export(buf, 1000, &fd), 0);
	assert_int_equal(acct->used[ACCT_FILES], before + 1);
	close(fd);
	dma_buf_unref(buf);
	holders = 0;
	kernel_buf_sweep();
	assert_int_equal(acct->used[ACCT_FILES], before);
	acct_unref(acct);
}

static void export_is_kept_when_the_kernel_shows_no_count(void **state)
{
	struct dma_buf *buf = buf_new(&memfd_ops);
	int fd = -1;

	assert_int_equal(kernel_buf_export(buf, 1000, &fd), 0);
	close(fd);
	dma_buf_unref(buf);
	holders = -EOPNOTSUPP;
	kernel_buf_sweep();
	kernel_buf_sweep();
	assert_false(released);
	kernel_buf_stop();
	assert_true(released);
}

static void export_without_udmabuf_is_eopnotsupp_and_holds_nothing(void **state)
{
	struct dma_buf *buf = buf_new(&memfd_ops);
	int fd = -1;

	create_result = -EOPNOTSUPP;
	assert_int_equal(kernel_buf_export(buf, 1000, &fd), -EOPNOTSUPP);
	assert_int_equal(fd, -1);
	assert_int_equal(kernel_buf_exports(), 0);
	dma_buf_unref(buf);
	assert_true(released);
}

static void export_of_a_buffer_without_memfd_is_enodev(void **state)
{
	struct dma_buf *buf = buf_new(&no_memfd_ops);
	int fd = -1;

	assert_int_equal(kernel_buf_export(buf, 1000, &fd), -ENODEV);
	assert_int_equal(kernel_buf_exports(), 0);
	dma_buf_unref(buf);
	assert_true(released);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(export_holds_the_buffer_until_no_other_holder),
		T(export_is_charged_one_file_while_it_lives),
		T(export_is_kept_when_the_kernel_shows_no_count),
		T(export_without_udmabuf_is_eopnotsupp_and_holds_nothing),
		T(export_of_a_buffer_without_memfd_is_enodev),
		T(buffer_is_marked_exported_while_its_export_lives),
		T(export_again_gives_the_same_kernel_dma_buf_at_no_charge),
#undef T
	};

	return cmocka_run_group_tests_name("kernel-buf", tests, NULL, NULL);
}
