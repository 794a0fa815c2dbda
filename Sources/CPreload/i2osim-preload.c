/*
 * libi2osim-preload.so — makes /dev/i2o/ctl (and /dev/i2octl) appear in a process without
 * root or CUSE. Loaded with LD_PRELOAD; every call on the configured device paths and on the
 * descriptors they return is forwarded over a Unix stream socket ($I2OSIM_SOCKET) to the
 * i2osim daemon, which runs the ioctl engine. Everything else passes through untouched.
 *
 * The protocol is in docs/preload-protocol.md; the design decisions (one socket connection
 * per descriptor, re-attach after fork/exec, poll through a WATCH connection) are there too.
 *
 * Build: Sources/CPreload/build.sh OUTDIR (64- and 32-bit).
 */
#define _GNU_SOURCE
#include "preload-protocol.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

#if UINTPTR_MAX == 0xffffffffu
#define I2OSIM_ABI 1u /* ilp32 */
#else
#define I2OSIM_ABI 0u /* lp64 */
#endif

/* ---------------------------------------------------------------- real functions */

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real___open_2)(const char *, int);
static int (*real___open64_2)(const char *, int);
static int (*real___openat_2)(int, const char *, int);
static int (*real___openat64_2)(int, const char *, int);
static FILE *(*real_fopen)(const char *, const char *);
static FILE *(*real_fopen64)(const char *, const char *);
static int (*real_ioctl)(int, unsigned long, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real___read_chk)(int, void *, size_t, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static int (*real___poll_chk)(struct pollfd *, nfds_t, int, size_t);
static int (*real_ppoll)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *);
static int (*real___ppoll_chk)(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t);
static int (*real_select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
static int (*real_pselect)(int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *);
static int (*real_fcntl)(int, int, ...);
static int (*real_fcntl64)(int, int, ...);
static int (*real_dup)(int);
static int (*real_dup2)(int, int);
static int (*real_dup3)(int, int, int);
static int (*real_close)(int);
static int (*real_stat)(const char *, struct stat *);
static int (*real_lstat)(const char *, struct stat *);
static int (*real_fstat)(int, struct stat *);
static int (*real_fstatat)(int, const char *, struct stat *, int);
static int (*real_stat64)(const char *, struct stat64 *);
static int (*real_lstat64)(const char *, struct stat64 *);
static int (*real_fstatat64)(int, const char *, struct stat64 *, int);
static int (*real___xstat)(int, const char *, struct stat *);
static int (*real___lxstat)(int, const char *, struct stat *);
static int (*real___fxstat)(int, int, struct stat *);
static int (*real___fxstatat)(int, int, const char *, struct stat *, int);
static int (*real___xstat64)(int, const char *, struct stat64 *);
static int (*real___lxstat64)(int, const char *, struct stat64 *);
static int (*real___fxstat64)(int, int, struct stat64 *);
static int (*real___fxstatat64)(int, int, const char *, struct stat64 *, int);
static int (*real_statx)(int, const char *, int, unsigned int, struct statx *);
static int (*real_access)(const char *, int);
static ssize_t (*real_getxattr)(const char *, const char *, void *, size_t);
static ssize_t (*real_lgetxattr)(const char *, const char *, void *, size_t);
static ssize_t (*real_fgetxattr)(int, const char *, void *, size_t);
static ssize_t (*real_listxattr)(const char *, char *, size_t);
static ssize_t (*real_llistxattr)(const char *, char *, size_t);
static ssize_t (*real_flistxattr)(int, char *, size_t);
static int (*real_faccessat)(int, const char *, int, int);

/* ---------------------------------------------------------------- configuration */

#define MAX_DEVICES 16
static char *device_paths[MAX_DEVICES];
static int device_count;
static char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static int active;          /* I2OSIM_SOCKET is set and usable */
static mode_t node_mode = 0666;
static struct timespec load_time;
static int use_pipe_memory; /* process_vm_* refused (seccomp): fall back to the pipe trick */

/* ---------------------------------------------------------------- descriptor table */

/* One entry per descriptor number that is a device (a socket connected to the daemon).
 * Two levels of 1024 so the table never moves; entries are never freed. */
struct devfd {
    pthread_mutex_t lock;
    int device;        /* 1: this fd is a device connection */
    pid_t pid;         /* process that owns this connection (0: inherited through exec) */
    uint64_t handle;   /* the daemon's open-file handle */
    dev_t sdev;        /* identity of the socket, to notice fds closed behind our back */
    ino_t sino;
    int accmode;       /* O_RDONLY/O_WRONLY/O_RDWR as opened */
};
#define CHUNK 1024
#define NCHUNKS 1024
static struct devfd *chunks[NCHUNKS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

static struct devfd *entry(int fd, int create) {
    if (fd < 0 || fd >= CHUNK * NCHUNKS) return NULL;
    struct devfd *c = __atomic_load_n(&chunks[fd / CHUNK], __ATOMIC_ACQUIRE);
    if (!c && create) {
        pthread_mutex_lock(&table_lock);
        c = chunks[fd / CHUNK];
        if (!c) {
            c = calloc(CHUNK, sizeof *c);   /* zero = PTHREAD_MUTEX_INITIALIZER on glibc */
            if (c) __atomic_store_n(&chunks[fd / CHUNK], c, __ATOMIC_RELEASE);
        }
        pthread_mutex_unlock(&table_lock);
    }
    return c ? &c[fd % CHUNK] : NULL;
}

static int maybe_device(int fd) {
    struct devfd *e = entry(fd, 0);
    return e && __atomic_load_n(&e->device, __ATOMIC_ACQUIRE);
}

static void forget(int fd) {
    struct devfd *e = entry(fd, 0);
    if (e && __atomic_load_n(&e->device, __ATOMIC_ACQUIRE)) __atomic_store_n(&e->device, 0, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------- init */

static void *next(const char *name) { return dlsym(RTLD_NEXT, name); }

/* fstat that is right in both ABIs (the raw syscall's struct differs from glibc's on i386). */
static int (*real_fstat64)(int, struct stat64 *);
static int sock_identity(int fd, dev_t *dev, ino_t *ino, int *is_sock) {
    struct stat64 st;
    if (!real_fstat64 || real_fstat64(fd, &st) != 0) return -1;
    *dev = (dev_t)st.st_dev;
    *ino = (ino_t)st.st_ino;
    if (is_sock) *is_sock = S_ISSOCK(st.st_mode);
    return 0;
}

static int peer_is_daemon(int fd) {
    struct sockaddr_un a;
    socklen_t len = sizeof a;
    memset(&a, 0, sizeof a);
    if (getpeername(fd, (struct sockaddr *)&a, &len) != 0 || a.sun_family != AF_UNIX) return 0;
    if (len <= offsetof(struct sockaddr_un, sun_path) || a.sun_path[0] == 0) return 0;
    size_t n = len - offsetof(struct sockaddr_un, sun_path);
    if (n > sizeof a.sun_path) n = sizeof a.sun_path;
    char name[sizeof a.sun_path + 1];
    memcpy(name, a.sun_path, n);
    name[n] = 0;
    return strcmp(name, socket_path) == 0;
}

static void mark_device(int fd, pid_t pid, uint64_t handle, int accmode) {
    struct devfd *e = entry(fd, 1);
    if (!e) return;
    dev_t sdev;
    ino_t sino;
    if (sock_identity(fd, &sdev, &sino, NULL) != 0) return;
    e->pid = pid;
    e->handle = handle;
    e->sdev = sdev;
    e->sino = sino;
    e->accmode = accmode;
    __atomic_store_n(&e->device, 1, __ATOMIC_RELEASE);
}

/* Descriptors inherited through exec: sockets connected to the daemon's path. */
static void scan_inherited(void) {
    int dir = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;
    char buf[4096];
    for (;;) {
        long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            struct { uint64_t ino; int64_t off; unsigned short reclen; unsigned char type; char name[]; } *d =
                (void *)(buf + off);
            off += d->reclen;
            if (d->name[0] < '0' || d->name[0] > '9') continue;
            int fd = atoi(d->name);
            if (fd == dir) continue;
            dev_t sdev;
            ino_t sino;
            int is_sock = 0;
            if (sock_identity(fd, &sdev, &sino, &is_sock) != 0 || !is_sock) continue;
            if (peer_is_daemon(fd)) mark_device(fd, 0, 0, O_RDWR);
        }
    }
    syscall(SYS_close, dir);
}

static void atfork_child(void) {
    /* Only this thread survives; a lock another thread held is free now. The pid check in
     * acquire() makes every inherited device fd re-attach on first use. */
    for (int c = 0; c < NCHUNKS; c++) {
        struct devfd *ch = chunks[c];
        if (!ch) continue;
        for (int i = 0; i < CHUNK; i++) pthread_mutex_init(&ch[i].lock, NULL);
    }
    pthread_mutex_init(&table_lock, NULL);
}

static void init_once(void) {
    real_open = next("open");
    real_open64 = next("open64");
    real_openat = next("openat");
    real_openat64 = next("openat64");
    real___open_2 = next("__open_2");
    real___open64_2 = next("__open64_2");
    real___openat_2 = next("__openat_2");
    real___openat64_2 = next("__openat64_2");
    real_fopen = next("fopen");
    real_fopen64 = next("fopen64");
    real_ioctl = next("ioctl");
    real_read = next("read");
    real___read_chk = next("__read_chk");
    real_write = next("write");
    real_poll = next("poll");
    real___poll_chk = next("__poll_chk");
    real_ppoll = next("ppoll");
    real___ppoll_chk = next("__ppoll_chk");
    real_select = next("select");
    real_pselect = next("pselect");
    real_fcntl = next("fcntl");
    real_fcntl64 = next("fcntl64");
    real_dup = next("dup");
    real_dup2 = next("dup2");
    real_dup3 = next("dup3");
    real_close = next("close");
    real_stat = next("stat");
    real_lstat = next("lstat");
    real_fstat = next("fstat");
    real_fstatat = next("fstatat");
    real_stat64 = next("stat64");
    real_lstat64 = next("lstat64");
    real_fstat64 = next("fstat64");
    real_fstatat64 = next("fstatat64");
    real___xstat = next("__xstat");
    real___lxstat = next("__lxstat");
    real___fxstat = next("__fxstat");
    real___fxstatat = next("__fxstatat");
    real___xstat64 = next("__xstat64");
    real___lxstat64 = next("__lxstat64");
    real___fxstat64 = next("__fxstat64");
    real___fxstatat64 = next("__fxstatat64");
    real_statx = next("statx");
    real_access = next("access");
    real_getxattr = next("getxattr");
    real_lgetxattr = next("lgetxattr");
    real_fgetxattr = next("fgetxattr");
    real_listxattr = next("listxattr");
    real_llistxattr = next("llistxattr");
    real_flistxattr = next("flistxattr");
    real_faccessat = next("faccessat");
    if (!real_fcntl64) real_fcntl64 = real_fcntl;

    clock_gettime(CLOCK_REALTIME, &load_time);
    const char *sock = getenv("I2OSIM_SOCKET");
    if (!sock || !*sock || strlen(sock) >= sizeof socket_path) return;
    strcpy(socket_path, sock);

    const char *devs = getenv("I2OSIM_DEVICES");
    if (!devs || !*devs) devs = "/dev/i2o/ctl:/dev/i2octl";
    char *copy = strdup(devs);
    if (!copy) return;
    for (char *save = NULL, *p = strtok_r(copy, ":", &save); p && device_count < MAX_DEVICES;
         p = strtok_r(NULL, ":", &save))
        if (p[0] == '/') device_paths[device_count++] = p;

    const char *mode = getenv("I2OSIM_MODE");
    if (mode && *mode) {
        char *end;
        unsigned long m = strtoul(mode, &end, 8);
        if (!*end && m <= 07777) node_mode = (mode_t)m;
    }
    pthread_atfork(NULL, NULL, atfork_child);
    scan_inherited();
    active = 1;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static inline void init(void) { pthread_once(&once, init_once); }

__attribute__((constructor)) static void preload_constructor(void) { init(); }

/* ---------------------------------------------------------------- paths */

/* Lexical normalisation of an absolute path: collapses //, /./ and /../. */
static void normalise(const char *in, char *out, size_t cap) {
    size_t o = 0;
    out[o++] = '/';
    const char *p = in;
    while (*p) {
        while (*p == '/') p++;
        if (!*p) break;
        const char *s = p;
        while (*p && *p != '/') p++;
        size_t len = (size_t)(p - s);
        if (len == 1 && s[0] == '.') continue;
        if (len == 2 && s[0] == '.' && s[1] == '.') {
            if (o > 1) {
                o--;
                while (o > 1 && out[o - 1] != '/') o--;
            }
            continue;
        }
        if (o > 1) {
            if (o + 1 >= cap) break;
            out[o++] = '/';
        }
        if (o + len >= cap) break;
        memcpy(out + o, s, len);
        o += len;
    }
    out[o] = 0;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Whether (dirfd, path) names one of the configured device nodes. */
static int is_device_path(int dirfd, const char *path) {
    if (!active || !path || !*path) return 0;
    char full[PATH_MAX * 2], norm[PATH_MAX];
    if (path[0] == '/') {
        normalise(path, norm, sizeof norm);
    } else {
        /* Relative: only worth resolving when the last component could match. */
        const char *b = base_name(path);
        int maybe = 0;
        for (int i = 0; i < device_count; i++)
            if (strcmp(base_name(device_paths[i]), b) == 0) maybe = 1;
        if (!maybe) return 0;
        char dir[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(dir, sizeof dir)) return 0;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, dir, sizeof dir - 1);
            if (n <= 0) return 0;
            dir[n] = 0;
        }
        snprintf(full, sizeof full, "%s/%s", dir, path);
        normalise(full, norm, sizeof norm);
    }
    for (int i = 0; i < device_count; i++) {
        char d[PATH_MAX];
        normalise(device_paths[i], d, sizeof d);
        if (strcmp(d, norm) == 0) return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- own memory, safely */

static int pipe_copy(int to_pipe_from_addr, uintptr_t addr, void *buf, size_t len) {
    /* write(pipe, addr) faults with EFAULT on a bad source; read(pipe, addr) on a bad target. */
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) return -1;
    int ok = 0;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done > 32768 ? 32768 : len - done;
        if (to_pipe_from_addr) {
            ssize_t w = syscall(SYS_write, p[1], (void *)(addr + done), n);
            if (w != (ssize_t)n) { ok = -1; break; }
            ssize_t r = syscall(SYS_read, p[0], (char *)buf + done, n);
            if (r != (ssize_t)n) { ok = -1; break; }
        } else {
            ssize_t w = syscall(SYS_write, p[1], (const char *)buf + done, n);
            if (w != (ssize_t)n) { ok = -1; break; }
            ssize_t r = syscall(SYS_read, p[0], (void *)(addr + done), n);
            if (r != (ssize_t)n) { ok = -1; break; }
        }
        done += n;
    }
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);
    return ok;
}

static int range_ok(uint64_t addr, uint64_t len) {
    if (len == 0) return 1;
    if (addr == 0) return 0;
    if (addr + len < addr) return 0;
    if (addr + len - 1 > (uint64_t)UINTPTR_MAX) return 0;
    return 1;
}

/* Memory of this process, through process_vm_readv/writev on `pid` — the caller's getpid(),
 * taken once per call by acquire() (never cached across calls: a fork, vfork or raw clone
 * child has another pid and the same code runs in it).
 *
 * Batches: `n` pairs local[i]/remote[i] of equal lengths move in as few calls as UIO_MAXIOV
 * allows. 1: every byte moved; 0: short (some range faults — the caller finds which, range by
 * range, as the protocol answers per range); -1: the calls are refused (seccomp), the pipe
 * fallback is switched on for good. Partial transfers never matter: on 0 the caller redoes
 * each range on its own.
 *
 * A readv whose local iovec is the remote range itself reads the range and writes the same
 * bytes back in one call: remote read faults on an unreadable range, the local copy on an
 * unwritable one. That is the writability probe. */
#define PVM_MAXIOV 1024
static int pvm_pairs(pid_t pid, int write, const struct iovec *local, const struct iovec *remote, size_t n) {
    for (size_t i = 0; i < n; i += PVM_MAXIOV) {
        size_t k = n - i < PVM_MAXIOV ? n - i : PVM_MAXIOV;
        size_t want = 0;
        for (size_t j = 0; j < k; j++) want += remote[i + j].iov_len;
        ssize_t got = syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv, pid, local + i, k, remote + i, k, 0);
        if (got == (ssize_t)want) continue;
        if (got >= 0 || errno == EFAULT) return 0;
        __atomic_store_n(&use_pipe_memory, 1, __ATOMIC_RELAXED);   /* ENOSYS/EPERM: seccomp */
        return -1;
    }
    return 1;
}

static int pipe_memory(void) { return __atomic_load_n(&use_pipe_memory, __ATOMIC_RELAXED); }

/* 0 on success, -1 when [addr, addr+len) is not readable. */
static int mem_read(pid_t pid, uint64_t addr, void *dst, size_t len) {
    if (len == 0) return 0;
    if (!range_ok(addr, len)) return -1;
    if (!pipe_memory()) {
        struct iovec local = {dst, len}, remote = {(void *)(uintptr_t)addr, len};
        int r = pvm_pairs(pid, 0, &local, &remote, 1);
        if (r >= 0) return r ? 0 : -1;
    }
    return pipe_copy(1, (uintptr_t)addr, dst, len);
}

static int mem_write(pid_t pid, uint64_t addr, const void *src, size_t len) {
    if (len == 0) return 0;
    if (!range_ok(addr, len)) return -1;
    if (!pipe_memory()) {
        struct iovec local = {(void *)src, len}, remote = {(void *)(uintptr_t)addr, len};
        int r = pvm_pairs(pid, 1, &local, &remote, 1);
        if (r >= 0) return r ? 0 : -1;
    }
    return pipe_copy(0, (uintptr_t)addr, (void *)src, len);
}

/* Out ranges up to this size are checked for writability before the daemon acts. */
#define PROBE_LIMIT 4096

/* Whether a range is writable: read it and write the same bytes back (documented race:
 * a concurrent writer of the same bytes in another thread could lose its write). */
static int mem_probe_write(pid_t pid, uint64_t addr, size_t len) {
    if (len == 0) return 0;
    if (!range_ok(addr, len)) return -1;
    if (!pipe_memory()) {
        struct iovec same = {(void *)(uintptr_t)addr, len};
        int r = pvm_pairs(pid, 0, &same, &same, 1);
        if (r >= 0) return r ? 0 : -1;
    }
    char stack[4096];
    char *tmp = len <= sizeof stack ? stack : malloc(len);
    if (!tmp) return -1;
    int r = pipe_copy(1, (uintptr_t)addr, tmp, len) == 0 && pipe_copy(0, (uintptr_t)addr, tmp, len) == 0 ? 0 : -1;
    if (tmp != stack) free(tmp);
    return r;
}

/* ---------------------------------------------------------------- framing */

static void put32(unsigned char *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
static void put64(unsigned char *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const unsigned char *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

/* Blocking I/O on a socket that may carry O_NONBLOCK (the device's own flag lives there). */
static int wait_fd(int fd, short ev) {
    struct pollfd p = {fd, ev, 0};
    for (;;) {
        int r = (int)syscall(SYS_ppoll, &p, 1, NULL, NULL, sizeof(sigset_t) > 8 ? 8 : sizeof(sigset_t));
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -1;
    }
}

static int send_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { if (wait_fd(fd, POLLOUT) == 0) continue; }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int recv_all(int fd, void *buf, size_t len) {
    char *p = buf;
    while (len) {
        ssize_t n = recv(fd, p, len, 0);
        if (n == 0) { errno = EPIPE; return -1; }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { if (wait_fd(fd, POLLIN) == 0) continue; }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Sends one frame: header + up to two body parts. */
static int send_frame(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen) {
    if (alen + blen + 4 > I2OSIM_MAX_FRAME) { errno = E2BIG; return -1; }
    size_t total = 8 + alen + blen;
    unsigned char stack[512];
    unsigned char *buf = total <= sizeof stack ? stack : malloc(total);
    if (!buf) return -1;
    put32(buf, (uint32_t)(4 + alen + blen));
    put32(buf + 4, type);
    if (alen) memcpy(buf + 8, a, alen);
    if (blen) memcpy(buf + 8 + alen, b, blen);
    int r = send_all(fd, buf, total);
    if (buf != stack) free(buf);
    return r;
}

/* Receives one frame; *body is malloc'd (free it). */
static int recv_frame(int fd, uint32_t *type, unsigned char **body, size_t *len) {
    unsigned char h[8];
    if (recv_all(fd, h, 8) != 0) return -1;
    uint32_t n = get32(h);
    if (n < 4 || n > I2OSIM_MAX_FRAME) { errno = EPROTO; return -1; }
    *type = get32(h + 4);
    *len = n - 4;
    *body = malloc(*len ? *len : 1);
    if (!*body) return -1;
    if (*len && recv_all(fd, *body, *len) != 0) { free(*body); return -1; }
    return 0;
}

/* An ioctl's answer (NEED, STORE..., RESULT) read in as few recv calls as the daemon's sends
 * allow: the daemon answers only what was asked, so nothing past RESULT can be in the buffer. */
struct rbuf { unsigned char data[4096]; size_t start, end; };

static int recv_some(int fd, struct rbuf *b) {
    if (b->start == b->end) b->start = b->end = 0;
    else if (b->end == sizeof b->data) {
        memmove(b->data, b->data + b->start, b->end - b->start);
        b->end -= b->start;
        b->start = 0;
    }
    for (;;) {
        ssize_t n = recv(fd, b->data + b->end, sizeof b->data - b->end, 0);
        if (n == 0) { errno = EPIPE; return -1; }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { if (wait_fd(fd, POLLIN) == 0) continue; }
            return -1;
        }
        b->end += (size_t)n;
        return 0;
    }
}

static int recv_frame_buffered(int fd, struct rbuf *b, uint32_t *type, unsigned char **body, size_t *len) {
    while (b->end - b->start < 8) if (recv_some(fd, b) != 0) return -1;
    uint32_t n = get32(b->data + b->start);
    if (n < 4 || n > I2OSIM_MAX_FRAME) { errno = EPROTO; return -1; }
    *type = get32(b->data + b->start + 4);
    *len = n - 4;
    b->start += 8;
    *body = malloc(*len ? *len : 1);
    if (!*body) return -1;
    size_t have = b->end - b->start < *len ? b->end - b->start : *len;
    memcpy(*body, b->data + b->start, have);
    b->start += have;
    if (have < *len && recv_all(fd, *body + have, *len - have) != 0) { free(*body); return -1; }
    return 0;
}

/* ---------------------------------------------------------------- connections */

/* Connects to the daemon and says HELLO. Returns the socket or -1 with errno
 * (ENOENT: no daemon socket; ENXIO: nobody answering). */
static int connect_daemon(int cloexec) {
    int s = socket(AF_UNIX, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0);
    if (s < 0) return -1;
    /* Autobind to a unique abstract name: our socket's name is how a process that inherits
     * this descriptor (after exec) asks the daemon to attach it to the same open file. */
    struct sockaddr_un self = {.sun_family = AF_UNIX};
    if (bind(s, (struct sockaddr *)&self, sizeof(sa_family_t)) != 0) goto fail_nxio;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path, socket_path, strlen(socket_path));
    if (connect(s, (struct sockaddr *)&a, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(socket_path))) != 0) {
        int e = errno;
        real_close(s);
        errno = (e == ENOENT || e == ENOTDIR) ? ENOENT : ENXIO;
        return -1;
    }
    struct timeval tv = {5, 0};   /* a daemon that accepts but never answers must not hang open() */
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    unsigned char hello[12];
    put32(hello, I2OSIM_PROTOCOL_VERSION);
    put32(hello + 4, I2OSIM_ABI);
    put32(hello + 8, (uint32_t)getpid());
    uint32_t type;
    unsigned char *body;
    size_t len;
    if (send_frame(s, MSG_HELLO, hello, sizeof hello, NULL, 0) != 0) goto fail_nxio;
    if (recv_frame(s, &type, &body, &len) != 0) goto fail_nxio;
    int good = type == MSG_HELLO_OK && len >= 8 && get32(body) == I2OSIM_PROTOCOL_VERSION;
    free(body);
    if (!good) goto fail_nxio;
    return s;
fail_nxio:
    real_close(s);
    errno = ENXIO;
    return -1;
}

static void clear_timeouts(int s) {
    struct timeval tv = {0, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Expects OPENED; returns 0 and the handle, or -1 with errno. */
static int expect_opened(int s, uint64_t *handle) {
    uint32_t type;
    unsigned char *body;
    size_t len;
    if (recv_frame(s, &type, &body, &len) != 0) { errno = ENXIO; return -1; }
    int r = -1;
    if (type == MSG_OPENED && len >= 8) { *handle = get64(body); r = 0; }
    else if (type == MSG_ERROR && len >= 4) errno = (int)get32(body);
    else errno = ENXIO;
    free(body);
    return r;
}

/* A new connection attached to the open file of `handle` (same process) or of the
 * connection whose client socket is `fd` (inherited: looked up by its socket name). */
static int attach_new(int fd, uint64_t handle, int by_name, int cloexec, uint64_t *out_handle) {
    unsigned char msg[12 + sizeof(((struct sockaddr_un *)0)->sun_path)];
    uint32_t namelen = 0;
    if (by_name) {
        struct sockaddr_un me;
        socklen_t len = sizeof me;
        if (getsockname(fd, (struct sockaddr *)&me, &len) != 0 || len <= offsetof(struct sockaddr_un, sun_path)) {
            errno = EBADF;
            return -1;
        }
        namelen = (uint32_t)(len - offsetof(struct sockaddr_un, sun_path));
        memcpy(msg + 12, me.sun_path, namelen);
    }
    put64(msg, by_name ? 0 : handle);
    put32(msg + 8, namelen);
    int s = connect_daemon(cloexec);
    if (s < 0) return -1;
    if (send_frame(s, MSG_ATTACH, msg, 12 + namelen, NULL, 0) != 0 || expect_opened(s, out_handle) != 0) {
        int e = errno;
        real_close(s);
        errno = e ? e : ENXIO;
        return -1;
    }
    clear_timeouts(s);
    int fl = real_fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) real_fcntl(s, F_SETFL, real_fcntl(s, F_GETFL) | O_NONBLOCK);
    return s;
}

/* Locks the entry of a device fd and makes sure this process owns its connection.
 * Returns the locked entry, NULL when fd is not (or no longer) a device — errno set to 0 —
 * or NULL with errno set when the re-attach failed. On success e->pid is this process's pid
 * (getpid() of this call: the one getpid of a request; pass it on to mem_*).
 *
 * The fstat of the socket stays on every call: a device descriptor can be closed without our
 * close() (fclose and closefrom close inside libc, close_range, raw syscalls) and its number
 * reused by a socket, pipe or eventfd that no wrapper sees being made; only the kernel's fd
 * table can tell, and without this check a request's frames would go into that file. */
static struct devfd *acquire(int fd) {
    struct devfd *e = entry(fd, 0);
    if (!e) { errno = 0; return NULL; }
    pthread_mutex_lock(&e->lock);
    dev_t sdev;
    ino_t sino;
    if (!e->device || sock_identity(fd, &sdev, &sino, NULL) != 0 || sino != e->sino || sdev != e->sdev) {
        e->device = 0;   /* closed or replaced behind our back */
        pthread_mutex_unlock(&e->lock);
        errno = 0;
        return NULL;
    }
    pid_t self = getpid();
    if (e->pid != self) {
        /* Inherited through fork or exec: get a connection of our own to the same open file,
         * so frames of two processes can never interleave on one socket. */
        int fdflags = real_fcntl(fd, F_GETFD);
        uint64_t h;
        int s = attach_new(fd, e->handle, 1, fdflags >= 0 && (fdflags & FD_CLOEXEC), &h);
        if (s < 0) {
            int err = errno;
            pthread_mutex_unlock(&e->lock);
            errno = err ? err : EIO;
            return NULL;
        }
        if (real_dup3(s, fd, (fdflags >= 0 && (fdflags & FD_CLOEXEC)) ? O_CLOEXEC : 0) < 0) {
            int err = errno;
            real_close(s);
            pthread_mutex_unlock(&e->lock);
            errno = err;
            return NULL;
        }
        real_close(s);
        sock_identity(fd, &sdev, &sino, NULL);
        e->pid = self;
        e->handle = h;
        e->sdev = sdev;
        e->sino = sino;
    }
    return e;
}

static void release(struct devfd *e) { pthread_mutex_unlock(&e->lock); }

/* ---------------------------------------------------------------- open */

static int dev_open(const char *path, int flags) {
    (void)path;
    if (flags & O_DIRECTORY) { errno = ENOTDIR; return -1; }
    int s = connect_daemon(flags & O_CLOEXEC);
    if (s < 0) return -1;
    unsigned char f[4];
    uint64_t handle;
    put32(f, (uint32_t)flags);
    if (send_frame(s, MSG_OPEN, f, 4, NULL, 0) != 0) { real_close(s); errno = ENXIO; return -1; }
    if (expect_opened(s, &handle) != 0) { int e = errno; real_close(s); errno = e; return -1; }
    clear_timeouts(s);
    if (flags & O_NONBLOCK) real_fcntl(s, F_SETFL, real_fcntl(s, F_GETFL) | O_NONBLOCK);
    struct devfd *e = entry(s, 1);
    if (!e) { real_close(s); errno = EMFILE; return -1; }
    pthread_mutex_lock(&e->lock);
    mark_device(s, getpid(), handle, flags & O_ACCMODE);
    pthread_mutex_unlock(&e->lock);
    return s;
}

static mode_t open_mode(int flags, va_list ap) {
    return (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE ? (mode_t)va_arg(ap, int) : 0;
}

/* A descriptor number that a real open reuses can no longer be a device. */
static int opened(int fd) { if (fd >= 0) forget(fd); return fd; }

/* Declares `mode`: the variadic open's mode argument, read only when flags say there is one. */
#define OPEN_MODE_ARG(flags)                                                                   \
    va_list ap;                                                                                \
    va_start(ap, flags);                                                                       \
    mode_t mode = open_mode(flags, ap);                                                        \
    va_end(ap)

/* open, openat and their _FORTIFY_SOURCE forms __open_2, __openat_2, for SFX "" and 64
 * (open64, __open64_2, ...): the device path is served here, any other goes to real_NAME. */
#define OPEN_WRAPPERS(SFX)                                                 \
    EXPORT int open##SFX(const char *path, int flags, ...) {               \
        init();                                                            \
        OPEN_MODE_ARG(flags);                                              \
        if (is_device_path(AT_FDCWD, path)) return dev_open(path, flags);  \
        return opened(real_open##SFX(path, flags, mode));                  \
    }                                                                      \
    EXPORT int openat##SFX(int dirfd, const char *path, int flags, ...) {  \
        init();                                                            \
        OPEN_MODE_ARG(flags);                                              \
        if (is_device_path(dirfd, path)) return dev_open(path, flags);     \
        return opened(real_openat##SFX(dirfd, path, flags, mode));         \
    }                                                                      \
    EXPORT int __open##SFX##_2(const char *path, int flags) {              \
        init();                                                            \
        if (is_device_path(AT_FDCWD, path)) return dev_open(path, flags);  \
        return opened(real___open##SFX##_2(path, flags));                  \
    }                                                                      \
    EXPORT int __openat##SFX##_2(int dirfd, const char *path, int flags) { \
        init();                                                            \
        if (is_device_path(dirfd, path)) return dev_open(path, flags);     \
        return opened(real___openat##SFX##_2(dirfd, path, flags));         \
    }
OPEN_WRAPPERS()
OPEN_WRAPPERS(64)

static FILE *dev_fopen(const char *path, const char *mode) {
    int flags = strchr(mode, '+') ? O_RDWR : mode[0] == 'r' ? O_RDONLY : O_WRONLY;
    if (strchr(mode, 'e')) flags |= O_CLOEXEC;
    int fd = dev_open(path, flags);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, mode);
    if (!f) { int e = errno; forget(fd); real_close(fd); errno = e; }
    return f;
}
#define FOPEN_WRAPPER(NAME)                                               \
    EXPORT FILE *NAME(const char *path, const char *mode) {               \
        init();                                                           \
        if (is_device_path(AT_FDCWD, path)) return dev_fopen(path, mode); \
        FILE *f = real_##NAME(path, mode);                                \
        if (f) forget(fileno(f));                                         \
        return f;                                                         \
    }
FOPEN_WRAPPER(fopen)
FOPEN_WRAPPER(fopen64)

/* ---------------------------------------------------------------- ioctl */

#define I2O_EVTGET_NUMBER 0x8068690Bu   /* says 104 bytes; the struct written is 112 */
#define I2O_VALIDATE_NUMBER 0x80046908u /* the argument is the IOP number by value */

static int eager_size(uint32_t cmd) {
    if (cmd == I2O_EVTGET_NUMBER) return 112;
    if (cmd == I2O_VALIDATE_NUMBER) return 0;
    if (_IOC_DIR(cmd) == _IOC_NONE) return 0;
    return (int)_IOC_SIZE(cmd);
}

/* Whether [addr, addr+n) lies inside [base, base+size). */
static int inside(uint64_t addr, uint64_t n, uint64_t base, uint64_t size) {
    return size > 0 && addr >= base && n <= size && addr - base <= size - n;
}

/* Scratch iovecs: on the stack for the usual handful of ranges, on the heap beyond. */
#define SMALL_RANGES 16

/* Answers one NEED frame with a DATA frame: all reads and all write probes in one
 * process_vm_readv (a probe is a pair whose local side is the range itself); only when it
 * comes back short is each range redone alone, to answer which one faults.
 * `eager`/`eager_size`: the ioctl's struct, already proven writable (0 size: not proven). */
static int answer_need(int s, pid_t pid, const unsigned char *body, size_t len, uint64_t eager, uint64_t eager_size) {
    if (len < 8) { errno = EPROTO; return -1; }
    uint32_t nr = get32(body), nw = get32(body + 4);
    if ((uint64_t)nr + nw > (len - 8) / 16) { errno = EPROTO; return -1; }
    uint64_t out_len = 0;
    for (uint32_t i = 0; i < nr; i++) out_len += 8 + (uint64_t)get32(body + 8 + 16 * i + 8);
    out_len += 4 * (uint64_t)nw;
    if (out_len + 4 > I2OSIM_MAX_FRAME) { errno = EPROTO; return -1; }
    size_t nranges = (size_t)nr + nw;
    struct iovec lstack[SMALL_RANGES], rstack[SMALL_RANGES];
    unsigned char sstack[SMALL_RANGES];
    int small = nranges <= SMALL_RANGES;
    unsigned char *out = malloc(out_len ? (size_t)out_len : 1);
    struct iovec *liov = small ? lstack : malloc(nranges * sizeof *liov);
    struct iovec *riov = small ? rstack : malloc(nranges * sizeof *riov);
    unsigned char *st = small ? sstack : malloc(nranges);   /* 0 faults, 1 fine, 2 to be tried */
    int rc = -1;
    if (!out || !liov || !riov || !st) goto done;
    for (size_t i = 0; i < nranges; i++) {
        const unsigned char *r = body + 8 + 16 * i;
        uint64_t addr = get64(r);
        uint32_t n = get32(r + 8);
        if (n == 0) st[i] = 1;
        else if (i >= nr && (n > PROBE_LIMIT || inside(addr, n, eager, eager_size))) st[i] = 1;
        /* Small out ranges (lengths, records) are probed now, so a bad pointer fails before the
         * daemon acts. Big ones are reservations (PARMGET reserves 64 KiB for a result that is
         * usually far shorter): only the bytes really written are checked, when they are stored. */
        else st[i] = range_ok(addr, n) ? 2 : 0;
    }
    /* The layout of DATA if every range still to be tried is fine. */
    int batched = 0;
    if (!pipe_memory()) {
        size_t k = 0, o = 0;
        for (size_t i = 0; i < nranges; i++) {
            const unsigned char *r = body + 8 + 16 * i;
            void *addr = (void *)(uintptr_t)get64(r);
            uint32_t n = get32(r + 8);
            if (i < nr) {
                if (st[i] == 2) { liov[k] = (struct iovec){out + o + 8, n}; riov[k] = (struct iovec){addr, n}; k++; }
                o += 8 + (st[i] ? n : 0);
            } else if (st[i] == 2) {
                liov[k] = riov[k] = (struct iovec){addr, n};
                k++;
            }
        }
        batched = pvm_pairs(pid, 0, liov, riov, k) == 1;
    }
    size_t o = 0;
    for (size_t i = 0; i < nranges; i++) {
        const unsigned char *r = body + 8 + 16 * i;
        uint64_t addr = get64(r);
        uint32_t n = get32(r + 8);
        if (i < nr) {
            if (st[i] == 2 && !batched) st[i] = mem_read(pid, addr, out + o + 8, n) == 0;
            put32(out + o, st[i] ? 0 : EFAULT);
            put32(out + o + 4, st[i] ? n : 0);
            o += 8 + (st[i] ? n : 0);
        } else {
            if (st[i] == 2 && !batched) st[i] = mem_probe_write(pid, addr, n) == 0;
            put32(out + o, st[i] ? 0 : EFAULT);
            o += 4;
        }
    }
    rc = send_frame(s, MSG_DATA, out, o, NULL, 0);
done:
    free(out);
    if (!small) { free(liov); free(riov); free(st); }
    return rc;
}

/* The ioctl's struct: its bytes, and whether it is readable and writable (the same bytes
 * written back) — one process_vm_readv reads it twice, into `bytes` and onto itself. */
static uint32_t eager_probe(pid_t pid, uintptr_t arg, unsigned char *bytes, size_t size) {
    if (!range_ok(arg, size)) return 0;
    if (!pipe_memory()) {
        struct iovec local[2] = {{bytes, size}, {(void *)arg, size}};
        struct iovec remote[2] = {{(void *)arg, size}, {(void *)arg, size}};
        ssize_t got = syscall(SYS_process_vm_readv, pid, local, 2, remote, 2, 0);
        /* The local side fills in order: `bytes` is complete once `size` bytes came. */
        if (got == (ssize_t)(2 * size)) return EAGER_READABLE | EAGER_WRITABLE;
        if (got >= (ssize_t)size) return EAGER_READABLE;
        if (got >= 0 || errno == EFAULT) return 0;
        __atomic_store_n(&use_pipe_memory, 1, __ATOMIC_RELAXED);   /* ENOSYS/EPERM: seccomp */
    }
    uint32_t flags = 0;
    if (mem_read(pid, arg, bytes, size) == 0) flags |= EAGER_READABLE;
    if ((flags & EAGER_READABLE) && mem_write(pid, arg, bytes, size) == 0) flags |= EAGER_WRITABLE;
    return flags;
}

/* A STORE kept until RESULT (body: the frame's body, freed after). */
struct store { unsigned char *body; uint64_t to; size_t len; };

/* Applies an ioctl's STOREs in order: one process_vm_writev for all; when it comes back
 * short, store by store as before (stores inside the proven struct by memcpy), each fault
 * remembered. Returns 1 when some store faulted (the ioctl then fails with EFAULT), else 0. */
static int apply_stores(pid_t pid, const struct store *sv, size_t n, uint64_t arg, uint64_t proven) {
    int all_proven = 1, batchable = 1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (sv[i].len == 0) continue;
        k++;
        if (!inside(sv[i].to, sv[i].len, arg, proven)) all_proven = 0;
        if (!range_ok(sv[i].to, sv[i].len)) batchable = 0;
    }
    if (k && !all_proven && batchable && !pipe_memory()) {
        struct iovec lstack[SMALL_RANGES], rstack[SMALL_RANGES];
        struct iovec *liov = k <= SMALL_RANGES ? lstack : malloc(k * sizeof *liov);
        struct iovec *riov = k <= SMALL_RANGES ? rstack : malloc(k * sizeof *riov);
        int ok = 0;
        if (liov && riov) {
            size_t j = 0;
            for (size_t i = 0; i < n; i++) {
                if (sv[i].len == 0) continue;
                liov[j] = (struct iovec){sv[i].body + 8, sv[i].len};
                riov[j] = (struct iovec){(void *)(uintptr_t)sv[i].to, sv[i].len};
                j++;
            }
            ok = pvm_pairs(pid, 1, liov, riov, k) == 1;
        }
        if (liov != lstack) free(liov);
        if (riov != rstack) free(riov);
        if (ok) return 0;
    }
    int fault = 0;
    for (size_t i = 0; i < n; i++) {
        if (sv[i].len == 0) continue;
        if (inside(sv[i].to, sv[i].len, arg, proven)) memcpy((void *)(uintptr_t)sv[i].to, sv[i].body + 8, sv[i].len);
        else if (mem_write(pid, sv[i].to, sv[i].body + 8, sv[i].len) != 0) fault = 1;
    }
    return fault;
}

/* Commands (by _IOC_TYPE and _IOC_NR) whose struct the daemon was seen to write into, or to
 * reserve for writing: their struct is probed for writability with the request, as the daemon
 * would otherwise ask for it in a round of its own. Learned per process, never forgotten. */
static unsigned char struct_written[65536 / 8];
static unsigned written_key(uint32_t cmd) { return _IOC_TYPE(cmd) << 8 | _IOC_NR(cmd); }
static int learned_written(uint32_t cmd) {
    unsigned k = written_key(cmd);
    return __atomic_load_n(&struct_written[k >> 3], __ATOMIC_RELAXED) >> (k & 7) & 1;
}
static void learn_written(uint32_t cmd) {
    unsigned k = written_key(cmd);
    __atomic_fetch_or(&struct_written[k >> 3], (unsigned char)(1u << (k & 7)), __ATOMIC_RELAXED);
}

/* Whether a NEED asks to test a range inside [arg, arg+size) for writability. */
static int need_probes_inside(const unsigned char *body, size_t len, uint64_t arg, uint64_t size) {
    if (len < 8) return 0;
    uint32_t nr = get32(body), nw = get32(body + 4);
    if ((uint64_t)nr + nw > (len - 8) / 16) return 0;
    for (uint32_t i = nr; i < nr + nw; i++) {
        const unsigned char *r = body + 8 + 16 * (size_t)i;
        uint64_t addr = get64(r), n = get32(r + 8);
        if (addr < arg + size && arg < addr + n) return 1;
    }
    return 0;
}

/* Frames up to this size go out as one socket buffer whatever SO_SNDBUF says (its minimum
 * leaves ≈ 2.2 KiB per buffer): a send from the caller's memory that faults sends nothing. */
#define DIRECT_SEND_MAX 2048

/* Sends an IOCTL frame whose struct bytes come straight from the caller's memory: the kernel
 * copies them, so the send is the read (no process_vm_readv), and a fault sends nothing.
 * 0 sent; 1 the struct is not readable (nothing sent); -1 the connection failed. */
static int send_ioctl_direct(int fd, const unsigned char *frame_head, size_t head_len, uintptr_t arg, size_t size) {
    struct iovec iov[2] = {{(void *)frame_head, head_len}, {(void *)arg, size}};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    for (;;) {
        ssize_t n = sendmsg(fd, &m, MSG_NOSIGNAL);
        if (n == (ssize_t)(head_len + size)) return 0;
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && wait_fd(fd, POLLOUT) == 0) continue;
        if (n < 0 && errno == EFAULT) return 1;
        /* A short send cannot happen for one socket buffer; if it did, the stream is out of step. */
        if (n >= 0) shutdown(fd, SHUT_RDWR);
        return -1;
    }
}

static int dev_ioctl(struct devfd *e, int fd, unsigned long request, uintptr_t arg) {
    pid_t pid = e->pid;   /* this process (acquire checked it) */
    uint32_t cmd = (uint32_t)request;
    int size = eager_size(cmd);
    unsigned char head[8 + 32];   /* the frame's length and type, then the IOCTL fields */
    unsigned char stack[256];
    unsigned char *bytes = NULL;
    uint32_t flags = 0;
    put32(head + 8, cmd);
    put32(head + 12, 0);
    put64(head + 16, arg);
    put64(head + 24, size > 0 ? arg : 0);
    put32(head + 32, (uint32_t)(size > 0 ? size : 0));
    /* The struct's writability is tested only where the daemon writes into it: an _IOR struct
     * (all output: GETIOPS, EVTGET), or a command seen doing so. Any other struct is only read,
     * and goes out straight from the caller's memory. */
    int probe = size > 0 && (_IOC_DIR(cmd) == _IOC_READ || learned_written(cmd));
    int rc = 1;
    if (size > 0 && !probe && sizeof head + (size_t)size <= DIRECT_SEND_MAX && range_ok(arg, (uint64_t)size)) {
        put32(head, (uint32_t)(4 + 32 + size));
        put32(head + 4, MSG_IOCTL);
        put32(head + 36, EAGER_READABLE | EAGER_UNPROBED);
        rc = send_ioctl_direct(fd, head, sizeof head, arg, (size_t)size);
        if (rc < 0) { errno = EIO; return -1; }
        if (rc == 0) flags = EAGER_READABLE | EAGER_UNPROBED;
    }
    if (rc != 0) {   /* not sent yet: probed, too big, or not readable */
        if (size > 0) {
            bytes = (size_t)size <= sizeof stack ? stack : malloc((size_t)size);
            if (!bytes) { errno = ENOMEM; return -1; }
            flags = probe ? eager_probe(pid, arg, bytes, (size_t)size)
                          : (mem_read(pid, arg, bytes, (size_t)size) == 0 ? EAGER_READABLE | EAGER_UNPROBED : 0);
        }
        put32(head + 36, flags);
        rc = send_frame(fd, MSG_IOCTL, head + 8, 32, bytes, (flags & EAGER_READABLE) ? (size_t)size : 0);
        if (bytes && bytes != stack) free(bytes);
        if (rc != 0) { errno = EIO; return -1; }
    }
    /* The struct was just read and written back: ranges inside it need no more checks. */
    uint64_t proven = (flags & EAGER_WRITABLE) ? (uint64_t)size : 0;
    /* STOREs are applied together when RESULT comes (in order, as they came). */
    struct store sstack[8];
    struct store *sv = sstack;
    size_t ns = 0, scap = sizeof sstack / sizeof sstack[0];
    int result = -1, err = EIO;
    struct rbuf rb;
    rb.start = rb.end = 0;
    for (;;) {
        uint32_t type;
        unsigned char *body;
        size_t len;
        if (recv_frame_buffered(fd, &rb, &type, &body, &len) != 0) break;
        if (type == MSG_NEED) {
            if (!proven && size > 0 && need_probes_inside(body, len, arg, (uint64_t)size)) learn_written(cmd);
            int r = answer_need(fd, pid, body, len, arg, proven);
            free(body);
            if (r != 0) break;
        } else if (type == MSG_STORE && len >= 8) {
            if (ns == scap) {
                struct store *bigger = malloc(2 * scap * sizeof *bigger);
                if (!bigger) { free(body); break; }
                memcpy(bigger, sv, ns * sizeof *sv);
                if (sv != sstack) free(sv);
                sv = bigger;
                scap *= 2;
            }
            sv[ns++] = (struct store){body, get64(body), len - 8};
            if (!proven && size > 0 && sv[ns - 1].to < arg + (uint64_t)size && arg < sv[ns - 1].to + sv[ns - 1].len)
                learn_written(cmd);
        } else if (type == MSG_RESULT && len >= 8) {
            int32_t value = (int32_t)get32(body), rerr = (int32_t)get32(body + 4);
            free(body);
            if (apply_stores(pid, sv, ns, arg, proven)) err = EFAULT;
            else if (rerr) err = rerr;
            else { result = value; err = 0; }
            break;
        } else {
            free(body);
            break;
        }
    }
    for (size_t i = 0; i < ns; i++) free(sv[i].body);
    if (sv != sstack) free(sv);
    if (err) { errno = err; return -1; }
    return result;
}

EXPORT int ioctl(int fd, unsigned long request, ...) {
    init();
    va_list ap;
    va_start(ap, request);
    uintptr_t arg = va_arg(ap, uintptr_t);
    va_end(ap);
    if (maybe_device(fd)) {
        uint32_t cmd = (uint32_t)request;
        /* Generic requests the kernel answers before the driver sees them: on the socket. */
        if (cmd == FIONBIO || cmd == FIOCLEX || cmd == FIONCLEX) {
            struct devfd *e = acquire(fd);
            if (e) { release(e); return real_ioctl(fd, request, arg); }
            if (errno) return -1;
        } else {
            struct devfd *e = acquire(fd);
            if (e) {
                int r = dev_ioctl(e, fd, request, arg);
                int err = errno;
                release(e);
                errno = err;
                return r;
            }
            if (errno) return -1;
        }
    }
    return real_ioctl(fd, request, arg);
}

/* ---------------------------------------------------------------- poll (and read's wait) */

/* Whether the open file behind a device fd is readable: 1, 0, or -1 (connection broken). */
static int dev_readable(int fd, uint64_t *handle) {
    struct devfd *e = acquire(fd);
    if (!e) return -1;
    *handle = e->handle;
    int r = -1;
    errno = EIO;
    if (send_frame(fd, MSG_POLL, NULL, 0, NULL, 0) == 0) {
        uint32_t type;
        unsigned char *body;
        size_t len;
        if (recv_frame(fd, &type, &body, &len) == 0) {
            if (type == MSG_POLL_STATUS && len >= 4) r = get32(body) ? 1 : 0;
            free(body);
        }
    }
    release(e);
    return r;
}

/* A WATCH connection: the daemon sends READY (and the socket turns readable) as soon as
 * one of the handles' open files is readable. */
static int watch_open(const uint64_t *handles, size_t n) {
    int s = connect_daemon(1);
    if (s < 0) return -1;
    clear_timeouts(s);
    size_t len = 4 + 8 * n;
    unsigned char *msg = malloc(len);
    if (!msg) { real_close(s); return -1; }
    put32(msg, (uint32_t)n);
    for (size_t i = 0; i < n; i++) put64(msg + 4 + 8 * i, handles[i]);
    int r = send_frame(s, MSG_WATCH, msg, len, NULL, 0);
    free(msg);
    if (r != 0) { real_close(s); return -1; }
    return s;
}

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* poll() over a set that contains device fds. timeout_ns < 0: forever. */
static int dev_poll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns, const sigset_t *mask) {
    int64_t deadline = timeout_ns < 0 ? -1 : now_ns() + timeout_ns;
    struct pollfd *tmp = malloc((nfds + 1) * sizeof *tmp);
    uint64_t *handles = malloc((nfds + 1) * sizeof *handles);
    char *isdev = malloc(nfds + 1);
    short *devrev = malloc((nfds + 1) * sizeof *devrev);   /* poll() clears revents of fd -1 */
    if (!tmp || !handles || !isdev || !devrev) {
        free(tmp); free(handles); free(isdev); free(devrev);
        errno = ENOMEM;
        return -1;
    }
    int result;
    for (;;) {
        int ready = 0;
        size_t nh = 0;
        for (nfds_t i = 0; i < nfds; i++) {
            tmp[i] = fds[i];
            tmp[i].revents = 0;
            isdev[i] = 0;
            devrev[i] = 0;
            if (fds[i].fd < 0 || !maybe_device(fds[i].fd)) continue;
            uint64_t h = 0;
            int r = dev_readable(fds[i].fd, &h);
            if (r == -1 && errno == 0) continue;   /* not a device after all */
            isdev[i] = 1;
            tmp[i].fd = -1;
            short want = fds[i].events & (POLLIN | POLLRDNORM);
            if (r < 0) { devrev[i] = POLLERR | POLLHUP; ready++; }
            else if (r == 1 && want) { devrev[i] = want; ready++; }
            else if (want) handles[nh++] = h;
        }
        int watch = -1;
        if (!ready && nh && timeout_ns != 0) watch = watch_open(handles, nh);   /* none for a mere check */
        tmp[nfds].fd = watch;
        tmp[nfds].events = POLLIN;
        tmp[nfds].revents = 0;
        struct timespec ts, *tsp = NULL;
        if (ready) { ts.tv_sec = 0; ts.tv_nsec = 0; tsp = &ts; }
        else if (deadline >= 0) {
            int64_t left = deadline - now_ns();
            if (left < 0) left = 0;
            ts.tv_sec = (time_t)(left / 1000000000);
            ts.tv_nsec = (long)(left % 1000000000);
            tsp = &ts;
        }
        struct pollfd saved[1];
        int r = real_ppoll(tmp, nfds + 1, tsp, mask);
        int err = errno;
        saved[0] = tmp[nfds];
        if (watch >= 0) real_close(watch);
        if (r < 0) { errno = err; result = -1; break; }
        int count = 0;
        for (nfds_t i = 0; i < nfds; i++) {
            fds[i].revents = isdev[i] ? devrev[i] : tmp[i].revents;
            if (fds[i].revents) count++;
        }
        if (count > 0) { result = count; break; }
        if (watch >= 0 && saved[0].revents) continue;   /* woken: look again */
        if (watch < 0 && !ready && nh && timeout_ns != 0) {
            /* The daemon is gone: report the devices as hung up. */
            for (nfds_t i = 0; i < nfds; i++) if (isdev[i]) { fds[i].revents = POLLERR | POLLHUP; count++; }
            result = count;
            break;
        }
        if (deadline >= 0 && now_ns() >= deadline) { result = 0; break; }
    }
    free(tmp);
    free(handles);
    free(isdev);
    free(devrev);
    return result;
}

