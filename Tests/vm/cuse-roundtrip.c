/*
 * A tiny CUSE device and its client, to prove the whole chain inside the
 * cuse-vm guest: /dev/cuse, libfuse's CUSE server, devtmpfs naming, read(2),
 * and an unrestricted ioctl whose argument struct carries a user pointer (the
 * shape of the I2O ioctls): the server fetches the struct, then the buffer it
 * points to, and writes the buffer back upper-cased.
 *
 *   cuse-roundtrip server DEVNAME   serve /dev/DEVNAME (foreground, single-threaded)
 *   cuse-roundtrip client PATH      open PATH, read it, do the ioctl, print results
 *
 * Build: cc -o cuse-roundtrip cuse-roundtrip.c $(pkg-config --cflags --libs fuse3)
 */
#define FUSE_USE_VERSION 31
#include <cuse_lowlevel.h>
#include <fuse_opt.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

struct rt_req {
	uint32_t len;
	uint32_t pad;
	uint64_t buf; /* user pointer */
};
#define RT_IOCTL_UPPER _IOWR('C', 1, struct rt_req)

static const char greeting[] = "hello from cuse\n";

static void rt_open(fuse_req_t req, struct fuse_file_info *fi) { fuse_reply_open(req, fi); }

static void rt_read(fuse_req_t req, size_t size, off_t off, struct fuse_file_info *fi) {
	(void)fi;
	size_t total = sizeof greeting - 1;
	if (off < 0 || (size_t)off >= total) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	size_t n = total - (size_t)off;
	fuse_reply_buf(req, greeting + off, n < size ? n : size);
}

static void rt_ioctl(fuse_req_t req, int cmd, void *arg, struct fuse_file_info *fi, unsigned flags,
                     const void *in_buf, size_t in_bufsz, size_t out_bufsz) {
	(void)fi;
	(void)flags;
	(void)out_bufsz;
	if ((unsigned)cmd != RT_IOCTL_UPPER) {
		fuse_reply_err(req, ENOTTY);
		return;
	}
	struct iovec in_iov[2] = {{arg, sizeof(struct rt_req)}, {NULL, 0}};
	if (in_bufsz < sizeof(struct rt_req)) { /* 1st call: fetch the struct */
		fuse_reply_ioctl_retry(req, in_iov, 1, NULL, 0);
		return;
	}
	struct rt_req r;
	memcpy(&r, in_buf, sizeof r);
	if (r.len > 4096) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (in_bufsz < sizeof r + r.len) { /* 2nd call: fetch the buffer, map it for output */
		in_iov[1].iov_base = (void *)(uintptr_t)r.buf;
		in_iov[1].iov_len = r.len;
		struct iovec out_iov = {(void *)(uintptr_t)r.buf, r.len};
		fuse_reply_ioctl_retry(req, in_iov, 2, &out_iov, 1);
		return;
	}
	char out[4096]; /* 3rd call: struct + buffer are here */
	const char *data = (const char *)in_buf + sizeof r;
	for (uint32_t i = 0; i < r.len; i++)
		out[i] = (data[i] >= 'a' && data[i] <= 'z') ? (char)(data[i] - 32) : data[i];
	fuse_reply_ioctl(req, 0, out, r.len);
}

static const struct cuse_lowlevel_ops ops = {.open = rt_open, .read = rt_read, .ioctl = rt_ioctl};

static int serve(const char *devname) {
	char dev_info[256];
	snprintf(dev_info, sizeof dev_info, "DEVNAME=%s", devname);
	const char *dev_info_argv[] = {dev_info};
	struct cuse_info ci = {.dev_info_argc = 1, .dev_info_argv = dev_info_argv, .flags = CUSE_UNRESTRICTED_IOCTL};
	char *argv[] = {"cuse-roundtrip", "-f", "-s", NULL};
	return cuse_lowlevel_main(3, argv, &ci, &ops, NULL);
}

static int client(const char *path) {
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	char buf[64] = {0};
	ssize_t n = read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		perror("read");
		return 1;
	}
	printf("read: %s", buf);
	char data[] = "i2o message";
	struct rt_req r = {.len = sizeof data - 1, .buf = (uint64_t)(uintptr_t)data};
	if (ioctl(fd, RT_IOCTL_UPPER, &r) != 0) {
		perror("ioctl");
		return 1;
	}
	printf("ioctl: %s\n", data);
	close(fd);
	return 0;
}

int main(int argc, char **argv) {
	if (argc == 3 && strcmp(argv[1], "server") == 0)
		return serve(argv[2]);
	if (argc == 3 && strcmp(argv[1], "client") == 0)
		return client(argv[2]);
	fprintf(stderr, "usage: %s server DEVNAME | client PATH\n", argv[0]);
	return 2;
}
