/*
 * Frames on a daemon socket: u32 LE length, u32 LE type, body (preload-protocol.h), sent and
 * received whole on a socket that may carry O_NONBLOCK. put32/get32 and friends are inline
 * in preload-internal.h.
 */
#include "preload-internal.h"

/* Blocking I/O on a socket that may carry O_NONBLOCK (the device's own flag lives there). */
int wait_fd(int fd, short ev) {
    struct pollfd p = {fd, ev, 0};
    for (;;) {
        int r = (int)syscall(SYS_ppoll, &p, 1, NULL, NULL, sizeof(sigset_t) > 8 ? 8 : sizeof(sigset_t));
        if (r > 0) return 0;
        if (r < 0 && errno != EINTR) return -1;
    }
}

/* Sends (out) or receives the len bytes at buf whole: EINTR retried, EAGAIN waited out with
 * wait_fd; a peer that closes before they all arrived is EPIPE. One loop for both directions. */
static int xfer_all(int fd, void *buf, size_t len, int out) {
    char *p = buf;
    while (len) {
        ssize_t n = out ? send(fd, p, len, MSG_NOSIGNAL) : recv(fd, p, len, 0);
        if (n == 0 && !out) { errno = EPIPE; return -1; }
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) { if (wait_fd(fd, out ? POLLOUT : POLLIN) == 0) continue; }
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int send_all(int fd, const void *buf, size_t len) { return xfer_all(fd, (void *)buf, len, 1); }
static int recv_all(int fd, void *buf, size_t len) { return xfer_all(fd, buf, len, 0); }

/* Sends one frame: header + up to two body parts. */
int send_frame(int fd, uint32_t type, const void *a, size_t alen, const void *b, size_t blen) {
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
int recv_frame(int fd, uint32_t *type, unsigned char **body, size_t *len) {
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

int recv_frame_buffered(int fd, struct rbuf *b, uint32_t *type, unsigned char **body, size_t *len) {
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
