# mult for Linux: one entry point for everything.
#
#   make demo    boot the patched kernel in QEMU and show an instance at work
#   make check   build everything, run every test (guest and host), exit non-zero on failure
#
# Both install what they need (make deps) and build what is missing; a second
# run only rebuilds what changed. Build output lives in build/ (git-ignored).

SHELL := /bin/bash
.DEFAULT_GOAL := help

TOP := $(CURDIR)
BUILD ?= $(TOP)/build
KSRC := $(BUILD)/linux
# debug: lockdep, KASAN, KMEMLEAK (correctness); bench: no debugging.
KCONFIG ?= debug
KOUT := $(BUILD)/kernel-$(KCONFIG)
BZIMAGE := $(KOUT)/arch/x86/boot/bzImage
INITRD := $(BUILD)/initramfs-$(KCONFIG).cpio.gz
LOGS := $(BUILD)/logs
# Hard limit for one guest run of the whole test plan.
VM_TIMEOUT ?= 2400
# QEMU accelerator for every guest boot: auto (KVM only once a probe boot
# proved it runs a guest on this machine, TCG otherwise), kvm or tcg.
export ACCEL ?= auto
# CPUs every guest is given; its test plan fails if it brings up fewer.
export VM_CPUS ?= 2
export JOBS ?= $(shell nproc)
# Debian's python3 (with python3-yaml) checks the netlink spec; a python3
# earlier in PATH (pyenv, venv) may lack it.
PYTHON3 := $(shell [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
export CCACHE_DIR ?= $(HOME)/.cache/mult-ccache
export CCACHE_MAXSIZE ?= 10G
# Absolute paths under the checkout are hashed relative to it, so a second
# clone (CI) hits the cache of the first.
export CCACHE_BASEDIR ?= $(TOP)

.PHONY: bench compare stress help deps kernel headers module userland selftests initramfs demo shell \
	check check-vm check-pipeline check-host check-systemd export-patches checkpatch patch-stats check-series clean distclean

help:
	@echo "make demo          boot the patched kernel in QEMU and show instances working; last, the"
	@echo "                   ssh scenario under systemd on the systemd guest (DEMO_SSH=0 skips it)"
	@echo "make check         build everything and run every test (what CI runs)"
	@echo "                   (every guest boot: ACCEL=auto|kvm|tcg, VM_CPUS=2)"
	@echo "make shell         interactive guest on the serial console (leave with 'reboot -f')"
	@echo "make bench         benchmarks on the non-debug kernel (BENCH_ARGS=--quick for a short run)"
	@echo "make compare       the leak matrix: mult against pid namespaces and Landlock (docs/comparison.md)"
	@echo "make stress        stress-ng, trinity, churn, fuzzing, limits in instances on the debug kernel"
	@echo "                   (STRESS_SECONDS=60 per stressor; a short slice runs in make check)"
	@echo "make kernel        build the patched kernel (KCONFIG=debug|bench)"
	@echo "make module        build the management module"
	@echo "make userland      build libmult, instfork (host and static guest builds)"
	@echo "make install       install the tools and man pages (PREFIX=/usr/local, DESTDIR= to stage)"
	@echo "make install-module  build and install mult_mgmt.ko for the running kernel (MODULE_KDIR=)"
	@echo "make deb           Debian packages mult-tools and mult-dkms in build/deb (lintian-checked)"
	@echo "make deb-test      install them into a clean Debian 12 root (mmdebstrap) and try them"
	@echo "make kernel-deb    the patched kernel as linux-image/-headers packages (bindeb-pkg, ~1 h)"
	@echo "make selftests     build the kernel's regression selftests and mult's selftests"
	@echo "make initramfs     assemble the guest image"
	@echo "make export-patches  export build/linux commits to kernel/patches (developers)"
	@echo "make checkpatch    run scripts/checkpatch.pl --strict on the series"
	@echo "make patch-stats   count the lines the series adds and removes"
	@echo "make check-series  build every prefix of the series (each patch builds alone;"
	@echo "                   SERIES_OBJECTS=1: compile the touched objects only, seconds per patch)"
	@echo "make clean         remove build output but keep the unpacked kernel tree"

deps:
	@scripts/deps.sh

kernel: deps
	@scripts/build-kernel.sh $(BUILD) $(KCONFIG)

module: kernel
	@if [ -f kernel/module/Kbuild ]; then \
		$(MAKE) -s -C kernel/module KDIR=$(KOUT) OUT=$(BUILD)/module PYTHON=$(PYTHON3); \
	else echo "[module] no management module in this tree yet"; fi

userland: deps
	@scripts/build-userland.sh $(BUILD)

selftests: kernel
	@scripts/build-selftests.sh $(BUILD) $(KCONFIG)

initramfs: kernel module userland selftests
	@tests/vm/mkinitramfs.sh $(BUILD) $(INITRD)

# DEMO_SSH=0: without the last chapter, the ssh scenario on the systemd guest
# (its Debian root is built with mmdebstrap on first use, cached in build/svc).
export DEMO_SSH ?= 1
demo: initramfs
	@scripts/demo.sh $(BUILD) $(BZIMAGE) $(INITRD) $(LOGS)/demo

shell: initramfs
	@tests/vm/run-qemu.sh $(BZIMAGE) $(INITRD) shell $(LOGS)/shell 0

check-vm: initramfs
	@tests/vm/run-qemu.sh $(BZIMAGE) $(INITRD) check $(LOGS)/check $(VM_TIMEOUT)
	@tests/vm/summarize.py $(LOGS)/check tests/vm/xfail.txt | tee $(LOGS)/check/summary.txt; \
		exit $${PIPESTATUS[0]}

check-pipeline: kernel
	@scripts/check-pipeline.sh $(BUILD) $(KCONFIG) $(LOGS)/pipeline

check-host: userland
	@scripts/check-host.sh $(BUILD) $(LOGS)/host

# The systemd guest (tests/vm/systemd, docs/service-instances.md): Debian 12
# with systemd and OpenSSH from mmdebstrap (cached in build/svc), services
# run as instances. Part of check.
check-systemd: module userland
	@tests/vm/systemd/check.sh $(BUILD) $(LOGS)/systemd

check: deps
	@scripts/check.sh

# Benchmarks: the kernel without debugging, one boot, variants interleaved;
# results in build/bench/, tables in docs/performance.md. Never part of check.
bench:
	@scripts/deps.sh bench
	@scripts/bench.sh $(BUILD)

# The leak matrix: the same visibility probes against an instance, pid
# namespaces and a Landlock domain, one boot of the bench kernel; results in
# build/compare/, the matrix in docs/comparison.md. Never part of check.
compare: deps
	@scripts/compare.sh $(BUILD)

# The stress stage: tools nobody here wrote (stress-ng, trinity) inside
# instances, instance churn, module reload, netlink fuzzing, limits; each
# stressor followed by the kernel-report, kmemleak, nr_instances, zombie and
# canary checks. STRESS_SECONDS per stressor. Not part of check, whose guest
# plan runs a short slice of it (tests/vm/mkplan.sh).
stress: deps
	@scripts/stress.sh $(BUILD)

# Installing on a real machine (a kernel with the series, see README.md).
# `make install` puts the host build of the tools (linked against the shared
# libnl) and the man pages under $(DESTDIR)$(PREFIX): bin/, share/man/man[178]/.
# The module is separate: it must be built for the kernel that will load it.
PREFIX ?= /usr/local
DESTDIR ?=
.PHONY: install install-module
# Only the build dependencies are needed (scripts/deps.sh build: no QEMU,
# kernel source or GoogleTest), root only to install a missing one or to
# write under a PREFIX that needs it. The binaries are stripped.
install:
	@scripts/deps.sh build
	@scripts/build-userland.sh $(BUILD) tools
	@echo "[install] tools, man pages and shell completion into $(DESTDIR)$(PREFIX)"
	@set -o pipefail; for c in runtime man completion; do \
		DESTDIR="$(DESTDIR)" cmake --install $(BUILD)/userland-tools --prefix "$(PREFIX)" \
			--strip --component $$c | sed 's/^-- /[install] /' || exit 1; \
	done

# mult_mgmt.ko into $(DESTDIR)/lib/modules/<release>/extra, built against
# MODULE_KDIR: by default the running kernel's build directory (its headers
# package); MODULE_KDIR=$(KOUT) for the kernel `make kernel` built. Without
# DESTDIR, depmod runs so that `modprobe mult_mgmt` (and genetlink's
# autoload) finds it; with DESTDIR that is left to the target system.
MODULE_KDIR ?= /lib/modules/$(shell uname -r)/build
install-module:
	@kdir="$(MODULE_KDIR)"; ksrc=$$kdir; [ -d "$$kdir/source" ] && ksrc=$$kdir/source; \
	if [ ! -f "$$kdir/Makefile" ]; then \
		echo "[install] ERROR: no kernel build directory at $$kdir; install the headers of" \
		     "the kernel the module is for, or set MODULE_KDIR=" >&2; exit 1; fi; \
	if [ ! -f "$$ksrc/include/linux/mult.h" ]; then \
		echo "[install] ERROR: the kernel at $$kdir has no mult series (no include/linux/mult.h)" >&2; \
		exit 1; fi; \
	$(MAKE) -s -C kernel/module KDIR="$$(cd "$$kdir" && pwd)" OUT=$(BUILD)/module-install \
		PYTHON=$(PYTHON3) module || exit 1; \
	rel=$$(cat "$$kdir/include/config/kernel.release" 2>/dev/null || uname -r); \
	dest="$(DESTDIR)/lib/modules/$$rel/extra"; \
	install -D -m 0644 $(BUILD)/module-install/mult_mgmt.ko "$$dest/mult_mgmt.ko" || exit 1; \
	echo "[install] $$dest/mult_mgmt.ko"; \
	if [ -z "$(DESTDIR)" ]; then depmod -a "$$rel" && echo "[install] depmod -a $$rel: load it with 'modprobe mult_mgmt'"; \
	else echo "[install] DESTDIR set: run 'depmod -a $$rel' on the target system"; fi

# Debian packages (debian/): mult-tools (tools, man pages, completion) and
# mult-dkms (the module's source, built by DKMS for kernels with the mult
# series, skipped for others). deb-test installs them into a clean Debian 12
# root made by mmdebstrap and tries them there. kernel-deb is the kernel
# itself, with the kernel's bindeb-pkg on Debian's 6.12 configuration plus
# CONFIG_MULT=y, for machines that are to run it (README.md).
.PHONY: deb deb-test kernel-deb
deb:
	@scripts/deps.sh deb
	@scripts/make-deb.sh $(BUILD)

deb-test:
	@scripts/deps.sh deb
	@scripts/deb-test.sh $(BUILD)

kernel-deb:
	@scripts/deps.sh kernel-deb
	@scripts/kernel-deb.sh $(BUILD)

export-patches:
	@scripts/export-patches.sh $(KSRC)

# Patches go in on stdin: given a path git tracks, checkpatch checks the
# file as source, not as a patch. Debian's python3 runs spdxcheck (ply).
checkpatch:
	@cd $(KSRC) && rc=0; for p in $(TOP)/kernel/patches/*.patch; do \
		out=$$(PATH=/usr/bin:$$PATH scripts/checkpatch.pl --strict --terse - <$$p) || rc=1; \
		echo "$$(basename $$p): $${out:-clean}"; done; exit $$rc

patch-stats:
	@scripts/patch-stats.sh

# Each patch of the series builds on its own (bench config: also checks the
# R9 static_asserts, which need a 4-byte spinlock_t).
check-series:
	@scripts/check-series.sh $(BUILD) bench

clean:
	rm -rf $(BUILD)/kernel-* $(BUILD)/kselftest* $(BUILD)/mult-tests $(BUILD)/userland-* \
		$(BUILD)/module $(BUILD)/initramfs* $(BUILD)/pipeline $(BUILD)/bench $(BUILD)/compare $(BUILD)/logs

distclean:
	rm -rf $(BUILD)
