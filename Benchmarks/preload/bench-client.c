// bench-client — the C side of scripts/bench (preload and CUSE latency, start-up, memory), and
// the plain Unix-socket echo pair that is the preload baseline.
//
//   bench-client lat DEVICE SECONDS THREADS OP      latency p50/p99 and throughput of OP on DEVICE
//   bench-client calib DEVICE COUNT OP              socket round trips and bytes per OP (needs rtcount.so)
//   bench-client echo-server SOCKET                 baseline server: answers each request with N bytes
//   bench-client echo-lat SOCKET SECONDS THREADS REQ RESP [ROUNDS]
//                                                   baseline: ROUNDS request/responses of REQ/RESP bytes each
//   bench-client spawn -- CMD...                    runs CMD with BENCH_T0 set; prints its run time
//   bench-client first DEVICE                       open + GETIOPS; prints ns since BENCH_T0
//   bench-client serve-first DEVICE -- CMD...       starts the daemon CMD, polls DEVICE until an ioctl
//                                                   works; prints ns to first ioctl and the daemon's VmRSS,
//                                                   idle and with 64 open files
//   bench-client reslen DEVICE                      one PARMGET (FieldGet 0xF100); prints the result's length
//   bench-client ready -- CMD...                    starts the daemon CMD, prints ns until it printed a line
//                                                   starting `ready:`, then stops it with SIGINT
//   bench-client syscost                            ns per call of the system calls libi2osim-preload adds
//                                                   to an ioctl like PARMGET (getpid, fstat, process_vm_readv of a
//                                                   NEED's ranges, process_vm_writev of the stores; total_ns), and
//                                                   the process_vm_readv of a struct onto itself that GETIOPS and
//                                                   EVTGET add (their struct is written: its writability test)
// OP: getiops parmget lctget hrtget swdl html passthru validate
// Output: key=value pairs on one line. Exit 0 when every ioctl succeeded.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/types.h>
#include "linux/i2o-dev.h"
#include "../../Tests/clientlib/i2o-client.h"	// client_vmrss_kib

static uint64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void die(const char *what) { fprintf(stderr, "bench-client: %s: %s\n", what, strerror(errno)); exit(2); }

// ---- one ioctl per OP, with its buffers (per thread; SGL buffers below 4 GiB) ----

struct opctx {
	int fd;
	int op;
	unsigned thread;
	unsigned iteration;
	unsigned char *low;     // 256 KiB MAP_32BIT: operation lists, results, frames
	unsigned char iops[MAX_I2O_CONTROLLERS];
	unsigned char res[8192];
	unsigned int reslen;
	unsigned char frag[8192];
	unsigned int swlen, maxfrag, curfrag;
};

static const char *ops[] = {"getiops", "parmget", "lctget", "hrtget", "swdl", "html", "passthru", "validate",
                            "bsawrite", "bsaread", NULL};

static int op_index(const char *name) {
	for (int i = 0; ops[i]; i++) if (!strcmp(ops[i], name)) return i;
	fprintf(stderr, "bench-client: unknown op %s\n", name);
	exit(2);
}

static const unsigned char fieldget_f100[12] = {1, 0, 0, 0, 1, 0, 0x00, 0xF1, 0xFF, 0xFF, 0, 0};

