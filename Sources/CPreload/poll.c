/*
 * poll, ppoll, select and pselect over sets that contain device fds: each device is asked
 * for its events now (POLL: its driver's mask — the kernels' default mask for a driver without
 * a poll method), and the wait is on a WATCH connection that the daemon makes readable when
 * one of the open files is. read() blocks on a WATCH connection too. epoll_ctl refuses a
 * device fd (EPERM), as the kernel refuses a file without a poll method.
 */
#include "preload-internal.h"

/* The events of the open file behind a device fd (Linux poll bits), or -1 (connection
 * broken; errno 0: not a device after all). */
static int dev_events(int fd, uint64_t *handle) {
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
            if (type == MSG_POLL_STATUS && len >= 4) r = (int)(get32(body) & 0xffff);
            free(body);
        }
    }
    release(e);
    return r;
}

/* A WATCH connection: the daemon sends READY (and the socket turns readable) as soon as
 * one of the handles' open files is readable. */
int watch_open(const uint64_t *handles, size_t n) {
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
            int r = dev_events(fds[i].fd, &h);
            if (r == -1 && errno == 0) continue;   /* not a device after all */
            isdev[i] = 1;
            tmp[i].fd = -1;
            /* As the kernel: the file's events masked with the ones asked for (and the errors). */
            short got = r < 0 ? 0 : (short)(r & (fds[i].events | POLLERR | POLLHUP));
            if (r < 0) { devrev[i] = POLLERR | POLLHUP; ready++; }
            else if (got) { devrev[i] = got; ready++; }
            else if (fds[i].events & (POLLIN | POLLRDNORM)) handles[nh++] = h;   /* only readability changes */
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

/* epoll_ctl on a device fd: EPERM, as the kernel answers for a file without a poll method —
 * both kernels' driver; for `documented`, whose driver has one, a limit of this library, which
 * cannot make a socket's readiness follow an event queue (docs/preload-protocol.md). Before it,
 * as the kernel: an unreadable event (ADD, MOD) → EFAULT, a closed epoll fd → EBADF. */
EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
    init();
    if (active && maybe_device(fd)) {
        struct devfd *e = acquire(fd);
        if (e) {
            pid_t pid = e->pid;
            release(e);
            struct epoll_event ev;
            if (op != EPOLL_CTL_DEL && (!event || mem_read(pid, (uintptr_t)event, &ev, sizeof ev) != 0)) errno = EFAULT;
            else if (real_fcntl(epfd, F_GETFD) < 0) errno = EBADF;
            else errno = EPERM;
            return -1;
        }
        if (errno) return -1;
    }
    return real_epoll_ctl(epfd, op, fd, event);
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
