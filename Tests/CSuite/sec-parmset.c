/*
 * sec-parmset.c — PARMSET: DeviceName (0xF102 field 0) of the device set and read back through
 * two files, a read-only field, an unknown TID; and, after the events section (which sets the
 * name too), the original DeviceName restored.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id                          name                          documented  2.6.18      2.4          compat32 */ \
	X(PARMSET_OK,                 "parmset.ok",                 OK,         OK,         OK,          SKIP,        "PARMSET FIELD_SET 0xF102 field 0 (DeviceName)") \
	X(PARMSET_RESULT,             "parmset.result",             HOLDS,      SKIP,       HOLDS,       SKIP,        "PARMSET result: ResultCount 1, BlockStatus 0, *reslen == 4 + BlockSize x 4") \
	X(PARMSET_READBACK,           "parmset.readback",           HOLDS,      SKIP,       HOLDS,       SKIP,        "PARMGET reads the new DeviceName back") \
	X(PARMSET_READBACK_OTHER,     "parmset.readback.other",     HOLDS,      SKIP,       HOLDS,       SKIP,        "a second open file reads the new DeviceName too") \
	X(PARMSET_READONLY,           "parmset.readonly",           OK,         OK,         ERR(EAGAIN), SKIP,        "PARMSET of read-only 0xF100 field 3") \
	X(PARMSET_READONLY_STATUS,    "parmset.readonly.status",    HOLDS,      SKIP,       SKIP,        SKIP,        "read-only set: BlockStatus FIELD_UNWRITEABLE (0x06)") \
	X(PARMSET_READONLY_UNCHANGED, "parmset.readonly.unchanged", HOLDS,      SKIP,       HOLDS,       SKIP,        "read-only set changed nothing") \
	X(PARMSET_UNKNOWNTID,         "parmset.unknowntid",         ERR(ENXIO), ERR(ENXIO), OK,          ERR(EINVAL), "PARMSET on a TID not in the LCT") \
	X(PARMSET_RESTORE,            "parmset.restore",            OK,         SKIP,       OK,          SKIP,        "PARMSET restores the original DeviceName")
DEFINE_ROWS(ROWS);

static uint8_t g_orig_name[64];
static int g_have_orig_name;

/* Set, read back here and through a second file. */
static void set_and_read_back(void)
{
	int err, rc, rrc;
	uint8_t name[64], back[64];
	make_name(name, "set", 1);
	rc = set_devname(g_fd, name, &g_u32[0], &err);
	if (check_rc(&rows[PARMSET_OK], NULL, rc, err) == 1) {
		unsigned len = g_u32[0];
		check_true(&rows[PARMSET_RESULT], NULL,
			   len >= 8 && I2O_RES_COUNT(g_res) == 1 && I2O_RES_BSTATUS(g_res) == 0 &&
				   len == 4 + I2O_RES_BSIZE(g_res) * 4u,
			   "expected ResultCount 1, BlockStatus 0, *reslen 4 + BlockSize x 4, got *reslen %u, "
			   "ResultCount %u, BlockStatus 0x%02x, BlockSize %u",
			   len, I2O_RES_COUNT(g_res), I2O_RES_BSTATUS(g_res), I2O_RES_BSIZE(g_res));
		int r = read_devname(g_fd, back, &rrc, &err);
		check_true(&rows[PARMSET_READBACK], NULL, r && memcmp(back, name, 64) == 0,
			   "expected \"%s\", got %s \"%.64s\" (rc %d, errno %s)", (char *)name,
			   r ? "" : "no value", r ? (char *)back : "", rrc, errname(err));
		int fd2 = open_dev(O_RDWR);
		r = fd2 >= 0 && read_devname(fd2, back, &rrc, &err);
		check_true(&rows[PARMSET_READBACK_OTHER], NULL, r && memcmp(back, name, 64) == 0,
			   "expected \"%s\" on a second open file, got %s \"%.64s\"", (char *)name,
			   r ? "" : "no value", r ? (char *)back : "");
		if (fd2 >= 0)
			close(fd2);
	} else {
		DEP_FAIL(NULL, "PARMSET failed", PARMSET_RESULT, PARMSET_READBACK, PARMSET_READBACK_OTHER);
	}
}

