/*
 * sec-sw.c — the software store: SWDL of a module in three fragments, SWUL of each back, sizes
 * and fragment numbers the store refuses, bad pointers, and SWDEL. The modules are of SwType
 * 0x22 with SwIDs 0x5A5A0001..0x5A5A0004, deleted before (leftovers of an interrupted run) and
 * after.
 */
#define _GNU_SOURCE
#include <stdio.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id                       name                       documented   2.6.18          2.4             compat32 */ \
	X(SW_ABSENT,               "sw.absent",               ERR(EIO),    POS,            POS,            ERR(EINVAL), "SWUL of a module not in the store") \
	X(SWDL_FRAG,               "swdl.frag",               OK,          OK,             OK,             SKIP,        "SWDL of one fragment (8192, 8192, 3616)") \
	X(SWUL_FRAG,               "swul.frag",               OK,          OK,             OK,             SKIP,        "SWUL of one fragment") \
	X(SWUL_DATA,               "swul.data",               HOLDS,       HOLDS,          HOLDS,          SKIP,        "SWUL fragment bytes == downloaded bytes, nothing written past them") \
	X(SWUL_SIZES,              "swul.sizes",              HOLDS,       SKIP,           SKIP,           SKIP,        "SWUL writes *swlen 20000 and *maxfrag 3") \
	X(SWDL_OUTOFORDER,         "swdl.outoforder",         ERR(EIO),    POS,            POS,            ERR(EINVAL), "SWDL of a new module starting at fragment 2") \
	X(SWDL_OUTOFORDER_NOSTATE, "swdl.outoforder.nostate", ERR(EIO),    POS,            POS,            ERR(EINVAL), "after the rejected fragment the module does not exist") \
	X(SWDL_FRAGCOUNT,          "swdl.fragcount",          ERR(EINVAL), POS,            POS,            ERR(EINVAL), "SWDL with *maxfrag 300") \
	X(SWDL_BIGFRAG,            "swdl.bigfrag",            ERR(EINVAL), POS,            POS,            ERR(EINVAL), "SWDL of a single 10000-byte fragment") \
	X(SWDL_HUGEFRAG,           "swdl.hugefrag",           ERR(EINVAL), SKIP,           ERR(ENOMEM),    ERR(EINVAL), "SWDL of a single 131076-byte fragment (2.4: above kmalloc's 128 KiB)") \
	X(SWDL_EMPTYFRAG,          "swdl.emptyfrag",          SKIP,        ERR(ENOMEM),    SKIP,           ERR(EINVAL), "SWDL of a single 0-byte fragment (2.6.18: no DMA buffer of order get_order(0))") \
	X(SWDL_NULLBUF,            "swdl.nullbuf",            ERR(EFAULT), ERR(EFAULT),    ERR(EFAULT),    ERR(EINVAL), "SWDL with buf NULL") \
	X(SWDL_BADBUF,             "swdl.badbuf",             ERR(EFAULT), ERR(EFAULT),    ERR(EFAULT),    ERR(EINVAL), "SWDL with a bad buf") \
	X(SWDL_BADSWLEN,           "swdl.badswlen",           ERR(EFAULT), ERR(EFAULT),    ERR(EFAULT),    ERR(EINVAL), "SWDL with a bad swlen pointer") \
	X(SWDL_BADSTRUCT,          "swdl.badstruct",          ERR(EFAULT), ERR(EFAULT),    ERR(EFAULT),    ERR(EINVAL), "SWDL with a bad struct pointer") \
	X(SWDL_NOIOP,              "swdl.noiop",              ERR(ENXIO),  ERR(ENXIO),     ERR(ENXIO),     ERR(EINVAL), "SWDL on an IOP number with no IOP") \
	X(SWUL_NULLBUF,            "swul.nullbuf",            ERR(EFAULT), ERR(EFAULT),    ERR(EFAULT),    ERR(EINVAL), "SWUL with buf NULL") \
	X(SWUL_BADBUF,             "swul.badbuf",             ERR(EFAULT), ERR(EFAULT),    ERR(EFAULT),    ERR(EINVAL), "SWUL with a bad buf") \
	X(SWDEL_WRONGLEN,          "swdel.wronglen",          ERR(EIO),    ERR(ETIMEDOUT), ERR(ETIMEDOUT), SKIP,        "SWDEL with *swlen 19999 (module is 20000)") \
	X(SWDEL_WRONGLEN_KEPT,     "swdel.wronglen.kept",     OK,          OK,             OK,             SKIP,        "after the refused delete the module is still there") \
	X(SWDEL_OK,                "swdel.ok",                OK,          OK,             OK,             SKIP,        "SWDEL with *swlen 0") \
	X(SWDEL_SWLEN,             "swdel.swlen",             HOLDS,       VAL(0),         VAL(0),         SKIP,        "SWDEL writes the real size 20000 to *swlen") \
	X(SWDEL_GONE,              "swdel.gone",              ERR(EIO),    POS,            POS,            SKIP,        "SWUL after the delete") \
	X(SWDEL_ABSENT,            "swdel.absent",            ERR(EIO),    ERR(ETIMEDOUT), ERR(ETIMEDOUT), ERR(EINVAL), "SWDEL of a module not in the store") \
	X(SWDEL_NOIOP,             "swdel.noiop",             ERR(ENXIO),  ERR(ENXIO),     ERR(ENXIO),     ERR(EINVAL), "SWDEL on an IOP number with no IOP")
