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
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/i2o-dev.h>

static int fd;
static int getiops(void) { uint8_t iops[32]; return ioctl(fd, I2OGETIOPS, iops); }
static int lctget(void)
{
	static uint8_t buf[8192];
	unsigned len = sizeof buf;
	struct i2o_cmd_hrtlct c = { .iop = 0, .resbuf = buf, .reslen = &len };
	return ioctl(fd, I2OLCTGET, &c);
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
	uint16_t ops[4] = { 1, 0, 0x0001, group };   /* 1 operation: FIELD_GET of all fields */
	uint16_t ops2[6] = { 1, 0, 0x0001, group, 0xFFFF, 0 };
	(void)ops;
	static uint8_t res[65536];
	unsigned reslen = sizeof res;
	struct i2o_cmd_psetget p = { .iop = 0, .tid = 0, .opbuf = ops2, .oplen = sizeof ops2, .resbuf = res, .reslen = &reslen };
	bad |= ioctl(fd, I2OPARMGET, &p) != 0;

	static char page[65536];
	unsigned plen = sizeof page;
	struct i2o_html h = { .iop = 0, .tid = 0, .page = 0, .resbuf = page, .reslen = &plen, .qbuf = NULL, .qlen = 0 };
	bad |= ioctl(fd, I2OHTML, &h) != 0;
	close(fd);
	printf("trace-client %s: %s\n", variant, bad ? "a request failed" : "all requests succeeded");
	return bad;
}
