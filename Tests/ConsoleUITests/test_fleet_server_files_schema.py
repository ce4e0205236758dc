"""Schemathesis against a running Fleet Server, on the agent contract's file routes: the artifact download, the
release key, the chunked uploads and the file route. Generated requests, sent with a real enrolled agent's API key,
must never get a 5xx nor a status the contract does not list. Skipped without ../shared (the contract lives there)."""
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("FLOTILLA_BINARY", ROOT / ".build" / "debug" / "flotilla"))
CONTRACT = ROOT.parent / "shared" / "reference" / "fleet-server-openapi.yml"


def run(*arguments):
    done = subprocess.run([str(BINARY), *arguments], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def fleet_server():
    if not CONTRACT.exists():
        pytest.skip(f"{CONTRACT} is absent: the agent contract comes with ../shared")
    if not BINARY.exists():
        pytest.skip(f"{BINARY} is not built (swift build)")
    if not shutil.which("schemathesis"):
        pytest.skip("schemathesis is not installed (scripts/test.sh installs it)")
    work = Path(tempfile.mkdtemp(prefix="flotilla-contract-"))
    certs, data = work / "certs", work / "data"
    run("certs", "init", str(certs))
    run("server", "init", "--data-dir", str(data), "--service-token-path", str(work / "service.token"),
        "--enrollment-token-path", str(work / "enrollment.token"))
    if shutil.which("minisign"):
        # A release key, so the key route answers with it.
        subprocess.run(["minisign", "-G", "-W", "-p", str(work / "release.pub"), "-s", str(work / "release.key")],
                       check=True, capture_output=True, timeout=60)
        run("server", "artifacts", "release-key", str(work / "release.pub"), "--data-dir", str(data))
    port = free_port()
    process = subprocess.Popen(
        [str(BINARY), "server", "--data-dir", str(data), "--fleet-server-service-token-path", str(work / "service.token"),
         "--fleet-server-cert", str(certs / "fleet-cert.crt"), "--fleet-server-cert-key", str(certs / "fleet-cert.key"),
         "--fleet-server-host", "127.0.0.1", "--fleet-server-port", str(port), "--public-url", f"https://localhost:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    deadline, listening = time.monotonic() + 60, False
    while not listening and time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            pytest.fail("the Fleet Server ended before listening")
        listening = "Fleet Server listening on https://" in line
    assert listening, "the Fleet Server did not say it listens within 60 s"
    # A real agent's key: enrolled with the token server init wrote.
    context = ssl.create_default_context(cafile=str(certs / "fleet-ca.crt"))
    context.check_hostname = False
    token = (work / "enrollment.token").read_text().strip()
    request = urllib.request.Request(
        f"https://127.0.0.1:{port}/api/fleet/agents/enroll", method="POST",
        data=json.dumps({"type": "PERMANENT", "metadata": {"local": {}, "user_provided": {}}}).encode(),
        headers={"Authorization": "ApiKey " + token, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, context=context, timeout=30) as answer:
        key = json.load(answer)["item"]["access_api_key"]
    yield {"url": f"https://localhost:{port}", "key": key, "ca": str(certs / "fleet-ca.crt"), "work": work}
    process.terminate()
    process.wait(timeout=30)


def test_file_routes_never_answer_a_server_error_or_off_the_contract(fleet_server):
    done = subprocess.run(
        ["schemathesis", "run", str(CONTRACT), "--url", fleet_server["url"],
         "-H", "Authorization: ApiKey " + fleet_server["key"], "--tls-verify", fleet_server["ca"],
         "--include-path-regex", "^/api/(fleet/(uploads|artifacts|file)|agents/upgrades)",
         "--workers", "1", "--max-examples", "40", "--seed", "20261203",
         "--checks", "not_a_server_error,status_code_conformance"],
        capture_output=True, text=True, timeout=600, cwd=fleet_server["work"],
    )
    summary = done.stdout[-4000:]
    print(summary)
    assert done.returncode == 0, summary + done.stderr[-2000:]
    assert re.search(r"\d+ generated, \d+ passed", done.stdout), summary
