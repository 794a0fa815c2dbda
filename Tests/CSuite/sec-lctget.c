/*
 * sec-lctget.c — LCTGET: the table, its header and entries, short buffers and bad pointers;
 * then the discovery of the device under test and of a TID not in the LCT.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	HRTLCT_ROWS(X, LCTGET, "lctget") \
	/* id                       name                       documented    2.6.18        2.4           compat32 */ \
	X(LCTGET_OK,               "lctget.ok",               OK,           OK,           OK,           SKIP,        "LCTGET with *reslen = the length learnt") \
	X(LCTGET_RESLEN,           "lctget.reslen",           HOLDS,        HOLDS,        HOLDS,        SKIP,        "LCTGET: *reslen == the length learnt") \
	X(LCTGET_TABLESIZE,        "lctget.tablesize",        HOLDS,        HOLDS,        HOLDS,        SKIP,        "LCT TableSize x 4 == *reslen") \
	X(LCTGET_ENTRIES,          "lctget.entries",          HOLDS,        HOLDS,        HOLDS,        SKIP,        "LCT: (TableSize - 3) divisible by 9, every TableEntrySize 9") \
	X(LCTGET_HEADER,           "lctget.header",           HOLDS,        SKIP,         HOLDS,        SKIP,        "LCT word 1 == IopFlags, word 2 == CurrentChangeIndicator (executive group 0x0101)") \
	X(LCTGET_SHORT_BADBUF,     "lctget.short.badbuf",     ERR(EFAULT),  ERR(ENOBUFS), ERR(ENOBUFS), ERR(EINVAL), "LCTGET with *reslen 4 and a bad resbuf: the kernels' ENOBUFS never touches resbuf") \
	X(DISCOVER_DEVICE,         "discover.device",         HOLDS,        HOLDS,        HOLDS,        SKIP,        "the LCT has a device (TID != 0, not executive class)")
DEFINE_ROWS(ROWS);

static const struct hrtlct_kind lct = HRTLCT_KIND(LCTGET, "LCT", 12, 1);

static int decode_lct(const uint8_t *b, unsigned len)
{
	g_nlct = 0;
	if (len < 12)
		return 0;
	unsigned words = le16(b);
	if (words * 4 > len)
		words = len / 4;
	for (unsigned off = 12; off + 36 <= words * 4 && g_nlct < MAX_LCT_ENTRIES; ) {
		uint32_t w0 = le32(b + off), w5 = le32(b + off + 20);
		unsigned esize = w0 & 0xFFFF;
		struct lct_entry *e = &g_lct[g_nlct++];
		e->tid = (w0 >> 16) & 0xFFF;
		e->classword = le32(b + off + 12);
		e->user_tid = w5 & 0xFFF;
		e->parent_tid = (w5 >> 12) & 0xFFF;
		off += (esize >= 9 ? esize : 9) * 4;
	}
	return 1;
}

/* Header words against the executive's LCT scalar group 0x0101 (fields 1 IopFlags and
 * 2 CurrentChangeIndicator, asked for one by one so no packing assumption is needed). */
static void check_header(unsigned got)
{
	int err, rc;
	if (got < 12) {
		dep_fail(&rows[LCTGET_HEADER], NULL, "LCT shorter than its header");
		return;
	}
	uint32_t w1 = le32(g_res + 4), w2 = le32(g_res + 8);
	uint8_t *op = g_op;
	memset(op, 0, 16);
	put16(op + 0, 1);
	put16(op + 4, I2O_PARAMS_FIELD_GET);
	put16(op + 6, 0x0101);
	put16(op + 8, 2);
	put16(op + 10, 1);
	put16(op + 12, 2);
	fill(g_res2, 4096);
	g_u32[1] = 4096;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, 0, op, 16, g_res2, &g_u32[1], &err);
	if (rc == 0 && g_u32[1] >= 16 && I2O_RES_COUNT(g_res2) == 1 && I2O_RES_BSTATUS(g_res2) == 0) {
		uint32_t flags = le32(I2O_RES_DATA(g_res2)), cci = le32(I2O_RES_DATA(g_res2) + 4);
		check_true(&rows[LCTGET_HEADER], NULL, w1 == flags && w2 == cci,
			   "expected word1 IopFlags 0x%08x, word2 CurrentChangeIndicator 0x%08x, got 0x%08x, 0x%08x",
			   flags, cci, w1, w2);
	} else {
		dep_fail(&rows[LCTGET_HEADER], NULL, "PARMGET of group 0x0101 fields 1, 2 on TID 0 failed");
	}
}

