/*
 * sec-parmget.c — PARMGET: 0xF100 of TID 0 and of the device in both all-fields encodings, a
 * short buffer, bad arguments, operation lists that do not parse, and an unknown group.
 * Keeps the device's result as the reference for PASSTHRU and the concurrency section.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id                            name                            documented    2.6.18       2.4           compat32 */ \
	X(PARMGET_OK,                   "parmget.ok",                   OK,           OK,          OK,           SKIP,        "PARMGET FIELD_GET 0xF100 all fields (FieldCount 0xFFFF)") \
	X(PARMGET_RESULTCOUNT,          "parmget.resultcount",          HOLDS,        SKIP,        HOLDS,        SKIP,        "PARMGET result list ResultCount 1") \
	X(PARMGET_BLOCKSTATUS,          "parmget.blockstatus",          HOLDS,        SKIP,        HOLDS,        SKIP,        "PARMGET BlockStatus 0 (SUCCESS)") \
	X(PARMGET_RESLEN,               "parmget.reslen",               HOLDS,        VAL(0),      HOLDS,        SKIP,        "PARMGET *reslen == 4 + BlockSize x 4") \
	X(PARMGET_CLASSID,              "parmget.classid",              HOLDS,        SKIP,        HOLDS,        SKIP,        "0xF100 ClassID == the LCT entry's class word (executive class for TID 0)") \
	X(PARMGET_ALLIDX_OK,            "parmget.allidx.ok",            OK,           OK,          OK,           SKIP,        "PARMGET all fields as FieldCount 1, FieldIdx 0xFFFF") \
	X(PARMGET_ALLIDX_SAME,          "parmget.allidx.same",          HOLDS,        SKIP,        HOLDS,        SKIP,        "both all-fields encodings give the same bytes") \
	X(PARMGET_SHORT,                "parmget.short",                ERR(ENOBUFS), SKIP,        ERR(ENOBUFS), SKIP,        "PARMGET with *reslen 8 (too small)") \
	X(PARMGET_SHORT_UNTOUCHED,      "parmget.short.untouched",      HOLDS,        SKIP,        HOLDS,        SKIP,        "PARMGET short: length written, nothing copied") \
	X(PARMGET_UNKNOWNTID,           "parmget.unknowntid",           ERR(ENXIO),   ERR(ENXIO),  OK,           ERR(EINVAL), "PARMGET on a TID not in the LCT") \
	X(PARMGET_UNKNOWNTID_UNWRITTEN, "parmget.unknowntid.unwritten", SKIP,         SKIP,        HOLDS,        SKIP,        "2.4: *reslen = the DetailedStatus, its bytes never written (the fill 0xA5)") \
	X(PARMGET_WIDETID,              "parmget.widetid",              ERR(ENXIO),   OK,          OK,           ERR(EINVAL), "PARMGET with the device's TID + 0x10000 (2.6.18 looks TIDs up as a u16)") \
	X(PARMGET_ORDER_IOP,            "parmget.order.iop",            ERR(ENXIO),   ERR(ENXIO),  ERR(ENXIO),   ERR(EINVAL), "PARMGET with a bad opbuf on a missing IOP: the IOP check comes first") \
	X(PARMGET_ORDER_TID,            "parmget.order.tid",            ERR(ENXIO),   ERR(ENXIO),  ERR(EFAULT),  ERR(EINVAL), "PARMGET with a bad opbuf on an unknown TID: the TID check first (2.4 checks no TID)") \
	X(PARMGET_NOIOP,                "parmget.noiop",                ERR(ENXIO),   ERR(ENXIO),  ERR(ENXIO),   ERR(EINVAL), "PARMGET on an IOP number with no IOP") \
	X(PARMGET_BADOP,                "parmget.badop",                ERR(EFAULT),  ERR(EFAULT), ERR(EFAULT),  ERR(EINVAL), "PARMGET with a bad opbuf") \
	X(PARMGET_NULLBUF,              "parmget.nullbuf",              ERR(EFAULT),  OK,          ERR(EFAULT),  ERR(EINVAL), "PARMGET with resbuf NULL") \
	X(PARMGET_BADBUF,               "parmget.badbuf",               ERR(EFAULT),  OK,          ERR(EFAULT),  ERR(EINVAL), "PARMGET with a bad resbuf") \
	X(PARMGET_BADRESLEN,            "parmget.badreslen",            ERR(EFAULT),  ERR(EFAULT), ERR(EFAULT),  ERR(EINVAL), "PARMGET with a bad reslen pointer") \
	X(PARMGET_BADSTRUCT,            "parmget.badstruct",            ERR(EFAULT),  ERR(EFAULT), ERR(EFAULT),  ERR(EINVAL), "PARMGET with a bad struct pointer") \
	X(PARMGET_TRUNCATED,            "parmget.truncated",            ERR(EINVAL),  OK,          OK,           ERR(EINVAL), "PARMGET: OperationCount 3 but one operation present (does not parse)") \
	X(PARMGET_BADOPCODE,            "parmget.badopcode",            HOLDS,        SKIP,        SKIP,         SKIP,        "PARMGET operation code 0x00EE: EINVAL or a failing BlockStatus") \
	X(PARMGET_BADGROUP,             "parmget.badgroup",             OK,           OK,          ERR(EAGAIN),  ERR(EINVAL), "PARMGET of unknown group 0x7777") \
	X(PARMGET_BADGROUP_STATUS,      "parmget.badgroup.status",      HOLDS,        SKIP,        SKIP,         SKIP,        "unknown group: ResultCount 1, BlockStatus INVALID_GROUP_ID (0x08)")
