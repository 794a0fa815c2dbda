/*
 * sec-poll.c — how an open file tells its events: poll()'s mask with nothing queued and with an
 * event queued, select() for reading and writing, epoll_ctl, and asynchronous notification
 * (FIOASYNC, F_SETFL O_ASYNC, F_SETOWN, F_SETSIG, and the signal when an event is queued).
 *
 * Both kernels' driver has no poll method — the kernel's default mask at all times, epoll
 * refused with EPERM — and a fasync method, which 2.4 calls back for every event it queues
 * (SIGIO to the F_SETOWN owner); the documented node polls its event queue and has no fasync
 * (docs/kernels.md §FileOps, docs/contract.md). A CUSE file always has a poll method and never
 * a fasync one: those rows carry the CUSE limit (X_CUSE rows, docs/decisions.md). Events are
 * caused as in sec-events.c: a PARMSET of DeviceName from a second file.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#include "suite.h"

/* What a file without a poll method reports (the kernels' DEFAULT_POLLMASK). */
#define DEFMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
/* Every event poll() is asked for here. */
#define ALLEV (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM | POLLPRI)

#define ROWS(X, X_CUSE) \
	/*     id                name                      documented   2.6.18        2.4           compat32      CUSE */ \
	X(POLL_MASK_IDLE,   "poll.mask.idle",         HOLDS,       VAL(DEFMASK), VAL(DEFMASK), VAL(DEFMASK),              "poll() for every event, nothing queued: none; the kernels: the default mask (no poll method)") \
	X(SELECT_READ_IDLE, "select.read.idle",       HOLDS,       VAL(1),       VAL(1),       VAL(1),                    "select() for reading, nothing queued: 0 ready; the kernels: readable at all times") \
	X(SELECT_WRITE,     "select.write",           HOLDS,       VAL(1),       VAL(1),       VAL(1),                    "select() for writing (100 ms): 0 ready; the kernels: writable at all times") \
	X_CUSE(EPOLL_CTL,        "epoll.ctl",              ERR(EPERM),  ERR(EPERM),   ERR(EPERM),   ERR(EPERM),   OK,          "epoll_ctl ADD: EPERM (no poll method; documented: a preload limit)") \
	X(FIOASYNC_OFF,     "fasync.fioasync.off",    OK,          OK,           OK,           OK,                        "FIOASYNC 0 on a file without O_ASYNC (no change: no driver call)") \
	X_CUSE(FIOASYNC_ON,      "fasync.fioasync",        ERR(ENOTTY), OK,           OK,           OK,           ERR(ENOTTY), "FIOASYNC 1: the kernels' fasync accepts; documented has none (ENOTTY)") \
	X_CUSE(FIOASYNC_GETFL,   "fasync.fioasync.getfl",  VAL(0),      HOLDS,        HOLDS,        HOLDS,        VAL(0),      "after FIOASYNC 1, F_GETFL has O_ASYNC") \
	X(FIOASYNC_BADPTR,  "fasync.fioasync.badptr", ERR(EFAULT), ERR(EFAULT),  ERR(EFAULT),  ERR(EFAULT),               "FIOASYNC with a bad pointer") \
	X(SETFL_ASYNC,      "fasync.setfl",           OK,          OK,           OK,           OK,                        "F_SETFL O_ASYNC (without fasync too: 0)") \
	X_CUSE(SETFL_GETFL,      "fasync.setfl.getfl",     VAL(0),      HOLDS,        HOLDS,        HOLDS,        VAL(0),      "after F_SETFL O_ASYNC, F_GETFL has O_ASYNC (without fasync, as today's kernels: not)") \
	X(SETOWN,           "fasync.setown",          OK,          OK,           OK,           OK,                        "F_SETOWN getpid()") \
	X(GETOWN,           "fasync.getown",          HOLDS,       HOLDS,        HOLDS,        HOLDS,                     "F_GETOWN is getpid()") \
	X(DUP_SHARES,       "fasync.dup",             HOLDS,       HOLDS,        HOLDS,        HOLDS,                     "a dup shares the open file's owner and O_ASYNC flag") \
	X(SETSIG_BAD,       "fasync.setsig.bad",      ERR(EINVAL), ERR(EINVAL),  ERR(EINVAL),  ERR(EINVAL),               "F_SETSIG 65 (above _NSIG)") \
	X(POLL_MASK_QUEUED, "poll.mask.queued",       HOLDS,       SKIP,         VAL(DEFMASK), SKIP,                      "poll() for every event with an event queued: POLLIN|POLLRDNORM; 2.4: the default mask") \
	X_CUSE(SIGIO_EVENT,      "fasync.sigio",           VAL(0),      SKIP,         HOLDS,        SKIP,         VAL(0),      "O_ASYNC, owner getpid(): an event queued brings SIGIO (2.4's kill_fasync); documented: none") \
	X_CUSE(SIGIO_SETSIG,     "fasync.sigio.setsig",    VAL(0),      SKIP,         HOLDS,        SKIP,         VAL(0),      "F_SETSIG SIGUSR2: an event queued brings SIGUSR2 instead") \
	X(SIGIO_OFF,        "fasync.sigio.off",       HOLDS,       SKIP,         HOLDS,        SKIP,                      "O_ASYNC cleared: an event queued brings no signal")