/* The TIDs the rest of the suite works on. */
static void pick_tids(void)
{
	if (g_have_lct) {
		const struct lct_entry *pick = NULL;
		for (unsigned i = 0; i < g_nlct && !pick; i++)	/* prefer a real device: not exec, not DDM */
			if (g_lct[i].tid != 0 && (g_lct[i].classword & 0xFFF) != I2O_CLASS_EXECUTIVE &&
			    (g_lct[i].classword & 0xFFF) != I2O_CLASS_DDM)
				pick = &g_lct[i];
		for (unsigned i = 0; i < g_nlct && !pick; i++)
			if (g_lct[i].tid != 0 && (g_lct[i].classword & 0xFFF) != I2O_CLASS_EXECUTIVE)
				pick = &g_lct[i];
		if (pick) {
			g_have_dev = 1;
			g_dev_tid = pick->tid;
			g_dev_class = pick->classword;
		}
		check_true(&rows[DISCOVER_DEVICE], NULL, pick != NULL,
			   "expected a device in the LCT, got %u entries, none usable", g_nlct);
		for (unsigned t = 0xABC; ; t = (t + 1) & 0xFFF) {
			if (t >= 2 && t != 0xFFF && !lct_find(t)) { g_unknown_tid = t; break; }
		}
	} else {
		dep_fail(&rows[DISCOVER_DEVICE], NULL, "no LCT");
		g_unknown_tid = 0xABC;
	}
	if (g_have_dev)
		note("device under test: TID 0x%03x (class word 0x%08x); unknown TID 0x%03x",
		     g_dev_tid, g_dev_class, g_unknown_tid);
}

static void run(void)
{
	int err, rc;
	unsigned len;

	/* Learn the length with a too-small buffer. */
	len = hrtlct_learn(&lct);

	/* Read it with exactly that length (or a big buffer if the length is unknown). */
	fill(g_res, BIG);
	g_u32[0] = len ? len : BIG;
	rc = i2o_hrtlct(g_fd, I2OLCTGET, g_iop, g_res, &g_u32[0], &err);
	if (check_rc(&rows[LCTGET_OK], NULL, rc, err) == 1) {
		unsigned got = g_u32[0];
		if (len)
			check_val(&rows[LCTGET_RESLEN], NULL, got, len);
		else
			dep_fail(&rows[LCTGET_RESLEN], NULL, "length unknown");
		if (got > BIG)
			got = BIG;
		unsigned ts = got >= 4 ? le16(g_res) : 0;
		check_val(&rows[LCTGET_TABLESIZE], NULL, (unsigned long long)ts * 4, got);
		int ok = ts >= 3 && (ts - 3) % 9 == 0 && ts * 4 <= got;
		unsigned badent = 0;
		for (unsigned off = 12; ok && off + 36 <= ts * 4; off += 36)
			if ((le32(g_res + off) & 0xFFFF) != 9) { ok = 0; badent = off; }
		check_true(&rows[LCTGET_ENTRIES], NULL, ok, "expected 9-word entries, got TableSize %u%s%u", ts,
			   badent ? ", bad TableEntrySize at byte " : "", badent);
		hrtlct_tail(&lct, got);
		g_have_lct = decode_lct(g_res, got);
		if (g_have_lct) {
			note("LCT of IOP %u: %u bytes, %u entries, IopFlags 0x%08x, CurrentChangeIndicator 0x%08x",
			     g_iop, got, g_nlct, le32(g_res + 4), le32(g_res + 8));
			for (unsigned i = 0; i < g_nlct; i++)
				note("  TID 0x%03x class word 0x%08x (class 0x%03x) user 0x%03x parent 0x%03x",
				     g_lct[i].tid, g_lct[i].classword, g_lct[i].classword & 0xFFF,
				     g_lct[i].user_tid, g_lct[i].parent_tid);
		}
		check_header(got);
	} else {
		DEP_FAIL(NULL, "LCTGET failed",
			LCTGET_HEADER, LCTGET_RESLEN, LCTGET_TABLESIZE, LCTGET_ENTRIES, LCTGET_TAIL);
	}

	hrtlct_short1(&lct, len);
	hrtlct_pointers(&lct);
	for (int i = 0; i < NBAD; i++) {
		int err, rc;
		g_u32[0] = 4;
		rc = i2o_hrtlct(g_fd, I2OLCTGET, g_iop, bad_ptr(i), &g_u32[0], &err);
		check_rc(&rows[LCTGET_SHORT_BADBUF], bad_names[i], rc, err);
	}
	hrtlct_each(&lct);
	pick_tids();
}

const struct section sec_lctget = SECTION("lctget", rows, run);
