/*
 * sec-hrtget.c — HRTGET: the table and its header, short buffers, bad pointers, and which
 * argument is checked first.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id                       name                       documented    2.6.18        2.4           compat32 */ \
	X(HRTGET_SHORT,            "hrtget.short",            ERR(ENOBUFS), ERR(ENOBUFS), ERR(ENOBUFS), ERR(EINVAL), "HRTGET with *reslen 4") \
	X(HRTGET_SHORT_RESLEN,     "hrtget.short.reslen",     HOLDS,        HOLDS,        HOLDS,        SKIP,        "HRTGET short: the needed length is written to *reslen") \
	X(HRTGET_SHORT_UNTOUCHED,  "hrtget.short.untouched",  HOLDS,        SKIP,         SKIP,         SKIP,        "HRTGET short: nothing copied to resbuf") \
	X(HRTGET_OK,               "hrtget.ok",               OK,           OK,           OK,           SKIP,        "HRTGET with a large buffer") \
	X(HRTGET_HEADER,           "hrtget.header",           HOLDS,        HOLDS,        HOLDS,        SKIP,        "HRT NumberEntries x EntryLength x 4 + 8 == *reslen") \
	X(HRTGET_TAIL,             "hrtget.tail",             HOLDS,        HOLDS,        HOLDS,        SKIP,        "HRTGET: bytes after *reslen untouched") \
	X(HRTGET_UNWRITTEN,        "hrtget.unwritten",        HOLDS,        HOLDS,        HOLDS,        SKIP,        "HRT bytes past the kernel driver's short buffer are the fill 0xA5 (kernels), else the IOP's") \
	X(HRTGET_SHORT1,           "hrtget.short1",           ERR(ENOBUFS), ERR(ENOBUFS), ERR(ENOBUFS), SKIP,        "HRTGET with *reslen = length - 1") \
	X(HRTGET_SHORT1_UNTOUCHED, "hrtget.short1.untouched", HOLDS,        SKIP,         SKIP,         SKIP,        "HRTGET length-1: nothing copied, length written") \
	X(HRTGET_NULLBUF,          "hrtget.nullbuf",          ERR(EFAULT),  ERR(EFAULT),  ERR(EFAULT),  ERR(EINVAL), "HRTGET with resbuf NULL") \
	X(HRTGET_BADBUF,           "hrtget.badbuf",           ERR(EFAULT),  ERR(EFAULT),  ERR(EFAULT),  ERR(EINVAL), "HRTGET with a bad resbuf") \
	X(HRTGET_BADRESLEN,        "hrtget.badreslen",        ERR(EFAULT),  ERR(EFAULT),  ERR(EFAULT),  ERR(EINVAL), "HRTGET with a bad reslen pointer") \
	X(HRTGET_NOIOP,            "hrtget.noiop",            ERR(ENXIO),   ERR(ENXIO),   ERR(ENXIO),   ERR(EINVAL), "HRTGET on an IOP number with no IOP") \
	X(HRTGET_BADSTRUCT,        "hrtget.badstruct",        ERR(EFAULT),  ERR(EFAULT),  ERR(EFAULT),  ERR(EINVAL), "HRTGET with a bad struct pointer") \
	X(HRTGET_ORDER,            "hrtget.order",            ERR(EFAULT),  ERR(EFAULT),  ERR(EFAULT),  ERR(EINVAL), "HRTGET resbuf NULL and no IOP: the resbuf check comes first") \
	X(HRTGET_EACH,             "hrtget.each",             OK,           OK,           OK,           ERR(EINVAL), "HRTGET on every IOP GETIOPS reports")
DEFINE_ROWS(ROWS);

static const struct hrtlct_kind hrt = {
	I2OHRTGET, "HRTGET", "HRT", 8, 0,
	{
		&rows[HRTGET_SHORT], &rows[HRTGET_SHORT_RESLEN], &rows[HRTGET_SHORT_UNTOUCHED],
		&rows[HRTGET_SHORT1], &rows[HRTGET_SHORT1_UNTOUCHED],
		&rows[HRTGET_NULLBUF], &rows[HRTGET_BADBUF], &rows[HRTGET_BADRESLEN], &rows[HRTGET_BADSTRUCT],
		&rows[HRTGET_NOIOP], &rows[HRTGET_EACH],
	},
};

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
		long t = touched(g_res, got, BIG);
		check_true(&rows[HRTGET_TAIL], NULL, t < 0, "expected nothing past %u written, got byte %ld", got, t);
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