DEFINE_ROWS(ROWS);

/* ---------------------------------------------------------------- poll, select, epoll */

static void poll_select_epoll(int fa)
{
	phase("poll.mask");
	struct pollfd p = { .fd = fa, .events = ALLEV, .revents = 0 };
	int rc = poll(&p, 1, 0);
	check_val(&rows[POLL_MASK_IDLE], NULL, rc < 0 ? ~0ull : (unsigned short)p.revents, 0);

	phase("select");
	fd_set set;
	struct timeval tv = { 0, 0 };
	FD_ZERO(&set);
	FD_SET(fa, &set);
	rc = select(fa + 1, &set, NULL, NULL, &tv);
	check_val(&rows[SELECT_READ_IDLE], NULL, rc < 0 ? ~0ull : (unsigned long long)(rc == 1 && FD_ISSET(fa, &set)), 0);
	FD_ZERO(&set);
	FD_SET(fa, &set);
	tv.tv_sec = 0;
	tv.tv_usec = 100 * 1000;
	rc = select(fa + 1, NULL, &set, NULL, &tv);
	check_val(&rows[SELECT_WRITE], NULL, rc < 0 ? ~0ull : (unsigned long long)(rc == 1 && FD_ISSET(fa, &set)), 0);

	phase("epoll");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0) {
		dep_fail(&rows[EPOLL_CTL], NULL, "epoll_create1 failed");
		return;
	}
	struct epoll_event ev = { .events = EPOLLIN };
	ev.data.fd = fa;
	errno = 0;
	rc = epoll_ctl(ep, EPOLL_CTL_ADD, fa, &ev);
	check_rc(&rows[EPOLL_CTL], NULL, rc, errno);
	close(ep);
}

/* ---------------------------------------------------------------- FIOASYNC and fcntl */

static int has_async(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_ASYNC);
}

/* FIOASYNC on a fresh file: off (no change), on, F_GETFL, off again; a bad pointer. */
static void fioasync(int fd)
{
	phase("fasync.fioasync");
	int off = 0, on = 1;
	int rc = ioctl(fd, FIOASYNC, &off);
	check_rc(&rows[FIOASYNC_OFF], NULL, rc, errno);
	rc = ioctl(fd, FIOASYNC, &on);
	check_rc(&rows[FIOASYNC_ON], NULL, rc, errno);
	check_val(&rows[FIOASYNC_GETFL], NULL, (unsigned long long)has_async(fd), 1);
	if (ioctl(fd, FIOASYNC, &off) != 0)
		note("FIOASYNC 0 after FIOASYNC 1 failed: errno %s", errname(errno));
	for (int i = 0; i < NBAD; i++) {
		rc = ioctl(fd, FIOASYNC, bad_ptr(i));
		check_rc(&rows[FIOASYNC_BADPTR], bad_names[i], rc, errno);
	}
}

/* F_SETFL O_ASYNC, F_SETOWN, a dup, F_SETSIG out of range; O_ASYNC is cleared again at the end. */
static void fcntl_async(int fd)
{
	phase("fasync.fcntl");
	int fl = fcntl(fd, F_GETFL);
	int rc = fcntl(fd, F_SETFL, (fl < 0 ? O_RDWR : fl) | O_ASYNC);
	if (check_rc(&rows[SETFL_ASYNC], NULL, rc, errno) == 1)
		check_val(&rows[SETFL_GETFL], NULL, (unsigned long long)has_async(fd), 1);
	else
		dep_fail(&rows[SETFL_GETFL], NULL, "F_SETFL O_ASYNC failed");
	rc = fcntl(fd, F_SETOWN, getpid());
	if (check_rc(&rows[SETOWN], NULL, rc, errno) == 1) {
		int owner = fcntl(fd, F_GETOWN);
		check_true(&rows[GETOWN], NULL, owner == getpid(), "expected owner %d, got %d", (int)getpid(), owner);
		int d = dup(fd);
		int downer = d >= 0 ? fcntl(d, F_GETOWN) : -1;
		check_true(&rows[DUP_SHARES], NULL, d >= 0 && downer == getpid() && has_async(d) == has_async(fd),
			   "expected dup %d with owner %d and O_ASYNC %s, got owner %d, F_GETFL 0x%x", d, (int)getpid(),
			   has_async(fd) ? "set" : "clear", downer, d >= 0 ? (unsigned)fcntl(d, F_GETFL) : 0u);
		if (d >= 0)
			close(d);
	} else {
		DEP_FAIL(NULL, "F_SETOWN failed", GETOWN, DUP_SHARES);
	}
	rc = fcntl(fd, F_SETSIG, 65);
	check_rc(&rows[SETSIG_BAD], NULL, rc, errno);
	fl = fcntl(fd, F_GETFL);
	if (fl >= 0 && fcntl(fd, F_SETFL, fl & ~O_ASYNC) != 0)
		note("clearing O_ASYNC failed: errno %s", errname(errno));
}