static void setup(struct opctx *c) {
	c->low = mmap(NULL, 262144, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (c->low == MAP_FAILED) die("mmap");
	for (int i = 0; i < 8192; i++) c->frag[i] = (unsigned char)(i * 31 + 5);
}

/// The extra ioctl that keeps SWDL going: after 8 fragments the module is deleted.
static int swdel(struct opctx *c) {
	struct i2o_sw_xfer x = {0};
	unsigned int len = 0, mf = 0, cf = 0;
	x.iop = 0; x.flags = 3; x.sw_type = 1; x.sw_id = 0x001B0042 + c->thread;
	x.swlen = &len; x.maxfrag = &mf; x.curfrag = &cf;
	return ioctl(c->fd, I2OSWDEL, &x);
}

/// Runs one OP; returns the ioctl's result. `before` is called just before the timed ioctl.
static int run_op(struct opctx *c) {
	switch (c->op) {
	case 0: return ioctl(c->fd, I2OGETIOPS, c->iops);
	case 1: {
		struct i2o_cmd_psetget p = {0};
		memcpy(c->low, fieldget_f100, sizeof fieldget_f100);
		c->reslen = 1024;
		// resbuf with 64 KiB writable after it: the engine reserves Limits.paramsResultBytes (65536)
		// whatever *reslen says, so a 1 KiB buffer at the end of a mapping (the stack) gets EFAULT
		// through the preload transport (see docs/performance.md).
		p.iop = 0; p.tid = 0; p.opbuf = c->low; p.oplen = sizeof fieldget_f100; p.resbuf = c->low + 8192; p.reslen = &c->reslen;
		return ioctl(c->fd, I2OPARMGET, &p);
	}
	case 2: case 3: {
		struct i2o_cmd_hrtlct h = {0};
		c->reslen = sizeof c->res;
		h.iop = 0; h.resbuf = c->res; h.reslen = &c->reslen;
		return ioctl(c->fd, c->op == 2 ? I2OLCTGET : I2OHRTGET, &h);
	}
	case 4: {
		struct i2o_sw_xfer x = {0};
		c->swlen = 8 * 8192; c->maxfrag = 8; c->curfrag = c->iteration % 8 + 1;
		x.iop = 0; x.flags = 3; x.sw_type = 1; x.sw_id = 0x001B0042 + c->thread;
		x.buf = c->frag; x.swlen = &c->swlen; x.maxfrag = &c->maxfrag; x.curfrag = &c->curfrag;
		return ioctl(c->fd, I2OSWDL, &x);
	}
	case 5: {
		struct i2o_html h = {0};
		c->reslen = sizeof c->res;
		h.iop = 0; h.tid = 0; h.page = 0; h.resbuf = c->res; h.reslen = &c->reslen; h.qbuf = NULL; h.qlen = 0;
		return ioctl(c->fd, I2OHTML, &h);
	}
	case 6: {
		// UtilParamsGet (FieldGet 0xF100) to TID 0: op list host→IOP, result IOP→host, 16-word reply area.
		uint32_t *msg = (uint32_t *)(c->low + 4096);
		unsigned char *opl = c->low, *res = c->low + 1024;
		memcpy(opl, fieldget_f100, sizeof fieldget_f100);
		uint32_t frame[9] = {9u << 16 | 0x51, 0x06u << 24 | 1u << 12 | 0, 0xAAAA0001, 0xBBBB0002, 0,
		                     0x54000000u | sizeof fieldget_f100, (uint32_t)(uintptr_t)opl, 0xD0000000u | 256, (uint32_t)(uintptr_t)res};
		memcpy(msg, frame, sizeof frame);
		memset(msg + 9, 0, 16 * 4);
		msg[9] = 16u << 16;
		struct i2o_cmd_passthru p = {0};
		p.iop = 0; p.msg = msg;
		return ioctl(c->fd, I2OPASSTHRU, &p);
	}
	case 7: return ioctl(c->fd, I2OVALIDATE, 0);
	case 8: case 9: {
		// 64 KiB BsaBlockWrite / BsaBlockRead through PASSTHRU to the default machine's RAID-1
		// (TID 0x203), each thread on its own 64 KiB; the data at low + 64 KiB (below 4 GiB).
		uint32_t *msg = (uint32_t *)(c->low + 4096);
		unsigned char *data = c->low + 65536;
		uint64_t byte = (uint64_t)c->thread * 65536;
		uint32_t frame[10] = {10u << 16 | 0x81, (c->op == 8 ? 0x31u : 0x30u) << 24 | 1u << 12 | 0x203, 1, 2,
		                      0x001F0008, 65536, (uint32_t)byte, (uint32_t)(byte >> 32),
		                      (c->op == 8 ? 0xD4000000u : 0xD0000000u) | 65536, (uint32_t)(uintptr_t)data};
		memcpy(msg, frame, sizeof frame);
		memset(msg + 10, 0, 16 * 4);
		msg[10] = 16u << 16;
		struct i2o_cmd_passthru p = {0};
		p.iop = 0; p.msg = msg;
		int rc = ioctl(c->fd, I2OPASSTHRU, &p);
		return rc == 0 && (msg[10 + 4] >> 24) != 0 ? -1 : rc;   // a failed transfer is a failed run
	}
	}
	return -1;
}

/// SWDL's housekeeping before an iteration (not timed).
static void between(struct opctx *c) {
	if (c->op == 4 && c->iteration % 8 == 0 && c->iteration > 0) swdel(c);
}

static int cmp_u64(const void *a, const void *b) {
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

// ---- latency / throughput ----

struct worker {
	pthread_t t;
	const char *device;
	int op;
	unsigned index;
	double seconds;
	uint64_t *lat;
	size_t n, cap;
	int failures;
	uint64_t start, end;
	int echo_fd;            // echo baseline: connected socket (-1 for the device)
	unsigned req, resp, rounds;
};

static pthread_barrier_t barrier;

static int echo_round(int fd, unsigned char *buf, unsigned req, unsigned resp) {
	// request: u32 length N (≥ 4), u32 resp, N-4 bytes; answer: u32 length, resp bytes.
	uint32_t hdr[2] = {req > 8 ? req - 4 : 4, resp};
	memcpy(buf, hdr, 8);
	size_t total = req > 8 ? req : 8, off = 0;
	while (off < total) { ssize_t k = send(fd, buf + off, total - off, MSG_NOSIGNAL); if (k <= 0) return -1; off += k; }
	size_t want = 4 + resp; off = 0;
	while (off < want) { ssize_t k = recv(fd, buf + off, want - off, 0); if (k <= 0) return -1; off += k; }
	return 0;
}

static int connect_unix(const char *path) {
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strncpy(a.sun_path, path, sizeof a.sun_path - 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
	return fd;
}

static void *work(void *arg) {
	struct worker *w = arg;
	struct opctx c = {0};
	unsigned char *ebuf = NULL;
	if (w->echo_fd < 0) {
		c.fd = open(w->device, O_RDWR);
		if (c.fd < 0) die("open device");
		c.op = w->op; c.thread = w->index;
		setup(&c);
		for (int i = 0; i < 50; i++) { between(&c); run_op(&c); c.iteration++; }   // warm up
	} else {
		ebuf = malloc(1 << 20);
		for (int i = 0; i < 50; i++) echo_round(w->echo_fd, ebuf, w->req, w->resp);
	}
	pthread_barrier_wait(&barrier);
	w->start = now_ns();
	uint64_t stop = w->start + (uint64_t)(w->seconds * 1e9);
	for (;;) {
		if (w->echo_fd < 0) between(&c);
		uint64_t t0 = now_ns();
		if (t0 >= stop) break;
		int rc = 0;
		if (w->echo_fd < 0) rc = run_op(&c);
		else for (unsigned r = 0; r < w->rounds && rc == 0; r++) rc = echo_round(w->echo_fd, ebuf, w->req, w->resp);
		uint64_t t1 = now_ns();
		if (rc < 0) w->failures++;
		if (w->n == w->cap) { w->cap = w->cap ? w->cap * 2 : 65536; w->lat = realloc(w->lat, w->cap * sizeof *w->lat); }
		w->lat[w->n++] = t1 - t0;
		c.iteration++;
	}
	w->end = now_ns();
	if (w->echo_fd < 0) { if (c.op == 4) swdel(&c); close(c.fd); }
	free(ebuf);
	return NULL;
}

/* CPU time (user + system) of process `pid` so far, from /proc/PID/stat; 0 when unreadable. */
static uint64_t process_cpu_ns(pid_t pid) {
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f) return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');   /* the command name may hold spaces */
	unsigned long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2) return 0;
	return (ut + st) * (1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK));
}