DEFINE_ROWS(ROWS);

#define SW_TYPE		I2O_SOFTWARE_MODULE_IOP_PRIVATE
#define SW_ID		0x5A5A0001u
#define SW_ID_OOO	0x5A5A0002u
#define SW_ID_300	0x5A5A0003u
#define SW_ID_BIG	0x5A5A0004u
#define SW_SIZE		20000u
#define SW_FRAG		8192u
#define SW_NFRAG	3u

/* The u32 cells the transfers point at (in g_u32, below 4 GiB). */
static unsigned *swlen, *maxfrag, *curfrag;

static int swx(unsigned long req, unsigned iop, unsigned id, void *buf, unsigned *len, unsigned *max, unsigned *cur,
	       int *err)
{
	return i2o_swxfer(g_fd, req, iop, 0, SW_TYPE, id, buf, len, max, cur, err);
}

/* A transfer with *swlen len, *maxfrag max and *curfrag cur, judged by row r (variant sfx).
 * Returns check_rc's answer. */
static int sw_check(struct row *r, const char *sfx, unsigned long req, unsigned iop, unsigned id, void *buf,
		    unsigned len, unsigned max, unsigned cur)
{
	int err;
	*swlen = len; *maxfrag = max; *curfrag = cur;
	int rc = swx(req, iop, id, buf, swlen, maxfrag, curfrag, &err);
	return check_rc(r, sfx, rc, err);
}

static void sw_cleanup(unsigned id)
{
	int err;
	*swlen = 0;
	swx(I2OSWDEL, g_iop, id, NULL, swlen, maxfrag, curfrag, &err);
}

static void sw_cleanup_all(void)
{
	sw_cleanup(SW_ID);
	sw_cleanup(SW_ID_OOO);
	sw_cleanup(SW_ID_300);
	sw_cleanup(SW_ID_BIG);
}

/* Download in three fragments, buf pointing at each fragment; upload each and compare. Returns
 * whether the download worked. */
