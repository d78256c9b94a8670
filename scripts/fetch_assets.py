"""Fetch the front-end assets (ECharts and its China map geometry) from the npm registry at setup time.

The project does not commit third-party JavaScript. ``make setup`` runs this script, which asks npm for the
pinned tarball, checks its sha256 against the pin below and extracts only the files the reports and the
dashboard use into ``src/nqpf/_assets/`` (ignored by git). Pinned: echarts 4.9.0 (Apache-2.0), the last
release that ships ``map/json/china.json`` (province polygons, properties ``id`` = GB/T 2260 code).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "echarts@4.9.0"
SHA256 = "d2bdf8af1b218d3885a518072788a3b7f0c2d3f8925ec8585a36be5ee5add3f2"
FILES = {
    "package/dist/echarts.min.js": "echarts.min.js",
    "package/map/json/china.json": "china.json",
    "package/LICENSE": "LICENSE-echarts.txt",
}
DEST = Path(__file__).resolve().parents[1] / "src" / "nqpf" / "_assets"
# prefecture polygons of every province (properties id = GB/T 2260 code), used by nqpf.report.geo_city
PROVINCE_MEMBERS = "package/map/json/province/"
PROVINCE_DIR = "province"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dest", type=Path, default=DEST)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    dest: Path = args.dest
    if not args.force and all((dest / name).exists() for name in FILES.values()) and (dest / PROVINCE_DIR).is_dir():
        return 0
    if shutil.which("npm") is None:
        print("warning: npm not found; interactive charts and maps will fall back to static figures", file=sys.stderr)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        try:
            subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, capture_output=True, timeout=300)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"warning: could not fetch {PACKAGE} from npm ({exc}); charts fall back to static figures",
                  file=sys.stderr)
            return 0
        tgz = next(Path(tmp).glob("echarts-*.tgz"))
        digest = hashlib.sha256(tgz.read_bytes()).hexdigest()
        if digest != SHA256:
            print(f"error: {tgz.name} sha256 {digest} does not match the pin {SHA256}", file=sys.stderr)
            return 1
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tgz) as tar:
            for member, name in FILES.items():
                f = tar.extractfile(member)
                if f is None:
                    print(f"error: {member} missing from {tgz.name}", file=sys.stderr)
                    return 1
                (dest / name).write_bytes(f.read())
            (dest / PROVINCE_DIR).mkdir(exist_ok=True)
            for m in tar.getmembers():
                if m.isfile() and m.name.startswith(PROVINCE_MEMBERS) and m.name.endswith(".json"):
                    (dest / PROVINCE_DIR / Path(m.name).name).write_bytes(tar.extractfile(m).read())
        (dest / "SOURCE.txt").write_text(f"{PACKAGE} from the npm registry, sha256 {SHA256}\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
