/*
 * harness.c — personalities, rows, the checks that judge by them, the watchdog and the output
 * of the C suite (harness.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "harness.h"

const char *const personality_names[NPERS] = {
	[P_DOCUMENTED] = "documented",
	[P_LINUX_2_6_18] = "linux-2.6.18",
	[P_LINUX_2_4] = "linux-2.4",
	[P_LINUX_2_6_18_COMPAT32] = "linux-2.6.18/compat32",
};

static enum personality g_pers = P_DOCUMENTED;
static volatile unsigned g_passed, g_failed, g_skipped;
static const char *volatile g_phase = "startup";
static unsigned g_timeout = 60;

int select_personality(const char *name)
{
	if (strcmp(name, "linux-2.6.18-i386") == 0) {	/* an i386 kernel: every ioctl native */
		g_pers = P_LINUX_2_6_18;
		return 0;
	}
	int found = 0;
	for (int i = 0; i < NPERS; i++)
		if (i != P_LINUX_2_6_18_COMPAT32 && strcmp(name, personality_names[i]) == 0) {
			g_pers = (enum personality)i;
			found = 1;
		}
#if !(defined(__x86_64__) && !defined(__ILP32__))
	if (g_pers == P_LINUX_2_6_18)		/* a 32-bit caller goes through compat_ioctl */
		g_pers = P_LINUX_2_6_18_COMPAT32;
#endif
	return found ? 0 : -1;
}

enum personality personality(void)
{
	return g_pers;
}

static enum transport g_transport = T_DRIVER;

void detect_transport(int fd)
{
	struct stat st;
	char sys[64], target[256] = "";
	if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode)) {
		snprintf(sys, sizeof sys, "/sys/dev/char/%u:%u", major(st.st_rdev), minor(st.st_rdev));
		ssize_t n = readlink(sys, target, sizeof target - 1);
		target[n > 0 ? n : 0] = 0;
		if (strstr(target, "/cuse/"))
			g_transport = T_CUSE;
		note("transport: %s (character device %u:%u%s%s)", g_transport == T_CUSE ? "CUSE" : "a driver's node",
		     major(st.st_rdev), minor(st.st_rdev), *target ? ", " : "", target);
	} else {
		note("transport: a driver's node (not a character device as fstat sees it)");
	}
}

enum transport transport(void)
{
	return g_transport;
}

/* ------------------------------------------------------------------------------------------ */
/* Output                                                                                      */
/* ------------------------------------------------------------------------------------------ */

void out(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
}

const char *errname(int e)
{
	static char buf[16];
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EIO: return "EIO";
	case ENXIO: return "ENXIO";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case ENOSPC: return "ENOSPC";
	case EPIPE: return "EPIPE";
	case ERANGE: return "ERANGE";
	case ENOSYS: return "ENOSYS";
	case ENOBUFS: return "ENOBUFS";
	case ENOTCONN: return "ENOTCONN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case EPROTO: return "EPROTO";
	case EOVERFLOW: return "EOVERFLOW";
	case ECONNREFUSED: return "ECONNREFUSED";
	}
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

/* ------------------------------------------------------------------------------------------ */
/* The watchdog (async-signal-safe): a server that never answers must not hang the suite      */
/* ------------------------------------------------------------------------------------------ */

static size_t sappend(char *b, size_t n, size_t cap, const char *s)
{
	while (*s && n + 1 < cap)
		b[n++] = *s++;
	b[n] = 0;
	return n;
}

static size_t uappend(char *b, size_t n, size_t cap, unsigned v)
{
	char t[12];
	int i = 0;
	do { t[i++] = (char)('0' + v % 10); v /= 10; } while (v && i < 11);
	while (i > 0 && n + 1 < cap)
		b[n++] = t[--i];
	b[n] = 0;
	return n;
}

static void on_alarm(int sig)
{
	char b[512];
	size_t n = 0;
	(void)sig;
	n = sappend(b, n, sizeof b, "FAIL - ");
	n = sappend(b, n, sizeof b, g_phase);
	n = sappend(b, n, sizeof b, ": expected an answer, got none within ");
	n = uappend(b, n, sizeof b, g_timeout);
	n = sappend(b, n, sizeof b, " s (watchdog; remaining checks not run)\n");
	n = uappend(b, n, sizeof b, g_passed);
	n = sappend(b, n, sizeof b, " passed, ");
	n = uappend(b, n, sizeof b, g_failed + 1);
	n = sappend(b, n, sizeof b, " failed\n");
	if (write(1, b, n) < 0) { /* nothing left to do */ }
	_exit(1);
}

