"""The example systemd units and nginx site in deploy/ are valid: `systemd-analyze verify` and
`nginx -t` accept them, and the site run by nginx forwards only the webhook path (each skipped
where the tool is not installed: `scripts/setup-system.sh test` installs both)."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import ClientSession, ClientTimeout, TCPConnector, web

from testkit.databases import ROOT
from testkit.ports import free_ports

DEPLOY = ROOT / "deploy"
INSTALLED_AT = "/opt/tepai/.venv/bin/tepai"  # where the units expect the command (docs/deploy.md)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path: Path) -> None:
    # The units name the installed command; here it is this virtualenv's (verify checks it exists).
    tepai = Path(sys.executable).parent / "tepai"
    units = tmp_path / "units"
    shutil.copytree(DEPLOY / "systemd", units)
    for path in units.rglob("*"):
        if path.is_file():
            text = path.read_text("utf-8")
            assert path.suffix in (".service", ".conf") and INSTALLED_AT in text, path
            path.write_text(text.replace(INSTALLED_AT, str(tepai)), "utf-8")
    # The template as two workers: 8081 with its drop-in (it sets the webhook), 8082 without.
    names = ["tepai-webhook@8081.service", "tepai-webhook@8082.service", "tepai-scheduler.service",
             "tepai-web.service"]
    done = subprocess.run(["systemd-analyze", "verify", *(f"./{n}" for n in names)], cwd=units,
                          capture_output=True, text=True, timeout=60)
    ours = [line for line in (done.stdout + done.stderr).splitlines() if "tepai" in line]
    assert done.returncode == 0 and not ours, done.stdout + done.stderr


needs_nginx = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
SITE = (DEPLOY / "nginx" / "tepai.conf").read_text("utf-8")
HOOK = "/tg/5f3a9c0e7d2b"  # the site's webhook path


@pytest.fixture(scope="module")
def certificates(tmp_path_factory) -> Path:  # noqa: ANN001
    """Certificates of our own for the site's two host names, in place of the real ones."""
    folder = tmp_path_factory.mktemp("certificates")
    for name in ("bot.example.cn", "console.example.cn"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                        "-nodes", "-days", "1", "-subj", f"/CN={name}",
                        "-keyout", str(folder / f"{name}.key"), "-out", str(folder / f"{name}.crt")],
                       check=True, capture_output=True, timeout=60)
    return folder


def nginx_args(folder: Path, site: str, certificates: Path, main: str = "") -> list[str]:
    """nginx with `site` included from a minimal nginx.conf in `folder` (`main`: more top-level
    directives): everything it writes stays there, nothing root-owned is needed."""
    (folder / "tepai.conf").write_text(site.replace("/etc/ssl/tepai/", f"{certificates}/"), "utf-8")
    (folder / "nginx.conf").write_text(
        f"{main}pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n"
        + "".join(f" {kind}_temp_path {folder}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f" include {folder}/tepai.conf;\n}}\n", "utf-8")
    return ["nginx", "-e", str(folder / "error.log"), "-p", f"{folder}/", "-c", str(folder / "nginx.conf")]


@needs_nginx
def test_nginx_site_passes_nginx_t(tmp_path: Path, certificates: Path) -> None:
    done = subprocess.run([*nginx_args(tmp_path, SITE, certificates), "-t"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


@needs_nginx
async def test_nginx_runs_the_site_and_forwards_only_the_webhook_path(tmp_path: Path, certificates: Path) -> None:
    """The site itself in front of two stand-in workers, on ports of this work's range: posts to
    the webhook path reach a worker (the one that is stopping answers 503, so nginx hands the post
    to the next); every other path, and a GET of the webhook's, is answered by nginx alone."""
    front, stopping_port, serving_port = free_ports(range(22000, 22100), 3)
    seen: list[str] = []

    async def serving(request: web.Request) -> web.Response:
        seen.append(f"{request.method} {request.path}")
        return web.Response(text="handled")

    async def stopping(_: web.Request) -> web.Response:
        return web.Response(status=503, text="stopping")

    site = SITE.replace("server 127.0.0.1:8081;", f"server 127.0.0.1:{stopping_port};")
    site = site.replace("server 127.0.0.1:8082;", f"server 127.0.0.1:{serving_port};")
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{front} ssl;").replace("listen 80;", "")
    site = "\n".join(line for line in site.splitlines() if "listen [::]" not in line)
    runners = []
    for port, handler in ((stopping_port, stopping), (serving_port, serving)):
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", handler)
        runners.append(web.AppRunner(app, access_log=None))
        await runners[-1].setup()
        await web.TCPSite(runners[-1], "127.0.0.1", port).start()
    # In the foreground and one process: the test's own child, ended by its pid.
    nginx = await asyncio.create_subprocess_exec(
        *nginx_args(tmp_path, site, certificates, main="daemon off;\nmaster_process off;\n"),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        async with ClientSession(base_url=f"https://127.0.0.1:{front}", headers={"Host": "bot.example.cn"},
                                 connector=TCPConnector(ssl=False), timeout=ClientTimeout(total=10)) as http:
            for _ in range(100):  # until it listens
                try:
                    async with http.get("/"):
                        break
                except OSError:
                    assert nginx.returncode is None, await nginx.stderr.read()
                    await asyncio.sleep(0.02)

            async def status(method: str, path: str) -> tuple[int, str]:
                async with http.request(method, path, json={"update_id": 1}) as response:
                    return response.status, await response.text()
            for _ in range(2):  # round robin: each worker is asked first once
                assert await status("POST", HOOK) == (200, "handled")
            assert (await status("GET", HOOK))[0] == 403
            for path in ("/metrics", "/healthz", "/readyz", "/web", "/", f"{HOOK}/x", "/tg/other"):
                for method in ("GET", "POST"):
                    assert (await status(method, path))[0] == 404, (method, path)
    finally:
        nginx.terminate()
        await nginx.wait()
        for runner in runners:
            await runner.cleanup()
    assert seen == [f"POST {HOOK}"] * 2


def test_the_site_exposes_only_the_webhook_path_of_the_bot() -> None:
    site = SITE
    bot = site.split("server_name bot.example.cn;", 1)[1].split("\nserver {", 1)[0]
    locations = [line.strip() for line in bot.splitlines() if line.strip().startswith("location")]
    assert locations == ["location = /tg/5f3a9c0e7d2b {", "location / {"]
    assert "return 404;" in bot.split("location / {", 1)[1]
    config = "\n".join(line for line in site.splitlines() if not line.lstrip().startswith("#"))
    for private in ("/healthz", "/readyz", "/metrics", "9108"):
        assert private not in config
