#!/usr/bin/env python3
# browser.py: drives the dashboard in headless Chromium as a person would,
# through the DevTools protocol over a pipe (--remote-debugging-pipe: no
# port, no websocket library, the Python standard library only). Called by
# test_dashboard_browser.sh with the server's URL and token; prints one
# "ok   WHAT" or "FAIL WHAT: why" line per assertion (lib.sh's format) and
# keeps screenshots in the artifacts directory.
#
# usage: browser.py URL TOKEN TENANT WAVE REPORT_HTML ARTIFACTS CUTOVER PROJECT FAILING
# (TENANT is rolled back, WAVE paused and resumed; FAILING is a tenant whose
# verification failed, shown on its own in a screenshot of the report)
import json
import os
import select
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

URL, TOKEN, TENANT, WAVE, REPORT, ARTIFACTS, CUTOVER, PROJECT, FAILING = sys.argv[1:10]
PORT = URL.rstrip("/").rsplit(":", 1)[1]
# The sanitized build's server answers several times slower (CMakeLists.txt).
SLOWDOWN = int(os.environ.get("CUTOVER_TEST_SLOWDOWN", "1"))
failed = 0


def check(what, ok, why=""):
    global failed
    if ok:
        print(f"ok   {what}", flush=True)
    else:
        failed += 1
        print(f"FAIL {what}: {why}", flush=True)


class Browser:
    """One Chromium and one page, spoken to in JSON messages ended by NUL."""

    def __init__(self):
        self.profile = tempfile.mkdtemp(prefix="cutover-chrome-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()
        # Chromium reads commands on fd 3 and writes answers on fd 4.
        def fds():  # through high numbers, in case the pipes hold 3 or 4
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
        self.proc = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--remote-debugging-pipe",
             f"--user-data-dir={self.profile}", "--window-size=1280,900",
             # DNS rebinding, simulated: a foreign name that resolves to loopback
             "--host-resolver-rules=MAP evil.example 127.0.0.1", "about:blank"],
            preexec_fn=fds, pass_fds=(3, 4, to_chrome_r, from_chrome_w),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(self.profile, "log"), "w"))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.page("Page.enable")
        self.page("Runtime.enable")

    def _read(self, timeout):
        end = time.time() + timeout
        while b"\0" not in self.buf:
            left = end - time.time()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                raise TimeoutError("Chromium did not answer")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("Chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        while True:
            answer = self._read(timeout)
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def page(self, method, params=None, timeout=30):
        return self.call(method, params, self.session, timeout)

    def js(self, expression):
        """The value of a JavaScript expression in the page (promises awaited)."""
        r = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def goto(self, url):
        self.events.clear()
        self.page("Page.navigate", {"url": url})
        self.wait_for("document.readyState === 'complete' && location.href === "
                      + json.dumps(url))

    def wait_for(self, condition, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            try:
                if self.js(f"!!({condition})"):
                    return True
            except RuntimeError:
                pass  # the page is between documents
            time.sleep(0.1)
        return False

    def click(self, selector):
        """A real mouse click at the middle of the element."""
        box = self.js(f"(function(){{var e=document.querySelector({json.dumps(selector)});"
                      "e.scrollIntoView({block:'center'});var r=e.getBoundingClientRect();"
                      "return [r.left+r.width/2, r.top+r.height/2];})()")
        for kind in ("mousePressed", "mouseReleased"):
            self.page("Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1],
                                                   "button": "left", "clickCount": 1})

    def type(self, selector, text):
        """Clicks into the field, empties it, and types text key by key."""
        self.click(selector)
        self.js(f"document.querySelector({json.dumps(selector)}).select()")
        self.page("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace",
                                             "code": "Backspace", "windowsVirtualKeyCode": 8})
        self.page("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace",
                                             "code": "Backspace", "windowsVirtualKeyCode": 8})
        for ch in text:
            self.page("Input.dispatchKeyEvent", {"type": "keyDown", "key": ch, "text": ch})
            self.page("Input.dispatchKeyEvent", {"type": "keyUp", "key": ch})

    def value(self, selector):
        return self.js(f"(document.querySelector({json.dumps(selector)})||{{}}).value")

    def text(self, selector):
        return self.js(f"(document.querySelector({json.dumps(selector)})||{{}}).textContent")

    def screenshot(self, path, selector=None):
        """The whole page (at most 12,000 pixels of it), or one element."""
        size = self.page("Page.getLayoutMetrics")["cssContentSize"]
        x, y, width, height = 0, 0, 1280, min(int(size["height"]), 12000)
        if selector:
            x, y, width, height = self.js(
                f"(function(){{var r=document.querySelector({json.dumps(selector)})"
                ".getBoundingClientRect();return [r.left+scrollX-8,r.top+scrollY-8,"
                "r.width+16,Math.min(r.height+16,12000)];})()")
        self.page("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": min(
            int(size["height"]), 12000), "deviceScaleFactor": 1, "mobile": False})
        data = self.page("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True,
                                                    "clip": {"x": x, "y": y, "width": width,
                                                             "height": height, "scale": 1}},
                         timeout=60)["data"]
        self.page("Emulation.clearDeviceMetricsOverride")
        import base64
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        subprocess.run(["rm", "-rf", self.profile])