static void kick(void)
{
	alarm(g_timeout);
}

void phase(const char *p)
{
	g_phase = p;
	kick();
}

void start_output(unsigned watchdog_seconds)
{
	g_timeout = watchdog_seconds;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
}

void stop_watchdog(void)
{
	alarm(0);
}

void child_watchdog(void)
{
	signal(SIGALRM, SIG_DFL);
	alarm(g_timeout * 2);
}

/* ------------------------------------------------------------------------------------------ */
/* Judging a result by its row                                                                 */
/* ------------------------------------------------------------------------------------------ */

#define NAME_CAP 160

/* Marks the row consulted and writes the check's full name (id, or id/sfx) to name[NAME_CAP].
 * Returns the row's expectation, or prints the skip line and returns NULL with *res = -1. */
static const struct expect *expectation(struct row *r, const char *sfx, char *name, int *res)
{
	r->used = 1;
	if (sfx && *sfx)
		snprintf(name, NAME_CAP, "%s/%s", r->id, sfx);
	else
		snprintf(name, NAME_CAP, "%s", r->id);
	const struct expect *x = &r->x[g_pers];
	/* A CUSE limit stands for the personality's answer, where the personality checks the row. */
	if (g_transport == T_CUSE && r->cuse.kind != XK_UNSET && x->kind != XK_UNSET && x->kind != XK_SKIP) {
		x = &r->cuse;
		size_t len = strlen(name);
		snprintf(name + len, NAME_CAP - len, "/cuse-limit");
	}
	if (x->kind == XK_UNSET || x->kind == XK_SKIP) {
		out("skip - %s: %s in personality %s\n", name,
		    x->kind == XK_SKIP ? "not checked" : "no expectation", personality_names[g_pers]);
		g_skipped++;
		*res = -1;
		return NULL;
	}
	return x;
}

static int pass(const char *name)
{
	out("ok - %s\n", name);
	g_passed++;
	kick();
	return 1;
}

