/*
 * harness.h — the C suite's harness: personalities, expectation rows, the checks that judge a
 * result by its row, the watchdog, and the output (`ok - NAME`, `FAIL - NAME: ...`,
 * `skip - NAME: ...`, `# ...`, and last exactly `N passed, N failed`).
 *
 * Rows are checked. Each section file declares its rows as an enum and a table indexed by it
 * (see struct row): a check names its row as &rows[NAME], so a misspelt row does not compile.
 * At start-up every row must have an entry and a unique id; a row that no check consulted by
 * the end of the run is reported as a failure (suite bug).
 */
#ifndef HARNESS_H
#define HARNESS_H

#include <stddef.h>
#include <stdio.h>

/* The columns of the table (docs/contract.md). */
enum personality {
	P_DOCUMENTED,
	P_LINUX_2_6_18,
	P_LINUX_2_4,
	/* linux-2.6.18 (an x86_64 kernel) seen by a 32-bit caller: its compat_ioctl offers GETIOPS
	 * and PASSTHRU32 only (docs/kernels.md §Compat32). Not named on the command line: `-p
	 * linux-2.6.18` selects it in the i386 build. `-p linux-2.6.18-i386` (an i386 kernel, every
	 * ioctl native) selects the linux-2.6.18 column in either build. */
	P_LINUX_2_6_18_COMPAT32,
	NPERS
};
extern const char *const personality_names[NPERS];

enum xkind {
	XK_UNSET = 0,	/* no expectation written for this personality: reported as skip */
	XK_OK,		/* ioctl/syscall returns 0 (or the documented count for read) */
	XK_ERR,		/* returns -1 with errno v */
	XK_POS,		/* returns a positive value (kernel personalities: status as return) */
	XK_HOLDS,	/* a property check: the documented relation holds */
	XK_VAL,		/* a value check: the value equals v (instead of the documented one) */
	XK_SKIP,	/* deliberately not checked in this personality */
};
struct expect { enum xkind kind; long long v; };

#define OK	{ XK_OK, 0 }
#define ERR(e)	{ XK_ERR, (e) }
#define POS	{ XK_POS, 0 }
#define HOLDS	{ XK_HOLDS, 0 }
#define VAL(x)	{ XK_VAL, (x) }
#define SKIP	{ XK_SKIP, 0 }

/* One row of the expectation table: the check id as printed, what each personality answers,
 * and what the check is. Sections run
 * a check's dependents only when the check passed; when a personality marks a check SKIP, mark
 * the checks that depend on it SKIP too (or they report "dependency failed").
 *
 * A section file declares its rows once, in one table next to its checks, one row a line, the
 * columns in the order of enum personality; DEFINE_ROWS makes the enum of row names and the
 * table `rows` from it, so a check names its row as &rows[NAME] and a misspelt row does not compile:
 *
 *	#define ROWS(X, X_CUSE) \
 *		X(GETIOPS_OK, "getiops.ok", OK, OK, OK, OK, "GETIOPS succeeds") \
 *		...
 *	DEFINE_ROWS(ROWS);
 *	... check_rc(&rows[GETIOPS_OK], NULL, rc, err);
 *
 * X_CUSE marks a row a CUSE node cannot honour (docs/decisions.md): its extra column, before the
 * description, is what every personality that checks the row answers when the suite runs on
 * CUSE — the transport's limit, checked as such (the check is named ID/cuse-limit), never a
 * silent pass.
 */
#define ROW_NAME(id, ...) id,
#define ROW_INIT(id, name, documented, k2618, k24, k2618_compat32, what) \
	[id] = { (name), { documented, k2618, k24, k2618_compat32 }, (what), 0, { XK_UNSET, 0 } },
#define ROW_INIT_CUSE(id, name, documented, k2618, k24, k2618_compat32, cuse, what) \
	[id] = { (name), { documented, k2618, k24, k2618_compat32 }, (what), 0, cuse },