def api(path):
    with urllib.request.urlopen(URL + path.lstrip("/")) as r:
        return json.loads(r.read())


def paused(cohort):
    return [c["paused"] for c in api("api/cohorts")["cohorts"] if c["cohort"] == cohort][0]


def route(tenant):
    return subprocess.run([CUTOVER, "-p", PROJECT, "route", tenant], capture_output=True,
                          text=True).stdout.strip()


b = Browser()
try:
    wave = int(WAVE)
    # The overview: type the token; it survives the refreshes.
    b.goto(URL)
    check("the dashboard loads", b.text("h1") == "Migration report", b.text("h1"))
    b.type("#token", TOKEN)
    b.type(f"#cohort-{wave} input[name=confirm]", str(wave)[:1] + "x")
    b.click("h1")  # the confirmation field loses the focus: only its text keeps it
    first = b.text("#updated")
    check("the page refreshes its data by itself",
          b.wait_for("document.getElementById('updated').textContent.startsWith('updated ')", 8),
          b.text("#updated"))
    time.sleep(2.5)  # more refreshes (--refresh 1)
    check("the typed token survives the refreshes", b.value("#token") == TOKEN,
          repr(b.value("#token")))
    check("so does a confirmation being typed",
          b.value(f"#cohort-{wave} input[name=confirm]") == str(wave)[:1] + "x",
          repr(b.value(f"#cohort-{wave} input[name=confirm]")))
    check("no pause is offered for the canary, whose tenants are done",
          b.js("document.querySelector('[data-path*=\"/cohorts/canary/pause\"]') === null"),
          "a pause form for the canary")

    # A wrong confirmation: refused, and the page says so.
    b.click(f"#cohort-{wave} button")
    check("a wrong confirmation is refused, in words",
          b.wait_for("document.getElementById('result').className === 'bad'"),
          b.text("#result"))
    check("naming what to type", f'\\"confirm\\": \\"{wave}\\"' in (b.text("#result") or "")
          or f'"confirm": "{wave}"' in (b.text("#result") or ""), b.text("#result"))
    check("the cohort is not paused", paused(wave) is False, "paused")

    # Pause, as the page asks: type the wave's number.
    b.type(f"#cohort-{wave} input[name=confirm]", str(wave))
    b.click(f"#cohort-{wave} button")
    check(f"pausing wave {wave} from the page succeeds",
          b.wait_for("document.getElementById('result').className === 'ok'"), b.text("#result"))
    check("the result says so", b.text("#result") == f"Wave {wave} paused.", b.text("#result"))
    check("the journal has the pause", paused(wave) is True, "not paused")
    check("the page then offers to resume it",
          b.wait_for(f"document.querySelector('#cohort-{wave}').dataset.path.endsWith('/resume')"),
          b.js(f"document.querySelector('#cohort-{wave}').dataset.path"))
    check("and marks it paused", b.wait_for("document.getElementById('plan-table')"
                                            ".textContent.includes('(paused)')"), "")
    time.sleep(1.5)
    check("the result stays through the refreshes", b.text("#result") == f"Wave {wave} paused.",
          b.text("#result"))
    b.screenshot(os.path.join(ARTIFACTS, "dashboard-paused.png"))
    b.type(f"#cohort-{wave} input[name=confirm]", str(wave))
    b.click(f"#cohort-{wave} button")
    check(f"resuming wave {wave} succeeds",
          b.wait_for(f"document.getElementById('result').textContent === 'Wave {wave} resumed.'"),
          b.text("#result"))
    check("the journal has no pause", paused(wave) is False, "still paused")

    # A tenant's page: type the token, confirm and roll it back.
    b.goto(f"{URL}tenants/{TENANT}")
    check("the tenant's page loads", (b.text("h2") or "").startswith(f"Tenant {TENANT}"),
          b.text("h2"))
    b.screenshot(os.path.join(ARTIFACTS, "dashboard-tenant.png"))
    b.type("#token", TOKEN[:-1] + ("0" if TOKEN[-1] != "0" else "1"))
    b.type(f"#rollback-{TENANT} input[name=confirm]", TENANT)
    b.click(f"#rollback-{TENANT} button")
    check("a wrong token is refused (403)",
          b.wait_for("document.getElementById('result').textContent.includes('refused (403)')"),
          b.text("#result"))
    check("and the tenant stays on new", route(TENANT) == "new", route(TENANT))
    b.type("#token", TOKEN)
    b.click(f"#rollback-{TENANT} button")
    check("rolling the tenant back from its page succeeds",
          b.wait_for("document.getElementById('result').className === 'ok'", 20 * SLOWDOWN),
          b.text("#result"))
    check("the result names the rows", (b.text("#result") or "").startswith(
        f"Tenant {TENANT} rolled back: "), b.text("#result"))
    check("the route is old again", route(TENANT) == "old", route(TENANT))
    check("the page shows the new state",
          b.wait_for("document.querySelector('.state').textContent !== 'switched'"),
          b.text(".state"))

    # The overview and the report, for a person to look at.
    b.goto(URL)
    b.wait_for("document.getElementById('updated').textContent.startsWith('updated ')", 5)
    b.screenshot(os.path.join(ARTIFACTS, "dashboard.png"))
    b.goto("file://" + REPORT)
    check("the report renders", b.text("h1") == "Migration report", b.text("h1"))
    b.screenshot(os.path.join(ARTIFACTS, "report.png"))
    b.screenshot(os.path.join(ARTIFACTS, "report-failing-tenant.png"),
                 "#tenant-" + urllib.parse.quote(FAILING, safe=""))
    check("a failing check is listed first",
          b.js(f"document.querySelector('#tenant-{urllib.parse.quote(FAILING, safe='')} "
               "h3 + p + table tr:nth-child(2) td:nth-child(3)').textContent") == "FAIL", "")
    check("its differences are a table of key, column, expected, actual",
          b.js("Array.from(document.querySelectorAll('table.diff th')).map(e=>e.textContent)"
               ".join(',')") == "entity,kind,key,column,expected,actual", "")
    check("the changed column is a row of it", b.js(
        "Array.from(document.querySelectorAll('table.diff tr')).some(r=>"
        "r.cells[1].textContent==='changed'&&r.cells[3].textContent==='first_name'"
        "&&r.cells[5].textContent==='Changed')"), "no row: changed, first_name, ..., Changed")
    clipped = b.js("""(function(){var n=0;document.querySelectorAll('svg text').forEach(function(t){
        var s=t.ownerSVGElement.getBoundingClientRect(),r=t.getBoundingClientRect();
        if(r.left<s.left-0.5||r.right>s.right+0.5||r.top<s.top-0.5||r.bottom>s.bottom+0.5)n++;});
        return n;})()""")
    check("no chart label is clipped", clipped == 0, f"{clipped} labels run past their chart")
    wrapped = b.js("""(function(){var n=0;document.querySelectorAll('.t').forEach(function(e){
        if(e.getClientRects().length>1||e.getBoundingClientRect().height>24)n++;});return n;})()""")
    check("no timestamp wraps", wrapped == 0, f"{wrapped} wrap")

    # DNS rebinding: a page under a foreign name that resolves to loopback.
    b.goto(f"http://evil.example:{PORT}/api/tenants")
    body = b.js("document.body.innerText")
    check("a foreign Host is refused in the browser too (421)",
          b.js("performance.getEntriesByType('navigation')[0].responseStatus") == 421
          and "answers to localhost" in body, body[:200])
finally:
    b.close()
sys.exit(1 if failed else 0)