/* ---------------------------------------------------------------- the signal of a queued event */

static unsigned g_cause_n = 200;

/* A FIELD_MODIFIED on the device, caused from file fd (as sec-events.c's trigger). */
static int cause_event(int fd)
{
	return cause_field_modified(fd, "poll", &g_cause_n);
}

/* Whether signal sig (blocked) arrives within ms: 1 or 0. */
static int got_signal(int sig, int ms)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	int r;
	do
		r = sigtimedwait(&s, NULL, &ts);
	while (r < 0 && errno == EINTR);
	return r == sig;
}

/* The signals the checks wait for, taken if pending. */
static void clear_signals(void)
{
	struct timespec zero = { 0, 0 };
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGIO);
	sigaddset(&s, SIGUSR2);
	while (sigtimedwait(&s, NULL, &zero) > 0)
		;
}

/* A signal, if any, is sent while the PARMSET is answered; half a second covers delivery. */
#define SIGNAL_WAIT_MS 500

/* fa registered for FIELD_MODIFIED, O_ASYNC and owned by this process; fb causes the events. */
static void queued_events(int fa, int fb)
{
	static const int ids[] = { POLL_MASK_QUEUED, SIGIO_EVENT, SIGIO_SETSIG, SIGIO_OFF };
	int err;
	phase("fasync.sigio");
	int reg = i2o_evtreg(fa, g_iop, g_dev_tid, I2O_EVT_IND_FIELD_MODIFIED, &err) == 0;
	int fl = fcntl(fa, F_GETFL);
	int armed = reg && fl >= 0 && fcntl(fa, F_SETOWN, getpid()) == 0 && fcntl(fa, F_SETFL, fl | O_ASYNC) == 0;
	if (!armed || !cause_event(fb)) {
		const char *why = !reg ? "EVTREG failed" : !armed ? "F_SETOWN or F_SETFL O_ASYNC failed"
								: "the event's PARMSET failed";
		dep_fail_rows(rows, ids, sizeof ids / sizeof ids[0], NULL, why);
		return;
	}
	int sigio = got_signal(SIGIO, SIGNAL_WAIT_MS);
	struct pollfd p = { .fd = fa, .events = ALLEV, .revents = 0 };
	int rc = poll(&p, 1, 0);
	check_val(&rows[POLL_MASK_QUEUED], NULL, rc < 0 ? ~0ull : (unsigned short)p.revents, POLLIN | POLLRDNORM);
	check_val(&rows[SIGIO_EVENT], NULL, (unsigned long long)sigio, 1);
	drain_events(fa);

	if (fcntl(fa, F_SETSIG, SIGUSR2) == 0 && cause_event(fb)) {
		check_val(&rows[SIGIO_SETSIG], NULL, (unsigned long long)got_signal(SIGUSR2, SIGNAL_WAIT_MS), 1);
	} else {
		dep_fail(&rows[SIGIO_SETSIG], NULL, "F_SETSIG or the event's PARMSET failed");
	}
	drain_events(fa);
	if (fcntl(fa, F_SETSIG, 0) != 0)
		note("F_SETSIG 0 failed: errno %s", errname(errno));

	clear_signals();
	if (fcntl(fa, F_SETFL, fl & ~O_ASYNC) == 0 && cause_event(fb)) {
		check_val(&rows[SIGIO_OFF], NULL, (unsigned long long)got_signal(SIGIO, SIGNAL_WAIT_MS), 0);
	} else {
		dep_fail(&rows[SIGIO_OFF], NULL, "clearing O_ASYNC or the event's PARMSET failed");
	}
	drain_events(fa);
	if (i2o_evtreg(fa, g_iop, g_dev_tid, 0, &err) != 0)
		note("cancelling the registration failed: errno %s", errname(err));
}

static void run(void)
{
	static const int dev_rows[] = { POLL_MASK_QUEUED, SIGIO_EVENT, SIGIO_SETSIG, SIGIO_OFF };
	int fa = open_dev(O_RDWR);
	int fb = open_dev(O_RDWR);
	if (fa < 0 || fb < 0) {
		for (int i = 0; i < NROWS; i++)
			dep_fail(&rows[i], NULL, "cannot open two more files");
	} else {
		poll_select_epoll(fa);
		fioasync(fa);
		fcntl_async(fa);
		if (g_have_dev) {
			/* The signals stay blocked until they are waited for; none is left pending. */
			sigset_t s, old;
			sigemptyset(&s);
			sigaddset(&s, SIGIO);
			sigaddset(&s, SIGUSR2);
			sigprocmask(SIG_BLOCK, &s, &old);
			clear_signals();
			queued_events(fa, fb);
			clear_signals();
			sigprocmask(SIG_SETMASK, &old, NULL);
		} else {
			dep_fail_rows(rows, dev_rows, sizeof dev_rows / sizeof dev_rows[0], NULL, "no device in the LCT");
		}
	}
	if (fa >= 0)
		close(fa);
	if (fb >= 0)
		close(fb);
}

const struct section sec_poll = SECTION("poll", rows, run);
