// SPDX-License-Identifier: GPL-2.0
/*
 * dmabufd_udmabuf.ko's additions to drivers/dma-buf/udmabuf.c (/dev/udmabuf):
 * the namespace import, and stand-ins for what udmabuf.c calls but 6.1 does
 * not export to modules. Each stand-in answers exactly as the kernel's own
 * for a memfd of shmem (memfd_create without MFD_HUGETLB), the only file the
 * VM tests give it; where they differ it is said:
 *
 *   memfd_fcntl()          only F_GET_SEALS, only on shmem files
 *                          (shmem_mapping(), an inline): the seals kept
 *                          in the shmem inode; anything else
 *                          -EINVAL (udmabuf asks nothing else). The
 *                          kernel's asks for shmem's file operations,
 *                          not its mapping: a SysV shm segment would get
 *                          EINVAL here, EBADFD there, but it never is an
 *                          fd a process can pass
 *   is_file_shm_hugepages()  false: no SysV SHM_HUGETLB segment is ever a
 *                          memfd
 *   hugetlbfs_file_operations  an object of this module's own that no
 *                          file uses: a hugetlbfs memfd (MFD_HUGETLB) is
 *                          refused (EBADFD), where the kernel's udmabuf
 *                          accepts it
 * The licence and the init are udmabuf.c's own.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/memfd.h>
#include <linux/module.h>
#include <linux/shm.h>
#include <linux/shmem_fs.h>

long memfd_fcntl(struct file *file, unsigned int cmd, unsigned long arg)
{
	if (cmd != F_GET_SEALS || !shmem_mapping(file->f_mapping))
		return -EINVAL;
	return SHMEM_I(file_inode(file))->seals;
}

bool is_file_shm_hugepages(struct file *file)
{
	return false;
}

const struct file_operations hugetlbfs_file_operations;

MODULE_DESCRIPTION("drivers/dma-buf udmabuf, out of tree (dmabufd VM tests)");
MODULE_IMPORT_NS(DMA_BUF);
