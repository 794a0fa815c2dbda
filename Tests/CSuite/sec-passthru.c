/*
 * sec-passthru.c — PASSTHRU (x86_64) or PASSTHRU32 (i386): a hand-built UtilParamsGet to the
 * device, its reply and result, frames the device refuses, and bad pointers.
 */
#define _GNU_SOURCE
#include <string.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id                        name                        documented   2.6.18       2.4          compat32 */ \
	X(PASSTHRU_OK,              "passthru.ok",              OK,          OK,          ERR(EINVAL), OK,          "PASSTHRU UtilParamsGet 0xF100 to the device") \
	X(PASSTHRU_REPLY,           "passthru.reply",           HOLDS,       SKIP,        SKIP,        SKIP,        "reply: ReqStatus 0, function 0x06, size within the preset capacity") \
	X(PASSTHRU_CONTEXTS,        "passthru.contexts",        HOLDS,       HOLDS,       SKIP,        HOLDS,       "reply words 2/3 keep the contexts 0x11111111/0x22222222") \
	X(PASSTHRU_RESULT,          "passthru.result",          HOLDS,       HOLDS,       SKIP,        HOLDS,       "result buffer: ResultCount 1, same bytes as PARMGET") \
	X(PASSTHRU_TOOLARGE,        "passthru.toolarge",        ERR(EINVAL), ERR(EFAULT), ERR(EINVAL), ERR(EFAULT), "PASSTHRU frame with MessageSize 1000") \
	X(PASSTHRU_SGLOVERRUN,      "passthru.sgloverrun",      ERR(EINVAL), SKIP,        ERR(EINVAL), SKIP,        "PASSTHRU SGL overrunning the frame (half an element)") \
	X(PASSTHRU_TOOMANYSG,       "passthru.toomanysg",       ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), "PASSTHRU with 31 SGL elements") \
	X(PASSTHRU_NONSIMPLE,       "passthru.nonsimple",       ERR(EINVAL), POS,         ERR(EINVAL), POS,         "PASSTHRU with a chain-pointer element") \
	X(PASSTHRU_NOTSIMPLE,       "passthru.notsimple",       ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), ERR(EINVAL), "PASSTHRU with an element lacking the simple-address bit") \
	X(PASSTHRU_NOTSIMPLE_REPLY, "passthru.notsimple.reply", HOLDS,       HOLDS,       SKIP,        HOLDS,       "after it the reply area: 2.6.18 native wipes it (zeros, contexts in words 2-3), else untouched") \
	X(PASSTHRU_BADMSG,          "passthru.badmsg",          ERR(EFAULT), ERR(EFAULT), ERR(EINVAL), ERR(EFAULT), "PASSTHRU with a bad msg pointer") \
	X(PASSTHRU_BADSGL,          "passthru.badsgl",          ERR(EFAULT), ERR(EFAULT), ERR(EINVAL), ERR(EFAULT), "PASSTHRU with a bad address in an SGL element") \
	X(PASSTHRU_BADSTRUCT,       "passthru.badstruct",       ERR(EFAULT), ERR(EFAULT), ERR(EINVAL), ERR(EFAULT), "PASSTHRU with a bad struct pointer") \
	X(PASSTHRU_NOIOP,           "passthru.noiop",           ERR(ENXIO),  ERR(ENXIO),  ERR(EINVAL), ERR(ENXIO),  "PASSTHRU to an IOP number with no IOP")
DEFINE_ROWS(ROWS);

/* A hand-built UtilParamsGet frame (9 words) followed by a reply area of 32 words. */
#define PT_REPLY_WORDS 32u
static uint32_t *pt_frame(uint8_t *msg, unsigned tid, const void *op, unsigned oplen, void *res, unsigned reslen)
{
	uint32_t *w = (uint32_t *)(void *)msg;
	memset(msg, 0, 4 * (9 + PT_REPLY_WORDS));
	w[0] = 9u << 16 | 0x51;			/* MessageSize 9, SGL offset 5, version 1.5 */
	w[1] = 0x06u << 24 | 1u << 12 | (tid & 0xFFF);	/* UtilParamsGet, from the host to tid */
	w[2] = 0x11111111u;			/* InitiatorContext */
	w[3] = 0x22222222u;			/* TransactionContext */
	w[4] = 0;				/* OperationFlags */
	w[5] = 0x54000000u | oplen;		/* simple, end of buffer, host->IOP: the operation list */
	w[6] = i2o_addr32(op);
	w[7] = 0xD0000000u | reslen;		/* simple, last, end of buffer, IOP->host: the result list */
	w[8] = i2o_addr32(res);
	uint32_t *r = w + 9;
	for (unsigned i = 0; i < PT_REPLY_WORDS; i++)
		r[i] = 0xEEEEEEEEu;
	r[0] = PT_REPLY_WORDS << 16;		/* reply capacity in words */
	return r;
}