static int download_upload(void)
{
	int err, rc;
	int dl_ok = 1;
	for (unsigned f = 1; f <= SW_NFRAG; f++) {
		char sfx[16];
		snprintf(sfx, sizeof sfx, "%u", f);
		if (!dl_ok) {
			dep_fail(&rows[SWDL_FRAG], sfx, "an earlier fragment failed");
			continue;
		}
		dl_ok = sw_check(&rows[SWDL_FRAG], sfx, I2OSWDL, g_iop, SW_ID, g_img + (f - 1) * SW_FRAG, SW_SIZE, SW_NFRAG,
				 f) == 1;
	}

	for (unsigned f = 1; f <= SW_NFRAG; f++) {
		char sfx[16];
		snprintf(sfx, sizeof sfx, "%u", f);
		if (!dl_ok) {
			DEP_FAIL(sfx, "download failed", SWUL_FRAG, SWUL_DATA);
			continue;
		}
		unsigned fsz = f < SW_NFRAG ? SW_FRAG : SW_SIZE - (SW_NFRAG - 1) * SW_FRAG;
		fill(g_up, 2 * SW_FRAG);
		*swlen = SW_SIZE; *maxfrag = SW_NFRAG; *curfrag = f;
		rc = swx(I2OSWUL, g_iop, SW_ID, g_up, swlen, maxfrag, curfrag, &err);
		if (check_rc(&rows[SWUL_FRAG], sfx, rc, err) == 1) {
			long d = first_diff(g_up, g_img + (f - 1) * SW_FRAG, fsz);
			long t = touched(g_up, fsz, 2 * SW_FRAG);
			check_true(&rows[SWUL_DATA], sfx, d < 0 && t < 0,
				   "expected the %u downloaded bytes and nothing after them, got %s%ld", fsz,
				   d >= 0 ? "a difference at byte " : "a write at byte ", d >= 0 ? d : t);
		} else {
			dep_fail(&rows[SWUL_DATA], sfx, "SWUL failed");
		}
	}

	/* SWUL reports the real size and fragment count. */
	if (dl_ok) {
		fill(g_up, 2 * SW_FRAG);
		*swlen = 0; *maxfrag = 0; *curfrag = 1;
		rc = swx(I2OSWUL, g_iop, SW_ID, g_up, swlen, maxfrag, curfrag, &err);
		check_true(&rows[SWUL_SIZES], NULL, rc == 0 && *swlen == SW_SIZE && *maxfrag == SW_NFRAG,
			   "expected 0 with *swlen 20000 and *maxfrag 3, got %d (errno %s) *swlen %u *maxfrag %u",
			   rc, errname(err), *swlen, *maxfrag);
	} else {
		dep_fail(&rows[SWUL_SIZES], NULL, "download failed");
	}
	return dl_ok;
}