DEFINE_ROWS(ROWS);

/* The checks made on TID 0 and on the device, in the order parmget_identity makes them. */
static const int identity_rows[] = {
	PARMGET_OK, PARMGET_RESULTCOUNT, PARMGET_BLOCKSTATUS, PARMGET_RESLEN, PARMGET_CLASSID,
	PARMGET_ALLIDX_OK, PARMGET_ALLIDX_SAME, PARMGET_SHORT, PARMGET_SHORT_UNTOUCHED,
};

/* PARMGET of 0xF100 on `tid`; all the result-list checks with suffix `sfx`. */
static void parmget_identity(unsigned tid, const char *sfx, int have_class, uint32_t classword, int is_dev)
{
	int err, rc;
	unsigned oplen = i2o_op_get_all(g_op, 0xF100, 0);

	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, tid, g_op, oplen, g_res, &g_u32[0], &err);
	unsigned len = g_u32[0];
	int ok = check_rc(&rows[PARMGET_OK], sfx, rc, err) == 1;
	if (ok) {
		check_val(&rows[PARMGET_RESULTCOUNT], sfx, I2O_RES_COUNT(g_res), 1);
		check_val(&rows[PARMGET_BLOCKSTATUS], sfx, I2O_RES_BSTATUS(g_res), 0);
		check_val(&rows[PARMGET_RESLEN], sfx, len, 4 + I2O_RES_BSIZE(g_res) * 4u);
		if (len >= 12 && len <= BIG) {
			uint32_t cls = le32(I2O_RES_DATA(g_res));
			if (have_class)
				check_val(&rows[PARMGET_CLASSID], sfx, cls, classword);
			else
				check_val(&rows[PARMGET_CLASSID], sfx, cls & 0xFFF, I2O_CLASS_EXECUTIVE);
		} else {
			dep_fail(&rows[PARMGET_CLASSID], sfx, "result too short for ClassID");
		}
		if (len < 8 || len > BIG)
			ok = 0;		/* already reported by parmget.reslen */
		else if (is_dev) {
			memcpy(g_ref_parm, g_res, len);
			g_ref_parm_len = len;
		}
	} else {
		const char *why = "PARMGET failed";
		DEP_FAIL(sfx, why, PARMGET_RESULTCOUNT, PARMGET_BLOCKSTATUS, PARMGET_RESLEN, PARMGET_CLASSID);
	}

	/* The 2.6.18 "all fields" form: FieldCount 1, FieldIdx 0xFFFF. */
	oplen = i2o_op_get_all(g_op, 0xF100, 1);
	fill(g_res2, BIG);
	g_u32[1] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, tid, g_op, oplen, g_res2, &g_u32[1], &err);
	if (check_rc(&rows[PARMGET_ALLIDX_OK], sfx, rc, err) == 1 && ok) {
		long d = g_u32[1] == len ? first_diff(g_res, g_res2, len) : -2;
		check_true(&rows[PARMGET_ALLIDX_SAME], sfx, d == -1,
			   "expected %u identical bytes, got *reslen %u%s%ld", len, g_u32[1],
			   d >= 0 ? ", first difference at byte " : "", d >= 0 ? d : 0L);
	} else {
		dep_fail(&rows[PARMGET_ALLIDX_SAME], sfx, "a PARMGET failed");
	}

	/* Too small: the length is written, nothing copied. */
	if (ok) {
		oplen = i2o_op_get_all(g_op, 0xF100, 0);
		fill(g_res2, BIG);
		g_u32[1] = 8;
		rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, tid, g_op, oplen, g_res2, &g_u32[1], &err);
		check_short(&rows[PARMGET_SHORT], &rows[PARMGET_SHORT_UNTOUCHED], sfx, rc, err, g_res2, g_u32[1], len,
			    "short PARMGET did not give ENOBUFS");
	} else {
		DEP_FAIL(sfx, "PARMGET failed", PARMGET_SHORT, PARMGET_SHORT_UNTOUCHED);
	}
}

