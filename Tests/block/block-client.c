/*
 * block-client — a block storage client of the node: BsaBlockRead/Write, BsaCacheFlush through
 * PASSTHRU, as an I2O block driver builds them (docs/block-storage.md §Messages): control flags,
 * byte count, 64-bit byte address, then simple SGL elements at word 8.
 *
 *   block-client [-d DEV] [-i IOP] TID check                       self-test (TAP lines)
 *   block-client [-d DEV] [-i IOP] TID write LBA BLOCKS SEED [wb]  pattern write (wb: write-back flag)
 *   block-client [-d DEV] [-i IOP] TID verify LBA BLOCKS SEED      read back and compare
 *   block-client [-d DEV] [-i IOP] TID flush                       BsaCacheFlush
 *   block-client [-d DEV] [-i IOP] TID torture LOG FIRST SEED      write 8-block patterns at FIRST,
 *                                      FIRST+8, … until the node fails; each acknowledged write is
 *                                      appended to LOG ("LBA SEED") before the next is sent
 *   block-client [-d DEV] [-i IOP] TID check-log LOG               every write in LOG reads back
 *
 * Exit 0 when everything held, 1 when a check failed, 2 on bad usage or a node that cannot open.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

#define BLOCK 512u
#define REPLY_WORDS 16u

static int g_fd;
static unsigned g_iop, g_tid;
/* The data buffers: static, so with -no-pie they lie below 4 GiB, where a simple SGL element's
 * 32-bit address reaches them (the kernel's PASSTHRU takes the element's address as the user
 * pointer). */
static uint8_t g_data[1 << 20], g_want[1 << 20];


/* The pattern of block `lba` under `seed`: every byte depends on both, so a block read back from
 * the wrong place, or stale, never matches. */
static void pattern(uint8_t *b, uint64_t lba, unsigned blocks, unsigned seed)
{
	for (unsigned i = 0; i < blocks * BLOCK; i++)
		b[i] = (uint8_t)((lba + i / BLOCK) * 131 + (i % BLOCK) * 7 + seed * 29 + (i / BLOCK) % 3);
}

struct bsa_reply { int ok; unsigned status, detail, count; uint64_t at; };

/* Posts a BSA frame with words 4-7 and an SGL of `nel` elements over buf (sizes[i] bytes each);
 * `out` says the data flows host→IOP. */
static int bsa(unsigned function, uint16_t flags, uint32_t count, uint64_t byte, uint8_t *buf,
	       const unsigned *sizes, unsigned nel, int out, struct bsa_reply *r)
{
	uint32_t m[8 + 2 * 32 + REPLY_WORDS];
	unsigned w = 8 + 2 * nel, err;
	memset(m, 0, sizeof m);
	m[0] = (w << 16) | (8 << 4) | 0x01;                /* MessageSize, SGL offset 8, version 1 */
	m[1] = (function << 24) | (1u << 12) | g_tid;
	m[2] = 0x11; m[3] = 0x22;
	m[4] = flags | (0x1Fu << 16);
	m[5] = count;
	m[6] = (uint32_t)byte; m[7] = (uint32_t)(byte >> 32);
	uint8_t *p = buf;
	for (unsigned i = 0; i < nel; i++) {
		uint32_t fl = (i + 1 == nel ? 0xD0u : 0x50u) | (out ? 0x04u : 0);
		m[8 + 2 * i] = (fl << 24) | sizes[i];
		m[9 + 2 * i] = i2o_addr32(p);
		p += sizes[i];
	}
	m[w] = REPLY_WORDS << 16;                          /* the reply area's capacity */
	int rc = i2o_passthru(g_fd, g_iop, m, (int *)&err);
	memset(r, 0, sizeof *r);
	if (rc != 0) return -1;
	uint32_t *reply = m + w;
	r->status = reply[4] >> 24; r->detail = reply[4] & 0xFFFF; r->count = reply[5];
	if ((reply[0] >> 16) >= 8) r->at = reply[6] | (uint64_t)reply[7] << 32;
	r->ok = r->status == 0;
	return 0;
}

/* One transfer of `blocks` blocks as a block driver sends it: requests of at most 64 KiB (as
 * Linux's i2o_block limits them, and as a CUSE ioctl can carry: docs/block-storage.md §Limits),
 * each with two elements of half its bytes (scatter-gather). The replies' counts are summed. */
