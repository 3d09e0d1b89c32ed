#!/usr/bin/env bash
# Install everything dmabufd needs to build, run and test on Debian 12.
# Run as root. Safe to run again.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config
	# <sys/sdt.h>: the daemon's USDT probes (daemon/util/trace.h); a
	# build without it has no probes
	systemtap-sdt-dev
	# libraries the daemon and tests use
	libfuse3-dev fuse3 libuv1-dev libudev-dev libsystemd-dev libcmocka-dev
	# inih parses the configuration file (daemon/config/)
	libinih-dev
	# dmabufctl's tables (tools/dmabufctl/table.c): libsmartcols of
	# util-linux, for lsblk-style -o, -n, -r and -J
	libsmartcols-dev
	# the man pages (man/*.scd); a build without it installs none
	scdoc
	# test tools
	valgrind python3
	# the fuzz suite (tests/fuzz): clang with libFuzzer and the
	# sanitizer runtimes (-fsanitize=fuzzer,address,undefined)
	clang libclang-rt-14-dev
	# the service suite: systemd-analyze verify of the unit, the tmpfiles
	# entry (systemd), udevd's rules parser (udevadm, in udev)
	systemd udev
	# the VM suite: Debian's own kernel under QEMU (TCG)
	qemu-system-x86 busybox-static cpio
	# the VM suite's kbench-smoke: the kernel's own dma-heap and sw_sync
	# built as modules from Debian's linux-source (tests/vm/
	# fetch-kernel-src.sh; gcc-12, make and strip come with
	# build-essential); xz unpacks the source tarball
	xz-utils
	# the armhf cross build, unit suite under qemu-user (tools/cross-test.sh):
	# amd64 packages only. The armhf libraries go to a private sysroot
	# (tools/cross-sysroot.sh), never into the system: no
	# `dpkg --add-architecture armhf` here.
	gcc-arm-linux-gnueabihf libc6-dev-armhf-cross qemu-user
)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run as root (it installs packages with apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