static int has_device(const struct pollfd *fds, nfds_t nfds) {
    for (nfds_t i = 0; i < nfds; i++) if (fds[i].fd >= 0 && maybe_device(fds[i].fd)) return 1;
    return 0;
}

EXPORT int poll(struct pollfd *fds, nfds_t nfds, int timeout) {
    init();
    if (!active || !has_device(fds, nfds)) return real_poll(fds, nfds, timeout);
    return dev_poll(fds, nfds, timeout < 0 ? -1 : (int64_t)timeout * 1000000, NULL);
}
EXPORT int __poll_chk(struct pollfd *fds, nfds_t nfds, int timeout, size_t fdslen) {
    init();
    if (!active || !has_device(fds, nfds)) return real___poll_chk(fds, nfds, timeout, fdslen);
    return dev_poll(fds, nfds, timeout < 0 ? -1 : (int64_t)timeout * 1000000, NULL);
}
EXPORT int ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *ts, const sigset_t *mask) {
    init();
    if (!active || !has_device(fds, nfds)) return real_ppoll(fds, nfds, ts, mask);
    return dev_poll(fds, nfds, ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1, mask);
}
EXPORT int __ppoll_chk(struct pollfd *fds, nfds_t nfds, const struct timespec *ts, const sigset_t *mask,
                       size_t fdslen) {
    init();
    if (!active || !has_device(fds, nfds)) return real___ppoll_chk(fds, nfds, ts, mask, fdslen);
    return dev_poll(fds, nfds, ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1, mask);
}

