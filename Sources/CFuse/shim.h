// The libfuse3 CUSE low-level API as Swift sees it. Only this header knows libfuse's macros.
#ifndef I2OSIM_CFUSE_SHIM_H
#define I2OSIM_CFUSE_SHIM_H
#define FUSE_USE_VERSION 31
#include <fuse3/cuse_lowlevel.h>
#include <fuse3/fuse_lowlevel.h>
#include <stdio.h>
#include <sys/uio.h>

// From the kernel's <linux/fuse.h> (libfuse passes the kernel's ioctl flags through):
// set when the caller is a 32-bit process.
#ifndef FUSE_IOCTL_32BIT
#define FUSE_IOCTL_32BIT (1 << 3)
#endif

// fuse_session_loop_mt is a macro selecting a versioned symbol.
static inline int i2osim_session_loop_mt(struct fuse_session *se) { return fuse_session_loop_mt(se, 0); }

// Requests are read into memory, never spliced through a pipe: ioctl requests larger than a
// page arrived corrupted (command 0, garbage fh) on the splice path.
static inline void i2osim_disable_splice(struct fuse_conn_info *conn) {
    conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

// The longest node name (below /dev) i2osim_cuse_setup takes.
#define I2OSIM_CUSE_NAME_MAX 255

// Sets up the CUSE session of /dev/`name` as every server here does it: unrestricted ioctls,
// libfuse's command line `program -f` (foreground; the caller runs the loop), `userdata` for the
// callbacks. libfuse copies what it keeps. NULL on failure: libfuse has said why on stderr (the
// caller checks `name` against I2OSIM_CUSE_NAME_MAX first; a longer one is refused silently).
static inline struct fuse_session *i2osim_cuse_setup(const char *program, const char *name,
                                                      const struct cuse_lowlevel_ops *ops, void *userdata) {
    char devinfo[sizeof "DEVNAME=" + I2OSIM_CUSE_NAME_MAX];
    if ((size_t)snprintf(devinfo, sizeof devinfo, "DEVNAME=%s", name) >= sizeof devinfo) return NULL;
    const char *dev_info_argv[] = {devinfo};
    struct cuse_info ci = {.dev_info_argc = 1, .dev_info_argv = dev_info_argv, .flags = CUSE_UNRESTRICTED_IOCTL};
    char *argv[] = {(char *)program, (char *)"-f", NULL};
    int multithreaded = 0;
    return cuse_lowlevel_setup(2, argv, &ci, ops, &multithreaded, userdata);
}

static inline unsigned i2osim_fuse_ioctl_32bit(void) { return FUSE_IOCTL_32BIT; }
static inline unsigned i2osim_fuse_ioctl_compat(void) { return FUSE_IOCTL_COMPAT; }
#endif
