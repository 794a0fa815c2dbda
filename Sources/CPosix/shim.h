// GNU extensions of the C library that Swift's Glibc module does not show (it is built
// without _GNU_SOURCE). Only Sources/Posix uses them. Declared with plain C types, no system
// header included: a header included here would give its declarations to this module.
#ifndef I2OSIM_CPOSIX_SHIM_H
#define I2OSIM_CPOSIX_SHIM_H

// pthread_t is unsigned long in glibc.
int pthread_setname_np(unsigned long thread, const char *name);
// The address arguments are always NULL here.
int accept4(int fd, void *address, void *length, int flags);
// lseek's whence values for sparse files (Linux's, from <unistd.h> under _GNU_SOURCE).
enum { CPOSIX_SEEK_DATA = 3, CPOSIX_SEEK_HOLE = 4 };
#endif
