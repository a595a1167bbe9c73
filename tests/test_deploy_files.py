"""The example systemd units and nginx site in deploy/ are valid: `systemd-analyze verify` and
`nginx -t` accept them (each skipped where the tool is not installed)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testkit.databases import ROOT

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


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed")
def test_nginx_site_passes_nginx_t(tmp_path: Path) -> None:
    site = (DEPLOY / "nginx" / "tepai.conf").read_text("utf-8")
    # Certificates of our own for the test, in place of the real ones.
    for name in ("bot.example.cn", "console.example.cn"):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                        "-keyout", str(tmp_path / f"{name}.key"), "-out", str(tmp_path / f"{name}.crt")],
                       check=True, capture_output=True, timeout=60)
    site = site.replace("/etc/ssl/tepai/", f"{tmp_path}/")
    (tmp_path / "tepai.conf").write_text(site, "utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n access_log off;\n"
        + "".join(f" {kind}_temp_path {tmp_path}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f" include {tmp_path}/tepai.conf;\n}}\n", "utf-8")
    done = subprocess.run(["nginx", "-t", "-e", str(tmp_path / "error.log"), "-p", f"{tmp_path}/",
                           "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr


def test_the_site_exposes_only_the_webhook_path_of_the_bot() -> None:
    site = (DEPLOY / "nginx" / "tepai.conf").read_text("utf-8")
    bot = site.split("server_name bot.example.cn;", 1)[1].split("\nserver {", 1)[0]
    locations = [line.strip() for line in bot.splitlines() if line.strip().startswith("location")]
    assert locations == ["location = /tg/5f3a9c0e7d2b {", "location / {"]
    assert "return 404;" in bot.split("location / {", 1)[1]
    config = "\n".join(line for line in site.splitlines() if not line.lstrip().startswith("#"))
    for private in ("/healthz", "/readyz", "/metrics", "9108"):
        assert private not in config