static int fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const char *name, const char *fmt, ...)
{
	char detail[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	out("FAIL - %s: %s\n", name, detail);
	g_failed++;
	kick();
	return 0;
}

/* A call's result (rc, errno): XK_OK means exactly `want`. `kind` names the call in a table
 * error ("syscall", "count"); only a syscall may be expected positive (XK_POS). */
static int check_result(struct row *r, const char *sfx, long rc, int err, long want, const char *kind)
{
	char name[NAME_CAP];
	int res;
	const struct expect *x = expectation(r, sfx, name, &res);
	if (!x)
		return res;
	char got[64];
	if (rc == -1)
		snprintf(got, sizeof got, "-1 (errno %s)", errname(err));
	else
		snprintf(got, sizeof got, "%ld (errno 0)", rc);
	switch (x->kind) {
	case XK_OK:
		return rc == want ? pass(name) : fail(name, "expected %ld, got %s", want, got);
	case XK_ERR:
		return (rc == -1 && err == x->v) ? pass(name)
			: fail(name, "expected -1/%s, got %s", errname((int)x->v), got);
	case XK_POS:
		if (strcmp(kind, "syscall") == 0)
			return rc > 0 ? pass(name) : fail(name, "expected a positive value, got %s", got);
		break;
	case XK_VAL:
		return rc == x->v ? pass(name) : fail(name, "expected %lld, got %s", x->v, got);
	default:
		break;
	}
	return fail(name, "expected a %s expectation in the table, got kind %d (suite bug)", kind, x->kind);
}

int check_rc(struct row *r, const char *sfx, long rc, int err)
{
	return check_result(r, sfx, rc, err, 0, "syscall");
}

int check_count(struct row *r, const char *sfx, long n, int err, long want)
{
	return check_result(r, sfx, n, err, want, "count");
}

/* A value: documented `want`, or the table's XK_VAL. */
int check_val(struct row *r, const char *sfx, unsigned long long got, unsigned long long want)
{
	char name[NAME_CAP];
	int res;
	const struct expect *x = expectation(r, sfx, name, &res);
	if (!x)
		return res;
	if (x->kind == XK_VAL)
		want = (unsigned long long)x->v;
	else if (x->kind != XK_HOLDS)
		return fail(name, "expected a value expectation in the table, got kind %d (suite bug)", x->kind);
	return got == want ? pass(name) : fail(name, "expected %llu (0x%llx), got %llu (0x%llx)", want, want, got, got);
}

/* A property; fmt says what was wrong when it does not hold. */
int check_true(struct row *r, const char *sfx, int cond, const char *fmt, ...)
{
	char name[NAME_CAP], detail[600];
	int res;
	const struct expect *x = expectation(r, sfx, name, &res);
	if (!x)
		return res;
	if (x->kind != XK_HOLDS)
		return fail(name, "expected a property expectation in the table, got kind %d (suite bug)", x->kind);
	if (cond)
		return pass(name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	return fail(name, "%s", detail);
}

void dep_fail(struct row *r, const char *sfx, const char *why)
{
	char name[NAME_CAP];
	int res;
	if (!expectation(r, sfx, name, &res))
		return;
	out("FAIL - %s: expected to run, got not run (dependency failed: %s)\n", name, why);
	g_failed++;
	kick();
}

void dep_fail_rows(struct row *table, const int *ids, size_t n, const char *sfx, const char *why)
{
	for (size_t i = 0; i < n; i++)
		dep_fail(&table[ids[i]], sfx, why);
}

void quiet_skip(struct row *r)
{
	r->used = 1;
}

/* ------------------------------------------------------------------------------------------ */
/* The table as a whole                                                                        */
/* ------------------------------------------------------------------------------------------ */

int verify_rows(const struct section *const *sections, size_t n)
{
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < sections[s]->nrows; i++) {
			const struct row *r = &sections[s]->rows[i];
			if (!r->id || !r->what) {
				fprintf(stderr, "i2o-suite: row %zu of section %s has no entry in its table\n", i,
					sections[s]->phase);
				return -1;
			}
			for (size_t t = s; t < n; t++)
				for (size_t j = t == s ? i + 1 : 0; j < sections[t]->nrows; j++)
					if (sections[t]->rows[j].id && strcmp(r->id, sections[t]->rows[j].id) == 0) {
						fprintf(stderr, "i2o-suite: duplicate check id %s in the table\n", r->id);
						return -1;
					}
		}
	return 0;
}

void list_rows(const struct section *const *sections, size_t n)
{
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < sections[s]->nrows; i++) {
			const struct row *r = &sections[s]->rows[i];
			printf("%-28s", r->id);
			for (int p = 0; p < NPERS; p++) {
				const struct expect *x = &r->x[p];
				switch (x->kind) {
				case XK_OK: printf(" %s=0", personality_names[p]); break;
				case XK_ERR: printf(" %s=%s", personality_names[p], errname((int)x->v)); break;
				case XK_POS: printf(" %s=>0", personality_names[p]); break;
				case XK_HOLDS: printf(" %s=holds", personality_names[p]); break;
				case XK_VAL: printf(" %s=%lld", personality_names[p], x->v); break;
				case XK_SKIP: printf(" %s=skip", personality_names[p]); break;
				default: printf(" %s=-", personality_names[p]); break;
				}
			}
			const struct expect *c = &r->cuse;
			switch (c->kind) {
			case XK_OK: printf(" cuse=0"); break;
			case XK_ERR: printf(" cuse=%s", errname((int)c->v)); break;
			case XK_HOLDS: printf(" cuse=holds"); break;
			case XK_VAL: printf(" cuse=%lld", c->v); break;
			default: break;
			}
			printf("  %s\n", r->what);
		}
}

void run_sections(const struct section *const *sections, size_t n)
{
	for (size_t s = 0; s < n; s++) {
		phase(sections[s]->phase);
		sections[s]->run();
	}
}

int finish(const struct section *const *sections, size_t n)
{
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < sections[s]->nrows; i++)
			if (!sections[s]->rows[i].used) {
				out("FAIL - %s: expected a check to use this row, got none (suite bug: unused row)\n",
				    sections[s]->rows[i].id);
				g_failed++;
			}
	if (g_skipped)
		note("%u checks skipped (no expectation in personality %s)", g_skipped, personality_names[g_pers]);
	out("%u passed, %u failed\n", g_passed, g_failed);
	return g_failed ? 1 : 0;
}
