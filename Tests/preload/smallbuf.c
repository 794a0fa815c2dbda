/* PARMGET into a small result buffer at the very end of a mapping: the engine reserves 64 KiB
 * for the result, but only the bytes written may be required to be writable (regression:
 * the preload library once probed the whole reservation and failed with EFAULT). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/i2o-dev.h>

int main(void) {
    int fd = open("/dev/i2o/ctl", O_RDWR);
    if (fd < 0) { perror("open"); return 2; }
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { perror("mmap"); return 2; }
    munmap(m + page, page);
    unsigned char *res = m + page - 256;
    unsigned short ops[] = { 1, 0, I2O_PARAMS_FIELD_GET, 0xF100, 0xFFFF, 0 };
    unsigned int reslen = 256;
    struct i2o_cmd_psetget p = { .iop = 0, .tid = 0, .opbuf = ops, .oplen = sizeof ops, .resbuf = res, .reslen = &reslen };
    int rc = ioctl(fd, I2OPARMGET, &p);
    if (rc != 0) { printf("rc %d errno %s\n", rc, strerror(errno)); return 1; }
    printf("ok %u\n", reslen);
    return 0;
}
