#!/usr/bin/env python3
"""Expectations for dpt-client from `i2osim show --json FIXTURE` (stdin): what raidutil's
`-L all` would list for IOP unit N (argument, default 0)."""
import json
import sys

unit = int(sys.argv[1]) if len(sys.argv) > 1 else 0
machine = json.load(sys.stdin)
iop = next(i for i in machine["iops"] if i["unit"] == unit)
d = iop.get("dpt")
if d is None:
    sys.exit(f"IOP {unit} has no dpt: section")
print(f"fail {1 if d['failEveryMessage'] else 0}")
print(f"controller {d['vendor']} {d['model']} {d['firmware']}")
print(f"nvram {d['nvram']}")
print(f"serial {d['serial']}")
print(f"cache_mb {d['cacheMegabytes']}")
for n, ini in enumerate(d["initiatorIDs"]):
    print(f"initiator {n} {ini}")
for k in d["disks"]:
    print(f"disk {k['address']} {k['vendor']} {k['product']} {k['megabytes']} {k['status']} {k['pap']:x}")
for a in d["arrays"]:
    print(f"array {a['address']} {a['raidLevel']} {a['megabytes']} {a['status']} {','.join(a['members'])}")
for s in d.get("spares", []):
    print(f"spare {s}")
