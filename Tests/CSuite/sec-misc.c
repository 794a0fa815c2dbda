/*
 * sec-misc.c — ioctl numbers the device does not know.
 */
#define _GNU_SOURCE
#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id              name              documented   2.6.18       2.4          compat32 */ \
	X(UNKNOWN_IOCTL,  "unknown.ioctl",  ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), "_IO('i', 99)") \
	X(UNKNOWN_IOCTL2, "unknown.ioctl2", ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), "_IOWR('i', 13, int)")
DEFINE_ROWS(ROWS);

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
