/*
 * The descriptor table: which descriptor numbers are device connections (sockets to the
 * daemon), the ones inherited through exec, the reset after fork, and acquire() — the lock
 * on a device fd that also makes sure this process owns its connection.
 * (entry, maybe_device and forget are inline in preload-internal.h.)
 */
#include "preload-internal.h"

struct devfd *chunks[NCHUNKS];
pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;

/* fstat that is right in both ABIs (the raw syscall's struct differs from glibc's on i386). */
int sock_identity(int fd, dev_t *dev, ino_t *ino, int *is_sock) {
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

void mark_device(int fd, pid_t pid, uint64_t handle, int accmode) {
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
void scan_inherited(void) {
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

void atfork_child(void) {
    /* Only this thread survives; a lock another thread held is free now. The pid check in
     * acquire() makes every inherited device fd re-attach on first use. */
    for (int c = 0; c < NCHUNKS; c++) {
        struct devfd *ch = chunks[c];
        if (!ch) continue;
        for (int i = 0; i < CHUNK; i++) pthread_mutex_init(&ch[i].lock, NULL);
    }
    pthread_mutex_init(&table_lock, NULL);
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
struct devfd *acquire(int fd) {
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

void release(struct devfd *e) { pthread_mutex_unlock(&e->lock); }