static int rw(int write, uint64_t lba, unsigned blocks, uint8_t *buf, uint16_t flags, struct bsa_reply *r)
{
	unsigned done = 0, total = 0;
	while (done < blocks) {
		unsigned n = blocks - done > 128 ? 128 : blocks - done, bytes = n * BLOCK;
		unsigned sizes[2] = { bytes / 2 + (bytes / 2) % BLOCK, 0 };
		sizes[1] = bytes - sizes[0];
		if (bsa(write ? 0x31 : 0x30, flags, bytes, (lba + done) * BLOCK, buf + done * BLOCK, sizes, sizes[1] ? 2 : 1, write, r) != 0)
			return -1;
		if (!r->ok) return 0;
		total += r->count;
		done += n;
	}
	r->count = total;
	return 0;
}

static int do_write(uint64_t lba, unsigned blocks, unsigned seed, int wb)
{
	uint8_t *b = g_data;
	struct bsa_reply r;
	pattern(b, lba, blocks, seed);
	int rc = rw(1, lba, blocks, b, wb ? 0x0010 : 0x0008, &r);
	if (rc != 0 || !r.ok || r.count != blocks * BLOCK) {
		fprintf(stderr, "write %llu+%u: passthru %d, status 0x%02x detail 0x%04x count %u\n",
			(unsigned long long)lba, blocks, rc, r.status, r.detail, r.count);
		return 1;
	}
	return 0;
}

static int do_verify(uint64_t lba, unsigned blocks, unsigned seed)
{
	uint8_t *b = g_data, *want = g_want;
	struct bsa_reply r;
	memset(b, 0, blocks * BLOCK);
	pattern(want, lba, blocks, seed);
	int rc = rw(0, lba, blocks, b, 0, &r), bad = -1;
	for (unsigned i = 0; rc == 0 && i < blocks && bad < 0; i++)
		if (memcmp(b + i * BLOCK, want + i * BLOCK, BLOCK) != 0) bad = (int)i;
	if (rc != 0 || !r.ok || bad >= 0) {
		fprintf(stderr, "verify %llu+%u: passthru %d, status 0x%02x detail 0x%04x, first bad block %d\n",
			(unsigned long long)lba, blocks, rc, r.status, r.detail, bad >= 0 ? (int)lba + bad : -1);
		return 1;
	}
	return 0;
}

static int flush(void)
{
	uint32_t m[5 + REPLY_WORDS];
	int err;
	memset(m, 0, sizeof m);
	m[0] = (5u << 16) | 0x01; m[1] = (0x37u << 24) | (1u << 12) | g_tid; m[4] = 60u << 16;
	m[5] = REPLY_WORDS << 16;
	if (i2o_passthru(g_fd, g_iop, m, &err) != 0) return 1;
	return (m[5 + 4] >> 24) != 0;
}

static int check(void)
{
	struct bsa_reply r;
	static uint8_t b[4096], c[4096];
	/* 64 KiB at LBA 0, read back. */
	CHECK_TAP(do_write(0, 128, 1, 0) == 0 && do_verify(0, 128, 1) == 0, "64 KiB written at LBA 0 reads back");
	/* 1 MiB across many stripes and members, in 64 KiB requests. */
	CHECK_TAP(do_write(1000, 2048, 2, 0) == 0 && do_verify(1000, 2048, 2) == 0, "1 MiB at LBA 1000 reads back");
	CHECK_TAP(do_verify(0, 128, 1) == 0, "the first write is untouched by the second");
	/* Odd element sizes: 1000 + 3096 bytes written, read as 512 + 512 + 3072. */
	pattern(b, 5000, 8, 3);
	unsigned ws[2] = {1000, 3096}, rs[3] = {512, 512, 3072};
	CHECK_TAP(bsa(0x31, 0, 4096, 5000 * BLOCK, b, ws, 2, 1, &r) == 0 && r.ok && r.count == 4096,
		  "write through two odd-sized elements: count %u", r.count);
	memset(c, 0, 4096);
	CHECK_TAP(bsa(0x30, 0, 4096, 5000 * BLOCK, c, rs, 3, 0, &r) == 0 && r.ok && memcmp(b, c, 4096) == 0,
		  "read through three elements gives the same bytes");
	/* Refusals. */
	unsigned one[1] = {4096};
	CHECK_TAP(bsa(0x31, 0, 4096, 100, b, one, 1, 1, &r) == 0 && r.status == 0x05 && r.detail == 0x0008,
		  "a misaligned byte address: ERROR_NO_DATA_TRANSFER, PROTOCOL_FAILURE (got 0x%02x/0x%04x)", r.status, r.detail);
	CHECK_TAP(bsa(0x31, 0, 4096, 0x7FFFFFFFFE00ull, b, one, 1, 1, &r) == 0 && r.status == 0x05 && r.detail == 0x000A
		  && r.at == 0x7FFFFFFFFE00ull,
		  "past the end: ACCESS_VIOLATION, naming the address (got 0x%02x/0x%04x at 0x%llx)", r.status, r.detail,
		  (unsigned long long)r.at);
	unsigned shortsgl[1] = {1024};
	CHECK_TAP(bsa(0x31, 0, 4096, 0, b, shortsgl, 1, 1, &r) == 0 && r.status == 0x05,
		  "an SGL shorter than the byte count is refused (got 0x%02x/0x%04x)", r.status, r.detail);
	CHECK_TAP(do_verify(0, 128, 1) == 0, "refused writes changed nothing");
	CHECK_TAP(bsa(0x30, 0, 0, 0, c, one, 1, 0, &r) == 0 && r.ok && r.count == 0, "a zero-length read: success, 0 bytes");
	CHECK_TAP(flush() == 0, "BsaCacheFlush succeeds");
	return client_summary();
}

