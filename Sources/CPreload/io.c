/*
 * The libc wrappers for a device's life as a descriptor: open, openat, fopen (and their
 * 64-bit and _FORTIFY_SOURCE forms), read, write, close, dup, dup2, dup3, fcntl — with the
 * open file's O_ASYNC, F_SETOWN and F_SETSIG kept by the daemon (ASYNC), which signals the
 * owner where the node's driver did. A call on any other path or descriptor goes to the real
 * function.
 */
#include "preload-internal.h"

/* ---------------------------------------------------------------- open */

/* `device`: is_device_path's answer. OPEN names the device's configured path: a daemon may serve
 * a different node on each (serve --socket --name i2octl --name dpti0). */
static int dev_open(int device, int flags) {
    if (flags & O_DIRECTORY) { errno = ENOTDIR; return -1; }
    int s = connect_daemon(flags & O_CLOEXEC);
    if (s < 0) return -1;
    const char *path = device_path(device);
    size_t n = strlen(path);
    unsigned char f[8];
    uint64_t handle;
    put32(f, (uint32_t)flags);
    put32(f + 4, (uint32_t)n);
    if (send_frame(s, MSG_OPEN, f, 8, path, n) != 0) { real_close(s); errno = ENXIO; return -1; }
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
        int dev = is_device_path(AT_FDCWD, path);                          \
        if (dev) return dev_open(dev, flags);                              \
        return opened(real_open##SFX(path, flags, mode));                  \
    }                                                                      \
    EXPORT int openat##SFX(int dirfd, const char *path, int flags, ...) {  \
        init();                                                            \
        OPEN_MODE_ARG(flags);                                              \
        int dev = is_device_path(dirfd, path);                             \
        if (dev) return dev_open(dev, flags);                              \
        return opened(real_openat##SFX(dirfd, path, flags, mode));         \
    }                                                                      \
    EXPORT int __open##SFX##_2(const char *path, int flags) {              \
        init();                                                            \
        int dev = is_device_path(AT_FDCWD, path);                          \
        if (dev) return dev_open(dev, flags);                              \
        return opened(real___open##SFX##_2(path, flags));                  \
    }                                                                      \
    EXPORT int __openat##SFX##_2(int dirfd, const char *path, int flags) { \
        init();                                                            \
        int dev = is_device_path(dirfd, path);                             \
        if (dev) return dev_open(dev, flags);                              \
        return opened(real___openat##SFX##_2(dirfd, path, flags));         \
    }
OPEN_WRAPPERS()
OPEN_WRAPPERS(64)

static FILE *dev_fopen(int device, const char *mode) {
    int flags = strchr(mode, '+') ? O_RDWR : mode[0] == 'r' ? O_RDONLY : O_WRONLY;
    if (strchr(mode, 'e')) flags |= O_CLOEXEC;
    int fd = dev_open(device, flags);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, mode);
    if (!f) { int e = errno; forget(fd); real_close(fd); errno = e; }
    return f;
}
#define FOPEN_WRAPPER(NAME)                                               \
    EXPORT FILE *NAME(const char *path, const char *mode) {               \
        init();                                                           \
        int dev = is_device_path(AT_FDCWD, path);                         \
        if (dev) return dev_fopen(dev, mode);                             \
        FILE *f = real_##NAME(path, mode);                                \
        if (f) forget(fileno(f));                                         \
        return f;                                                         \
    }
FOPEN_WRAPPER(fopen)
FOPEN_WRAPPER(fopen64)

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

int dev_async(int fd, uint32_t set, int on, int owner, int sig, struct async_state *out) {
    unsigned char m[16];
    put32(m, set);
    put32(m + 4, on ? 1u : 0u);
    put32(m + 8, (uint32_t)owner);
    put32(m + 12, (uint32_t)sig);
    uint32_t type;
    unsigned char *body;
    size_t len;
    if (send_frame(fd, MSG_ASYNC, m, sizeof m, NULL, 0) != 0 || recv_frame(fd, &type, &body, &len) != 0) {
        errno = EIO;
        return -1;
    }
    int err = EIO;
    if (type == MSG_ASYNC_STATE && len >= 16) {
        err = (int32_t)get32(body);
        out->on = get32(body + 4) != 0;
        out->owner = (int32_t)get32(body + 8);
        out->sig = (int32_t)get32(body + 12);
    }
    free(body);
    if (err) { errno = err; return -1; }
    return 0;
}

/* fcntl's O_ASYNC commands on a device: F_SETFL's O_ASYNC bit, F_SETOWN and F_SETSIG change the
 * open file's state at the daemon; F_GETOWN and F_GETSIG read it. Returns the call's result,
 * or -2 when fd is not a device after all. */
static int fcntl_async(int fd, int cmd, uintptr_t arg) {
    struct devfd *e = acquire(fd);
    if (!e) return errno ? -1 : -2;
    struct async_state st;
    int r;
    switch (cmd) {
    case F_SETOWN: r = dev_async(fd, ASYNC_SET_OWNER, 0, (int)arg, 0, &st); break;
    case F_SETSIG: r = dev_async(fd, ASYNC_SET_SIGNAL, 0, 0, (int)arg, &st); break;
    case F_GETOWN: r = dev_async(fd, 0, 0, 0, 0, &st); if (r == 0) r = st.owner; break;
    default:       r = dev_async(fd, 0, 0, 0, 0, &st); if (r == 0) r = st.sig; break;   /* F_GETSIG */
    }
    int err = errno;
    release(e);
    errno = err;
    return r;
}

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
                int err = errno;
                int acc = e->accmode;
                struct async_state st = {0, 0, 0};
                if (fl >= 0 && dev_async(fd, 0, 0, 0, 0, &st) != 0) { fl = -1; err = errno; }
                release(e);
                errno = err;
                return fl < 0 ? fl : (fl & ~(O_ACCMODE | O_ASYNC)) | acc | (st.on ? O_ASYNC : 0);
            }
            if (errno) return -1;
        } else if (cmd == F_SETFL) {
            /* O_NONBLOCK is kept on the socket itself: shared by dups across fork/exec as the
             * kernel shares an open file's flags. O_ASYNC is the daemon's (never the socket's,
             * which would raise SIGIO for every answer): set there first, as the kernel calls
             * the driver's fasync before it changes the flags. */
            struct devfd *e = acquire(fd);
            if (e) {
                struct async_state st;
                int r = dev_async(fd, ASYNC_SET_FLAG, (arg & O_ASYNC) != 0, 0, 0, &st);
                if (r == 0) r = realf(fd, F_SETFL, arg & ~(uintptr_t)O_ASYNC);
                int err = errno;
                release(e);
                errno = err;
                return r;
            }
            if (errno) return -1;
        } else if (cmd == F_SETOWN || cmd == F_GETOWN || cmd == F_SETSIG || cmd == F_GETSIG) {
            int r = fcntl_async(fd, cmd, arg);
            if (r != -2) return r;
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
