/* A management tool's pass-through, for the replay tests (docs/trace-format.md, "PASSTHRU
 * frames"): hand-built frames sent through PASSTHRU (x86_64) or PASSTHRU32 (i386) the way such
 * tools send them — the InitiatorContext the pid, the TransactionContext a heap pointer (the
 * request's own record), every buffer freshly malloc'd after a pad of a size that depends on
 * the pid — so contexts and SGL addresses differ from run to run.
 *
 * Requests, each with its own buffers: three UtilParamsGet frames (groups 0xF100, 0x0000,
 * 0x0001 of TID 0; 32-bit simple SGL: the operation list host→IOP, the result IOP→host) whose
 * reply must echo the contexts; then the same request in the 64-bit SGL form (attribute
 * element 0x7C020002, 3-word elements), which the default machine refuses (EINVAL).
 *
 * Variants (argv[1]):
 *   normal    as above
 *   changed   the first frame's OperationFlags (word 4, byte 16) is 1 instead of 0: a departure
 * Build 64-bit with -no-pie: the heap must lie below 4 GiB, where a 32-bit SGL address reaches.
 * Prints the addresses used ("addresses: …"), then "N passed, N failed"; exit 0 when all held. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

#define REPLY_WORDS 32u
#define RESULT_BYTES 1024u

/* What the tool keeps per request; its address is the TransactionContext. */
struct request {
	unsigned id;
	uint16_t group;
};

static int fd;
static int changed;
static char addresses[512];


static void note_addresses(const void *msg, const void *op, const void *res, uint32_t tc)
{
	size_t n = strlen(addresses);
	snprintf(addresses + n, sizeof addresses - n, " %p/%p/%p/0x%08x", msg, op, res, tc);
}

/* One UtilParamsGet of `group` of TID 0; sgl64 selects the 64-bit SGL form. */
static void params_get(unsigned id, uint16_t group, int sgl64)
{
	struct request *req = malloc(sizeof *req);
	uint8_t *op = malloc(16);
	uint8_t *res = malloc(RESULT_BYTES);
	uint32_t *w = malloc(4 * (16 + REPLY_WORDS));
	if (!req || !op || !res || !w) {
		fprintf(stderr, "passthru-client: out of memory\n");
		exit(2);
	}
	req->id = id;
	req->group = group;
	unsigned oplen = i2o_op_get_all(op, group, 0);
	memset(res, 0xEE, RESULT_BYTES);
	memset(w, 0, 4 * (16 + REPLY_WORDS));

	uint32_t ic = (uint32_t)getpid(), tc = (uint32_t)(uintptr_t)req;
	unsigned size;
	w[1] = 0x06u << 24 | 1u << 12 | 0;	/* UtilParamsGet, from the host to TID 0 */
	w[2] = ic;				/* InitiatorContext */
	w[3] = tc;				/* TransactionContext */
	w[4] = changed && id == 1;		/* OperationFlags */
	if (!sgl64) {
		size = 9;
		w[5] = 0x54000000u | oplen;	/* simple, end of buffer, host->IOP: the operation list */
		w[6] = i2o_addr32(op);
		w[7] = 0xD0000000u | RESULT_BYTES;	/* simple, last, end of buffer, IOP->host: the result */
		w[8] = i2o_addr32(res);
	} else {
		uint64_t o = (uintptr_t)op, r = (uintptr_t)res;
		w[5] = 0x7C020002u;		/* SGL attributes: 64-bit addresses */
		w[6] = 4096;			/* page size */
		w[7] = 0x54000000u | oplen;
		w[8] = (uint32_t)o;
		w[9] = (uint32_t)(o >> 32);
		w[10] = 0xD0000000u | RESULT_BYTES;
		w[11] = (uint32_t)r;
		w[12] = (uint32_t)(r >> 32);
		size = 13;
	}
	w[0] = size << 16 | 0x51;		/* MessageSize, SGL offset 5, version 1 */
	uint32_t *reply = w + size;
	reply[0] = REPLY_WORDS << 16;		/* the reply area's capacity */
	note_addresses(w, op, res, tc);

	int err, rc = i2o_passthru(fd, 0, w, &err);
	if (sgl64) {
		CHECK(rc == -1 && err == EINVAL, "64-bit SGL form: expected EINVAL, got rc %d errno %d", rc, err);
	} else {
		CHECK(rc == 0, "UtilParamsGet 0x%04x: rc %d errno %d", group, rc, err);
		CHECK(reply[1] >> 24 == 0x06 && reply[4] >> 24 == 0, "UtilParamsGet 0x%04x: reply word1 0x%08x word4 0x%08x",
		      group, reply[1], reply[4]);
		CHECK(reply[2] == ic && reply[3] == tc, "UtilParamsGet 0x%04x: reply contexts 0x%08x/0x%08x, sent 0x%08x/0x%08x",
		      group, reply[2], reply[3], ic, tc);
		struct request *back = (struct request *)(uintptr_t)reply[3];
		CHECK(back == req && back->id == id, "UtilParamsGet 0x%04x: the TransactionContext does not lead back to the request",
		      group);
		CHECK(I2O_RES_COUNT(res) == 1 && I2O_RES_BSTATUS(res) == 0, "UtilParamsGet 0x%04x: ResultCount %u BlockStatus 0x%02x",
		      group, I2O_RES_COUNT(res), I2O_RES_BSTATUS(res));
	}
	/* Nothing is freed: the next request's buffers are fresh ones. */
}

int main(int argc, char **argv)
{
	const char *variant = argc > 1 ? argv[1] : "normal";
	changed = strcmp(variant, "changed") == 0;
	/* A pad whose size depends on the pid: the buffers move even where the heap does not. */
	volatile char *pad = malloc(16 + 16 * (size_t)(getpid() % 509));
	if (!pad)
		return 2;
	pad[0] = 1;

	fd = open(i2o_device_path(), O_RDWR);
	if (fd < 0) {
		perror("open");
		return 2;
	}
	params_get(1, 0xF100, 0);
	params_get(2, 0x0000, 0);
	params_get(3, 0x0001, 0);
	params_get(4, 0xF100, 1);
	close(fd);
	printf("addresses:%s\n", addresses);
	return client_summary();
}
