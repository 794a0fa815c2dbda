/*
 * nopvm — runs a command with process_vm_readv/process_vm_writev refused by a seccomp filter
 * (ENOSYS, as some container profiles do), for 64- and 32-bit processes alike, so the preload
 * library's pipe fallback is what serves the device's memory.
 *
 *   nopvm COMMAND [ARG...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define NR_X86_64_READV 310
#define NR_X86_64_WRITEV 311
#define NR_I386_READV 347
#define NR_I386_WRITEV 348

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: nopvm COMMAND [ARG...]\n"); return 2; }
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_X86_64_READV, 7, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_X86_64_WRITEV, 6, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_READV, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_I386_WRITEV, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        fprintf(stderr, "nopvm: seccomp: %s\n", strerror(errno));
        return 2;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "nopvm: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
