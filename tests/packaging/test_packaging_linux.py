"""Linux packaging: desktop entry, icons, and the tarball/.deb builder run on a tiny stand-in bundle."""

from __future__ import annotations

import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINUX = ROOT / "packaging" / "linux"


def _desktop_entry() -> dict[str, str]:
    lines = (LINUX / "inklift.desktop").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(ln.split("=", 1) for ln in lines[1:] if ln and not ln.startswith("#"))


def test_desktop_entry_fields():
    entry = _desktop_entry()
    assert entry["Type"] == "Application" and entry["Name"] == "InkLift"
    assert entry["Exec"].split()[0] == "inklift-desktop" and entry["Icon"] == "inklift"
    assert "image/jpeg" in entry["MimeType"].split(";")
    assert entry["StartupWMClass"] == "InkLift"  # Qt sets WM_CLASS from the executable name


def test_desktop_entry_validates():
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.skip("desktop-file-validate not installed (apt-get install desktop-file-utils)")
    proc = subprocess.run([tool, str(LINUX / "inklift.desktop")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


def test_icons_are_an_svg_and_a_256px_png():
    from lxml import etree

    root = etree.parse(str(LINUX / "inklift.svg")).getroot()
    assert etree.QName(root).localname == "svg" and root.get("viewBox") == "0 0 256 256"
    import cv2

    png = cv2.imread(str(LINUX / "inklift.png"), cv2.IMREAD_UNCHANGED)
    assert png is not None and png.shape == (256, 256, 4)


def _fake_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "InkLift"
    (bundle / "_internal").mkdir(parents=True)
    exe = bundle / "InkLift"
    exe.write_text('#!/bin/sh\necho "fake InkLift $*"\n')
    exe.chmod(0o755)
    (bundle / "NOTICE").write_text("notice")
    return bundle


def test_build_packages_makes_tarball_and_deb(tmp_path):
    if shutil.which("dpkg-deb") is None:
        pytest.skip("dpkg-deb not available (not a Debian-family system)")
    out = tmp_path / "out"
    env = {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "INKLIFT_BUNDLE": str(_fake_bundle(tmp_path)),
           "INKLIFT_PKG_OUT": str(out), "TMPDIR": str(tmp_path)}
    proc = subprocess.run(["bash", str(LINUX / "build_packages.sh")], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    (tgz,) = out.glob("InkLift-*-linux-x86_64.tar.gz")
    with tarfile.open(tgz) as tf:
        names = set(tf.getnames())
    top = tgz.name.removesuffix(".tar.gz")
    assert {f"{top}/InkLift", f"{top}/inklift.desktop", f"{top}/inklift.svg", f"{top}/inklift.png",
            f"{top}/install-desktop-entry.sh", f"{top}/NOTICE"} <= names

    (deb,) = out.glob("inklift_*_amd64.deb")
    info = subprocess.run(["dpkg-deb", "-f", str(deb)], capture_output=True, text=True, check=True).stdout
    assert "Package: inklift" in info and "Architecture: amd64" in info and "Depends:" in info
    listing = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True, check=True).stdout
    for path in ("./opt/inklift/InkLift", "./usr/bin/inklift-desktop", "./usr/bin/inklift",
                 "./usr/share/applications/inklift.desktop", "./usr/share/icons/hicolor/scalable/apps/inklift.svg",
                 "./usr/share/icons/hicolor/256x256/apps/inklift.png", "./usr/share/doc/inklift/copyright"):
        assert path in listing, path
    assert "root/root" in listing  # --root-owner-group: no build user's ids leak into the package

    # The launchers really start the bundled executable (extracted, not installed).
    root = tmp_path / "x"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    launcher = (root / "usr/bin/inklift").read_text()
    assert launcher.startswith("#!/bin/sh") and 'exec /opt/inklift/InkLift --cli "$@"' in launcher


def test_build_packages_without_bundle_says_so(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "INKLIFT_BUNDLE": str(tmp_path / "missing"), "INKLIFT_PKG_OUT": str(tmp_path)}
    proc = subprocess.run(["bash", str(LINUX / "build_packages.sh")], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert proc.returncode == 1 and "make bundle" in proc.stderr
