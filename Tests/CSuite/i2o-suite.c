/*
 * i2o-suite — a client-side conformance suite for /dev/i2o/ctl.
 *
 * It is an ordinary client: it opens a path and uses open/ioctl/read/poll/write/close on it,
 * so it runs unchanged against a CUSE node or through an LD_PRELOAD shim. It discovers the
 * machine (GETIOPS, LCTGET) instead of assuming a fixture, and judges every result against
 * its expectation row, which has a column per personality (docs/contract.md): `documented`,
 * `linux-2.6.18` (plus its 32-bit-caller column, chosen by the i386 build) and `linux-2.4`.
 *
 * This file is the program: options, the sections in the order they run, the exit status.
 * The harness (harness.c) judges and reports; each sec-*.c file is one section with its rows.
 *
 * Output: one line per check, `ok - NAME` or `FAIL - NAME: expected X, got Y (errno E)`,
 * `skip - NAME: ...` for checks the chosen personality has no expectation for, `# ...`
 * comment lines, and finally exactly `N passed, N failed`. Exit 0 iff nothing failed
 * (1 = failures, 2 = could not run at all).
 *
 * Build for x86_64 and i386 (same sources; the header gives each ABI its own layouts and
 * ioctl numbers): see build.sh.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suite.h"

#if defined(__x86_64__) && !defined(__ILP32__)
#define ABI_NAME "x86_64"
#elif defined(__i386__)
#define ABI_NAME "i386"
#else
#define ABI_NAME "other"
#endif

/* The sections in the order they run; their rows in this order make the table (`-l`). The
 * original DeviceName is restored after the events and poll sections, which set it too. */
static const struct section *const sections[] = {
	&sec_getiops, &sec_lctget, &sec_hrtget, &sec_parmget, &sec_parmset, &sec_events, &sec_poll,
	&sec_parmset_restore, &sec_sw, &sec_validate, &sec_html, &sec_reslen, &sec_passthru, &sec_misc,
	&sec_concurrency,
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static void usage(FILE *f)
{
	fprintf(f,
		"usage: i2o-suite [-d DEVICE] [-p PERSONALITY] [-t SECONDS] [-l]\n"
		"  -d DEVICE       the node to test (default $I2O_DEVICE, else /dev/i2o/ctl)\n"
		"  -p PERSONALITY  the expectation column to judge by:");
	for (int i = 0; i < NPERS; i++)
		if (i != P_LINUX_2_6_18_COMPAT32)
			fprintf(f, " %s", personality_names[i]);
	fprintf(f, " linux-2.6.18-i386 (default documented)\n"
		"  -t SECONDS      watchdog: give up when no check completes for this long (default 60)\n"
		"  -l              list the checks and their expectations, then exit\n"
		"Output: `ok - NAME` / `FAIL - NAME: ...` / `skip - NAME: ...` lines, `# ...` notes, and\n"
		"finally `N passed, N failed`. Exit 0 iff no check failed (1 failures, 2 could not run).\n");
}

int main(int argc, char **argv)
{
	const char *pers = "documented";
	unsigned timeout = 60;
	int opt;
	if (verify_rows(sections, NSECTIONS) != 0)
		return 2;
	g_path = i2o_device_path();
	while ((opt = getopt(argc, argv, "d:p:t:lh")) != -1) {
		switch (opt) {
		case 'd': g_path = optarg; break;
		case 'p': pers = optarg; break;
		case 't': timeout = (unsigned)strtoul(optarg, NULL, 10); if (!timeout) timeout = 60; break;
		case 'l': list_rows(sections, NSECTIONS); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (select_personality(pers) != 0) {
		fprintf(stderr, "i2o-suite: unknown personality \"%s\"\n", pers);
		usage(stderr);
		return 2;
	}

	start_output(timeout);
	note("i2o-suite: device %s, personality %s, ABI %s", g_path, personality_names[personality()], ABI_NAME);
	g_fd = open(g_path, O_RDWR);
	if (g_fd < 0) {
		int e = errno;
		fprintf(stderr, "i2o-suite: cannot open %s: %s\n", g_path, strerror(e));
		out("FAIL - open: expected %s to open, got -1 (errno %s): cannot open %s: %s\n", g_path, errname(e),
		    g_path, strerror(e));
		out("0 passed, 1 failed\n");
		return 2;
	}
	detect_transport(g_fd);
	alloc_buffers();

	run_sections(sections, NSECTIONS);

	stop_watchdog();
	close(g_fd);
	return finish(sections, NSECTIONS);
}
