/*
 * sec-validate.c — VALIDATE, whose argument is the IOP number itself, not a pointer.
 */
#define _GNU_SOURCE
#include "suite.h"

enum { VALIDATE_OK, VALIDATE_NOIOP, NROWS };

static struct row rows[NROWS] = {
	[VALIDATE_OK] = { "validate.ok",
		{ DOC = OK, K18 = OK, K24 = OK, K18C = ERR(EINVAL) },
		"VALIDATE with the IOP number by value" },
	[VALIDATE_NOIOP] = { "validate.noiop",
		{ DOC = ERR(ENXIO), K18 = ERR(ENXIO), K24 = ERR(ENXIO), K18C = ERR(EINVAL) },
		"VALIDATE of an IOP number with no IOP" },
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
