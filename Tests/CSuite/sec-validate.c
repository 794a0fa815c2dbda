/*
 * sec-validate.c — VALIDATE, whose argument is the IOP number itself, not a pointer.
 */
#define _GNU_SOURCE
#include "suite.h"

enum { VALIDATE_OK, VALIDATE_NOIOP, NROWS };

static struct row rows[NROWS] = {
	/*                                       documented  2.6.18      2.4         compat32 */
	[VALIDATE_OK]    = ROW("validate.ok",    OK,         OK,         OK,         ERR(EINVAL),
		"VALIDATE with the IOP number by value"),
	[VALIDATE_NOIOP] = ROW("validate.noiop", ERR(ENXIO), ERR(ENXIO), ERR(ENXIO), ERR(EINVAL),
		"VALIDATE of an IOP number with no IOP"),
};

static void run(void)
{
	int err, rc;
	rc = i2o_ioctl(g_fd, I2OVALIDATE, (void *)(uintptr_t)g_iop, &err);
	check_rc(&rows[VALIDATE_OK], NULL, rc, err);
	rc = i2o_ioctl(g_fd, I2OVALIDATE, (void *)(uintptr_t)g_noiop, &err);
	check_rc(&rows[VALIDATE_NOIOP], NULL, rc, err);
}

const struct section sec_validate = SECTION("validate", rows, run);