/* The request that works: reply, contexts, and the result PARMGET gave. */
static void valid_frame(uint8_t *msg, unsigned tid, uint8_t *op, unsigned oplen, uint8_t *res)
{
	int err, rc;
	fill(res, 4096);
	uint32_t *r = pt_frame(msg, tid, op, oplen, res, 1024);
	rc = i2o_passthru(g_fd, g_iop, msg, &err);
	if (check_rc(&rows[PASSTHRU_OK], NULL, rc, err) == 1) {
		unsigned size = r[0] >> 16;
		check_true(&rows[PASSTHRU_REPLY], NULL,
			   (r[4] >> 24) == 0 && (r[1] >> 24) == 0x06 && size >= 5 && size <= PT_REPLY_WORDS,
			   "expected ReqStatus 0, function 0x06, 5 <= MessageSize <= %u, got word4 0x%08x, word1 0x%08x, word0 0x%08x",
			   PT_REPLY_WORDS, r[4], r[1], r[0]);
		check_true(&rows[PASSTHRU_CONTEXTS], NULL, r[2] == 0x11111111u && r[3] == 0x22222222u,
			   "expected 0x11111111/0x22222222, got 0x%08x/0x%08x", r[2], r[3]);
		if (g_have_dev && g_ref_parm_len >= 8) {
			long d = first_diff(res, g_ref_parm, g_ref_parm_len);
			check_true(&rows[PASSTHRU_RESULT], NULL, I2O_RES_COUNT(res) == 1 && d < 0,
				   "expected ResultCount 1 and the %u bytes PARMGET returned, got ResultCount %u, first difference at %ld",
				   g_ref_parm_len, I2O_RES_COUNT(res), d);
		} else {
			check_true(&rows[PASSTHRU_RESULT], NULL, I2O_RES_COUNT(res) == 1 && I2O_RES_BSTATUS(res) == 0,
				   "expected ResultCount 1, BlockStatus 0, got %u, 0x%02x", I2O_RES_COUNT(res),
				   I2O_RES_BSTATUS(res));
		}
	} else {
		DEP_FAIL(NULL, "PASSTHRU failed", PASSTHRU_REPLY, PASSTHRU_CONTEXTS, PASSTHRU_RESULT);
	}
}