/* PARMGET calls with one argument a bad pointer, bad_ptr(i) for each i: the operation list (the
 * one in g_op, oplen bytes), the result buffer, *reslen or the struct itself; on the IOP under
 * test or one with no IOP, and TID 0 or one not in the LCT. Each is judged by its row. */
enum bad_arg { BAD_OP, BAD_BUF, BAD_RESLEN, BAD_STRUCT };
struct bad_call { int row; enum bad_arg arg; int noiop, unknown_tid; };

static void bad_calls(const struct bad_call *calls, size_t n, unsigned oplen)
{
	for (int i = 0; i < NBAD; i++) {
		for (size_t k = 0; k < n; k++) {
			const struct bad_call *c = &calls[k];
			void *bad = bad_ptr(i);
			int err, rc;
			g_u32[0] = BIG;
			if (c->arg == BAD_STRUCT)
				rc = i2o_ioctl(g_fd, I2OPARMGET, bad, &err);
			else
				rc = i2o_psetget(g_fd, I2OPARMGET, c->noiop ? g_noiop : g_iop, c->unknown_tid ? g_unknown_tid : 0,
						 c->arg == BAD_OP ? bad : g_op, oplen, c->arg == BAD_BUF ? bad : g_res,
						 c->arg == BAD_RESLEN ? bad : &g_u32[0], &err);
			check_rc(&rows[c->row], bad_names[i], rc, err);
		}
	}
}

