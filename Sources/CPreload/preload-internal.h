/*
 * libi2osim-preload.so — makes /dev/i2o/ctl (and /dev/i2octl) appear in a process without
 * root or CUSE. Loaded with LD_PRELOAD; every call on the configured device paths and on the
 * descriptors they return is forwarded over a Unix stream socket ($I2OSIM_SOCKET) to the
 * i2osim daemon, which runs the ioctl engine. Everything else passes through untouched.
 *
 * The protocol is in docs/preload-protocol.md; the design decisions (one socket connection
 * per descriptor, re-attach after fork/exec, poll through a WATCH connection) are there too.
 *
 * This header is the library's one internal header: what the files share. The files are
 *   init.c        the real libc functions (dlsym RTLD_NEXT), configuration, which paths are devices
 *   fdtable.c     the descriptor table: which fds are device connections, and who owns them
 *   memory.c      this process's memory, read and written safely (process_vm_*, pipe fallback)
 *   framing.c     frames on the socket
 *   connection.c  connecting to the daemon: HELLO, OPENED, ATTACH
 *   io.c          open/fopen, read, write, close, dup and fcntl on a device (O_ASYNC, F_SETOWN)
 *   ioctl.c       ioctl: the request, the daemon's NEEDs and STOREs, the result
 *   poll.c        poll, ppoll, select, pselect, epoll_ctl (and the WATCH connection read blocks on)
 *   stat.c        the fake device node: the stat family, statx, access, extended attributes
 * Everything not marked EXPORT is hidden (build.sh compiles with -fvisibility=hidden).
 *
 * Build: Sources/CPreload/build.sh OUTDIR (64- and 32-bit).
 */
#ifndef I2OSIM_PRELOAD_INTERNAL_H
#define I2OSIM_PRELOAD_INTERNAL_H

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
#include <sys/epoll.h>
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

/* The interposed libc functions: the only symbols the library exports. */
#define EXPORT __attribute__((visibility("default")))

/* ---------------------------------------------------------------- real functions (init.c) */

/* Every libc function the library wraps, as X(return type, name, parameters): init.c defines
 * real_NAME for each and looks it up with dlsym(RTLD_NEXT, "NAME"); NULL where the next
 * library has no NAME (real_fcntl64 then falls back to real_fcntl). */
#define REAL_FUNCTIONS(X)                                                                             \
    X(int, open, (const char *, int, ...))                                                            \
    X(int, open64, (const char *, int, ...))                                                          \
    X(int, openat, (int, const char *, int, ...))                                                     \
    X(int, openat64, (int, const char *, int, ...))                                                   \
    X(int, __open_2, (const char *, int))                                                             \
    X(int, __open64_2, (const char *, int))                                                           \
    X(int, __openat_2, (int, const char *, int))                                                      \
    X(int, __openat64_2, (int, const char *, int))                                                    \
    X(FILE *, fopen, (const char *, const char *))                                                    \
    X(FILE *, fopen64, (const char *, const char *))                                                  \
    X(int, ioctl, (int, unsigned long, ...))                                                          \
    X(ssize_t, read, (int, void *, size_t))                                                           \
    X(ssize_t, __read_chk, (int, void *, size_t, size_t))                                             \
    X(ssize_t, write, (int, const void *, size_t))                                                    \
    X(int, poll, (struct pollfd *, nfds_t, int))                                                      \
    X(int, __poll_chk, (struct pollfd *, nfds_t, int, size_t))                                        \
    X(int, ppoll, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *))               \
    X(int, __ppoll_chk, (struct pollfd *, nfds_t, const struct timespec *, const sigset_t *, size_t)) \
    X(int, select, (int, fd_set *, fd_set *, fd_set *, struct timeval *))                             \
    X(int, pselect, (int, fd_set *, fd_set *, fd_set *, const struct timespec *, const sigset_t *))   \
    X(int, epoll_ctl, (int, int, int, struct epoll_event *))                                          \
    X(int, fcntl, (int, int, ...))                                                                    \
    X(int, fcntl64, (int, int, ...))                                                                  \
    X(int, dup, (int))                                                                                \
    X(int, dup2, (int, int))                                                                          \
    X(int, dup3, (int, int, int))                                                                     \
    X(int, close, (int))                                                                              \
    X(int, stat, (const char *, struct stat *))                                                       \
    X(int, lstat, (const char *, struct stat *))                                                      \
    X(int, fstat, (int, struct stat *))                                                               \
    X(int, fstatat, (int, const char *, struct stat *, int))                                          \
    X(int, stat64, (const char *, struct stat64 *))                                                   \
    X(int, lstat64, (const char *, struct stat64 *))                                                  \
    X(int, fstat64, (int, struct stat64 *))                                                           \
    X(int, fstatat64, (int, const char *, struct stat64 *, int))                                      \
    X(int, __xstat, (int, const char *, struct stat *))                                               \
    X(int, __lxstat, (int, const char *, struct stat *))                                              \
    X(int, __fxstat, (int, int, struct stat *))                                                       \
    X(int, __fxstatat, (int, int, const char *, struct stat *, int))                                  \
    X(int, __xstat64, (int, const char *, struct stat64 *))                                           \
    X(int, __lxstat64, (int, const char *, struct stat64 *))                                          \
    X(int, __fxstat64, (int, int, struct stat64 *))                                                   \
    X(int, __fxstatat64, (int, int, const char *, struct stat64 *, int))                              \
    X(int, statx, (int, const char *, int, unsigned int, struct statx *))                             \
    X(int, access, (const char *, int))                                                               \
    X(ssize_t, getxattr, (const char *, const char *, void *, size_t))                                \
    X(ssize_t, lgetxattr, (const char *, const char *, void *, size_t))                               \
    X(ssize_t, fgetxattr, (int, const char *, void *, size_t))                                        \
    X(ssize_t, listxattr, (const char *, char *, size_t))                                             \
    X(ssize_t, llistxattr, (const char *, char *, size_t))                                            \
    X(ssize_t, flistxattr, (int, char *, size_t))                                                     \
    X(int, faccessat, (int, const char *, int, int))