static void run(void)
{
	int err, rc;
	uint8_t *msg = g_up;			/* 16 KiB, below 4 GiB */
	uint8_t *op = g_op;
	uint8_t *res = g_res;
	note("pass-through uses %s", sizeof(void *) == 8 ? "I2OPASSTHRU (struct i2o_cmd_passthru)"
							 : "I2OPASSTHRU32 (struct i2o_cmd_passthru32)");

	unsigned tid = g_have_dev ? g_dev_tid : 0;
	unsigned oplen = i2o_op_get_all(op, 0xF100, 0);
	valid_frame(msg, tid, op, oplen, res);

	/* MessageSize 1000 (the buffer is readable for all of it, so only the size can be wrong). */
	pt_frame(msg, tid, op, oplen, res, 256);
	((uint32_t *)(void *)msg)[0] = 1000u << 16 | 0x51;
	memset(msg + 4 * 9, 0, 4 * (1000 + PT_REPLY_WORDS) - 4 * 9);
	((uint32_t *)(void *)msg)[1000] = PT_REPLY_WORDS << 16;	/* where a 1000-word frame's reply area starts */
	rc = i2o_passthru(g_fd, g_iop, msg, &err);
	check_rc(&rows[PASSTHRU_TOOLARGE], NULL, rc, err);

	/* MessageSize 8 with the SGL at word 5: one element and a half. */
	pt_frame(msg, tid, op, oplen, res, 256);
	((uint32_t *)(void *)msg)[0] = 8u << 16 | 0x51;
	rc = i2o_passthru(g_fd, g_iop, msg, &err);
	check_rc(&rows[PASSTHRU_SGLOVERRUN], NULL, rc, err);

	/* 31 simple elements. */
	{
		uint32_t *w = (uint32_t *)(void *)msg;
		unsigned n = 31, words = 5 + 2 * n;
		memset(msg, 0, 4 * (words + PT_REPLY_WORDS));
		w[0] = words << 16 | 0x51;
		w[1] = 0x06u << 24 | 1u << 12 | (tid & 0xFFF);
		w[2] = 0x11111111u;
		w[3] = 0x22222222u;
		for (unsigned i = 0; i < n; i++) {
			w[5 + 2 * i] = (i == n - 1 ? 0xD0000000u : 0x10000000u) | 8;
			w[6 + 2 * i] = i2o_addr32(res + 8 * i);
		}
		w[5] = 0x14000000u | 8;		/* the first one host->IOP */
		w[words] = PT_REPLY_WORDS << 16;
		rc = i2o_passthru(g_fd, g_iop, msg, &err);
		check_rc(&rows[PASSTHRU_TOOMANYSG], NULL, rc, err);
	}

	/* A chain-pointer element where a simple one belongs. */
	pt_frame(msg, tid, op, oplen, res, 256);
	((uint32_t *)(void *)msg)[7] = 0xB0000000u | 256;
	rc = i2o_passthru(g_fd, g_iop, msg, &err);
	check_rc(&rows[PASSTHRU_NONSIMPLE], NULL, rc, err);

	/* An element without the simple-address bit: EINVAL. 2.6.18's native PASSTHRU still writes its
	 * reply area at sg_list_cleanup (docs/kernels.md §PASSTHRU); PASSTHRU32 and documented do not. */
	pt_frame(msg, tid, op, oplen, res, 256);
	((uint32_t *)(void *)msg)[7] = 0x40000000u | 256;
	((uint32_t *)(void *)msg)[8] = 0;	/* never followed: a fixed value, so a trace replays it */
	{
		uint32_t *reply = (uint32_t *)(void *)(msg + 4 * 9);
		for (unsigned i = 1; i < PT_REPLY_WORDS; i++)
			reply[i] = 0xCCCCCCCCu;
		rc = i2o_passthru(g_fd, g_iop, msg, &err);
		if (check_rc(&rows[PASSTHRU_NOTSIMPLE], NULL, rc, err) == 1) {
			int wiped = reply[0] == 0 && reply[1] == 0 && reply[2] == 0x11111111u && reply[3] == 0x22222222u;
			for (unsigned i = 4; wiped && i < PT_REPLY_WORDS; i++)
				wiped = reply[i] == 0;
			int untouched = reply[0] == PT_REPLY_WORDS << 16;
			for (unsigned i = 1; untouched && i < PT_REPLY_WORDS; i++)
				untouched = reply[i] == 0xCCCCCCCCu;
			int want_wiped = personality() == P_LINUX_2_6_18;
			check_true(&rows[PASSTHRU_NOTSIMPLE_REPLY], NULL, want_wiped ? wiped : untouched,
				   "expected the reply area %s, got words 0-4 0x%08x 0x%08x 0x%08x 0x%08x 0x%08x",
				   want_wiped ? "zeros with the contexts in words 2-3" : "untouched", reply[0], reply[1], reply[2],
				   reply[3], reply[4]);
		} else {
			dep_fail(&rows[PASSTHRU_NOTSIMPLE_REPLY], NULL, "PASSTHRU with a non-simple element did not fail");
		}
	}

	for (int i = 0; i < NBAD; i++) {
		rc = i2o_passthru(g_fd, g_iop, bad_ptr(i), &err);
		check_rc(&rows[PASSTHRU_BADMSG], bad_names[i], rc, err);
		pt_frame(msg, tid, op, oplen, bad_ptr(i), 256);
		rc = i2o_passthru(g_fd, g_iop, msg, &err);
		check_rc(&rows[PASSTHRU_BADSGL], bad_names[i], rc, err);
		rc = i2o_ioctl(g_fd, I2O_NATIVE_PASSTHRU, bad_ptr(i), &err);
		check_rc(&rows[PASSTHRU_BADSTRUCT], bad_names[i], rc, err);
	}
	pt_frame(msg, tid, op, oplen, res, 256);
	rc = i2o_passthru(g_fd, g_noiop, msg, &err);
	check_rc(&rows[PASSTHRU_NOIOP], NULL, rc, err);
}

const struct section sec_passthru = SECTION("passthru", rows, run);