static uint64_t self_cpu_ns(void) {
	struct rusage u;
	getrusage(RUSAGE_SELF, &u);
	return (uint64_t)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1000000000ull
	       + (uint64_t)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1000ull;
}

static int latency(const char *device, const char *sock, double seconds, int threads, int op, unsigned req, unsigned resp,
                   unsigned rounds) {
	/* The server's CPU: the daemon is this process's parent under `i2osim run`; the echo server's
	 * pid comes in BENCH_SERVER_PID. */
	const char *sp = getenv("BENCH_SERVER_PID");
	pid_t server = sock ? (sp ? (pid_t)atoi(sp) : 0) : getppid();
	uint64_t server0 = server ? process_cpu_ns(server) : 0, self0 = self_cpu_ns();
	struct worker *w = calloc(threads, sizeof *w);
	pthread_barrier_init(&barrier, NULL, threads);
	for (int i = 0; i < threads; i++) {
		w[i].device = device; w[i].op = op; w[i].index = i; w[i].seconds = seconds;
		w[i].echo_fd = sock ? connect_unix(sock) : -1; w[i].req = req; w[i].resp = resp; w[i].rounds = rounds ? rounds : 1;
		pthread_create(&w[i].t, NULL, work, &w[i]);
	}
	size_t total = 0; int failures = 0; uint64_t start = UINT64_MAX, end = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(w[i].t, NULL);
		total += w[i].n; failures += w[i].failures;
		if (w[i].start < start) start = w[i].start;
		if (w[i].end > end) end = w[i].end;
	}
	uint64_t *all = malloc((total ? total : 1) * sizeof *all);
	size_t k = 0;
	for (int i = 0; i < threads; i++) { memcpy(all + k, w[i].lat, w[i].n * sizeof *all); k += w[i].n; }
	qsort(all, total, sizeof *all, cmp_u64);
	double secs = (end - start) / 1e9;
	uint64_t server1 = server ? process_cpu_ns(server) : 0, self1 = self_cpu_ns();
	printf("ops=%zu failures=%d seconds=%.3f throughput=%.0f p50_ns=%llu p99_ns=%llu client_cpu_ns=%.0f server_cpu_ns=%.0f\n",
	       total, failures, secs, total / secs, (unsigned long long)(total ? all[total / 2] : 0),
	       (unsigned long long)(total ? all[total * 99 / 100] : 0), total ? (double)(self1 - self0) / total : 0,
	       total && server ? (double)(server1 - server0) / total : 0);
	return failures ? 1 : 0;
}

