/*
 * Connections to the daemon: connect and say HELLO, wait for OPENED, and ATTACH a new
 * connection to an open file the daemon already has (for dup, and after fork or exec).
 */
#include "preload-internal.h"

#if UINTPTR_MAX == 0xffffffffu
#define I2OSIM_ABI 1u /* ilp32 */
#else
#define I2OSIM_ABI 0u /* lp64 */
#endif

/* Connects to the daemon and says HELLO. Returns the socket or -1 with errno
 * (ENOENT: no daemon socket; ENXIO: nobody answering). */
int connect_daemon(int cloexec) {
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

void clear_timeouts(int s) {
    struct timeval tv = {0, 0};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Expects OPENED; returns 0 and the handle, or -1 with errno. */
int expect_opened(int s, uint64_t *handle) {
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
int attach_new(int fd, uint64_t handle, int by_name, int cloexec, uint64_t *out_handle) {
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