static int select_common(int nfds, fd_set *r, fd_set *w, fd_set *x, int64_t timeout_ns, const sigset_t *mask) {
    struct pollfd *p = malloc((size_t)(nfds > 0 ? nfds : 1) * sizeof *p);
    if (!p) { errno = ENOMEM; return -1; }
    nfds_t n = 0;
    for (int fd = 0; fd < nfds; fd++) {
        short ev = 0;
        if (r && FD_ISSET(fd, r)) ev |= POLLIN;
        if (w && FD_ISSET(fd, w)) ev |= POLLOUT;
        if (x && FD_ISSET(fd, x)) ev |= POLLPRI;
        if (ev) { p[n].fd = fd; p[n].events = ev; p[n].revents = 0; n++; }
    }
    int rc = dev_poll(p, n, timeout_ns, mask);
    if (rc < 0) { free(p); return -1; }
    for (nfds_t i = 0; i < n; i++) if (p[i].revents & POLLNVAL) { free(p); errno = EBADF; return -1; }
    if (r) FD_ZERO(r);
    if (w) FD_ZERO(w);
    if (x) FD_ZERO(x);
    int count = 0;
    for (nfds_t i = 0; i < n; i++) {
        short re = p[i].revents;
        if (r && (p[i].events & POLLIN) && (re & (POLLIN | POLLHUP | POLLERR))) { FD_SET(p[i].fd, r); count++; }
        if (w && (p[i].events & POLLOUT) && (re & (POLLOUT | POLLERR))) { FD_SET(p[i].fd, w); count++; }
        if (x && (p[i].events & POLLPRI) && (re & POLLPRI)) { FD_SET(p[i].fd, x); count++; }
    }
    free(p);
    return count;
}

