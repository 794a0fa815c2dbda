/*
 * sec-misc.c — ioctl numbers the device does not know.
 */
#define _GNU_SOURCE
#include "suite.h"

enum { UNKNOWN_IOCTL, UNKNOWN_IOCTL2, NROWS };

static struct row rows[NROWS] = {
	/*                                       documented   2.6.18       2.4          compat32 */
	[UNKNOWN_IOCTL]  = ROW("unknown.ioctl",  ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), ERR(EINVAL),
		"_IO('i', 99)"),
	[UNKNOWN_IOCTL2] = ROW("unknown.ioctl2", ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), ERR(EINVAL),
		"_IOWR('i', 13, int)"),
};

static void run(void)
{
	int err, rc;
	int dummy = 0;
	rc = i2o_ioctl(g_fd, _IO('i', 99), NULL, &err);
	check_rc(&rows[UNKNOWN_IOCTL], NULL, rc, err);
	rc = i2o_ioctl(g_fd, _IOWR('i', 13, int), &dummy, &err);
	check_rc(&rows[UNKNOWN_IOCTL2], NULL, rc, err);
}

const struct section sec_misc = SECTION("misc", rows, run);
