// rtcount — an LD_PRELOAD shim for the preload benchmark: counts the socket round trips and
// bytes of the i2osim preload library. It wraps send(), sendmsg() and recv() (the library's only
// socket calls: an ioctl's request goes out by sendmsg straight from the caller's struct); a round
// trip is a recv() that follows a send on the same thread. Put it in
// LD_PRELOAD next to libi2osim-preload.so; the benchmark client reads the counters with
// dlsym(RTLD_DEFAULT, "rtcount_stats").
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

static _Atomic uint64_t roundtrips, sent_bytes, recv_bytes;
static _Thread_local int last_was_send;

static ssize_t (*real_send)(int, const void *, size_t, int);
static ssize_t (*real_recv)(int, void *, size_t, int);
static ssize_t (*real_sendmsg)(int, const struct msghdr *, int);

void rtcount_stats(uint64_t out[3]) {
	out[0] = atomic_load(&roundtrips);
	out[1] = atomic_load(&sent_bytes);
	out[2] = atomic_load(&recv_bytes);
}

ssize_t send(int fd, const void *p, size_t n, int flags) {
	if (!real_send) real_send = dlsym(RTLD_NEXT, "send");
	ssize_t r = real_send(fd, p, n, flags);
	if (r > 0) atomic_fetch_add_explicit(&sent_bytes, (uint64_t)r, memory_order_relaxed);
	last_was_send = 1;
	return r;
}

ssize_t sendmsg(int fd, const struct msghdr *m, int flags) {
	if (!real_sendmsg) real_sendmsg = dlsym(RTLD_NEXT, "sendmsg");
	ssize_t r = real_sendmsg(fd, m, flags);
	if (r > 0) atomic_fetch_add_explicit(&sent_bytes, (uint64_t)r, memory_order_relaxed);
	last_was_send = 1;
	return r;
}

ssize_t recv(int fd, void *p, size_t n, int flags) {
	if (!real_recv) real_recv = dlsym(RTLD_NEXT, "recv");
	ssize_t r = real_recv(fd, p, n, flags);
	if (r > 0) {
		atomic_fetch_add_explicit(&recv_bytes, (uint64_t)r, memory_order_relaxed);
		if (last_was_send) atomic_fetch_add_explicit(&roundtrips, 1, memory_order_relaxed);
		last_was_send = 0;
	}
	return r;
}