#define DEFINE_ROWS(ROWS) \
	enum { ROWS(ROW_NAME, ROW_NAME) NROWS }; \
	static struct row rows[NROWS] = { ROWS(ROW_INIT, ROW_INIT_CUSE) }
_Static_assert(NPERS == 4, "ROW_INIT names one column per personality");

struct row {
	const char *id;
	struct expect x[NPERS];
	const char *what;
	int used;		/* a check consulted the row (set by the harness) */
	struct expect cuse;	/* XK_UNSET: CUSE answers as the personality's column */
};

/* What serves the node: a driver's own node (the kernel's misc device 10:166, or the preload
 * library's imitation of it) or a CUSE device (its /sys/dev/char entry is in class cuse). */
enum transport { T_DRIVER, T_CUSE };
/* Decides it from the open file fd (fstat, /sys/dev/char); says so in a note. */
void detect_transport(int fd);
enum transport transport(void);

/* A section: the phase the watchdog names while it runs, its rows, and its checks. */
struct section {
	const char *phase;
	struct row *rows;
	size_t nrows;
	void (*run)(void);
};
#define SECTION(phase, rows, run) { (phase), (rows), sizeof(rows) / sizeof((rows)[0]), (run) }

/* Selecting the column: by its command-line name (the i386 build turns linux-2.6.18 into its
 * compat32 column; linux-2.6.18-i386 is the linux-2.6.18 column). Returns 0, or -1 for an
 * unknown name. */
int select_personality(const char *name);
enum personality personality(void);

/* Start-up: every row of every section has an entry and no id repeats. Returns 0, or -1 after
 * saying what is wrong on stderr. */
int verify_rows(const struct section *const *sections, size_t n);
/* `-l`: every row with its expectations. */
void list_rows(const struct section *const *sections, size_t n);
/* Runs the sections in order, each under its phase. */
void run_sections(const struct section *const *sections, size_t n);
/* The end: rows no check consulted fail, the skip note, the `N passed, N failed` line.
 * Returns the exit status (0 nothing failed, 1 failures). */
int finish(const struct section *const *sections, size_t n);

/* Line-buffered stdout, SIGPIPE ignored, the watchdog installed: if no check completes for
 * watchdog_seconds, it prints a FAIL for the current phase and the summary, and exits 1. */
void start_output(unsigned watchdog_seconds);
/* Names the phase the watchdog reports, and restarts it. */
void phase(const char *p);
void stop_watchdog(void);
/* In a forked child: the parent's watchdog must not report from here; the child gets twice
 * the watchdog time to finish. */
void child_watchdog(void);

/* Checks. Each returns 1 pass, 0 fail, -1 skipped (no expectation in this personality).
 * sfx names a variant (`/unmapped`, `/iop0`, ...) or is NULL. */
int check_rc(struct row *r, const char *sfx, long rc, int err);		/* a syscall result */
int check_count(struct row *r, const char *sfx, long n, int err, long want);	/* a byte count: XK_OK = want */
int check_val(struct row *r, const char *sfx, unsigned long long got, unsigned long long want);
int check_true(struct row *r, const char *sfx, int cond, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* A check that cannot run because something it needs failed: a failure, never a silent pass. */
void dep_fail(struct row *r, const char *sfx, const char *why);
/* dep_fail for each of the n rows table[ids[i]] (a section's rows), all for one reason. */
void dep_fail_rows(struct row *table, const int *ids, size_t n, const char *sfx, const char *why);
/* The same for rows named in place, of the section's table `rows`: DEP_FAIL(sfx, why, ID, ...). */
#define DEP_FAIL(sfx, why, ...)								\
	dep_fail_rows(rows, (const int[]){ __VA_ARGS__ }, sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int),	\
		      (sfx), (why))
/* A row whose check runs once per thing found (`.each`: per IOP GETIOPS reports) and so may
 * run zero times without a line: it counts as consulted all the same. */
void quiet_skip(struct row *r);

/* The raw output: a line as given, and a `# ` comment line. */
void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "EFAULT" for EFAULT, "E123" for what it does not know. Not reentrant. */
const char *errname(int e);

#endif
