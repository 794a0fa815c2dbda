/*
 * sec-hrtget.c — HRTGET: the table and its header, short buffers, bad pointers, and which
 * argument is checked first.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	HRTLCT_ROWS(X, HRTGET, "hrtget") \
	/* id                       name                       documented    2.6.18        2.4           compat32 */ \
	X(HRTGET_OK,               "hrtget.ok",               OK,           OK,           OK,           SKIP,        "HRTGET with a large buffer") \
	X(HRTGET_HEADER,           "hrtget.header",           HOLDS,        HOLDS,        HOLDS,        SKIP,        "HRT NumberEntries x EntryLength x 4 + 8 == *reslen") \
	X(HRTGET_UNWRITTEN,        "hrtget.unwritten",        HOLDS,        HOLDS,        HOLDS,        SKIP,        "HRT bytes past the kernel driver's short buffer are the fill 0xA5 (kernels), else the IOP's") \
	X(HRTGET_ORDER,            "hrtget.order",            ERR(EFAULT),  ERR(EFAULT),  ERR(EFAULT),  ERR(EINVAL), "HRTGET resbuf NULL and no IOP: the resbuf check comes first")
DEFINE_ROWS(ROWS);

static const struct hrtlct_kind hrt = HRTLCT_KIND(HRTGET, "HRT", 8, 0);

static void run(void)
{
	int err, rc;
	unsigned len;

	len = hrtlct_learn(&hrt);

	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = i2o_hrtlct(g_fd, I2OHRTGET, g_iop, g_res, &g_u32[0], &err);
	if (check_rc(&rows[HRTGET_OK], NULL, rc, err) == 1) {
		unsigned got = g_u32[0] > BIG ? BIG : g_u32[0];
		unsigned n = le16(g_res), el = g_res[2];
		check_true(&rows[HRTGET_HEADER], NULL, got >= 8 && n * el * 4 + 8 == g_u32[0] && (!len || len == g_u32[0]),
			   "expected NumberEntries %u x EntryLength %u x 4 + 8 = %u == *reslen == learnt length %u, got *reslen %u",
			   n, el, n * el * 4 + 8, len, g_u32[0]);
		hrtlct_tail(&hrt, got);
		/* docs/kernels.md §HRTGET: the kernels' HRT buffer holds max(24, n x el x 4) bytes of the
		 * 8 + n x el x 4 the IOP writes; HRTGET copies the whole length, the rest never written. */
		unsigned size = n * el * 4, buffer = size > 24 ? size : 24, full = size + 8;
		int fill = full > buffer && got == full;
		for (unsigned i = buffer; fill && i < full; i++)
			fill = g_res[i] == 0xA5;
		int want = personality() != P_DOCUMENTED && full > buffer;
		check_true(&rows[HRTGET_UNWRITTEN], NULL, fill == want, "expected bytes %u..%u %s, got %s", buffer, full,
			   want ? "0xA5 (never written)" : "the IOP's", fill ? "0xA5" : "other bytes");
		note("HRT of IOP %u: %u entries of %u words, HRTVersion %u", g_iop, n, el, g_res[3]);
		if (!len && got >= 8)
			len = got;
	} else {
		DEP_FAIL(NULL, "HRTGET failed", HRTGET_HEADER, HRTGET_TAIL, HRTGET_UNWRITTEN);
	}

	hrtlct_short1(&hrt, len);
	hrtlct_pointers(&hrt);
	g_u32[0] = BIG;
	rc = i2o_hrtlct(g_fd, I2OHRTGET, g_noiop, NULL, &g_u32[0], &err);
	check_rc(&rows[HRTGET_ORDER], NULL, rc, err);
	hrtlct_each(&hrt);
}

const struct section sec_hrtget = SECTION("hrtget", rows, run);
