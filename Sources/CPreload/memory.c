/*
 * This process's own memory, read and written without faulting on a bad pointer: through
 * process_vm_readv/writev on our own pid, or — once those are refused (seccomp) — through a
 * pipe, where write and read fail with EFAULT instead of crashing. Also eager_probe, which
 * reads an ioctl's struct and tests it for writability in one call.
 */
#include "preload-internal.h"

static int use_pipe_memory; /* process_vm_* refused (seccomp): fall back to the pipe trick */

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

int range_ok(uint64_t addr, uint64_t len) {
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
int pvm_pairs(pid_t pid, int write, const struct iovec *local, const struct iovec *remote, size_t n) {
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

int pipe_memory(void) { return __atomic_load_n(&use_pipe_memory, __ATOMIC_RELAXED); }

/* 0 on success, -1 when [addr, addr+len) is not readable. */
int mem_read(pid_t pid, uint64_t addr, void *dst, size_t len) {
    if (len == 0) return 0;
    if (!range_ok(addr, len)) return -1;
    if (!pipe_memory()) {
        struct iovec local = {dst, len}, remote = {(void *)(uintptr_t)addr, len};
        int r = pvm_pairs(pid, 0, &local, &remote, 1);
        if (r >= 0) return r ? 0 : -1;
    }
    return pipe_copy(1, (uintptr_t)addr, dst, len);
}

int mem_write(pid_t pid, uint64_t addr, const void *src, size_t len) {
    if (len == 0) return 0;
    if (!range_ok(addr, len)) return -1;
    if (!pipe_memory()) {
        struct iovec local = {(void *)src, len}, remote = {(void *)(uintptr_t)addr, len};
        int r = pvm_pairs(pid, 1, &local, &remote, 1);
        if (r >= 0) return r ? 0 : -1;
    }
    return pipe_copy(0, (uintptr_t)addr, (void *)src, len);
}

/* Whether a range is writable: read it and write the same bytes back (documented race:
 * a concurrent writer of the same bytes in another thread could lose its write). */
int mem_probe_write(pid_t pid, uint64_t addr, size_t len) {
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

/* The ioctl's struct: its bytes, and whether it is readable and writable (the same bytes
 * written back) — one process_vm_readv reads it twice, into `bytes` and onto itself. */
uint32_t eager_probe(pid_t pid, uintptr_t arg, unsigned char *bytes, size_t size) {
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