static void run(void)
{
	int err, rc;
	unsigned oplen;

	parmget_identity(0, "tid0", lct_find(0) != NULL, lct_find(0) ? lct_find(0)->classword : 0, 0);
	if (g_have_dev) {
		char sfx[16];
		snprintf(sfx, sizeof sfx, "tid0x%03x", g_dev_tid);
		parmget_identity(g_dev_tid, sfx, 1, g_dev_class, 1);
	} else {
		dep_fail_rows(rows, identity_rows, sizeof identity_rows / sizeof identity_rows[0], "device",
			      "no device in the LCT");
	}

	oplen = i2o_op_get_all(g_op, 0xF100, 0);
	g_u32[0] = BIG;
	fill(g_res, BIG);
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, g_unknown_tid, g_op, oplen, g_res, &g_u32[0], &err);
	if (check_rc(&rows[PARMGET_UNKNOWNTID], NULL, rc, err) == 1) {
		/* docs/kernels.md §Unwritten: 2.4 returns the failing status before copying the result. */
		unsigned n = g_u32[0], i = 0;
		while (i < n && i < BIG && g_res[i] == 0xA5)
			i++;
		check_true(&rows[PARMGET_UNKNOWNTID_UNWRITTEN], NULL, n > 0 && i == n,
			   "expected a DetailedStatus as *reslen and that many bytes of 0xA5, got *reslen %u, %u of them", n, i);
	} else {
		dep_fail(&rows[PARMGET_UNKNOWNTID_UNWRITTEN], NULL, "PARMGET of an unknown TID failed");
	}
	g_u32[0] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, 0x10000u | (g_have_dev ? g_dev_tid : 0), g_op, oplen, g_res, &g_u32[0], &err);
	check_rc(&rows[PARMGET_WIDETID], NULL, rc, err);
	/* Check order (docs/kernels.md §PARMGET): the IOP and TID before the operation list is copied. */
	static const struct bad_call order[] = {
		{ PARMGET_ORDER_IOP, BAD_OP, 1, 0 },
		{ PARMGET_ORDER_TID, BAD_OP, 0, 1 },
	};
	bad_calls(order, sizeof order / sizeof order[0], oplen);
	g_u32[0] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_noiop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	check_rc(&rows[PARMGET_NOIOP], NULL, rc, err);
	g_u32[0] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, NULL, &g_u32[0], &err);
	check_rc(&rows[PARMGET_NULLBUF], NULL, rc, err);
	static const struct bad_call pointers[] = {
		{ PARMGET_BADOP, BAD_OP, 0, 0 },
		{ PARMGET_BADBUF, BAD_BUF, 0, 0 },
		{ PARMGET_BADRESLEN, BAD_RESLEN, 0, 0 },
		{ PARMGET_BADSTRUCT, BAD_STRUCT, 0, 0 },
	};
	bad_calls(pointers, sizeof pointers / sizeof pointers[0], oplen);

	/* OperationCount 3, but only one operation's bytes. */
	oplen = i2o_op_get_all(g_op, 0xF100, 0);
	put16(g_op, 3);
	g_u32[0] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	check_rc(&rows[PARMGET_TRUNCATED], NULL, rc, err);

	/* An operation code outside the ten of the specification. */
	oplen = i2o_op_get_all(g_op, 0xF100, 0);
	put16(g_op + 4, 0x00EE);
	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	check_true(&rows[PARMGET_BADOPCODE], NULL,
		   (rc == -1 && err == EINVAL) || (rc == 0 && g_u32[0] >= 8 && I2O_RES_BSTATUS(g_res) != 0),
		   "expected -1/EINVAL or 0 with a non-zero BlockStatus, got %d (errno %s), BlockStatus 0x%02x",
		   rc, errname(err), rc == 0 ? I2O_RES_BSTATUS(g_res) : 0);

	/* An unknown group: the ioctl succeeds, the block says INVALID_GROUP_ID. */
	oplen = i2o_op_get_all(g_op, 0x7777, 0);
	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = i2o_psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, g_res, &g_u32[0], &err);
	if (check_rc(&rows[PARMGET_BADGROUP], NULL, rc, err) == 1)
		check_one_block(&rows[PARMGET_BADGROUP_STATUS], NULL, g_res, g_u32[0], I2O_PARAMS_STATUS_INVALID_GROUP_ID);
	else
		dep_fail(&rows[PARMGET_BADGROUP_STATUS], NULL, "PARMGET failed");
}

const struct section sec_parmget = SECTION("parmget", rows, run);
