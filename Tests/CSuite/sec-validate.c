/*
 * sec-validate.c — VALIDATE, whose argument is the IOP number itself, not a pointer.
 */
#define _GNU_SOURCE
#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id              name              documented  2.6.18      2.4         compat32 */ \
	X(VALIDATE_OK,    "validate.ok",    OK,         OK,         OK,         ERR(EINVAL), "VALIDATE with the IOP number by value") \
	X(VALIDATE_NOIOP, "validate.noiop", ERR(ENXIO), ERR(ENXIO), ERR(ENXIO), ERR(EINVAL), "VALIDATE of an IOP number with no IOP")
DEFINE_ROWS(ROWS);

static void run(void)
{
	int err, rc;
	rc = i2o_ioctl(g_fd, I2OVALIDATE, (void *)(uintptr_t)g_iop, &err);
	check_rc(&rows[VALIDATE_OK], NULL, rc, err);
	rc = i2o_ioctl(g_fd, I2OVALIDATE, (void *)(uintptr_t)g_noiop, &err);
	check_rc(&rows[VALIDATE_NOIOP], NULL, rc, err);
}

const struct section sec_validate = SECTION("validate", rows, run);
