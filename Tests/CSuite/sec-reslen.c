/*
 * sec-reslen.c — *reslen that can be read but not written (a page made PROT_READ). The kernels
 * write the length with a put_user whose result they ignore (HRTGET, LCTGET, PARMGET, 2.4's
 * HTML), so the call returns what it would have returned and fills resbuf: only the length is
 * lost. `documented` refuses the call (EFAULT) before it does anything. Under CUSE the host kernel
 * copies *reslen out after the daemon's answer and fails the whole call with EFAULT, which the
 * daemon never sees: those rows carry that limit (X_CUSE rows, docs/decisions.md).
 */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/*     id                     name                        documented   2.6.18        2.4           compat32 CUSE */ \
	X_CUSE(RESLEN_HRTGET,         "reslen.ro.hrtget",         ERR(EFAULT), OK,           OK,           SKIP,    ERR(EFAULT), "HRTGET with *reslen (65536) on a read-only page: the kernels ignore put_user's fault") \
	X_CUSE(RESLEN_HRTGET_FILLED,  "reslen.ro.hrtget.filled",  VAL(0),      VAL(1),       VAL(1),       SKIP,    VAL(0),      "read-only *reslen: HRTGET copied the table it gives with a writable one (1) or nothing (0)") \
	X_CUSE(RESLEN_LCTGET,         "reslen.ro.lctget",         ERR(EFAULT), OK,           OK,           SKIP,    ERR(EFAULT), "LCTGET with *reslen (65536) on a read-only page") \
	X_CUSE(RESLEN_LCTGET_FILLED,  "reslen.ro.lctget.filled",  VAL(0),      VAL(1),       VAL(1),       SKIP,    VAL(0),      "read-only *reslen: LCTGET copied the table (1) or nothing (0)") \
	X_CUSE(RESLEN_LCTGET_SHORT,   "reslen.ro.lctget.short",   ERR(EFAULT), ERR(ENOBUFS), ERR(ENOBUFS), SKIP,    ERR(EFAULT), "LCTGET with *reslen 4 on a read-only page: the kernels' ENOBUFS, the length lost") \
	X_CUSE(RESLEN_PARMGET,        "reslen.ro.parmget",        ERR(EFAULT), OK,           OK,           SKIP,    ERR(EFAULT), "PARMGET 0xF100 of TID 0 with *reslen (65536) on a read-only page") \
	X_CUSE(RESLEN_PARMGET_FILLED, "reslen.ro.parmget.filled", VAL(0),      SKIP,         VAL(1),       SKIP,    VAL(0),      "read-only *reslen: PARMGET copied the result list (1) or nothing (0); 2.6.18 copies none") \
	X_CUSE(RESLEN_HTML,           "reslen.ro.html",           ERR(EFAULT), SKIP,         OK,           SKIP,    ERR(EFAULT), "HTML page 0 of TID 0 with *reslen (65536) on a read-only page (2.6.18 has no HTML)") \
	X_CUSE(RESLEN_HTML_FILLED,    "reslen.ro.html.filled",    VAL(0),      SKIP,         VAL(1),       SKIP,    VAL(0),      "read-only *reslen: HTML copied the page (1) or nothing (0)")
DEFINE_ROWS(ROWS);

/* The read-only cells: [0] 65536, [1] 4. */
static unsigned *g_ro;

static unsigned *readonly_cells(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned *p = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	p[0] = BIG;
	p[1] = 4;
	if (mprotect(p, (size_t)pg, PROT_READ) != 0) {
		munmap(p, (size_t)pg);
		return NULL;
	}
	return p;
}

/* One call of the ioctl under test: into `buf`, the length at `reslen`. */
typedef int (*call_fn)(void *buf, unsigned *reslen, int *err);

static int call_hrtget(void *buf, unsigned *reslen, int *err)
{
	return i2o_hrtlct(g_fd, I2OHRTGET, g_iop, buf, reslen, err);
}

static int call_lctget(void *buf, unsigned *reslen, int *err)
{
	return i2o_hrtlct(g_fd, I2OLCTGET, g_iop, buf, reslen, err);
}

static int call_parmget(void *buf, unsigned *reslen, int *err)
{
	unsigned oplen = i2o_op_get_all(g_op, 0xF100, 0);
	return i2o_psetget(g_fd, I2OPARMGET, g_iop, 0, g_op, oplen, buf, reslen, err);
}

static int call_html(void *buf, unsigned *reslen, int *err)
{
	return i2o_html(g_fd, g_iop, 0, 0, buf, reslen, NULL, 0, err);
}

/* The call with *reslen 65536 in ordinary memory (the reference, into g_res2), then on the
 * read-only page (into g_res): `r` judges the second call, `filled` whether g_res then holds
 * the reference's bytes (1) or not (0). */
static void readonly_call(call_fn call, struct row *r, struct row *filled, const char *what)
{
	int err, rc;

	fill(g_res2, BIG);
	g_u32[0] = BIG;
	rc = call(g_res2, &g_u32[0], &err);
	unsigned len = rc == 0 && g_u32[0] <= BIG ? g_u32[0] : 0;
	fill(g_res, BIG);
	rc = call(g_res, &g_ro[0], &err);
	check_rc(r, NULL, rc, err);
	if (len == 0) {
		dep_fail(filled, NULL, what);
		return;
	}
	int same = first_diff(g_res, g_res2, len) < 0 && touched(g_res, 0, len) >= 0;
	check_val(filled, NULL, (unsigned long long)same, 1);
}

static void run(void)
{
	int err, rc;

	g_ro = readonly_cells();
	if (!g_ro) {
		for (int i = 0; i < NROWS; i++)
			dep_fail(&rows[i], NULL, "no read-only page (mmap/mprotect failed)");
		return;
	}
	note("read-only *reslen at %p", (void *)g_ro);

	readonly_call(call_hrtget, &rows[RESLEN_HRTGET], &rows[RESLEN_HRTGET_FILLED], "HRTGET with a writable *reslen failed");
	readonly_call(call_lctget, &rows[RESLEN_LCTGET], &rows[RESLEN_LCTGET_FILLED], "LCTGET with a writable *reslen failed");
	readonly_call(call_parmget, &rows[RESLEN_PARMGET], &rows[RESLEN_PARMGET_FILLED],
		      "PARMGET with a writable *reslen failed or gave no result");
	readonly_call(call_html, &rows[RESLEN_HTML], &rows[RESLEN_HTML_FILLED], "HTML with a writable *reslen failed");

	fill(g_res, BIG);
	rc = call_lctget(g_res, &g_ro[1], &err);
	check_rc(&rows[RESLEN_LCTGET_SHORT], NULL, rc, err);

	munmap(g_ro, (size_t)sysconf(_SC_PAGESIZE));
	g_ro = NULL;
}

const struct section sec_reslen = SECTION("reslen", rows, run);