/* What the store refuses: fragments out of order, sizes the types cannot express, pointers. */
static void refusals(void)
{
	int err, rc;
	/* Out of order: a new module whose first fragment is number 2. */
	sw_check(&rows[SWDL_OUTOFORDER], NULL, I2OSWDL, g_iop, SW_ID_OOO, g_img + SW_FRAG, SW_SIZE, SW_NFRAG, 2);
	sw_check(&rows[SWDL_OUTOFORDER_NOSTATE], NULL, I2OSWUL, g_iop, SW_ID_OOO, g_up, SW_SIZE, SW_NFRAG, 1);

	/* Sizes the types cannot express. */
	sw_check(&rows[SWDL_FRAGCOUNT], NULL, I2OSWDL, g_iop, SW_ID_300, g_img, SW_SIZE, 300, 1);
	sw_check(&rows[SWDL_BIGFRAG], NULL, I2OSWDL, g_iop, SW_ID_BIG, g_img, 10000, 1, 1);
	/* Buffers the kernels cannot allocate (docs/kernels.md §SWDL); the IOP's answer where they can
	 * depends on its store, so those columns are not checked. */
	{
		static uint8_t huge[128 * 1024 + 4];
		sw_check(&rows[SWDL_HUGEFRAG], NULL, I2OSWDL, g_iop, SW_ID_BIG, huge, sizeof huge, 1, 1);
		sw_check(&rows[SWDL_EMPTYFRAG], NULL, I2OSWDL, g_iop, SW_ID_BIG, huge, 0, 1, 1);
	}

	/* Pointers. */
	sw_check(&rows[SWDL_NULLBUF], NULL, I2OSWDL, g_iop, SW_ID_OOO, NULL, SW_SIZE, SW_NFRAG, 1);
	rc = swx(I2OSWUL, g_iop, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
	check_rc(&rows[SWUL_NULLBUF], NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		sw_check(&rows[SWDL_BADBUF], bad_names[i], I2OSWDL, g_iop, SW_ID_OOO, bad_ptr(i), SW_SIZE, SW_NFRAG, 1);
		rc = swx(I2OSWDL, g_iop, SW_ID_OOO, g_img, bad_ptr(i), maxfrag, curfrag, &err);
		check_rc(&rows[SWDL_BADSWLEN], bad_names[i], rc, err);
		rc = i2o_ioctl(g_fd, I2OSWDL, bad_ptr(i), &err);
		check_rc(&rows[SWDL_BADSTRUCT], bad_names[i], rc, err);
		sw_check(&rows[SWUL_BADBUF], bad_names[i], I2OSWUL, g_iop, SW_ID, bad_ptr(i), SW_SIZE, SW_NFRAG, 1);
	}
	sw_check(&rows[SWDL_NOIOP], NULL, I2OSWDL, g_noiop, SW_ID_OOO, g_img, SW_SIZE, SW_NFRAG, 1);
}

/* Delete: a wrong size is refused and changes nothing; size 0 = unknown. */
static void delete_checks(int dl_ok)
{
	int err, rc;
	if (dl_ok) {
		*swlen = SW_SIZE - 1;
		rc = swx(I2OSWDEL, g_iop, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
		check_rc(&rows[SWDEL_WRONGLEN], NULL, rc, err);
		sw_check(&rows[SWDEL_WRONGLEN_KEPT], NULL, I2OSWUL, g_iop, SW_ID, g_up, SW_SIZE, SW_NFRAG, 1);
		*swlen = 0;
		rc = swx(I2OSWDEL, g_iop, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
		if (check_rc(&rows[SWDEL_OK], NULL, rc, err) == 1) {
			check_val(&rows[SWDEL_SWLEN], NULL, *swlen, SW_SIZE);
			sw_check(&rows[SWDEL_GONE], NULL, I2OSWUL, g_iop, SW_ID, g_up, SW_SIZE, SW_NFRAG, 1);
		} else {
			DEP_FAIL(NULL, "SWDEL failed", SWDEL_SWLEN, SWDEL_GONE);
		}
	} else {
		static const int ids[] = { SWDEL_WRONGLEN, SWDEL_WRONGLEN_KEPT, SWDEL_OK, SWDEL_SWLEN, SWDEL_GONE };
		dep_fail_rows(rows, ids, sizeof ids / sizeof ids[0], NULL, "download failed");
	}
	*swlen = 0;
	rc = swx(I2OSWDEL, g_iop, SW_ID_OOO, NULL, swlen, maxfrag, curfrag, &err);
	check_rc(&rows[SWDEL_ABSENT], NULL, rc, err);
	*swlen = 0;
	rc = swx(I2OSWDEL, g_noiop, SW_ID, NULL, swlen, maxfrag, curfrag, &err);
	check_rc(&rows[SWDEL_NOIOP], NULL, rc, err);
}

static void run(void)
{
	swlen = &g_u32[4];
	maxfrag = &g_u32[5];
	curfrag = &g_u32[6];
	for (unsigned i = 0; i < SW_SIZE; i++)
		g_img[i] = (uint8_t)((i * 7 + 13) ^ (i >> 8));

	/* Leftovers of an interrupted earlier run would make the results meaningless. */
	sw_cleanup_all();

	sw_check(&rows[SW_ABSENT], NULL, I2OSWUL, g_iop, SW_ID, g_up, SW_SIZE, SW_NFRAG, 1);

	int dl_ok = download_upload();
	refusals();
	delete_checks(dl_ok);
	sw_cleanup_all();
}

const struct section sec_sw = SECTION("sw", rows, run);
