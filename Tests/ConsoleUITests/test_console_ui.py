"""The console driven as a person would, in real headless Chromium (selenium with Debian's chromium-driver):
log in, add a Fleet Server host and an output with SSL options, create an enrollment token, take the Add agent
command, run it with the real flotilla binary, and see the new agent Healthy in the table. Screenshots of every
page go to $FLOTILLA_SCREENSHOTS (default: a temporary directory), to be looked at."""
import gzip
import http.server
import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("FLOTILLA_BINARY", ROOT / ".build" / "debug" / "flotilla"))

selenium = pytest.importorskip("selenium", reason="selenium is not installed (scripts/test.sh installs it)")
from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


def wait_for_line(process, pattern, log, timeout):
    """Reads the process's output until a line matches, within `timeout` seconds; returns the match."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                raise AssertionError(f"the process ended early:\n{''.join(log)}")
            continue
        log.append(line)
        found = re.search(pattern, line)
        if found:
            return found
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s:\n{''.join(log)}")


@pytest.fixture(scope="module")
def quickstart():
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built (swift build)")
    if not shutil.which("chromedriver"):
        pytest.skip("chromedriver is not installed (apt-get install chromium-driver)")
    work = Path(tempfile.mkdtemp(prefix="flotilla-ui-"))
    process = subprocess.Popen(
        [str(BINARY), "quickstart", "--directory", str(work / "qs"), "--port", "0", "--console-port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    log = []
    try:
        console = wait_for_line(process, r"Console: (https://\S+) .* password (\S+)", log, 240)
        text = "".join(log)
        fleet_url = re.search(r"Fleet Server listening on (https://\S+) ", text).group(1)
        wait_for_line(process, r"Press Ctrl-C", log, 30)
        yield {"url": console.group(1), "password": console.group(2), "fleet": fleet_url, "work": work,
               "certs": work / "qs" / "certs"}
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


class BulkStandIn(http.server.BaseHTTPRequestHandler):
    """A stand-in for Elasticsearch's _bulk endpoint (not Elasticsearch, which cannot run here): it checks the
    NDJSON pairs, the content type and gzip as Elasticsearch would, counts documents by data stream, and answers in
    Elasticsearch's shape."""
    protocol_version = "HTTP/1.1"
    received = {}

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self.answer(200, {"name": "standin", "version": {"number": "8.17.0"}, "tagline": "A stand-in for Elasticsearch"})

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if not self.path.startswith("/_bulk") or not self.headers.get("Content-Type", "").startswith("application/x-ndjson"):
            return self.answer(400, {"error": {"type": "illegal_argument_exception", "reason": "not a bulk request"}})
        lines = [line for line in body.split(b"\n") if line]
        items = []
        for action, document in zip(lines[0::2], lines[1::2]):
            index = json.loads(action)["create"]["_index"]
            json.loads(document)
            BulkStandIn.received[index] = BulkStandIn.received.get(index, 0) + 1
            items.append({"create": {"_index": index, "status": 201}})
        self.answer(200, {"took": 1, "errors": False, "items": items})


