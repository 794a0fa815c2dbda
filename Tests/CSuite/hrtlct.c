/*
 * hrtlct.c — the checks HRTGET and LCTGET share (struct hrtlct_kind in suite.h): learning the
 * length with a short buffer, a buffer one byte short, bad pointers, and every IOP.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "suite.h"

unsigned hrtlct_learn(const struct hrtlct_kind *k)
{
	int err, rc;
	unsigned len = 0;
	char why[64];
	fill(g_res, BIG);
	g_u32[0] = 4;
	rc = i2o_hrtlct(g_fd, k->req, g_iop, g_res, &g_u32[0], &err);
	if (check_rc(k->rows.short4, NULL, rc, err) == 1) {
		len = g_u32[0];
		check_true(k->rows.short4_reslen, NULL,
			   len >= k->minlen && (!k->mult4 || len % 4 == 0) && len <= BIG,
			   "expected a length >= %u%s, got %u", k->minlen, k->mult4 ? ", multiple of 4" : "", len);
		long t = touched(g_res, 0, BIG);
		check_true(k->rows.short4_untouched, NULL, t < 0, "expected resbuf untouched, got byte %ld written", t);
		if (len < k->minlen || len > BIG)
			len = 0;
	} else {
		snprintf(why, sizeof why, "short %s did not give ENOBUFS", k->ioctl);
		dep_fail(k->rows.short4_reslen, NULL, why);
		dep_fail(k->rows.short4_untouched, NULL, why);
	}
	return len;
}

void hrtlct_tail(const struct hrtlct_kind *k, unsigned got)
{
	long t = touched(g_res, got, BIG);
	check_true(k->rows.tail, NULL, t < 0, "expected nothing past %u written, got byte %ld", got, t);
}

void hrtlct_short1(const struct hrtlct_kind *k, unsigned len)
{
	int err, rc;
	char why[64];
	if (len) {
		fill(g_res, BIG);
		g_u32[0] = len - 1;
		rc = i2o_hrtlct(g_fd, k->req, g_iop, g_res, &g_u32[0], &err);
		snprintf(why, sizeof why, "%s length-1 did not give ENOBUFS", k->ioctl);
		check_short(k->rows.short1, k->rows.short1_untouched, NULL, rc, err, g_res, g_u32[0], len, why);
	} else {
		snprintf(why, sizeof why, "%s length unknown", k->table);
		dep_fail(k->rows.short1, NULL, why);
		dep_fail(k->rows.short1_untouched, NULL, why);
	}
}

void hrtlct_pointers(const struct hrtlct_kind *k)
{
	int err, rc;
	g_u32[0] = BIG;
	rc = i2o_hrtlct(g_fd, k->req, g_iop, NULL, &g_u32[0], &err);
	check_rc(k->rows.nullbuf, NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		g_u32[0] = BIG;
		rc = i2o_hrtlct(g_fd, k->req, g_iop, bad_ptr(i), &g_u32[0], &err);
		check_rc(k->rows.badbuf, bad_names[i], rc, err);
		rc = i2o_hrtlct(g_fd, k->req, g_iop, g_res, bad_ptr(i), &err);
		check_rc(k->rows.badreslen, bad_names[i], rc, err);
		rc = i2o_ioctl(g_fd, k->req, bad_ptr(i), &err);
		check_rc(k->rows.badstruct, bad_names[i], rc, err);
	}
	g_u32[0] = BIG;
	rc = i2o_hrtlct(g_fd, k->req, g_noiop, g_res, &g_u32[0], &err);
	check_rc(k->rows.noiop, NULL, rc, err);
}

void hrtlct_each(const struct hrtlct_kind *k)
{
	int err, rc;
	quiet_skip(k->rows.each);	/* a check per IOP found: none when GETIOPS failed or found none */
	if (!g_have_iops)
		return;
	for (unsigned u = 0; u < MAX_I2O_CONTROLLERS; u++) {
		if (g_iops[u] != 1)
			continue;
		char sfx[16];
		snprintf(sfx, sizeof sfx, "iop%u", u);
		g_u32[0] = BIG;
		rc = i2o_hrtlct(g_fd, k->req, u, g_res, &g_u32[0], &err);
		check_rc(k->rows.each, sfx, rc, err);
	}
}