static int select_has_device(int nfds, fd_set *r, fd_set *w, fd_set *x) {
    for (int fd = 0; fd < nfds && fd < FD_SETSIZE; fd++)
        if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) || (x && FD_ISSET(fd, x))) && maybe_device(fd)) return 1;
    return 0;
}

EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x, struct timeval *tv) {
    init();
    if (!active || nfds > FD_SETSIZE || !select_has_device(nfds, r, w, x)) return real_select(nfds, r, w, x, tv);
    int64_t t = tv ? (int64_t)tv->tv_sec * 1000000000 + (int64_t)tv->tv_usec * 1000 : -1;
    int rc = select_common(nfds, r, w, x, t, NULL);
    if (tv && rc == 0) { tv->tv_sec = 0; tv->tv_usec = 0; }
    return rc;
}
EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x, const struct timespec *ts, const sigset_t *mask) {
    init();
    if (!active || nfds > FD_SETSIZE || !select_has_device(nfds, r, w, x)) return real_pselect(nfds, r, w, x, ts, mask);
    return select_common(nfds, r, w, x, ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1, mask);
}

/* ---------------------------------------------------------------- read / write */

static ssize_t dev_read(int fd, void *buf, size_t count) {
    for (;;) {
        struct devfd *e = acquire(fd);
        if (!e) return errno ? -1 : -2;
        uint64_t handle = e->handle;
        pid_t pid = e->pid;
        /* Check the buffer first: events taken from the queue must not be lost to a bad pointer. */
        size_t cap = count > I2OSIM_MAX_FRAME - 64 ? I2OSIM_MAX_FRAME - 64 : count;
        if (cap && mem_probe_write(pid, (uintptr_t)buf, cap) != 0) { release(e); errno = EFAULT; return -1; }
        unsigned char c[4];
        put32(c, (uint32_t)cap);
        uint32_t type;
        unsigned char *body;
        size_t len;
        if (send_frame(fd, MSG_READ, c, 4, NULL, 0) != 0 || recv_frame(fd, &type, &body, &len) != 0) {
            release(e);
            errno = EIO;
            return -1;
        }
        int fl = real_fcntl(fd, F_GETFL);
        release(e);
        if (type != MSG_READ_DATA || len < 4 || len - 4 > cap) { free(body); errno = EIO; return -1; }
        int32_t err = (int32_t)get32(body);
        if (err == 0) {
            size_t n = len - 4;
            int bad = mem_write(pid, (uintptr_t)buf, body + 4, n) != 0;
            free(body);
            if (bad) { errno = EFAULT; return -1; }
            return (ssize_t)n;
        }
        free(body);
        if (err != EAGAIN || (fl >= 0 && (fl & O_NONBLOCK))) { errno = err; return -1; }
        /* Block until the open file is readable (no lock held: other threads keep going). */
        int w = watch_open(&handle, 1);
        if (w < 0) { errno = EIO; return -1; }
        struct pollfd p = {w, POLLIN, 0};
        int r = real_poll(&p, 1, -1);
        int perr = errno;
        real_close(w);
        if (r < 0) { errno = perr; return -1; }   /* EINTR: a signal arrived while blocked */
    }
}

