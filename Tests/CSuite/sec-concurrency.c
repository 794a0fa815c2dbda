/*
 * sec-concurrency.c — concurrency: processes looping on HRTGET/LCTGET and threads looping on
 * PARMGET, each on its own open file, all at once, every result compared with a reference;
 * then the device must still answer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suite.h"

#define ROWS(X, X_CUSE) \
	/* id            name            documented 2.6.18 2.4    compat32 */ \
	X(CONC_THREADS, "conc.threads", HOLDS,     SKIP,  HOLDS, SKIP,        "4 threads x 200 PARMGETs on own fds: all succeed, identical results") \
	X(CONC_PROCS,   "conc.procs",   HOLDS,     HOLDS, HOLDS, SKIP,        "3 processes x HRTGET/LCTGET loops: all succeed, identical results") \
	X(CONC_AFTER,   "conc.after",   OK,        OK,    OK,    ERR(EINVAL), "the device still answers after the concurrent load")
DEFINE_ROWS(ROWS);

#define N_THREADS 4
#define THREAD_ITER 200
#define N_PROCS 3
#define PROC_ITER 100

struct worker { int index; unsigned ok, bad, err; int first_errno; long first_diff; };

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	int fd = open(g_path, O_RDWR);
	if (fd < 0) {
		w->err = THREAD_ITER;
		w->first_errno = errno;
		return NULL;
	}
	uint8_t op[16], *res = malloc(BIG);
	unsigned oplen = i2o_op_get_all(op, 0xF100, 0), reslen;
	if (!res) {
		close(fd);
		w->err = THREAD_ITER;
		w->first_errno = ENOMEM;
		return NULL;
	}
	for (int i = 0; i < THREAD_ITER; i++) {
		int err;
		reslen = BIG;
		int rc = i2o_psetget(fd, I2OPARMGET, g_iop, g_dev_tid, op, oplen, res, &reslen, &err);
		if (rc != 0) {
			if (!w->err)
				w->first_errno = err;
			w->err++;
		} else if (reslen != g_ref_parm_len || first_diff(res, g_ref_parm, reslen) >= 0) {
			if (!w->bad)
				w->first_diff = reslen != g_ref_parm_len ? -1 : first_diff(res, g_ref_parm, reslen);
			w->bad++;
		} else {
			w->ok++;
		}
	}
	free(res);
	close(fd);
	return NULL;
}

/* Child: HRTGET/LCTGET loops compared with the parent's reads. Exit status = failures (<= 255). */
static void child_main(const uint8_t *hrt, unsigned hlen, const uint8_t *lct, unsigned llen)
{
	child_watchdog();
	int fd = open(g_path, O_RDWR);
	if (fd < 0)
		_exit(255);
	uint8_t *buf = malloc(BIG);
	unsigned fails = 0, len;
	int err;
	if (!buf)
		_exit(255);
	for (int i = 0; i < PROC_ITER; i++) {
		len = BIG;
		if (i2o_hrtlct(fd, I2OHRTGET, g_iop, buf, &len, &err) != 0 || len != hlen || memcmp(buf, hrt, hlen) != 0)
			fails++;
		len = BIG;
		if (i2o_hrtlct(fd, I2OLCTGET, g_iop, buf, &len, &err) != 0 || len != llen || memcmp(buf, lct, llen) != 0)
			fails++;
	}
	close(fd);
	_exit(fails > 254 ? 254 : (int)fails);
}

/* Starts the threads, waits for them, and judges their results. */
static void threads(void)
{
	struct worker ws[N_THREADS];
	pthread_t th[N_THREADS];
	int nth = 0;
	if (!(g_have_dev && g_ref_parm_len >= 8)) {
		dep_fail(&rows[CONC_THREADS], NULL, "no device or no reference PARMGET result");
		return;
	}
	for (int i = 0; i < N_THREADS; i++) {
		memset(&ws[i], 0, sizeof ws[i]);
		ws[i].index = i;
		if (pthread_create(&th[nth], NULL, thread_main, &ws[i]) == 0)
			nth++;
	}
	unsigned ok = 0, bad = 0, errs = 0;
	int fe = 0;
	long fd_ = -2;
	for (int i = 0; i < nth; i++) {
		pthread_join(th[i], NULL);
		ok += ws[i].ok;
		bad += ws[i].bad;
		errs += ws[i].err;
		if (ws[i].err && !fe)
			fe = ws[i].first_errno;
		if (ws[i].bad && fd_ == -2)
			fd_ = ws[i].first_diff;
	}
	check_true(&rows[CONC_THREADS], NULL, nth == N_THREADS && ok == N_THREADS * THREAD_ITER,
		   "expected %d identical results, got %u identical, %u different (first at byte %ld), "
		   "%u failed (first errno %s), %d threads started",
		   N_THREADS * THREAD_ITER, ok, bad, fd_, errs, errname(fe), nth);
}

/* Waits for the children started and judges their exit statuses. */
static void reap(const pid_t *pids, int nproc)
{
	int good = 0;
	char detail[200] = "";
	for (int i = 0; i < nproc; i++) {
		int st = 0;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			good++;
		else if (WIFEXITED(st))
			snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " child %d: %d failures;",
				 i, WEXITSTATUS(st));
		else
			snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " child %d: signal %d;",
				 i, WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	}
	check_true(&rows[CONC_PROCS], NULL, good == N_PROCS,
		   "expected %d processes with 0 failures, got %d of %d started;%s",
		   N_PROCS, good, nproc, detail);
}

static void run(void)
{
	int err, rc;
	uint8_t *hrt = malloc(BIG), *lct = malloc(BIG);
	unsigned hlen = BIG, llen = BIG;
	if (!hrt || !lct) {
		fprintf(stderr, "i2o-suite: out of memory\n");
		exit(2);
	}
	int have_ref = i2o_hrtlct(g_fd, I2OHRTGET, g_iop, hrt, &hlen, &err) == 0 &&
		       i2o_hrtlct(g_fd, I2OLCTGET, g_iop, lct, &llen, &err) == 0 && hlen <= BIG && llen <= BIG;

	/* Processes first (fork before any thread exists), then threads, all at once. */
	pid_t pids[N_PROCS];
	int nproc = 0;
	if (have_ref) {
		fflush(stdout);
		for (int i = 0; i < N_PROCS; i++) {
			pid_t p = fork();
			if (p == 0)
				child_main(hrt, hlen, lct, llen);
			if (p > 0)
				pids[nproc++] = p;
		}
	}
	threads();
	if (have_ref)
		reap(pids, nproc);
	else
		dep_fail(&rows[CONC_PROCS], NULL, "no reference HRT/LCT");
	g_u32[0] = BIG;
	rc = i2o_hrtlct(g_fd, I2OLCTGET, g_iop, g_res, &g_u32[0], &err);
	check_rc(&rows[CONC_AFTER], NULL, rc, err);
	free(hrt);
	free(lct);
}

const struct section sec_concurrency = SECTION("concurrency", rows, run);
