/*
 * A client of the preload transport for its tests. It speaks to the device with plain libc
 * calls; the daemon behind it in these tests is the "toy" backend of
 * Tests/PreloadTransportTests (GETIOPS, HRTGET, EVTGET, and VALIDATE = "queue an event in
 * ARG milliseconds"), so what is checked here is the transport, not the engine.
 *
 *   preload-client [-d DEVICE] basic|learn|events|fork|threads|exec|execcheck FD|loop N|nodaemon
 *
 * Prints "N passed, N failed"; exits 1 when something failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

#define TOYCOUNT _IOWR('i', 0x20, uint64_t)   /* the toy backend adds one to the u64 in place */

static const char *dev = "/dev/i2o/ctl";
static const unsigned int rodata_word = 7;
static const uint8_t rodata_block[32] = {1};
static unsigned char ro_hrt_buf[64];
static unsigned int ro_hrt_len = sizeof ro_hrt_buf;
static const struct i2o_cmd_hrtlct rodata_hrt = {2, ro_hrt_buf, &ro_hrt_len};   /* read-only struct, writable buffers */
static const uint64_t rodata_count = 5;

static long ms_since(struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One HRTGET with checks of every byte; 0 when right. */
static int hrt_ok(int fd, unsigned iop) {
    unsigned char buf[64];
    memset(buf, 0x55, sizeof buf);
    unsigned int len = sizeof buf;
    struct i2o_cmd_hrtlct c = {iop, buf, &len};
    if (ioctl(fd, I2OHRTGET, &c) != 0) return -1;
    if (len != 16 || buf[0] != (unsigned char)iop || buf[15] != 0xAE || buf[16] != 0x55) return -2;
    for (int i = 1; i < 16; i++) if (buf[i] != 0xA0 + i - 1) return -3;
    return 0;
}

static void test_basic(void) {
    struct stat st;
    CHECK_ERRNO(stat(dev, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 && minor(st.st_rdev) == 166,
          "stat says a character device 10:166");
    CHECK_ERRNO(access(dev, R_OK | W_OK) == 0, "access R|W");
    errno = 0;
    CHECK_ERRNO(access(dev, X_OK) == -1 && errno == EACCES, "access X -> EACCES");

    int fd = open(dev, O_RDWR);
    CHECK_ERRNO(fd >= 0, "open %s", dev);
    if (fd < 0) return;
    CHECK_ERRNO(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(10, 166), "fstat of the open device");

    uint8_t iops[32];
    memset(iops, 0xEE, sizeof iops);
    CHECK_ERRNO(ioctl(fd, I2OGETIOPS, iops) == 0 && iops[0] == 1 && iops[1] == 0 && iops[31] == 0, "GETIOPS");
    CHECK_ERRNO(hrt_ok(fd, 0) == 0, "HRTGET iop 0");
    CHECK_ERRNO(hrt_ok(fd, 3) == 0, "HRTGET iop 3");

    unsigned char buf[256];
    unsigned int len = 8;
    struct i2o_cmd_hrtlct c = {0, buf, &len};
    errno = 0;
    CHECK_ERRNO(ioctl(fd, I2OHRTGET, &c) == -1 && errno == ENOBUFS && len == 16, "short reslen -> ENOBUFS, length written");
    len = 64;
    c.resbuf = (void *)8;
    errno = 0;
    CHECK_ERRNO(ioctl(fd, I2OHRTGET, &c) == -1 && errno == EFAULT, "bad resbuf -> EFAULT");
    c.resbuf = buf;
    c.reslen = (unsigned int *)&rodata_word;
    errno = 0;
    CHECK_ERRNO(ioctl(fd, I2OHRTGET, &c) == -1 && errno == EFAULT, "read-only reslen -> EFAULT");
    errno = 0;
    CHECK_ERRNO(ioctl(fd, I2OHRTGET, (void *)16) == -1 && errno == EFAULT, "bad struct pointer -> EFAULT");
    errno = 0;
    CHECK_ERRNO(ioctl(fd, I2OGETIOPS, (void *)rodata_block) == -1 && errno == EFAULT, "GETIOPS into read-only memory -> EFAULT");
    CHECK_ERRNO(ioctl(fd, I2OHRTGET, (void *)&rodata_hrt) == 0 && ro_hrt_len == 16 && ro_hrt_buf[0] == 2 && ro_hrt_buf[15] == 0xAE,
          "HRTGET whose struct is read-only (only read, as by the kernel)");
    errno = 0;
    CHECK_ERRNO(ioctl(fd, _IOWR('i', 77, int), buf) == -1 && errno == EINVAL, "unknown ioctl -> EINVAL");

    errno = 0;
    CHECK_ERRNO(write(fd, "x", 1) == -1 && errno == EINVAL, "write -> EINVAL");
    int fl = fcntl(fd, F_GETFL);
    CHECK_ERRNO(fl >= 0 && (fl & O_ACCMODE) == O_RDWR && !(fl & O_NONBLOCK), "F_GETFL");
    CHECK_ERRNO(fcntl(fd, F_SETFL, fl | O_NONBLOCK) == 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK), "F_SETFL O_NONBLOCK");
    errno = 0;
    CHECK_ERRNO(read(fd, buf, 200) == -1 && errno == EAGAIN, "read with nothing queued, O_NONBLOCK -> EAGAIN");
    errno = 0;
    CHECK_ERRNO(ioctl(fd, I2OEVTGET, buf) == -1 && errno == ENOENT, "EVTGET with nothing queued -> ENOENT");

    int d = dup(fd);
    CHECK_ERRNO(d >= 0 && d != fd && hrt_ok(d, 1) == 0, "dup'd descriptor works");
    CHECK_ERRNO(fcntl(d, F_GETFL) & O_NONBLOCK, "dup keeps O_NONBLOCK");
    CHECK_ERRNO(close(d) == 0 && hrt_ok(fd, 1) == 0, "closing the dup leaves the original working");
    CHECK_ERRNO(dup2(fd, 50) == 50 && hrt_ok(50, 2) == 0, "dup2 to 50");
    int f = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    CHECK_ERRNO(f >= 60 && hrt_ok(f, 2) == 0 && (fcntl(f, F_GETFD) & FD_CLOEXEC), "F_DUPFD_CLOEXEC >= 60");
    close(50);
    close(f);

    int n = open("/dev/null", O_RDONLY);
    CHECK_ERRNO(n >= 0 && read(n, buf, 10) == 0, "/dev/null untouched");
    close(n);
    errno = 0;
    CHECK_ERRNO(open("/dev/i2o/ctl-not", O_RDONLY) == -1 && errno == ENOENT, "a neighbouring path is not the device");
    int a = openat(AT_FDCWD, dev, O_RDONLY | O_CLOEXEC);
    CHECK_ERRNO(a >= 0 && hrt_ok(a, 0) == 0 && (fcntl(a, F_GETFD) & FD_CLOEXEC) && (fcntl(a, F_GETFL) & O_ACCMODE) == O_RDONLY,
          "openat O_RDONLY|O_CLOEXEC");
    close(a);
    FILE *fp = fopen(dev, "r+");
    CHECK_ERRNO(fp && hrt_ok(fileno(fp), 0) == 0, "fopen");
    if (fp) fclose(fp);

    CHECK_ERRNO(close(fd) == 0, "close");
    errno = 0;
    CHECK_ERRNO(ioctl(fd, I2OGETIOPS, iops) == -1 && errno == EBADF, "ioctl after close -> EBADF");
}

/* A struct the daemon writes into although its number says read and write: the first call
 * learns it (the daemon asks to test the struct in a round), later ones send the test along. */
static void test_learn(void) {
    int fd = open(dev, O_RDWR);
    CHECK_ERRNO(fd >= 0, "open");
    if (fd < 0) return;
    uint64_t v = 41;
    CHECK_ERRNO(ioctl(fd, TOYCOUNT, &v) == 0 && v == 42, "COUNT 1 (v=%llu)", (unsigned long long)v);
    CHECK_ERRNO(ioctl(fd, TOYCOUNT, &v) == 0 && v == 43, "COUNT 2 (v=%llu)", (unsigned long long)v);
    CHECK_ERRNO(ioctl(fd, TOYCOUNT, &v) == 0 && v == 44, "COUNT 3 (v=%llu)", (unsigned long long)v);
    errno = 0;
    CHECK_ERRNO(ioctl(fd, TOYCOUNT, (void *)&rodata_count) == -1 && errno == EFAULT && rodata_count == 5,
          "COUNT on a read-only struct -> EFAULT, nothing written");
    close(fd);
}

static void test_events(void) {
    int fd = open(dev, O_RDWR);
    CHECK_ERRNO(fd >= 0, "open");
    if (fd < 0) return;
    int p[2];
    CHECK_ERRNO(pipe(p) == 0, "pipe");
    struct pollfd pf[2] = {{fd, POLLIN, 0}, {p[0], POLLIN, 0}};
    CHECK_ERRNO(poll(pf, 2, 0) == 0, "nothing readable at first");

    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_ERRNO(ioctl(fd, I2OVALIDATE, 100) == 0, "VALIDATE (toy: an event in 100 ms)");
    int r = poll(pf, 2, 5000);
    long el = ms_since(&t0);
    CHECK_ERRNO(r == 1 && (pf[0].revents & POLLIN) && pf[1].revents == 0 && el >= 80 && el < 4000,
          "poll wakes for the device event (r=%d after %ld ms)", r, el);
    unsigned char buf[300];
    errno = 0;
    CHECK_ERRNO(read(fd, buf, 50) == -1 && errno == EINVAL, "read smaller than one record -> EINVAL");
    ssize_t n = read(fd, buf, sizeof buf);
    CHECK_ERRNO(n == 104, "read one record (%zd)", n);
    CHECK_ERRNO(poll(pf, 2, 0) == 0, "queue empty again");

    CHECK_ERRNO(write(p[1], "x", 1) == 1, "write pipe");
    r = poll(pf, 2, 1000);
    CHECK_ERRNO(r == 1 && pf[1].revents & POLLIN && pf[0].revents == 0, "an ordinary fd in the same set still works");
    char c;
    CHECK_ERRNO(read(p[0], &c, 1) == 1, "drain pipe");

    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK_ERRNO(ioctl(fd, I2OVALIDATE, 100) == 0, "VALIDATE");
    n = read(fd, buf, sizeof buf);
    el = ms_since(&t0);
    CHECK_ERRNO(n == 104 && el >= 80, "blocking read waits for the event (%zd after %ld ms)", n, el);

    CHECK_ERRNO(ioctl(fd, I2OVALIDATE, 50) == 0, "VALIDATE");
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(fd, &rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {5, 0};
    r = select((fd > p[0] ? fd : p[0]) + 1, &rs, NULL, NULL, &tv);
    CHECK_ERRNO(r == 1 && FD_ISSET(fd, &rs) && !FD_ISSET(p[0], &rs), "select sees the device");
    unsigned char evt[112];
    memset(evt, 0xCC, sizeof evt);
    CHECK_ERRNO(ioctl(fd, I2OEVTGET, evt) == 0 && evt[0] == 3 && evt[111] != 0xCC, "EVTGET writes all 112 bytes");

    struct timespec ts = {0, 200 * 1000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = ppoll(pf, 2, &ts, NULL);
    el = ms_since(&t0);
    CHECK_ERRNO(r == 0 && el >= 150, "ppoll times out (%d after %ld ms)", r, el);
    close(fd);
    close(p[0]);
    close(p[1]);
}

static void test_fork(void) {
    int fd = open(dev, O_RDWR);
    CHECK_ERRNO(fd >= 0, "open");
    if (fd < 0) return;
    CHECK_ERRNO(hrt_ok(fd, 1) == 0, "before fork");
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        for (int i = 0; i < 300; i++) if (hrt_ok(fd, (unsigned)(i % 7)) != 0) bad++;
        _exit(bad ? 1 : 0);
    }
    int bad = 0;
    for (int i = 0; i < 300; i++) if (hrt_ok(fd, (unsigned)(i % 5)) != 0) bad++;
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_ERRNO(bad == 0, "parent's 300 ioctls during the child's");
    CHECK_ERRNO(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child's 300 ioctls on the inherited fd");
    CHECK_ERRNO(hrt_ok(fd, 1) == 0, "parent's fd after the child exited");
    close(fd);
}

struct thread_arg { int fd; int bad; unsigned iop; };
static void *thread_main(void *p) {
    struct thread_arg *a = p;
    for (int i = 0; i < 300; i++) if (hrt_ok(a->fd, a->iop) != 0) a->bad++;
    return NULL;
}

static void test_threads(void) {
    int fd = open(dev, O_RDWR);
    CHECK_ERRNO(fd >= 0, "open");
    if (fd < 0) return;
    pthread_t t[8];
    struct thread_arg a[8];
    for (int i = 0; i < 8; i++) {
        a[i] = (struct thread_arg){fd, 0, (unsigned)i};
        pthread_create(&t[i], NULL, thread_main, &a[i]);
    }
    int bad = 0;
    for (int i = 0; i < 8; i++) { pthread_join(t[i], NULL); bad += a[i].bad; }
    CHECK_ERRNO(bad == 0, "8 threads x 300 ioctls on one fd (%d bad)", bad);
    close(fd);
}

static void test_exec(const char *self) {
    int fd = open(dev, O_RDWR);
    CHECK_ERRNO(fd >= 0, "open");
    if (fd < 0) return;
    pid_t pid = fork();
    if (pid == 0) {
        char num[16];
        snprintf(num, sizeof num, "%d", fd);
        execl(self, self, "-d", dev, "execcheck", num, (char *)NULL);
        _exit(127);
    }
    int bad = 0;
    for (int i = 0; i < 200; i++) if (hrt_ok(fd, 2) != 0) bad++;
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_ERRNO(bad == 0, "parent keeps working while the exec'd child uses the fd");
    CHECK_ERRNO(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the exec'd child recognised the inherited fd");
    close(fd);
}

static void test_execcheck(int fd) {
    struct stat st;
    CHECK_ERRNO(fstat(fd, &st) == 0 && S_ISCHR(st.st_mode), "inherited fd is the device");
    int bad = 0;
    for (int i = 0; i < 200; i++) if (hrt_ok(fd, 4) != 0) bad++;
    CHECK_ERRNO(bad == 0, "ioctls on the inherited fd after exec");
}

static void test_nodaemon(void) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    errno = 0;
    int fd = open(dev, O_RDWR);
    CHECK_ERRNO(fd == -1 && (errno == ENOENT || errno == ENXIO) && ms_since(&t0) < 2000,
          "open without a daemon fails promptly with ENOENT/ENXIO");
}

int main(int argc, char **argv) {
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "-d") == 0) { dev = argv[i + 1]; i += 2; }
    if (i >= argc) { fprintf(stderr, "usage: %s [-d DEV] TEST\n", argv[0]); return 2; }
    const char *t = argv[i];
    if (!strcmp(t, "basic")) test_basic();
    else if (!strcmp(t, "events")) test_events();
    else if (!strcmp(t, "learn")) test_learn();
    else if (!strcmp(t, "fork")) test_fork();
    else if (!strcmp(t, "threads")) test_threads();
    else if (!strcmp(t, "exec")) test_exec("/proc/self/exe");
    else if (!strcmp(t, "execcheck") && i + 1 < argc) test_execcheck(atoi(argv[i + 1]));
    else if (!strcmp(t, "nodaemon")) test_nodaemon();
    else if (!strcmp(t, "loop") && i + 1 < argc) {
        int fd = open(dev, O_RDWR);
        CHECK_ERRNO(fd >= 0, "open");
        int n = atoi(argv[i + 1]);
        for (int k = 0; fd >= 0 && (n < 0 || k < n); k++) CHECK_ERRNO(hrt_ok(fd, 1) == 0, "loop ioctl %d", k);
    } else { fprintf(stderr, "unknown test %s\n", t); return 2; }
    return client_summary();
}
