// SPDX-License-Identifier: GPL-2.0
/*
 * Pipeline self-test only: loading this module triggers a kernel WARN, which
 * must fail the guest run (guests boot with panic_on_warn=1). It proves that
 * `make check` notices kernel warnings; it is never loaded otherwise.
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init mult_warn_test_init(void)
{
	WARN(1, "mult pipeline self-test: deliberate warning\n");
	return -EINVAL;
}
module_init(mult_warn_test_init);

MODULE_DESCRIPTION("mult test pipeline self-test: trigger a WARN");
MODULE_LICENSE("GPL");