EXPORT ssize_t read(int fd, void *buf, size_t count) {
    init();
    if (maybe_device(fd)) {
        ssize_t r = dev_read(fd, buf, count);
        if (r != -2) return r;
    }
    return real_read(fd, buf, count);
}
EXPORT ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen) {
    init();
    if (count > buflen) return real___read_chk(fd, buf, count, buflen);   /* aborts, as glibc does */
    if (maybe_device(fd)) {
        ssize_t r = dev_read(fd, buf, count);
        if (r != -2) return r;
    }
    return real___read_chk(fd, buf, count, buflen);
}

EXPORT ssize_t write(int fd, const void *buf, size_t count) {
    init();
    if (maybe_device(fd)) {
        struct devfd *e = acquire(fd);
        if (e) {
            unsigned char c[4];
            put32(c, count > 0xffffffffu ? 0xffffffffu : (uint32_t)count);
            uint32_t type;
            unsigned char *body;
            size_t len;
            ssize_t r = -1;
            int err = EIO;
            if (send_frame(fd, MSG_WRITE, c, 4, NULL, 0) == 0 && recv_frame(fd, &type, &body, &len) == 0) {
                if (type == MSG_RESULT && len >= 8) {
                    err = (int32_t)get32(body + 4);
                    r = err ? -1 : (int32_t)get32(body);
                }
                free(body);
            }
            release(e);
            if (r < 0) errno = err;
            return r;
        }
        if (errno) return -1;
    }
    return real_write(fd, buf, count);
}

