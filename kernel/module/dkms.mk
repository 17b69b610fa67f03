# SPDX-License-Identifier: GPL-2.0
# Builds mult_mgmt.ko where its sources are (the DKMS tree of the mult-dkms
# package, /usr/src/mult-VERSION):
#
#   make -f dkms.mk KDIR=/lib/modules/<release>/build [KVER=<release>]
#
# The module needs a kernel with the mult series; against the headers of
# any other kernel it stops with a message that says so, rather than with
# the compiler's errors about a missing <linux/mult.h>. (Developers build
# it with kernel/module/Makefile, which also checks the generated code.)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
# Debian's split headers keep include/ in the common package, reached
# through build/source; bindeb-pkg's headers have it in build/ itself.
KSRC := $(if $(wildcard $(KDIR)/source/include),$(KDIR)/source,$(KDIR))
HERE := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

.PHONY: all modules clean

all modules:
	@if [ ! -f "$(KDIR)/Makefile" ]; then \
		echo "mult_mgmt: no kernel headers at $(KDIR): install the headers of kernel $(KVER)" >&2; \
		exit 1; fi
	@if [ ! -f "$(KSRC)/include/linux/mult.h" ]; then \
		echo "mult_mgmt: kernel $(KVER) has no mult series: $(KSRC)/include/linux/mult.h is missing." >&2; \
		echo "mult_mgmt: the module only builds for a kernel built with the mult patches" \
		     "(CONFIG_MULT=y), such as the linux-image package of 'make kernel-deb'." >&2; \
		exit 1; fi
	$(MAKE) -C $(KDIR) M=$(HERE) modules

clean:
	rm -rf *.o *.ko *.mod *.mod.c .*.cmd modules.order Module.symvers .tmp_versions
