// Counts heap allocations of the benchmark process by interposing the allocator entry points.
// The executable defines malloc & co., so every shared library (the Swift runtime included)
// binds to these; each forwards to the C library's through dlsym(RTLD_NEXT). dlsym itself may
// call calloc before the real one is known: those few calls are served from a static buffer.
#define _GNU_SOURCE
#include "alloccount.h"
#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

// Per thread: the benchmark measures the allocations of the thread that runs the operation, and
// a plain thread-local increment costs nothing next to a locked add on every allocation.
static _Thread_local uint64_t allocations;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static void (*real_free)(void *);
static int (*real_posix_memalign)(void **, size_t, size_t);
static void *(*real_aligned_alloc)(size_t, size_t);
static void *(*real_memalign)(size_t, size_t);

static _Alignas(16) char boot[8192];
static size_t boot_used;
static int resolving;

static int in_boot(void *p) { return (char *)p >= boot && (char *)p < boot + sizeof boot; }

static void resolve(void) {
	if (real_malloc || resolving) return;
	resolving = 1;
	real_calloc = dlsym(RTLD_NEXT, "calloc");
	real_malloc = dlsym(RTLD_NEXT, "malloc");
	real_realloc = dlsym(RTLD_NEXT, "realloc");
	real_free = dlsym(RTLD_NEXT, "free");
	real_posix_memalign = dlsym(RTLD_NEXT, "posix_memalign");
	real_aligned_alloc = dlsym(RTLD_NEXT, "aligned_alloc");
	real_memalign = dlsym(RTLD_NEXT, "memalign");
	resolving = 0;
}

static void *boot_alloc(size_t n) {
	n = (n + 15) & ~(size_t)15;
	if (boot_used + n > sizeof boot) return NULL;
	void *p = boot + boot_used;
	boot_used += n;
	return p;
}

uint64_t i2osim_bench_allocations(void) { return allocations; }

void *malloc(size_t n) {
	resolve();
	if (!real_malloc) return boot_alloc(n);
	allocations++;
	return real_malloc(n);
}

void *calloc(size_t a, size_t b) {
	resolve();
	if (!real_calloc) { void *p = boot_alloc(a * b); if (p) memset(p, 0, a * b); return p; }
	allocations++;
	return real_calloc(a, b);
}

void *realloc(void *p, size_t n) {
	resolve();
	allocations++;
	if (p && in_boot(p)) {
		void *q = real_malloc(n);
		if (q) memcpy(q, p, n < sizeof boot ? n : sizeof boot);
		return q;
	}
	return real_realloc(p, n);
}

void free(void *p) {
	if (!p || in_boot(p)) return;
	resolve();
	real_free(p);
}

int posix_memalign(void **out, size_t align, size_t n) {
	resolve();
	allocations++;
	return real_posix_memalign(out, align, n);
}

void *aligned_alloc(size_t align, size_t n) {
	resolve();
	allocations++;
	return real_aligned_alloc(align, n);
}

void *memalign(size_t align, size_t n) {
	resolve();
	allocations++;
	return real_memalign(align, n);
}