/* ---------------------------------------------------------------- descriptors */

EXPORT int close(int fd) {
    init();
    if (maybe_device(fd)) {
        struct devfd *e = entry(fd, 0);
        pthread_mutex_lock(&e->lock);
        e->device = 0;
        int r = real_close(fd);
        pthread_mutex_unlock(&e->lock);
        return r;
    }
    return real_close(fd);
}

/* A new connection to the same open file as device fd `fd` (for dup and friends). */
static int dup_device(int fd, int cloexec, int *ok) {
    struct devfd *e = acquire(fd);
    if (!e) { *ok = errno ? -1 : 0; return -1; }
    uint64_t h;
    int accmode = e->accmode;
    int s = attach_new(fd, e->handle, 0, cloexec, &h);
    release(e);
    if (s < 0) { *ok = -1; return -1; }
    *ok = 1;
    mark_device(s, getpid(), h, accmode);
    return s;
}

/* Moves the fresh device socket `s` to `target` (as dup2/dup3 would). */
static int move_device(int s, int target, int cloexec) {
    struct devfd *src = entry(s, 0);
    uint64_t h = src ? src->handle : 0;
    int accmode = src ? src->accmode : O_RDWR;
    forget(s);
    int r = real_dup3(s, target, cloexec ? O_CLOEXEC : 0);
    int err = errno;
    real_close(s);
    if (r < 0) { errno = err; return -1; }
    struct devfd *e = entry(target, 1);
    if (e) {
        pthread_mutex_lock(&e->lock);
        mark_device(target, getpid(), h, accmode);
        pthread_mutex_unlock(&e->lock);
    }
    return target;
}

