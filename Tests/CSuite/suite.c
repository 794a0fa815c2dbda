/*
 * suite.c — the state and helpers the sections share (suite.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "suite.h"

/* ------------------------------------------------------------------------------------------ */
/* The device and the machine as discovered                                                    */
/* ------------------------------------------------------------------------------------------ */

const char *g_path;
int g_fd = -1;
unsigned char g_iops[MAX_I2O_CONTROLLERS];
int g_have_iops;
unsigned g_iop;
unsigned g_noiop;
int g_have_lct;
struct lct_entry g_lct[MAX_LCT_ENTRIES];
unsigned g_nlct;
int g_have_dev;
unsigned g_dev_tid;
uint32_t g_dev_class;
unsigned g_unknown_tid;

uint8_t g_ref_parm[BIG];
unsigned g_ref_parm_len;

const struct lct_entry *lct_find(unsigned tid)
{
	for (unsigned i = 0; i < g_nlct; i++)
		if (g_lct[i].tid == tid)
			return &g_lct[i];
	return NULL;
}

int open_dev(int flags)
{
	int fd = open(g_path, flags);
	if (fd < 0)
		note("open(%s) failed: %s", g_path, strerror(errno));
	return fd;
}

/* ------------------------------------------------------------------------------------------ */
/* Memory                                                                                      */
/* ------------------------------------------------------------------------------------------ */

uint8_t *g_res, *g_res2, *g_op, *g_img, *g_up;
unsigned *g_u32;

static void *low_alloc(size_t n)
{
	int flags = MAP_PRIVATE | MAP_ANONYMOUS;
#if defined(__x86_64__) && defined(MAP_32BIT)
	flags |= MAP_32BIT;
#endif
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "i2o-suite: mmap of %zu bytes below 4 GiB failed: %s\n", n, strerror(errno));
		exit(2);
	}
	return p;
}


/* A page that was mapped and then unmapped, with PROT_NONE guard pages kept on both sides so
 * the hole is not reused by a small mapping. */
static void *g_unmapped;
const char *const bad_names[NBAD] = { "unmapped", "addr1" };

void *bad_ptr(int i)
{
	return i == 0 ? g_unmapped : (void *)(uintptr_t)1;
}

static void make_bad_pointers(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = low_alloc((size_t)pg * 3);
	if (mprotect(p, (size_t)pg * 3, PROT_NONE) != 0 || munmap(p + pg, (size_t)pg) != 0) {
		fprintf(stderr, "i2o-suite: cannot make an unmapped page: %s\n", strerror(errno));
		exit(2);
	}
	g_unmapped = p + pg;
}

void alloc_buffers(void)
{
	g_res = low_alloc(BIG);
	g_res2 = low_alloc(BIG);
	g_op = low_alloc(4096);
	g_img = low_alloc(32768);
	g_up = low_alloc(16384);
	g_u32 = low_alloc(4096);
	make_bad_pointers();
}

void fill(void *p, size_t n)
{
	memset(p, CANARY, n);
}

long touched(const void *p, size_t from, size_t to)
{
	const uint8_t *b = p;
	for (size_t i = from; i < to; i++)
		if (b[i] != CANARY)
			return (long)i;
	return -1;
}

long first_diff(const void *a, const void *b, size_t n)
{
	const uint8_t *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return (long)i;
	return -1;
}

/* ------------------------------------------------------------------------------------------ */
/* Shared checks and calls                                                                     */
/* ------------------------------------------------------------------------------------------ */

void check_short(struct row *r, struct row *untouched, const char *sfx, int rc, int err, const uint8_t *buf,
		 unsigned reslen, unsigned len, const char *why)
{
	if (check_rc(r, sfx, rc, err) == 1) {
		long t = touched(buf, 0, BIG);
		check_true(untouched, sfx, t < 0 && reslen == len,
			   "expected *reslen %u and resbuf untouched, got *reslen %u, byte %ld written",
			   len, reslen, t);
	} else {
		dep_fail(untouched, sfx, why);
	}
}

int read_devname(int fd, uint8_t out[64], int *rc_out, int *err_out)
{
	uint8_t *op = g_op + 2048;
	unsigned oplen = i2o_op_get_field(op, 0xF102, 0);
	unsigned *rl = &g_u32[8];
	uint8_t *res = g_res2;
	fill(res, 4096);
	*rl = 4096;
	int rc = i2o_psetget(fd, I2OPARMGET, g_iop, g_dev_tid, op, oplen, res, rl, err_out);
	*rc_out = rc;
	if (rc != 0 || *rl < 8 + 64 || I2O_RES_COUNT(res) != 1 || I2O_RES_BSTATUS(res) != 0)
		return 0;
	memcpy(out, I2O_RES_DATA(res), 64);
	return 1;
}

int set_devname(int fd, const uint8_t name[64], unsigned *reslen, int *err)
{
	uint8_t *op = g_op + 1024;
	unsigned oplen = i2o_op_set_field(op, 0xF102, 0, name, 64);
	fill(g_res, 4096);
	*reslen = 4096;
	return i2o_psetget(fd, I2OPARMSET, g_iop, g_dev_tid, op, oplen, g_res, reslen, err);
}

void make_name(uint8_t name[64], const char *tag, unsigned n)
{
	memset(name, 0, 64);
	snprintf((char *)name, 64, "i2o-suite %s %u/%ld", tag, n, (long)getpid());
}

int cause_field_modified(int fd, const char *tag, unsigned *n)
{
	uint8_t name[64];
	int err;
	make_name(name, tag, (*n)++);
	int rc = set_devname(fd, name, &g_u32[2], &err);
	if (rc != 0)
		note("event PARMSET failed: rc %d errno %s", rc, errname(err));
	return rc == 0 && g_u32[2] >= 8 && I2O_RES_BSTATUS(g_res) == 0;
}

void drain_events(int fd)
{
	struct i2o_evt_get g;
	int err;
	for (int i = 0; i < 64 && i2o_ioctl(fd, I2OEVTGET, &g, &err) == 0; i++)
		;
}

int check_one_block(struct row *r, const char *sfx, const uint8_t *res, unsigned len, unsigned status)
{
	return check_true(r, sfx, len >= 8 && I2O_RES_COUNT(res) == 1 && I2O_RES_BSTATUS(res) == status,
			  "expected *reslen >= 8, ResultCount 1, BlockStatus 0x%02x, got *reslen %u, ResultCount %u, "
			  "BlockStatus 0x%02x",
			  status, len, I2O_RES_COUNT(res), I2O_RES_BSTATUS(res));
}
