/*
 * The fake device node: the stat family (with the pre-2.33 glibc __xstat entry points),
 * statx, access, faccessat, and the extended attributes, answered for the device paths and
 * device fds as a character device 10:166, root:root, mode $I2OSIM_MODE.
 */
#include "preload-internal.h"

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