static int calibrate(const char *device, int count, int op) {
	void (*stats)(uint64_t *) = (void (*)(uint64_t *))dlsym(RTLD_DEFAULT, "rtcount_stats");
	if (!stats) { fprintf(stderr, "bench-client: rtcount.so is not preloaded\n"); return 2; }
	struct opctx c = {0};
	c.fd = open(device, O_RDWR);
	if (c.fd < 0) die("open device");
	c.op = op;
	setup(&c);
	uint64_t rt = 0, sent = 0, got = 0; int failures = 0;
	for (int i = 0; i < count; i++) {
		between(&c);
		uint64_t a[3], b[3];
		stats(a);
		if (run_op(&c) < 0) failures++;
		stats(b);
		rt += b[0] - a[0]; sent += b[1] - a[1]; got += b[2] - a[2];
		c.iteration++;
	}
	if (op == 4) swdel(&c);
	printf("roundtrips=%.2f sent=%.0f recv=%.0f failures=%d\n", (double)rt / count, (double)sent / count, (double)got / count, failures);
	return failures ? 1 : 0;
}

// ---- echo server (baseline) ----

static void *echo_conn(void *arg) {
	int fd = (int)(intptr_t)arg;
	unsigned char *buf = malloc(1 << 20);
	for (;;) {
		uint32_t hdr[2];
		size_t off = 0;
		while (off < 8) { ssize_t k = recv(fd, (char *)hdr + off, 8 - off, 0); if (k <= 0) goto done; off += k; }
		size_t rest = hdr[0] - 4; off = 0;
		while (off < rest) { ssize_t k = recv(fd, buf, rest - off > (1 << 20) ? (1 << 20) : rest - off, 0); if (k <= 0) goto done; off += k; }
		uint32_t n = hdr[1];
		memcpy(buf, &n, 4);
		size_t want = 4 + n; off = 0;
		while (off < want) { ssize_t k = send(fd, buf + off, want - off, MSG_NOSIGNAL); if (k <= 0) goto done; off += k; }
	}
done:
	close(fd);
	free(buf);
	return NULL;
}