EXPORT int dup(int fd) {
    init();
    if (maybe_device(fd)) {
        int ok;
        int s = dup_device(fd, 0, &ok);
        if (ok) return s;
    }
    return opened(real_dup(fd));
}

static int dup2_like(int oldfd, int newfd, int flags, int is_dup3) {
    if (maybe_device(oldfd) && oldfd != newfd) {
        int ok;
        int s = dup_device(oldfd, 1, &ok);
        if (ok < 0) return -1;
        if (ok) {
            if (s == newfd) {   /* cannot happen (newfd was open or we'd have got it) but be exact */
                if (!(flags & O_CLOEXEC)) real_fcntl(s, F_SETFD, 0);
                return s;
            }
            return move_device(s, newfd, flags & O_CLOEXEC);
        }
    }
    int r = is_dup3 ? real_dup3(oldfd, newfd, flags) : real_dup2(oldfd, newfd);
    if (r >= 0 && oldfd != newfd) forget(newfd);
    return r;
}

EXPORT int dup2(int oldfd, int newfd) { init(); return dup2_like(oldfd, newfd, 0, 0); }
EXPORT int dup3(int oldfd, int newfd, int flags) { init(); return dup2_like(oldfd, newfd, flags, 1); }

static int fcntl_common(int (*realf)(int, int, ...), int fd, int cmd, uintptr_t arg) {
    if (maybe_device(fd)) {
        if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) {
            int ok;
            int s = dup_device(fd, cmd == F_DUPFD_CLOEXEC, &ok);
            if (ok < 0) return -1;
            if (ok) {
                if (s >= (int)arg) return s;
                int t = realf(s, cmd, arg);
                int err = errno;
                if (t >= 0) {
                    struct devfd *src = entry(s, 0);
                    uint64_t h = src ? src->handle : 0;
                    int accmode = src ? src->accmode : O_RDWR;
                    forget(s);
                    real_close(s);
                    struct devfd *e = entry(t, 1);
                    if (e) { pthread_mutex_lock(&e->lock); mark_device(t, getpid(), h, accmode); pthread_mutex_unlock(&e->lock); }
                    return t;
                }
                forget(s);
                real_close(s);
                errno = err;
                return -1;
            }
        } else if (cmd == F_GETFL) {
            struct devfd *e = acquire(fd);
            if (e) {
                int fl = realf(fd, F_GETFL);
                int acc = e->accmode;
                release(e);
                return fl < 0 ? fl : (fl & ~O_ACCMODE) | acc;
            }
            if (errno) return -1;
        } else if (cmd == F_SETFL) {
            /* O_NONBLOCK is kept on the socket itself: shared by dups across fork/exec as the
             * kernel shares an open file's flags. O_ASYNC (SIGIO) is not offered. */
            arg &= ~(uintptr_t)O_ASYNC;
        }
    }
    int r = realf(fd, cmd, arg);
    if (r >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) forget(r);
    return r;
}

