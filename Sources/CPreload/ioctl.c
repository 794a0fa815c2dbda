/*
 * ioctl on a device: the IOCTL frame (the struct's bytes sent with it), the daemon's NEEDs
 * (ranges of our memory to read or to test for writability) and STOREs (bytes to write
 * back, applied when RESULT comes; a STORE_UNCHECKED's fault is ignored), and the result.
 * Generic FIONBIO/FIOCLEX/FIONCLEX go to the socket itself; FIOASYNC to the daemon's O_ASYNC
 * state of the open file (ASYNC).
 */
#include "preload-internal.h"

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

/* Out ranges up to this size are checked for writability before the daemon acts. */
#define PROBE_LIMIT 4096

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

/* A STORE kept until RESULT (body: the frame's body, freed after); `unchecked`: it came as
 * STORE_UNCHECKED (a kernel's put_user whose result the driver ignores). */
struct store { unsigned char *body; uint64_t to; size_t len; int unchecked; };

/* Applies an ioctl's STOREs in order: one process_vm_writev for all; when it comes back
 * short, store by store as before (stores inside the proven struct by memcpy), each fault
 * remembered. Returns 1 when some STORE faulted (the ioctl then fails with EFAULT), else 0:
 * a STORE_UNCHECKED that faults is skipped and the call keeps its result. */
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
        else if (mem_write(pid, sv[i].to, sv[i].body + 8, sv[i].len) != 0 && !sv[i].unchecked) fault = 1;
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
        } else if ((type == MSG_STORE || type == MSG_STORE_UNCHECKED) && len >= 8) {
            if (ns == scap) {
                struct store *bigger = malloc(2 * scap * sizeof *bigger);
                if (!bigger) { free(body); break; }
                memcpy(bigger, sv, ns * sizeof *sv);
                if (sv != sstack) free(sv);
                sv = bigger;
                scap *= 2;
            }
            sv[ns++] = (struct store){body, get64(body), len - 8, type == MSG_STORE_UNCHECKED};
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
        } else if (cmd == FIOASYNC) {
            /* The VFS's: the int at arg (EFAULT), then the driver's fasync when O_ASYNC changes
             * (ENOTTY where it has none) — the daemon knows the node's. */
            struct devfd *e = acquire(fd);
            if (e) {
                int on;
                struct async_state st;
                int r = -1, err = EFAULT;
                if (mem_read(e->pid, arg, &on, sizeof on) == 0) {
                    r = dev_async(fd, ASYNC_SET_FLAG | ASYNC_BY_FIOASYNC, on != 0, 0, 0, &st);
                    err = errno;
                }
                release(e);
                errno = err;
                return r;
            }
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