__attribute__((noreturn)) static void echo_server(const char *path) {
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strncpy(a.sun_path, path, sizeof a.sun_path - 1);
	unlink(path);
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0) die("echo server");
	printf("ready\n"); fflush(stdout);
	for (;;) {
		int fd = accept(s, NULL, NULL);
		if (fd < 0) { if (errno == EINTR) continue; die("accept"); }
		pthread_t t;
		pthread_create(&t, NULL, echo_conn, (void *)(intptr_t)fd);
		pthread_detach(t);
	}
}

// ---- start-up and memory ----

static int spawn(char **argv) {
	char t0[32];
	uint64_t start = now_ns();
	snprintf(t0, sizeof t0, "%llu", (unsigned long long)start);
	pid_t pid = fork();
	if (pid == 0) { setenv("BENCH_T0", t0, 1); execvp(argv[0], argv); _exit(127); }
	int st = 0;
	waitpid(pid, &st, 0);
	printf("total_ns=%llu status=%d\n", (unsigned long long)(now_ns() - start), WIFEXITED(st) ? WEXITSTATUS(st) : 128);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}

static int first(const char *device) {
	const char *t0 = getenv("BENCH_T0");
	int fd = open(device, O_RDWR);
	if (fd < 0) die("open device");
	unsigned char iops[MAX_I2O_CONTROLLERS];
	if (ioctl(fd, I2OGETIOPS, iops) < 0) die("GETIOPS");
	uint64_t t = now_ns();
	printf("first_ns=%llu\n", (unsigned long long)(t0 ? t - strtoull(t0, NULL, 10) : 0));
	close(fd);
	return 0;
}

static int serve_first(const char *device, char **argv) {
	uint64_t start = now_ns();
	pid_t pid = fork();
	if (pid == 0) {
		unsetenv("LD_PRELOAD");
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 1);
		execvp(argv[0], argv);
		_exit(127);
	}
	int fd = -1;
	unsigned char iops[MAX_I2O_CONTROLLERS];
	uint64_t deadline = start + 30ull * 1000000000ull;
	while (now_ns() < deadline) {
		fd = open(device, O_RDWR);
		if (fd >= 0 && ioctl(fd, I2OGETIOPS, iops) == 0) break;
		if (fd >= 0) { close(fd); fd = -1; }
		usleep(200);
	}
	if (fd < 0) { kill(pid, SIGTERM); fprintf(stderr, "bench-client: daemon never answered\n"); return 1; }
	uint64_t first_ns = now_ns() - start;
	usleep(100000);
	long idle = client_vmrss_kib(pid);
	int fds[64];
	struct opctx c = {0};
	setup(&c);
	c.op = 2;
	for (int i = 0; i < 64; i++) {
		fds[i] = open(device, O_RDWR);
		if (fds[i] < 0) die("open 64");
		c.fd = fds[i];
		if (run_op(&c) < 0) die("LCTGET on each file");
	}
	usleep(100000);
	long busy = client_vmrss_kib(pid);
	printf("first_ns=%llu rss_kib=%ld rss64_kib=%ld\n", (unsigned long long)first_ns, idle, busy);
	for (int i = 0; i < 64; i++) close(fds[i]);
	close(fd);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	return 0;
}

static int reslen(const char *device) {
	struct opctx c = {0};
	c.fd = open(device, O_RDWR);
	if (c.fd < 0) die("open device");
	c.op = 1;
	setup(&c);
	if (run_op(&c) < 0) die("PARMGET");
	printf("reslen=%u\n", c.reslen);
	close(c.fd);
	return 0;
}

static int ready(char **argv) {
	int p[2];
	if (pipe(p) < 0) die("pipe");
	uint64_t start = now_ns();
	pid_t pid = fork();
	if (pid == 0) { dup2(p[1], 1); close(p[0]); close(p[1]); execvp(argv[0], argv); _exit(127); }
	close(p[1]);
	FILE *f = fdopen(p[0], "r");
	char line[512];
	uint64_t t = 0;
	while (fgets(line, sizeof line, f)) if (!strncmp(line, "ready:", 6)) { t = now_ns() - start; break; }
	kill(pid, SIGINT);
	int st = 0;
	waitpid(pid, &st, 0);
	fclose(f);
	if (!t) { fprintf(stderr, "bench-client: no ready line\n"); return 1; }
	printf("ready_ns=%llu\n", (unsigned long long)t);
	return 0;
}

