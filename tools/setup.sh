#!/usr/bin/env bash
# Install what dmabufd needs on Debian 12. Run as root. Safe to run again.
#
#   tools/setup.sh [--demo | --test] [--list]
#
# --demo   what tools/demo.sh needs: a C compiler, meson, and the daemon's
#          libraries (README.md's first command). No test tool.
# --test   everything (the default): the demo set and every test suite's
#          tools, QEMU and the armhf cross toolchain included (README.md's
#          second command, .ci/run).
# --list   print the chosen set's packages, one a line, and install nothing
#          (no root needed).
set -euo pipefail

# What tools/demo.sh needs to build dmabufd, dmabufctl and
# examples/pipeline and run them: meson.build's required dependencies.
demo_packages=(
	# build
	build-essential meson ninja-build pkg-config
	# libraries the daemon needs; fuse3 has fusermount3, which the demo
	# unmounts the FUSE fallback with
	libfuse3-dev fuse3 libuv1-dev libudev-dev
	# inih parses the configuration file (daemon/config/)
	libinih-dev
	# dmabufctl's tables (tools/dmabufctl/table.c): libsmartcols of
	# util-linux, for lsblk-style -o, -n, -r and -J
	libsmartcols-dev
)

# What the test suites, the man pages and the optional features need on
# top (tools/run-tests.sh).
test_packages=(
	# <sys/sdt.h>: the daemon's USDT probes (daemon/util/trace.h); a
	# build without it has no probes
	systemtap-sdt-dev
	# sd_notify (the service suite; the daemon builds without it)
	libsystemd-dev
	# the unit and integration suites
	libcmocka-dev
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
	# the VM suite's systemd-vm: a Debian 12 root filesystem with systemd
	# and udev, made from Debian's packages (tests/vm/mkrootfs.sh)
	mmdebstrap
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

set_name=test list=0
for arg in "$@"; do
	case $arg in
	--demo) set_name=demo ;;
	--test) set_name=test ;;
	--list) list=1 ;;
	*)
		echo "usage: setup.sh [--demo | --test] [--list]" >&2
		exit 2
		;;
	esac
done
packages=("${demo_packages[@]}")
if [ "$set_name" = test ]; then
	packages+=("${test_packages[@]}")
fi

if [ $list = 1 ]; then
	printf '%s\n' "${packages[@]}"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "setup.sh: run as root (it installs packages with apt-get)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${packages[@]}"
