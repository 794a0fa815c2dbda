/* A small client for the trace tests: GETIOPS, LCTGET, PARMGET (FIELD_GET of 0xF100 on TID 0),
 * HTML page 0 of TID 0. Variants (argv[1]):
 *   normal    as above
 *   changed   the PARMGET reads group 0xF101 instead of 0xF100 (a departure from the recording)
 *   reordered LCTGET before GETIOPS (same requests, another order: --keyed follows, --strict not)
 * Exit 0 when every request succeeded. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

static int fd;
static int getiops(void) { uint8_t iops[32]; int err; return i2o_ioctl(fd, I2OGETIOPS, iops, &err); }
static int lctget(void)
{
	static uint8_t buf[8192];
	unsigned len = sizeof buf;
	int err;
	return i2o_hrtlct(fd, I2OLCTGET, 0, buf, &len, &err);
}

int main(int argc, char **argv)
{
	const char *variant = argc > 1 ? argv[1] : "normal";
	fd = open("/dev/i2o/ctl", O_RDWR);
	if (fd < 0) { perror("open"); return 2; }
	int bad = 0;
	if (strcmp(variant, "reordered") == 0) { bad |= lctget() != 0; bad |= getiops() != 0; }
	else { bad |= getiops() != 0; bad |= lctget() != 0; }

	uint16_t group = strcmp(variant, "changed") == 0 ? 0xF101 : 0xF100;
	uint8_t ops[16];
	unsigned oplen = i2o_op_get_all(ops, group, 0);	/* 1 operation: FIELD_GET of all fields */
	static uint8_t res[65536];
	unsigned reslen = sizeof res;
	int err;
	bad |= i2o_psetget(fd, I2OPARMGET, 0, 0, ops, oplen, res, &reslen, &err) != 0;

	static char page[65536];
	unsigned plen = sizeof page;
	bad |= i2o_html(fd, 0, 0, 0, page, &plen, NULL, 0, &err) != 0;
	close(fd);
	printf("trace-client %s: %s\n", variant, bad ? "a request failed" : "all requests succeeded");
	return bad;
}