@pytest.fixture(scope="module")
def elasticsearch(quickstart):
    """The stand-in on a free port, over mutual TLS with the quickstart's certificates."""
    certs = quickstart["certs"]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BulkStandIn)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "fleet-cert.crt", certs / "fleet-cert.key")
    context.load_verify_locations(certs / "agent-ca.crt")
    context.verify_mode = ssl.CERT_REQUIRED
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"https://localhost:{server.server_address[1]}", "received": BulkStandIn.received}
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,1000",
                 "--ignore-certificate-errors", "--disable-dev-shm-usage"):
        options.add_argument(flag)
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    service = webdriver.ChromeService(executable_path=shutil.which("chromedriver"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


SHOTS = Path(os.environ.get("FLOTILLA_SCREENSHOTS") or tempfile.mkdtemp(prefix="flotilla-screens-"))


def shot(browser, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser.execute_script("window.scrollTo(0, 0)")
    height = browser.execute_script("return document.body.scrollHeight")
    browser.set_window_size(1300, max(700, min(height + 40, 3000)))
    browser.save_screenshot(str(SHOTS / f"{name}.png"))
    browser.set_window_size(1300, 1000)


def error_text(browser):
    """The page's one-sentence error, once the answer to a form has loaded."""
    return WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".error"))[0].text


def reload_until(browser, url, condition, timeout):
    """Loads `url` again until `condition(browser)` holds, within `timeout` seconds (the Fleet Server writes
    check-ins every couple of seconds, so a fresh agent shows after its first batch)."""
    def loaded(b):
        b.get(url)
        return condition(b)
    WebDriverWait(browser, timeout, poll_frequency=1).until(loaded)


def fill(browser, name, value):
    field = browser.find_element(By.NAME, name)
    field.clear()
    field.send_keys(value)


def submit(browser, form_id=None):
    form = browser.find_element(By.ID, form_id) if form_id else browser.find_element(By.CSS_SELECTOR, "main form.card")
    form.find_element(By.CSS_SELECTOR, "button.primary").click()


def test_a_person_sets_up_tls_and_enrolls_an_agent_from_the_console(quickstart, browser, elasticsearch):
    url, certs = quickstart["url"], quickstart["certs"]
    wait = WebDriverWait(browser, 20)
    browser.get(url + "/agents")
    assert "/login" in browser.current_url
    shot(browser, "01-login")
    fill(browser, "user", "admin")
    fill(browser, "password", "not the password")
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    assert "The user name or password is wrong." in error_text(browser)
    fill(browser, "user", "admin")
    fill(browser, "password", quickstart["password"])
    browser.find_element(By.CSS_SELECTOR, "button.primary").click()
    wait.until(lambda b: b.current_url.endswith("/agents"))
    reload_until(browser, url + "/agents", lambda b: "Healthy" in b.find_element(By.ID, "agents-table").text, 30)
    shot(browser, "02-agents")

    # A Fleet Server host with the seed's SSL options, the key pasted inline.
    port = quickstart["fleet"].rsplit(":", 1)[1]
    browser.get(url + "/settings/fleet-server-hosts/new")
    labels = browser.find_element(By.ID, "setting-form").text
    for label, flag in [("Server SSL certificate authorities", "--certificate-authorities"),
                        ("Client SSL certificate", "--fleet-server-cert"),
                        ("Client SSL certificate key", "--fleet-server-cert-key"),
                        ("Elasticsearch certificate authorities", "--fleet-server-es-ca"),
                        ("SSL certificate for Elasticsearch", "--fleet-server-es-cert"),
                        ("SSL certificate key for Elasticsearch", "--fleet-server-es-cert-key"),
                        ("Enable client authentication", "--fleet-server-client-auth")]:
        assert label in labels and flag in labels
    fill(browser, "name", "Fleet Server on localhost")
    fill(browser, "host_urls", "https://localhost:" + port)
    fill(browser, "agent_certificate_authorities", str(certs / "fleet-ca.crt"))
    fill(browser, "certificate", str(certs / "fleet-cert.crt"))
    browser.find_element(By.NAME, "key").send_keys((certs / "fleet-cert.key").read_text())
    fill(browser, "certificate_authorities", str(certs / "agent-ca.crt"))
    Select(browser.find_element(By.NAME, "client_auth")).select_by_value("required")
    fill(browser, "agent_certificate", str(certs / "agent-cert.crt"))
    fill(browser, "agent_key", str(certs / "agent-cert.key"))
    browser.find_element(By.NAME, "is_default").click()
    # First a wrong CA for agents: refused with a sentence naming the field, nothing saved.
    fill(browser, "agent_certificate_authorities", str(certs / "agent-ca.crt"))
    shot(browser, "03-host-form")
    submit(browser, "setting-form")
    error = error_text(browser)
    assert "ssl.agent_certificate_authorities" in error and "Fleet Server certificate" in error
    assert "paste it again" in browser.find_element(By.ID, "setting-form").text
    shot(browser, "04-host-refused")
    fill(browser, "agent_certificate_authorities", str(certs / "fleet-ca.crt"))
    browser.find_element(By.NAME, "key").send_keys((certs / "fleet-cert.key").read_text())
    submit(browser, "setting-form")
    wait.until(lambda b: b.current_url.split("?")[0].endswith("/settings"))
    assert "Fleet Server on localhost" in browser.page_source
    shot(browser, "05-settings")

    # An output with SSL options for mutual TLS.
    browser.get(url + "/settings/outputs/new")
    fill(browser, "name", "Secure Elasticsearch")
    fill(browser, "hosts", elasticsearch["url"])
    fill(browser, "certificate_authorities", str(certs / "fleet-ca.crt"))
    fill(browser, "certificate", str(certs / "agent-cert.crt"))
    fill(browser, "key", str(certs / "agent-cert.key"))
    browser.find_element(By.NAME, "is_default").click()
    shot(browser, "06-output-form")
    submit(browser, "setting-form")
    wait.until(lambda b: b.current_url.split("?")[0].endswith("/settings"))
    assert "Secure Elasticsearch" in browser.page_source

    # A proxy with two headers, typed on two lines (the browser sends them with CRLF): both are kept.
    browser.get(url + "/settings/proxies/new")
    fill(browser, "name", "Office squid")
    fill(browser, "url", "http://proxy.example.com:3128")
    browser.find_element(By.NAME, "proxy_headers").send_keys("X-Tenant: blue\nX-Region: eu-west")
    shot(browser, "06b-proxy-form")
    submit(browser, "setting-form")
    wait.until(lambda b: b.current_url.split("?")[0].endswith("/settings"))
    browser.find_element(By.LINK_TEXT, "Office squid").click()
    kept = wait.until(lambda b: b.find_elements(By.NAME, "proxy_headers"))[0].get_attribute("value")
    assert kept.splitlines() == ["X-Region: eu-west", "X-Tenant: blue"], kept
    shot(browser, "06c-proxy-saved")

    # An enrollment token, shown once.
    browser.get(url + "/enrollment-tokens")
    fill(browser, "name", "from-the-ui")
    browser.find_element(By.CSS_SELECTOR, "form.row button.primary").click()
    token = wait.until(lambda b: b.find_elements(By.ID, "new-token"))[0].text
    assert len(token) > 20
    shot(browser, "07-token")

    browser.get(url + "/add-fleet-server")
    assert "with mutual TLS" in browser.page_source
    browser.find_element(By.CSS_SELECTOR, "main form button.primary").click()
    fleet_command = wait.until(lambda b: b.find_elements(By.ID, "fleet-server-command"))[0].text
    for flag in ("--fleet-server-cert=" + str(certs / "fleet-cert.crt"), "--fleet-server-client-auth=required",
                 "--fleet-server-es=", "--fleet-server-service-token-path=", "--fleet-server-port=" + port,
                 "--certificate-authorities=" + str(certs / "fleet-ca.crt") + "," + str(certs / "agent-ca.crt")):
        assert flag in fleet_command, fleet_command
    assert "PRIVATE KEY" not in fleet_command
    shot(browser, "08-add-fleet-server")

    browser.get(url + "/policies")
    assert "Default agent policy" in browser.page_source
    browser.find_element(By.LINK_TEXT, "Create policy").click()
    fill(browser, "name", "Web servers")
    fill(browser, "description", "The nginx hosts")
    fill(browser, "namespace", "Not Valid")
    submit(browser, "setting-form")
    assert "namespace" in error_text(browser)
    fill(browser, "namespace", "web")
    browser.find_element(By.NAME, "monitor_logs").click()
    shot(browser, "08-policy-form")
    submit(browser, "setting-form")
    wait.until(lambda b: "Web servers" in b.page_source and b.current_url.split("?")[0].endswith("/policies"))
    shot(browser, "08-policies")

    # Add agent: the full command, every TLS flag filled in.
    browser.get(url + "/add-agent")
    browser.find_element(By.CSS_SELECTOR, "form.card button").click()
    command = wait.until(lambda b: b.find_elements(By.ID, "install-command"))[0].text
    for flag in ("--url=https://localhost:" + port, "--enrollment-token=", "--certificate-authorities=" + str(certs / "fleet-ca.crt"),
                 "--elastic-agent-cert=" + str(certs / "agent-cert.crt"), "--elastic-agent-cert-key=" + str(certs / "agent-cert.key"),
                 "--elastic-agent-cert-key-passphrase="):
        assert flag in command, command
    shot(browser, "09-add-agent")

    # Run it on this host as a person would: fill in the passphrase file, no sudo, a base path of its own.
    base = quickstart["work"] / "agent2"
    arguments = command.replace("\\\n", " ").replace("/path/to/agent-cert.passphrase", str(certs / "agent-cert.passphrase")).split()
    assert arguments[:2] == ["sudo", "flotilla"]
    install = subprocess.run([str(BINARY)] + arguments[2:] + ["--base-path", str(base), "--proxy-disabled"],
                             capture_output=True, text=True, timeout=120)
    assert install.returncode == 0, install.stdout + install.stderr
    agent = subprocess.Popen([str(BINARY), "run", "--base-path", str(base)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        try:
            WebDriverWait(browser, 90, poll_frequency=1).until(
                lambda b: "is online and Healthy" in b.find_element(By.CSS_SELECTOR, "[data-wait-agents]").text)
        except Exception:
            browser.get(url + "/agents")
            table = browser.find_element(By.ID, "agents-table").text
            browser.find_elements(By.CSS_SELECTOR, "#agents-table tbody tr a")[0].click()
            raise AssertionError("the new agent did not show as Healthy: " + table + "\n" + browser.find_element(By.TAG_NAME, "main").text)
        shot(browser, "10-add-agent-online")
        def two_healthy(b):
            rows = b.find_elements(By.CSS_SELECTOR, "#agents-table tbody tr")
            return len(rows) == 2 and all("Healthy" in row.text for row in rows)
        reload_until(browser, url + "/agents", two_healthy, 60)
        rows = browser.find_elements(By.CSS_SELECTOR, "#agents-table tbody tr")
        shot(browser, "11-agents-two")
        rows[0].find_element(By.CSS_SELECTOR, "a").click()
        assert "Client certificate" in browser.page_source
        # The output set up above receives the agents' data (the host metrics of the default policy) over mutual
        # TLS, the agent's encrypted key opened with its own passphrase.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not elasticsearch["received"].get("metrics-system.memory-default"):
            time.sleep(0.5)
        assert elasticsearch["received"].get("metrics-system.memory-default"), elasticsearch["received"]
        agent_page = browser.current_url
        reload_until(browser, agent_page, lambda b: "Inputs and outputs" in b.page_source and "Healthy" in b.find_element(By.TAG_NAME, "main").text, 60)
        shot(browser, "12-agent")
        # Diagnostics, as a person asks for them: the agent zips and uploads a bundle, the page lists it to download.
        browser.find_element(By.XPATH, "//button[text()='Request diagnostics']").click()
        # Listed as it starts uploading, a link once it is complete.
        reload_until(browser, agent_page, lambda b: b.find_elements(By.PARTIAL_LINK_TEXT, "flotilla-diagnostics-"), 60)
        link = browser.find_element(By.PARTIAL_LINK_TEXT, "flotilla-diagnostics-")
        assert link.get_attribute("href").startswith(url + "/api/fleet/agents/files/")
        browser.execute_script("arguments[0].scrollIntoView()", link)
        shot(browser, "12b-diagnostics")
        browser.get(url + "/audit")
        audit = browser.find_element(By.CSS_SELECTOR, "table.grid").text
        assert "fleet_server_hosts.create" in audit and "outputs.create" in audit and "user:admin" in audit
        shot(browser, "13-audit")
        # Certificates: the agents' hand-made client certificate (the quickstart's agent-cert), with its time left.
        browser.get(url + "/certificates")
        main = browser.find_element(By.TAG_NAME, "main").text
        assert "Agent CA rotation" in main and "No rotation in progress" in main, main
        assert "flotilla-agent" in main and "days left" in main, main
        shot(browser, "14-certificates")
    finally:
        agent.terminate()
        agent.wait(timeout=30)
    print(f"screenshots in {SHOTS}")
