#!/usr/bin/env python3
"""The web front end in a real browser: Debian's chromium, headless, driven by Playwright.

    test-web.py URL SHOTS_DIR      (Tests/web/test-web.sh starts `i2osim web` and calls it)

URL is the front end `i2osim web` printed; SHOTS_DIR gets web-overview.png, web-device.png and web-dialog.png.
I2OSIM_WEB_PRELOAD holds the LD_PRELOAD of the machine, for parmget.py: a change made in the
browser is checked through I2OPARMGET on the node, not through the front end.
Prints one line per check, "N passed, N failed", and exits non-zero on a failure.
"""
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request

from playwright.sync_api import expect, sync_playwright

url = sys.argv[1].rstrip("/")
shots = sys.argv[2]
here = os.path.dirname(os.path.abspath(__file__))
passed = failed = 0


def check(name, fn):
    global passed, failed
    try:
        fn()
        passed += 1
        print(f"ok - {name}", flush=True)
    except Exception as e:  # a check's failure is reported, then the next runs
        failed += 1
        print(f"FAIL - {name}: {e}", flush=True)


def parmget(tid, group, offset, width):
    """A field of device `tid` read with I2OPARMGET through the node (under the preload library)."""
    env = dict(os.environ, LD_PRELOAD=os.environ.get("I2OSIM_WEB_PRELOAD", ""))
    out = subprocess.run([sys.executable, os.path.join(here, "parmget.py"), "0", str(tid), str(group), str(offset), str(width)],
                         env=env, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, f"parmget.py failed: {out.stderr.strip()}"
    return out.stdout.rstrip("\n")


def http(path, method="GET", host=None, data=None, headers=None):
    """A request outside the browser: (status, body)."""
    req = urllib.request.Request(url + path, method=method, data=data, headers=headers or {})
    if host:
        req.add_header("Host", host)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


RAID = 0x203   # the default machine's RAID-1 volume
DEVICE_NAME, SERVICE_NAME = 0, 64   # offsets in 0xF102 User Information (64-byte strings)

with sync_playwright() as p:
    browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()

    def overview_shows_lct():
        page.goto(url + "/")
        tree = page.locator("#lct0")
        for tid, cls in [("0x008", "BUS_ADAPTER"), ("0x009", "BUS_ADAPTER"), ("0x200", "SCSI_PERIPHERAL"),
                         ("0x201", "SCSI_PERIPHERAL"), ("0x202", "SCSI_PERIPHERAL"), ("0x203", "RANDOM_BLOCK_STORAGE"),
                         ("0x010", "DDM")]:
            expect(tree.locator(f'li[data-tid="{tid}"] > span.class').first).to_have_text(cls)
        # The disks sit under their bus adapter (ParentTID) and say who claimed them (UserTID).
        expect(tree.locator('li[data-tid="0x008"] li[data-tid="0x200"]')).to_contain_text("used by 0x203")
        expect(tree.locator('li[data-tid="0x000"]')).to_contain_text("ADAPTEC 3200S")
        expect(page.locator("#iop0 table.hrt tr")).to_have_count(3)   # header + one entry per channel
    check("the overview shows the default machine's LCT as a tree (ParentTID, UserTID), the HRT and the status", overview_shows_lct)

    def edit_in_form_changes_device():
        events = context.new_page()
        events.goto(url + "/")
        page.goto(url + f"/iop/0/tid/{RAID}")
        page.fill("#edit-f102-DeviceName", "Web volume")
        page.click("#group-F102 form:has(#edit-f102-DeviceName) button")
        expect(page.locator("#result.ok")).to_contain_text("DeviceName set")
        expect(page.locator("#edit-f102-DeviceName")).to_have_value("Web volume")
        assert parmget(RAID, 0xF102, DEVICE_NAME, 64) == "Web volume", "the node does not show the new DeviceName"
        # The FIELD_MODIFIED event reaches the open overview without a reload.
        expect(events.locator("#events")).to_contain_text("TID 0x203 FIELD_MODIFIED group 0xF102", timeout=10000)
        events.screenshot(path=os.path.join(shots, "web-overview.png"), full_page=True)
        events.close()
        page.screenshot(path=os.path.join(shots, "web-device.png"), full_page=True)
    check("a field edited in the device page's form changes the device (I2OPARMGET on the node) and the event shows live",
          edit_in_form_changes_device)

    def front_end_bad_value():
        page.goto(url + f"/iop/0/tid/{RAID}")
        page.fill("#edit-f102-DeviceName", "x" * 70)
        page.click("#group-F102 form:has(#edit-f102-DeviceName) button")
        expect(page.locator("#result.error")).to_contain_text("is not a text of at most 64 bytes")
        assert parmget(RAID, 0xF102, DEVICE_NAME, 64) == "Web volume", "a refused value changed the device"
        # A field the IOP refuses to set (the form pointed at the read-only InstanceNumber): its
        # BlockStatus, as the IOP reported it in the result list.
        form = page.locator("#group-F102 form:has(#edit-f102-DeviceName)")
        form.locator('input[name="field"]').evaluate("e => e.value = 'InstanceNumber'")
        page.fill("#edit-f102-DeviceName", "5")
        form.locator("button").click()
        expect(page.locator("#result.error")).to_have_text(
            "I2OPARMSET InstanceNumber: the IOP answered FIELD_UNWRITEABLE for User Information InstanceNumber")
    check("a bad value in the device page is refused, with the IOP's BlockStatus when the IOP refuses it", front_end_bad_value)

    def iop_page_round_trip():
        page.goto(url + f"/iop/0/tid/{RAID}/page/0")
        frame = page.frame_locator("#device-page")
        expect(frame.locator("h1").first).to_have_text("RAID-1 volume (TID 0x203)")
        expect(frame.locator('input[name="F102.DeviceName"]')).to_have_value("Web volume")
        frame.locator('input[name="F102.ServiceName"]').fill("backup set 7")
        frame.locator('input[type="submit"]').click()
        expect(frame.locator("p.outcome-ok")).to_have_text("User Information: set ServiceName")
        expect(frame.locator('input[name="F102.ServiceName"]')).to_have_value("backup set 7")
        assert parmget(RAID, 0xF102, SERVICE_NAME, 64) == "backup set 7", "the node does not show the new ServiceName"
        page.screenshot(path=os.path.join(shots, "web-dialog.png"), full_page=True)
    check("the IOP's own page (I2OHTML) in the frame: its form's query goes back to the IOP, which applies it and answers",
          iop_page_round_trip)

    def iop_page_bad_value():
        page.goto(url + f"/iop/0/tid/{RAID}/page/0")
        frame = page.frame_locator("#device-page")
        frame.locator('input[name="F102.DeviceName"]').fill("y" * 70)
        frame.locator('input[type="submit"]').click()
        expect(frame.locator("p.outcome-error")).to_contain_text("is not a text of at most 64 bytes")
        assert parmget(RAID, 0xF102, DEVICE_NAME, 64) == "Web volume", "a refused value changed the device"
        # A field UtilParamsSet refuses: the IOP's BlockStatus in the page it returns. A link's
        # query is only sent after a confirmation (a POST from the front end's page).
        token = re.search(r"/frame/([0-9a-f]+)/", page.locator("#device-page").get_attribute("src")).group(1)
        page.goto(url + f"/frame/{token}/iop/0/tid/{RAID}/page/0?F100.VendorInfo=HACKED")
        page.click("#send-query")
        expect(page.locator("p.outcome-error")).to_contain_text("UtilParamsSet failed: FIELD_UNWRITEABLE (field VendorInfo)")
    check("a bad value in the IOP's page shows the IOP's error (and FIELD_UNWRITEABLE for a read-only field)", iop_page_bad_value)

    def static_page_query():
        page.goto(url + "/iop/0/tid/0/page/0")
        frame = page.frame_locator("#device-page")
        frame.locator('a:has-text("Volume details")').click()
        frame.locator("#send-query").click()
        expect(frame.locator("body")).to_contain_text("You asked for: volume=203")
    check("a fixture's static page: its link's query goes through I2OHTML and comes back", static_page_query)

    browser.close()


def host_checked():
    port = url.rsplit(":", 1)[1]
    status, body = http("/", host=f"evil.example:{port}")
    assert status == 421 and "not this server" in body, f"status {status}"
    assert http("/")[0] == 200
check("a request naming another host (DNS rebinding) is refused with 421", host_checked)


def post_needs_token():
    status, body = http(f"/iop/0/tid/{RAID}/set", method="POST", data=b"group=f102&field=DeviceName&value=evil",
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403, f"status {status}"
    status, _ = http(f"/frame/{'0' * 32}/iop/0/tid/{RAID}/page/0", method="POST", data=b"F102.DeviceName=evil")
    assert status == 403, f"frame: status {status}"
    status, _ = http(f"/iop/0/tid/{RAID}/set", method="POST", data=b"token=x", headers={"Origin": "http://evil.example"})
    assert status == 403, f"foreign origin: status {status}"
    assert parmget(RAID, 0xF102, DEVICE_NAME, 64) == "Web volume"
check("a POST without this session's token, or from another origin, changes nothing (403)", post_needs_token)

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
