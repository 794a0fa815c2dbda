/*
 * i2o-client.h — what the C test clients of /dev/i2o/ctl share: counting checks and the last
 * line `N passed, N failed`, little- and big-endian byte access, the device path, ioctl
 * wrappers that hand back errno beside the result, operation-list fillers and result-list
 * accessors (docs/param-operations.md), and a process's resident memory (for the clients that
 * watch the daemon's).
 *
 * Header only (static inline, as the kernel's tools/testing/selftests/kselftest.h is): a client
 * includes it by its relative path, "../clientlib/i2o-client.h", and still builds with one cc
 * command and no extra source or -I flag. It brings the repository's <linux/i2o-dev.h> the
 * same way, so the layouts and ioctl numbers are the ones the compiler's ABI gives.
 */
#ifndef I2O_CLIENT_H
#define I2O_CLIENT_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "../../include/linux/i2o-dev.h"

/* ------------------------------------------------------------------------------------------ */
/* Counting checks                                                                             */
/* ------------------------------------------------------------------------------------------ */

struct client_tally { int passed, failed; };

/* This program's counts (one per program: the clients are single files). */
static inline struct client_tally *client_tally(void)
{
	static struct client_tally t;
	return &t;
}

/* A failed CHECK: "FAIL func:line: message" on stderr, then " (errno N text)" if with_errno. */
static inline __attribute__((format(printf, 4, 5)))
void client_failed_at(const char *func, int line, int with_errno, const char *fmt, ...)
{
	va_list ap;
	client_tally()->failed++;
	fprintf(stderr, "FAIL %s:%d: ", func, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (with_errno)
		fprintf(stderr, " (errno %d %s)\n", errno, strerror(errno));
	else
		fprintf(stderr, "\n");
}

/* A check that is silent when it holds and says where it failed when it does not. The
 * message's arguments are evaluated only after cond, and only when it failed. */
#define CHECK(cond, ...)							\
	do {									\
		if (cond)							\
			client_tally()->passed++;				\
		else								\
			client_failed_at(__func__, __LINE__, 0, __VA_ARGS__);	\
	} while (0)

/* CHECK, with " (errno N text)" at the end of the failure line. */
#define CHECK_ERRNO(cond, ...)							\
	do {									\
		if (cond)							\
			client_tally()->passed++;				\
		else								\
			client_failed_at(__func__, __LINE__, 1, __VA_ARGS__);	\
	} while (0)

/* One result line on stdout: "ok - message" (a pass) or "FAIL - message" (a failure). */
static inline __attribute__((format(printf, 1, 2))) void client_ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("ok - ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	client_tally()->passed++;
}

static inline __attribute__((format(printf, 1, 2))) void client_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	printf("FAIL - ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	client_tally()->failed++;
}

/* A check that prints a line either way (client_ok / client_fail). */
#define CHECK_TAP(cond, ...)							\
	do {									\
		if (cond)							\
			client_ok(__VA_ARGS__);					\
		else								\
			client_fail(__VA_ARGS__);				\
	} while (0)

/* The last line, exactly "N passed, N failed". Returns the exit status: 1 if a check failed. */
static inline int client_summary(void)
{
	printf("%d passed, %d failed\n", client_tally()->passed, client_tally()->failed);
	return client_tally()->failed ? 1 : 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Bytes: I2O structures are little-endian, SCSI data big-endian                              */
/* ------------------------------------------------------------------------------------------ */

static inline uint16_t le16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t le32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline void put16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline uint16_t be16(const void *p)
{
	const uint8_t *b = p;
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* ------------------------------------------------------------------------------------------ */
/* The device and its ioctls                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The node to test: $I2O_DEVICE when set and not empty, else /dev/i2o/ctl. */
/* A buffer's address as a simple SGL element carries it (32 bits): the kernels' PASSTHRU takes the
 * element's address as the user pointer, so the buffer must lie below 4 GiB (static buffers of a
 * -no-pie build do). Exits 2 naming the buffer when it does not. */
static inline uint32_t i2o_addr32(const void *p)
{
	uintptr_t a = (uintptr_t)p;
#if UINTPTR_MAX > 0xFFFFFFFFu
	if (a > 0xFFFFFFFFu) {
		fprintf(stderr, "buffer %p is above 4 GiB: a simple SGL element cannot name it (build with -no-pie, use static buffers)\n", p);
		exit(2);
	}
#endif
	return (uint32_t)a;
}

static inline const char *i2o_device_path(void)
{
	const char *p = getenv("I2O_DEVICE");
	return p && *p ? p : "/dev/i2o/ctl";
}

/* ioctl(fd, req, arg); *err is its errno when it returned -1, else 0. */
static inline int i2o_ioctl(int fd, unsigned long req, void *arg, int *err)
{
	errno = 0;
	int rc = ioctl(fd, req, arg);
	*err = rc == -1 ? errno : 0;
	return rc;
}

/* HRTGET or LCTGET (req). */
static inline int i2o_hrtlct(int fd, unsigned long req, unsigned iop, void *buf, unsigned *reslen, int *err)
{
	struct i2o_cmd_hrtlct c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.resbuf = buf;
	c.reslen = reslen;
	return i2o_ioctl(fd, req, &c, err);
}

/* PARMGET or PARMSET (req). */
static inline int i2o_psetget(int fd, unsigned long req, unsigned iop, unsigned tid, const void *op, unsigned oplen,
			      void *res, unsigned *reslen, int *err)
{
	struct i2o_cmd_psetget c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.tid = tid;
	c.opbuf = (void *)(uintptr_t)op;
	c.oplen = oplen;
	c.resbuf = res;
	c.reslen = reslen;
	return i2o_ioctl(fd, req, &c, err);
}

/* SWDL, SWUL or SWDEL (req). */
static inline int i2o_swxfer(int fd, unsigned long req, unsigned iop, unsigned char flags, unsigned char type,
			     unsigned id, void *buf, unsigned *swlen, unsigned *maxfrag, unsigned *curfrag, int *err)
{
	struct i2o_sw_xfer c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.flags = flags;
	c.sw_type = type;
	c.sw_id = id;
	c.buf = buf;
	c.swlen = swlen;
	c.maxfrag = maxfrag;
	c.curfrag = curfrag;
	return i2o_ioctl(fd, req, &c, err);
}

static inline int i2o_evtreg(int fd, unsigned iop, unsigned tid, unsigned mask, int *err)
{
	struct i2o_evt_id e;
	e.iop = iop;
	e.tid = tid;
	e.evt_mask = mask;
	return i2o_ioctl(fd, I2OEVTREG, &e, err);
}

static inline int i2o_html(int fd, unsigned iop, unsigned tid, unsigned page, void *res, unsigned *reslen,
			   void *q, unsigned qlen, int *err)
{
	struct i2o_html h;
	memset(&h, 0, sizeof h);
	h.iop = iop;
	h.tid = tid;
	h.page = page;
	h.resbuf = res;
	h.reslen = reslen;
	h.qbuf = q;
	h.qlen = qlen;
	return i2o_ioctl(fd, I2OHTML, &h, err);
}

/* The pass-through a program of this ABI has: PASSTHRU on x86_64, PASSTHRU32 on i386 (whose
 * message address is 32 bits). */
#if defined(__x86_64__) && !defined(__ILP32__)
#define I2O_NATIVE_PASSTHRU I2OPASSTHRU
#else
#define I2O_NATIVE_PASSTHRU I2OPASSTHRU32
#endif

static inline int i2o_passthru(int fd, unsigned iop, void *msg, int *err)
{
#if defined(__x86_64__) && !defined(__ILP32__)
	struct i2o_cmd_passthru c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.msg = msg;
#else
	struct i2o_cmd_passthru32 c;
	memset(&c, 0, sizeof c);
	c.iop = iop;
	c.msg = (uint32_t)(uintptr_t)msg;
#endif
	return i2o_ioctl(fd, I2O_NATIVE_PASSTHRU, &c, err);
}

/* ------------------------------------------------------------------------------------------ */
/* Operation lists and result lists (docs/param-operations.md)                                */
/* ------------------------------------------------------------------------------------------ */

/* FIELD_GET of all fields of group into b (16 bytes); returns the list's length, 12.
 * idx_form 0: FieldCount 0xFFFF and no index; 1: FieldCount 1, FieldIdx 0xFFFF (2.6.18's form). */
static inline unsigned i2o_op_get_all(uint8_t *b, uint16_t group, int idx_form)
{
	memset(b, 0, 16);
	put16(b + 0, 1);			/* OperationCount */
	put16(b + 4, I2O_PARAMS_FIELD_GET);
	put16(b + 6, group);
	if (idx_form) {
		put16(b + 8, 1);
		put16(b + 10, 0xFFFF);
	} else {
		put16(b + 8, 0xFFFF);
	}
	return 12;
}

/* FIELD_GET of one field into b (12 bytes); returns 12. */
static inline unsigned i2o_op_get_field(uint8_t *b, uint16_t group, uint16_t field)
{
	memset(b, 0, 12);
	put16(b + 0, 1);
	put16(b + 4, I2O_PARAMS_FIELD_GET);
	put16(b + 6, group);
	put16(b + 8, 1);
	put16(b + 10, field);
	return 12;
}

/* FIELD_SET of one field to the n bytes at val into b; returns the length, 12 + n rounded up to 4. */
static inline unsigned i2o_op_set_field(uint8_t *b, uint16_t group, uint16_t field, const void *val, unsigned n)
{
	unsigned len = 12 + n;
	len = (len + 3) & ~3u;
	memset(b, 0, len);
	put16(b + 0, 1);
	put16(b + 4, I2O_PARAMS_FIELD_SET);
	put16(b + 6, group);
	put16(b + 8, 1);
	put16(b + 10, field);
	memcpy(b + 12, val, n);
	return len;
}

/* A result list: header (ResultCount, reserved), then the first block's header (BlockSize in
 * words, BlockStatus, ErrorInfoSize), then its field data at byte 8. */
#define I2O_RES_COUNT(r)	le16((const uint8_t *)(r) + 0)
#define I2O_RES_BSIZE(r)	le16((const uint8_t *)(r) + 4)
#define I2O_RES_BSTATUS(r)	(((const uint8_t *)(r))[6])
#define I2O_RES_DATA(r)		((const uint8_t *)(r) + 8)

/* ------------------------------------------------------------------------------------------ */
/* Processes                                                                                   */
/* ------------------------------------------------------------------------------------------ */

/* The resident set of process pid in KiB (VmRSS of /proc/PID/status), or -1 when unknown. */
static inline long client_vmrss_kib(pid_t pid)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long kib = -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

#endif
