/*
 * The client of Tests/faults/test-ctl.sh: sees hot-plug from the driver's side.
 *
 *   hotplug-client watch TID       registers NEW_LCT_ENTRY|MODIFIED_LCT on IOP 0 TID 0, prints
 *                                  "registered", waits (poll, 10 s) for one event, prints
 *                                  "event 0xINDICATOR tid 0xTID" (the TID of the LCT entry in
 *                                  the event data), then reads the LCT and prints
 *                                  "lct has 0xTID" or "lct lacks 0xTID" for TID.
 *   hotplug-client getiops         prints "getiops 0" or "getiops ERRNO-NAME-OR-NUMBER".
 *   hotplug-client parmget         PARMGET of group 0xF100 on IOP 0 TID 0x203 with *reslen 4096:
 *                                  prints "parmget 0 reslen N" or "parmget ERRNO-NAME reslen N".
 *   hotplug-client hrtget          HRTGET of IOP 0 with *reslen 4096: "hrtget 0 reslen N" or
 *                                  "hrtget ERRNO-NAME reslen N".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../clientlib/i2o-client.h"

int main(int argc, char **argv) {
    const char *dev = getenv("I2O_DEVICE") ? getenv("I2O_DEVICE") : "/dev/i2o/ctl";
    int fd = open(dev, O_RDWR), err;
    if (fd < 0) { printf("open %s: %s\n", dev, strerror(errno)); return 1; }
    if (argc >= 2 && strcmp(argv[1], "getiops") == 0) {
        uint8_t iops[MAX_I2O_CONTROLLERS];
        if (i2o_ioctl(fd, I2OGETIOPS, iops, &err) == 0) printf("getiops 0\n");
        else printf("getiops %s\n", err == EIO ? "EIO" : err == ENODEV ? "ENODEV" : strerror(err));
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "hrtget") == 0) {
        static uint8_t hrt[4096];
        unsigned reslen = sizeof hrt;
        int rc = i2o_hrtlct(fd, I2OHRTGET, 0, hrt, &reslen, &err);
        printf("hrtget %s reslen %u\n", rc == 0 ? "0" : err == ETIMEDOUT ? "ETIMEDOUT" : strerror(err), reslen);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "parmget") == 0) {
        static uint8_t res[4096];
        uint16_t ops[6] = { 1, 0, 1 /* FIELD_GET */, 0xF100, 0xFFFF, 0 };
        unsigned reslen = sizeof res;
        int rc = i2o_psetget(fd, I2OPARMGET, 0, 0x203, ops, sizeof ops, res, &reslen, &err);
        printf("parmget %s reslen %u\n", rc == 0 ? "0" : err == ETIMEDOUT ? "ETIMEDOUT" : err == EAGAIN ? "EAGAIN" : strerror(err),
               reslen);
        return 0;
    }
    if (argc < 3 || strcmp(argv[1], "watch") != 0) {
        fprintf(stderr, "usage: hotplug-client watch TID | getiops | parmget | hrtget\n");
        return 2;
    }
    unsigned want = (unsigned)strtoul(argv[2], NULL, 0);
    if (i2o_evtreg(fd, 0, 0, 0x300, &err) != 0) { printf("EVTREG: %s\n", strerror(err)); return 1; }
    printf("registered\n");
    fflush(stdout);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 10000) != 1) { printf("no event within 10 s\n"); return 1; }
    struct i2o_evt_get g;
    memset(&g, 0, sizeof g);
    if (i2o_ioctl(fd, I2OEVTGET, &g, &err) != 0) { printf("EVTGET: %s\n", strerror(err)); return 1; }
    unsigned tid = g.info.data_size >= 4 ? le16(g.info.evt_data + 2) & 0xFFFu : 0xFFFF;
    printf("event 0x%x tid 0x%x\n", g.info.id.evt_mask, tid);
    static uint32_t lct[4096];
    unsigned len = sizeof lct;
    if (i2o_hrtlct(fd, I2OLCTGET, 0, lct, &len, &err) != 0) { printf("LCTGET: %s\n", strerror(err)); return 1; }
    unsigned words = lct[0] & 0xFFFF, found = 0;
    for (unsigned i = 3; i + 9 <= words; i += 9)
        if (((lct[i] >> 16) & 0xFFF) == want) found = 1;
    printf("lct %s 0x%x\n", found ? "has" : "lacks", want);
    return 0;
}