/* A read-only field: 0xF100 field 3 (VendorInfo, 16 bytes). */
static void set_read_only(void)
{
	int err, rc;
	uint8_t before[16] = { 0 }, after[16] = { 0 };
	int have_before = 0;
	unsigned oplen = i2o_op_get_field(g_op, 0xF100, 3);
	g_u32[0] = 4096;
	if (i2o_psetget(g_fd, I2OPARMGET, g_iop, g_dev_tid, g_op, oplen, g_res, &g_u32[0], &err) == 0 &&
	    g_u32[0] >= 8 + 16 && I2O_RES_BSTATUS(g_res) == 0) {
		memcpy(before, I2O_RES_DATA(g_res), 16);
		have_before = 1;
	}
	uint8_t junk[16];
	memset(junk, 'Z', sizeof junk);
	oplen = i2o_op_set_field(g_op, 0xF100, 3, junk, 16);
	fill(g_res, 4096);
	g_u32[0] = 4096;
	rc = i2o_psetget(g_fd, I2OPARMSET, g_iop, g_dev_tid, g_op, oplen, g_res, &g_u32[0], &err);
	if (check_rc(&rows[PARMSET_READONLY], NULL, rc, err) == 1)
		check_one_block(&rows[PARMSET_READONLY_STATUS], NULL, g_res, g_u32[0], I2O_PARAMS_STATUS_FIELD_UNWRITEABLE);
	else
		dep_fail(&rows[PARMSET_READONLY_STATUS], NULL, "PARMSET failed");
	oplen = i2o_op_get_field(g_op, 0xF100, 3);
	g_u32[0] = 4096;
	int have_after = i2o_psetget(g_fd, I2OPARMGET, g_iop, g_dev_tid, g_op, oplen, g_res, &g_u32[0], &err) == 0 &&
			 g_u32[0] >= 8 + 16 && I2O_RES_BSTATUS(g_res) == 0;
	if (have_after)
		memcpy(after, I2O_RES_DATA(g_res), 16);
	if (have_before && have_after)
		check_true(&rows[PARMSET_READONLY_UNCHANGED], NULL, memcmp(before, after, 16) == 0,
			   "expected VendorInfo \"%.16s\", got \"%.16s\"", (char *)before, (char *)after);
	else
		dep_fail(&rows[PARMSET_READONLY_UNCHANGED], NULL, "could not read VendorInfo (0xF100 field 3)");
}

static void run(void)
{
	int err, rc, rrc;
	uint8_t name[64];
	if (!g_have_dev) {
		static const int dev_rows[] = {
			PARMSET_OK, PARMSET_RESULT, PARMSET_READBACK, PARMSET_READBACK_OTHER, PARMSET_READONLY,
			PARMSET_READONLY_STATUS, PARMSET_READONLY_UNCHANGED, PARMSET_RESTORE,
		};
		dep_fail_rows(rows, dev_rows, sizeof dev_rows / sizeof dev_rows[0], NULL, "no device in the LCT");
	} else {
		g_have_orig_name = read_devname(g_fd, g_orig_name, &rrc, &err);
		if (!g_have_orig_name)
			note("could not read the original DeviceName (rc %d, errno %s); it will not be restored",
			     rrc, errname(err));
		set_and_read_back();
		set_read_only();
	}

	make_name(name, "set", 2);
	unsigned oplen = i2o_op_set_field(g_op, 0xF102, 0, name, 64);
	g_u32[0] = 4096;
	rc = i2o_psetget(g_fd, I2OPARMSET, g_iop, g_unknown_tid, g_op, oplen, g_res, &g_u32[0], &err);
	check_rc(&rows[PARMSET_UNKNOWNTID], NULL, rc, err);
}

const struct section sec_parmset = SECTION("parmset", rows, run);

static void restore(void)
{
	int err, rc;
	if (!g_have_dev)
		return;		/* dep_fail already reported by the section */
	if (!g_have_orig_name) {
		dep_fail(&rows[PARMSET_RESTORE], NULL, "original DeviceName unknown");
		return;
	}
	rc = set_devname(g_fd, g_orig_name, &g_u32[0], &err);
	check_rc(&rows[PARMSET_RESTORE], NULL, rc, err);
}

/* Runs after the events section; its rows are the section's above. */
const struct section sec_parmset_restore = { "parmset.restore", NULL, 0, restore };