#define FCNTL_WRAPPER(NAME)                             \
    EXPORT int NAME(int fd, int cmd, ...) {             \
        init();                                         \
        va_list ap;                                     \
        va_start(ap, cmd);                              \
        uintptr_t arg = va_arg(ap, uintptr_t);          \
        va_end(ap);                                     \
        return fcntl_common(real_##NAME, fd, cmd, arg); \
    }
FCNTL_WRAPPER(fcntl)
FCNTL_WRAPPER(fcntl64)

/* ---------------------------------------------------------------- stat and access */

#define FILL_STAT(st)                                                     \
    do {                                                                  \
        memset((st), 0, sizeof *(st));                                    \
        (st)->st_dev = makedev(0, 5);                                     \
        (st)->st_ino = 166;                                               \
        (st)->st_mode = S_IFCHR | node_mode;                              \
        (st)->st_nlink = 1;                                               \
        (st)->st_uid = 0;                                                 \
        (st)->st_gid = 0;                                                 \
        (st)->st_rdev = makedev(10, 166);                                 \
        (st)->st_blksize = 4096;                                          \
        (st)->st_atim = load_time;                                        \
        (st)->st_mtim = load_time;                                        \
        (st)->st_ctim = load_time;                                        \
    } while (0)

static int fake_stat(struct stat *st) { if (!st) { errno = EFAULT; return -1; } FILL_STAT(st); return 0; }
static int fake_stat64(struct stat64 *st) { if (!st) { errno = EFAULT; return -1; } FILL_STAT(st); return 0; }

/* NULL or "" (some callers pass NULL with AT_EMPTY_PATH, which glibc's prototypes forbid). */
__attribute__((noinline)) static int empty_path(const char *p) { return !p || !*p; }

/* Whether fd is a device fd (quietly re-validated). */
static int fd_is_device(int fd) {
    if (!maybe_device(fd)) return 0;
    struct devfd *e = entry(fd, 0);
    dev_t sdev;
    ino_t sino;
    if (sock_identity(fd, &sdev, &sino, NULL) != 0 || sino != e->sino || sdev != e->sdev) return 0;
    return 1;
}

/* The stat family for SFX "" (struct stat) and 64 (struct stat64): stat, lstat, fstat,
 * fstatat, and the pre-2.33 glibc entry points __xstat, __lxstat, __fxstat, __fxstatat
 * (binaries built against older glibc call these; ENOSYS where this glibc lacks them). */
/* real_NAME(...), or -1 with ENOSYS where the next library has no NAME. */
#define REAL_OR_ENOSYS(NAME, ...) (real_##NAME ? real_##NAME(__VA_ARGS__) : (errno = ENOSYS, -1))

#define STAT_WRAPPERS(SFX)                                                                                         \
    EXPORT int stat##SFX(const char *path, struct stat##SFX *st) {                                                 \
        init();                                                                                                    \
        return is_device_path(AT_FDCWD, path) ? fake_stat##SFX(st) : real_stat##SFX(path, st);                     \
    }                                                                                                              \
    EXPORT int lstat##SFX(const char *path, struct stat##SFX *st) {                                                \
        init();                                                                                                    \
        return is_device_path(AT_FDCWD, path) ? fake_stat##SFX(st) : real_lstat##SFX(path, st);                    \
    }                                                                                                              \
    EXPORT int fstat##SFX(int fd, struct stat##SFX *st) {                                                          \
        init();                                                                                                    \
        return fd_is_device(fd) ? fake_stat##SFX(st) : real_fstat##SFX(fd, st);                                    \
    }                                                                                                              \
    EXPORT int fstatat##SFX(int dirfd, const char *path, struct stat##SFX *st, int flags) {                        \
        init();                                                                                                    \
        if (empty_path(path) && (flags & AT_EMPTY_PATH) && fd_is_device(dirfd))                                    \
            return fake_stat##SFX(st);                                                                             \
        return is_device_path(dirfd, path) ? fake_stat##SFX(st)                                                    \
                                           : real_fstatat##SFX(dirfd, path, st, flags);                            \
    }                                                                                                              \
    EXPORT int __xstat##SFX(int ver, const char *path, struct stat##SFX *st) {                                     \
        init();                                                                                                    \
        return is_device_path(AT_FDCWD, path) ? fake_stat##SFX(st) : REAL_OR_ENOSYS(__xstat##SFX, ver, path, st);  \
    }                                                                                                              \
    EXPORT int __lxstat##SFX(int ver, const char *path, struct stat##SFX *st) {                                    \
        init();                                                                                                    \
        return is_device_path(AT_FDCWD, path) ? fake_stat##SFX(st) : REAL_OR_ENOSYS(__lxstat##SFX, ver, path, st); \
    }                                                                                                              \
    EXPORT int __fxstat##SFX(int ver, int fd, struct stat##SFX *st) {                                              \
        init();                                                                                                    \
        return fd_is_device(fd) ? fake_stat##SFX(st) : REAL_OR_ENOSYS(__fxstat##SFX, ver, fd, st);                 \
    }                                                                                                              \
    EXPORT int __fxstatat##SFX(int ver, int dirfd, const char *path, struct stat##SFX *st, int flags) {            \
        init();                                                                                                    \
        if (empty_path(path) && (flags & AT_EMPTY_PATH) && fd_is_device(dirfd))                                    \
            return fake_stat##SFX(st);                                                                             \
        return is_device_path(dirfd, path) ? fake_stat##SFX(st)                                                    \
                                           : REAL_OR_ENOSYS(__fxstatat##SFX, ver, dirfd, path, st, flags);         \
    }
STAT_WRAPPERS()
STAT_WRAPPERS(64)

static int fake_statx(struct statx *sx) {
    if (!sx) { errno = EFAULT; return -1; }
    memset(sx, 0, sizeof *sx);
    sx->stx_mask = STATX_BASIC_STATS;
    sx->stx_blksize = 4096;
    sx->stx_nlink = 1;
    sx->stx_mode = (uint16_t)(S_IFCHR | node_mode);
    sx->stx_ino = 166;
    sx->stx_atime.tv_sec = load_time.tv_sec;
    sx->stx_atime.tv_nsec = (uint32_t)load_time.tv_nsec;
    sx->stx_mtime = sx->stx_atime;
    sx->stx_ctime = sx->stx_atime;
    sx->stx_rdev_major = 10;
    sx->stx_rdev_minor = 166;
    sx->stx_dev_major = 0;
    sx->stx_dev_minor = 5;
    return 0;
}

EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *sx) {
    init();
    if (empty_path(path) && (flags & AT_EMPTY_PATH) && fd_is_device(dirfd)) return fake_statx(sx);
    return is_device_path(dirfd, path) ? fake_statx(sx) : REAL_OR_ENOSYS(statx, dirfd, path, flags, mask, sx);
}

/* The node is root:root with node_mode: root may read and write, everyone else goes
 * through the mode's "other" digit; nobody may execute it. */
static int fake_access(int mode) {
    if (mode & X_OK) { errno = EACCES; return -1; }
    mode_t bits = (mode & R_OK ? 4 : 0) | (mode & W_OK ? 2 : 0);
    if (getuid() != 0 && (node_mode & bits) != bits) { errno = EACCES; return -1; }
    return 0;
}

EXPORT int access(const char *path, int mode) {
    init();
    return is_device_path(AT_FDCWD, path) ? fake_access(mode) : real_access(path, mode);
}
EXPORT int faccessat(int dirfd, const char *path, int mode, int flags) {
    init();
    return is_device_path(dirfd, path) ? fake_access(mode) : real_faccessat(dirfd, path, mode, flags);
}

/* Extended attributes: the node has none (ls -l asks for security.selinux and ACLs). */
EXPORT ssize_t getxattr(const char *path, const char *name, void *value, size_t size) {
    init();
    if (is_device_path(AT_FDCWD, path)) { errno = ENODATA; return -1; }
    return real_getxattr(path, name, value, size);
}
EXPORT ssize_t lgetxattr(const char *path, const char *name, void *value, size_t size) {
    init();
    if (is_device_path(AT_FDCWD, path)) { errno = ENODATA; return -1; }
    return real_lgetxattr(path, name, value, size);
}
EXPORT ssize_t fgetxattr(int fd, const char *name, void *value, size_t size) {
    init();
    if (fd_is_device(fd)) { errno = ENODATA; return -1; }
    return real_fgetxattr(fd, name, value, size);
}
EXPORT ssize_t listxattr(const char *path, char *list, size_t size) {
    init();
    if (is_device_path(AT_FDCWD, path)) return 0;
    return real_listxattr(path, list, size);
}
EXPORT ssize_t llistxattr(const char *path, char *list, size_t size) {
    init();
    if (is_device_path(AT_FDCWD, path)) return 0;
    return real_llistxattr(path, list, size);
}
EXPORT ssize_t flistxattr(int fd, char *list, size_t size) {
    init();
    if (fd_is_device(fd)) return 0;
    return real_flistxattr(fd, list, size);
}
