/*
 * sec-getiops.c — GETIOPS: the IOP table, and the choice of the IOP under test and of an IOP
 * number with no IOP.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id              name              documented   2.6.18       2.4          compat32 */ \
	X(GETIOPS_OK,     "getiops.ok",     OK,          OK,          OK,          OK,          "GETIOPS succeeds") \
	X(GETIOPS_UNIT0,  "getiops.unit0",  HOLDS,       HOLDS,       HOLDS,       HOLDS,       "GETIOPS entry 0 == 1 (IOP unit 0 exists)") \
	X(GETIOPS_VALUES, "getiops.values", HOLDS,       HOLDS,       HOLDS,       HOLDS,       "every GETIOPS entry is 0 or 1") \
	X(GETIOPS_EFAULT, "getiops.efault", ERR(EFAULT), ERR(EFAULT), ERR(EFAULT), ERR(EFAULT), "GETIOPS with a bad table pointer")
DEFINE_ROWS(ROWS);

static void run(void)
{
	int err, rc;
	memset(g_iops, 0xEE, sizeof g_iops);
	rc = i2o_ioctl(g_fd, I2OGETIOPS, g_iops, &err);
	if (check_rc(&rows[GETIOPS_OK], NULL, rc, err) == 1) {
		g_have_iops = 1;
		check_val(&rows[GETIOPS_UNIT0], NULL, g_iops[0], 1);
		int bad = -1;
		for (int i = 0; i < MAX_I2O_CONTROLLERS; i++)
			if (g_iops[i] > 1 && bad < 0)
				bad = i;
		check_true(&rows[GETIOPS_VALUES], NULL, bad < 0, "expected entries 0 or 1, got entry %d = %u",
			   bad, bad >= 0 ? g_iops[bad] : 0);
	} else {
		DEP_FAIL(NULL, "GETIOPS failed", GETIOPS_UNIT0, GETIOPS_VALUES);
	}
	for (int i = 0; i < NBAD; i++) {
		rc = i2o_ioctl(g_fd, I2OGETIOPS, bad_ptr(i), &err);
		check_rc(&rows[GETIOPS_EFAULT], bad_names[i], rc, err);
	}

	g_iop = 0;
	if (g_have_iops) {
		for (unsigned u = 0; u < MAX_I2O_CONTROLLERS; u++)
			if (g_iops[u] == 1) { g_iop = u; break; }
		char list[200] = "";
		for (unsigned u = 0; u < MAX_I2O_CONTROLLERS; u++)
			if (g_iops[u] == 1)
				snprintf(list + strlen(list), sizeof list - strlen(list), " %u", u);
		note("IOPs present:%s; testing unit %u", list, g_iop);
	}
	g_noiop = MAX_I2O_CONTROLLERS;
	for (int u = MAX_I2O_CONTROLLERS - 1; u > 0; u--)
		if (!g_have_iops || g_iops[u] == 0) { g_noiop = (unsigned)u; break; }
	note("IOP number with no IOP: %u", g_noiop);
}

const struct section sec_getiops = SECTION("getiops", rows, run);
