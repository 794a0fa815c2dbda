/*
 * sec-html.c — HTML (UtilConfigDialog): page 0 of TID 0, a short buffer, a missing page, a
 * query string, bad pointers, a missing IOP and an unknown TID.
 */
#define _GNU_SOURCE
#include <string.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id                     name                     documented    2.6.18       2.4          compat32 */ \
	X(HTML_OK,               "html.ok",               OK,           ERR(EINVAL), OK,          ERR(EINVAL), "HTML page 0 of TID 0") \
	X(HTML_PAGE,             "html.page",             HOLDS,        SKIP,        HOLDS,       SKIP,        "HTML: 0 < *reslen <= capacity, text has '<', nothing written past *reslen") \
	X(HTML_SHORT,            "html.short",            ERR(ENOBUFS), SKIP,        ERR(ENOMEM), ERR(EINVAL), "HTML with *reslen 1") \
	X(HTML_SHORT_UNTOUCHED,  "html.short.untouched",  HOLDS,        SKIP,        SKIP,        SKIP,        "HTML short: length written, nothing copied") \
	X(HTML_NOPAGE,           "html.nopage",           ERR(EIO),     ERR(EINVAL), OK,          ERR(EINVAL), "HTML page 9999") \
	X(HTML_NOPAGE_UNWRITTEN, "html.nopage.unwritten", SKIP,         SKIP,        HOLDS,       SKIP,        "2.4: the unwritten reply buffer's 65536 bytes (the fill 0xA5) copied, *reslen 65536") \
	X(HTML_QUERY,            "html.query",            OK,           ERR(EINVAL), OK,          ERR(EINVAL), "HTML page 0 with query \"a=1\"") \
	X(HTML_BADQUERY,         "html.badquery",         ERR(EFAULT),  ERR(EINVAL), ERR(EFAULT), ERR(EINVAL), "HTML with a bad qbuf") \
	X(HTML_ORDER_IOP,        "html.order.iop",        ERR(ENXIO),   ERR(EINVAL), ERR(ENXIO),  ERR(EINVAL), "HTML with a bad qbuf on a missing IOP: the IOP check comes first") \
	X(HTML_ORDER_TID,        "html.order.tid",        ERR(ENXIO),   ERR(EINVAL), ERR(EFAULT), ERR(EINVAL), "HTML with a bad qbuf on an unknown TID: the TID check first (2.4 checks no TID)") \
	X(HTML_NULLBUF,          "html.nullbuf",          ERR(EFAULT),  ERR(EINVAL), ERR(EFAULT), ERR(EINVAL), "HTML with resbuf NULL") \
	X(HTML_NOIOP,            "html.noiop",            ERR(ENXIO),   ERR(EINVAL), ERR(ENXIO),  ERR(EINVAL), "HTML on an IOP number with no IOP") \
	X(HTML_UNKNOWNTID,       "html.unknowntid",       ERR(ENXIO),   ERR(EINVAL), OK,          ERR(EINVAL), "HTML to a TID not in the LCT")
DEFINE_ROWS(ROWS);

static void run(void)
{
	int err, rc;
	unsigned len = 0;
	char *q = (char *)g_op + 3000;

	fill(g_res, BIG);
	g_u32[0] = BIG;
	rc = i2o_html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], NULL, 0, &err);
	if (check_rc(&rows[HTML_OK], NULL, rc, err) == 1) {
		len = g_u32[0];
		int lt = len > 0 && len <= BIG && memchr(g_res, '<', len) != NULL;
		long t = len <= BIG ? touched(g_res, len, BIG) : -1;
		check_true(&rows[HTML_PAGE], NULL, lt && t < 0,
			   "expected 0 < *reslen <= %u, a '<' in the text, nothing past it, got *reslen %u, %s, %s %ld",
			   BIG, len, lt ? "'<' found" : "no '<'", t >= 0 ? "write at byte " : "tail clean", t >= 0 ? t : 0L);
		if (len == 0 || len > BIG)
			len = 0;
	} else {
		dep_fail(&rows[HTML_PAGE], NULL, "HTML failed");
	}
	if (len > 1) {
		fill(g_res, BIG);
		g_u32[0] = 1;
		rc = i2o_html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], NULL, 0, &err);
		check_short(&rows[HTML_SHORT], &rows[HTML_SHORT_UNTOUCHED], NULL, rc, err, g_res, g_u32[0], len,
			    "short HTML did not give ENOBUFS");
	} else {
		DEP_FAIL(NULL, "page length unknown", HTML_SHORT, HTML_SHORT_UNTOUCHED);
	}
	g_u32[0] = BIG;
	fill(g_res, BIG);
	rc = i2o_html(g_fd, g_iop, 0, 9999, g_res, &g_u32[0], NULL, 0, &err);
	if (check_rc(&rows[HTML_NOPAGE], NULL, rc, err) == 1) {
		/* docs/kernels.md §Unwritten: 2.4 ignores the failure and strnlen runs over its kmalloc'd
		 * reply buffer, which the IOP never wrote. */
		unsigned i = 0;
		while (i < BIG && g_res[i] == 0xA5)
			i++;
		check_true(&rows[HTML_NOPAGE_UNWRITTEN], NULL, g_u32[0] == BIG && i == BIG,
			   "expected *reslen %u and %u bytes of 0xA5, got *reslen %u and %u", BIG, BIG, g_u32[0], i);
	} else {
		dep_fail(&rows[HTML_NOPAGE_UNWRITTEN], NULL, "HTML of a missing page failed");
	}
	memcpy(q, "a=1", 3);
	g_u32[0] = BIG;
	rc = i2o_html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], q, 3, &err);
	check_rc(&rows[HTML_QUERY], NULL, rc, err);
	for (int i = 0; i < NBAD; i++) {
		g_u32[0] = BIG;
		rc = i2o_html(g_fd, g_iop, 0, 0, g_res, &g_u32[0], bad_ptr(i), 3, &err);
		check_rc(&rows[HTML_BADQUERY], bad_names[i], rc, err);
		g_u32[0] = BIG;
		rc = i2o_html(g_fd, g_noiop, 0, 0, g_res, &g_u32[0], bad_ptr(i), 3, &err);
		check_rc(&rows[HTML_ORDER_IOP], bad_names[i], rc, err);
		g_u32[0] = BIG;
		rc = i2o_html(g_fd, g_iop, g_unknown_tid, 0, g_res, &g_u32[0], bad_ptr(i), 3, &err);
		check_rc(&rows[HTML_ORDER_TID], bad_names[i], rc, err);
	}
	g_u32[0] = BIG;
	rc = i2o_html(g_fd, g_iop, 0, 0, NULL, &g_u32[0], NULL, 0, &err);
	check_rc(&rows[HTML_NULLBUF], NULL, rc, err);
	g_u32[0] = BIG;
	rc = i2o_html(g_fd, g_noiop, 0, 0, g_res, &g_u32[0], NULL, 0, &err);
	check_rc(&rows[HTML_NOIOP], NULL, rc, err);
	g_u32[0] = BIG;
	rc = i2o_html(g_fd, g_iop, g_unknown_tid, 0, g_res, &g_u32[0], NULL, 0, &err);
	check_rc(&rows[HTML_UNKNOWNTID], NULL, rc, err);
}

const struct section sec_html = SECTION("html", rows, run);