#define DECLARE_REAL(RET, NAME, PARAMS) extern RET(*real_##NAME) PARAMS;
REAL_FUNCTIONS(DECLARE_REAL)
#undef DECLARE_REAL

/* ---------------------------------------------------------------- configuration (init.c) */

extern char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* $I2OSIM_SOCKET */
extern int active;           /* I2OSIM_SOCKET is set and usable */
extern mode_t node_mode;     /* $I2OSIM_MODE, default 0666 */
extern struct timespec load_time;

/* Runs init_once (the lookups, the configuration) once; every wrapper calls it first. */
extern pthread_once_t init_once_control;
void init_once(void);
static inline void init(void) { pthread_once(&init_once_control, init_once); }

/* Whether (dirfd, path) names one of the configured device nodes. */
/* Which configured device `path` names: 1 + its index, or 0 for none. */
int is_device_path(int dirfd, const char *path);
/* The configured path of device `device` (is_device_path's answer), as OPEN names it. */
const char *device_path(int device);

/* ---------------------------------------------------------------- descriptor table (fdtable.c) */

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
extern struct devfd *chunks[NCHUNKS];
extern pthread_mutex_t table_lock;

/* Inline: every wrapped call on a descriptor asks maybe_device first. */
static inline struct devfd *entry(int fd, int create) {
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

static inline int maybe_device(int fd) {
    struct devfd *e = entry(fd, 0);
    return e && __atomic_load_n(&e->device, __ATOMIC_ACQUIRE);
}

static inline void forget(int fd) {
    struct devfd *e = entry(fd, 0);
    if (e && __atomic_load_n(&e->device, __ATOMIC_ACQUIRE)) __atomic_store_n(&e->device, 0, __ATOMIC_RELEASE);
}

int sock_identity(int fd, dev_t *dev, ino_t *ino, int *is_sock);
void mark_device(int fd, pid_t pid, uint64_t handle, int accmode);
void scan_inherited(void);
void atfork_child(void);
struct devfd *acquire(int fd);
void release(struct devfd *e);

/* ---------------------------------------------------------------- own memory (memory.c) */

int range_ok(uint64_t addr, uint64_t len);
int pvm_pairs(pid_t pid, int write, const struct iovec *local, const struct iovec *remote, size_t n);
int pipe_memory(void);
int mem_read(pid_t pid, uint64_t addr, void *dst, size_t len);
int mem_write(pid_t pid, uint64_t addr, const void *src, size_t len);
int mem_probe_write(pid_t pid, uint64_t addr, size_t len);
uint32_t eager_probe(pid_t pid, uintptr_t arg, unsigned char *bytes, size_t size);

/* ---------------------------------------------------------------- framing (framing.c) */

static inline void put32(unsigned char *p, uint32_t v) { p[0] = v; p[1] = v >> 8; p[2] = v >> 16; p[3] = v >> 24; }
static inline void put64(unsigned char *p, uint64_t v) { put32(p, (uint32_t)v); put32(p + 4, (uint32_t)(v >> 32)); }
static inline uint32_t get32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t get64(const unsigned char *p) { return get32(p) | (uint64_t)get32(p + 4) << 32; }

int wait_fd(int fd, short ev);
int send_frame(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen);
int recv_frame(int fd, uint32_t *type, unsigned char **body, size_t *len);

/* An ioctl's answer (NEED, STORE..., RESULT) read in as few recv calls as the daemon's sends
 * allow: the daemon answers only what was asked, so nothing past RESULT can be in the buffer. */
struct rbuf { unsigned char data[4096]; size_t start, end; };
int recv_frame_buffered(int fd, struct rbuf *b, uint32_t *type, unsigned char **body, size_t *len);

/* ---------------------------------------------------------------- connections (connection.c) */

int connect_daemon(int cloexec);
void clear_timeouts(int s);
int expect_opened(int s, uint64_t *handle);
int attach_new(int fd, uint64_t handle, int by_name, int cloexec, uint64_t *out_handle);

/* ---------------------------------------------------------------- O_ASYNC (io.c) */

/* An open file's O_ASYNC flag, F_SETOWN owner and F_SETSIG signal: kept by the daemon, as the
 * kernel keeps them in the struct file every descriptor of it shares. */
struct async_state { int on; int owner; int sig; };
/* On device fd `fd`, locked by the caller (acquire): changes the fields `set` names (ASYNC_*)
 * and tells the state after it. 0, or -1 with errno (the daemon's refusal, or EIO). */
int dev_async(int fd, uint32_t set, int on, int owner, int sig, struct async_state *out);

/* ---------------------------------------------------------------- poll (poll.c) */

int watch_open(const uint64_t *handles, size_t n);

#endif