/* The library's own system calls per ioctl (docs/preload-protocol.md), each timed alone, best of
 * five batches: what a safe client pays on top of the socket round trips the baseline makes. */
static double per_call(int which, int n) {
	static unsigned char a[4096], b[4096];
	pid_t pid = getpid();
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) return -1;
	struct stat st;
	double best = 1e30;
	for (int rep = 0; rep < 5; rep++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < n; i++) {
			switch (which) {
			case 0: (void)syscall(SYS_getpid); break;
			case 1: (void)fstat(fds[0], &st); break;
			case 2: { /* the struct, read into the frame and onto itself (its writability probe) */
				struct iovec local[2] = {{b, 40}, {a, 40}}, remote[2] = {{a, 40}, {a, 40}};
				(void)syscall(SYS_process_vm_readv, pid, local, 2, remote, 2, 0);
				break;
			}
			case 3: { /* a NEED: two reads and the probe of one small write range */
				struct iovec local[3] = {{b, 4}, {b + 64, 12}, {a + 512, 4}}, remote[3] = {{a + 256, 4}, {a + 300, 12}, {a + 512, 4}};
				(void)syscall(SYS_process_vm_readv, pid, local, 3, remote, 3, 0);
				break;
			}
			case 4: { /* the STOREs: a length and a result buffer */
				struct iovec local[2] = {{b, 4}, {b + 64, 92}}, remote[2] = {{a + 1024, 4}, {a + 2048, 92}};
				(void)syscall(SYS_process_vm_writev, pid, local, 2, remote, 2, 0);
				break;
			}
			}
		}
		double ns = (double)(now_ns() - t0) / n;
		if (ns < best) best = ns;
	}
	close(fds[0]); close(fds[1]);
	return best;
}

static int syscost(void) {
	const int n = 50000;
	double g = per_call(0, n), f = per_call(1, n), rs = per_call(2, n), rn = per_call(3, n), w = per_call(4, n);
	printf("getpid_ns=%.0f fstat_ns=%.0f pvm_read_struct_ns=%.0f pvm_read_need_ns=%.0f pvm_write_ns=%.0f total_ns=%.0f\n",
	       g, f, rs, rn, w, g + f + rn + w);
	return 0;
}

int main(int argc, char **argv) {
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 6 && !strcmp(argv[1], "lat")) return latency(argv[2], NULL, atof(argv[3]), atoi(argv[4]), op_index(argv[5]), 0, 0, 1);
	if (argc >= 5 && !strcmp(argv[1], "calib")) return calibrate(argv[2], atoi(argv[3]), op_index(argv[4]));
	if (argc >= 3 && !strcmp(argv[1], "echo-server")) echo_server(argv[2]);
	if (argc >= 7 && !strcmp(argv[1], "echo-lat"))
		return latency(NULL, argv[2], atof(argv[3]), atoi(argv[4]), 0, atoi(argv[5]), atoi(argv[6]), argc >= 8 ? atoi(argv[7]) : 1);
	if (argc >= 4 && !strcmp(argv[1], "spawn") && !strcmp(argv[2], "--")) return spawn(argv + 3);
	if (argc >= 3 && !strcmp(argv[1], "first")) return first(argv[2]);
	if (argc >= 5 && !strcmp(argv[1], "serve-first") && !strcmp(argv[3], "--")) return serve_first(argv[2], argv + 4);
	if (argc >= 3 && !strcmp(argv[1], "reslen")) return reslen(argv[2]);
	if (argc >= 4 && !strcmp(argv[1], "ready") && !strcmp(argv[2], "--")) return ready(argv + 3);
	if (argc >= 2 && !strcmp(argv[1], "syscost")) return syscost();
	fprintf(stderr, "usage: see the comment at the top of bench-client.c\n");
	return 2;
}