/* Writes until the daemon goes away; the log holds exactly the acknowledged writes. */
static int torture(const char *log, uint64_t first, unsigned seed)
{
	FILE *f = fopen(log, "a");
	if (!f) { fprintf(stderr, "block-client: %s: %s\n", log, strerror(errno)); return 2; }
	setvbuf(f, NULL, _IONBF, 0);
	for (uint64_t lba = first;; lba += 8) {
		if (do_write(lba, 8, seed, 0) != 0) break;
		fprintf(f, "%llu %u\n", (unsigned long long)lba, seed);
	}
	fclose(f);
	return 0;
}

static int check_log(const char *log)
{
	FILE *f = fopen(log, "r");
	if (!f) { fprintf(stderr, "block-client: %s: %s\n", log, strerror(errno)); return 2; }
	unsigned long long lba;
	unsigned seed, n = 0, bad = 0;
	while (fscanf(f, "%llu %u", &lba, &seed) == 2) {
		n++;
		if (do_verify(lba, 8, seed) != 0) bad++;
	}
	fclose(f);
	printf("%u acknowledged writes checked, %u lost\n", n, bad);
	return bad != 0;
}

int main(int argc, char **argv)
{
	const char *dev = i2o_device_path();
	int opt;
	while ((opt = getopt(argc, argv, "d:i:")) != -1) {
		if (opt == 'd') dev = optarg;
		else if (opt == 'i') g_iop = (unsigned)strtoul(optarg, NULL, 0);
		else return 2;
	}
	if (argc - optind < 2) { fprintf(stderr, "usage: block-client [-d DEV] [-i IOP] TID check|write|verify|flush ...\n"); return 2; }
	g_tid = (unsigned)strtoul(argv[optind], NULL, 0);
	const char *verb = argv[optind + 1];
	char **a = argv + optind + 2;
	int na = argc - optind - 2;
	g_fd = open(dev, O_RDWR);
	if (g_fd < 0) { fprintf(stderr, "block-client: %s: %s\n", dev, strerror(errno)); return 2; }
	if (strcmp(verb, "check") == 0) return check();
	if (strcmp(verb, "flush") == 0) return flush();
	if (strcmp(verb, "torture") == 0 && na == 3) return torture(a[0], strtoull(a[1], NULL, 0), (unsigned)strtoul(a[2], NULL, 0));
	if (strcmp(verb, "check-log") == 0 && na == 1) return check_log(a[0]);
	if ((strcmp(verb, "write") == 0 && na >= 3) || (strcmp(verb, "verify") == 0 && na == 3)) {
		uint64_t lba = strtoull(a[0], NULL, 0);
		unsigned blocks = (unsigned)strtoul(a[1], NULL, 0), seed = (unsigned)strtoul(a[2], NULL, 0);
		if (blocks == 0 || blocks > 2048) { fprintf(stderr, "block-client: BLOCKS is 1…2048\n"); return 2; }
		return verb[0] == 'w' ? do_write(lba, blocks, seed, na > 3 && strcmp(a[3], "wb") == 0) : do_verify(lba, blocks, seed);
	}
	fprintf(stderr, "block-client: unknown verb or arguments: %s\n", verb);
	return 2;
}
