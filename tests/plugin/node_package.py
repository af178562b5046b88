#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The node's Debian package: built with CPack, listed, extracted into a scratch root, and used.

usage: node_package.py BUILD_DIR DEMO_MODEL.tgm SNIPPET.json

1. `cpack --config BUILD_DIR/CPackConfig.cmake -B TMP` builds orthanc-thermoguard_*.deb.
2. `dpkg-deb -c` lists the plugin in Orthanc's plugin folder, the demo model under
   /usr/share/thermoguard/models and the snippet under /etc/orthanc; `dpkg-deb -f` depends on
   orthanc; the snippet is a conffile.
3. `dpkg-deb -x` into a scratch root: the model is byte-identical to testdata's, the snippet's
   "ThermoGuard" section pins exactly its SHA-256 at the installed path and makes it active, and
   the snippet has no UserMetadata section (Debian's orthanc.json owns that section).
4. A real Orthanc loads the extracted plugin with the extracted snippet (model path moved into
   the scratch root, plus the UserMetadata entries of SNIPPET.json, as the admin guide says):
   the plugin is enabled with the demo model active.
"""
import glob
import hashlib
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check  # noqa: E402

BUILD, MODEL, SNIPPET = (os.path.abspath(a) for a in sys.argv[1:4])
TMP = tempfile.mkdtemp(prefix="tg_node_pkg_")
PLUGIN_PATH = "/usr/share/orthanc/plugins/libThermoGuard.so"
MODEL_PATH = "/usr/share/thermoguard/models/demo.tgm"
CONF_PATH = "/etc/orthanc/thermoguard.json"
node = None


def main():
    global node
    r = subprocess.run(["cpack", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", TMP],
                       capture_output=True, text=True, timeout=150)
    debs = glob.glob(os.path.join(TMP, "*.deb"))
    if not check(r.returncode == 0 and len(debs) == 1, "cpack failed (%d): %s %s"
                 % (r.returncode, r.stdout[-800:], r.stderr[-800:])):
        return
    deb = debs[0]
    listing = subprocess.run(["dpkg-deb", "-c", deb], capture_output=True, text=True, check=True).stdout
    paths = {line.split()[-1].lstrip(".") for line in listing.splitlines() if line.strip()}
    for p in (PLUGIN_PATH, MODEL_PATH, CONF_PATH):
        check(p in paths, "%s missing from the package; it holds %s" % (p, sorted(paths)))
    depends = subprocess.run(["dpkg-deb", "-f", deb, "Depends"], capture_output=True, text=True).stdout
    check("orthanc" in depends, "Depends %r does not name orthanc" % depends)
    ctrl = os.path.join(TMP, "control")
    subprocess.run(["dpkg-deb", "-e", deb, ctrl], check=True)
    conffiles = open(os.path.join(ctrl, "conffiles")).read().split() if os.path.exists(
        os.path.join(ctrl, "conffiles")) else []
    check(CONF_PATH in conffiles, "conffiles %s do not list %s" % (conffiles, CONF_PATH))

    root = os.path.join(TMP, "root")
    subprocess.run(["dpkg-deb", "-x", deb, root], check=True)
    want = hashlib.sha256(open(MODEL, "rb").read()).hexdigest()
    got = hashlib.sha256(open(root + MODEL_PATH, "rb").read()).hexdigest()
    check(got == want, "installed model sha256 %s differs from testdata's %s" % (got, want))
    conf = json.load(open(root + CONF_PATH))
    check(set(conf) == {"ThermoGuard"}, "packaged snippet has top-level keys %s, want only ThermoGuard" % list(conf))
    tg = conf.get("ThermoGuard", {})
    models = tg.get("Models", [])
    check(len(models) == 1 and models[0].get("Path") == MODEL_PATH and models[0].get("SHA256") == want
          and tg.get("ActiveModel") == models[0].get("Name"),
          "packaged section does not pin the installed demo model: %s" % tg)
    print("package %s: %d paths; model sha256 %s" % (os.path.basename(deb), len(paths), want), flush=True)

    # The extracted files work together in a real Orthanc.
    models[0]["Path"] = root + MODEL_PATH
    snippet = json.load(open(SNIPPET))
    merged = os.path.join(TMP, "merged.json")
    json.dump({"UserMetadata": snippet["UserMetadata"], "ThermoGuard": tg}, open(merged, "w"))
    node = H.Orthanc(TMP, root + PLUGIN_PATH, merged, "pkg").start()
    st = node.status()
    check(st["Enabled"] is True and st["Model"]["Active"] == models[0]["Name"],
          "extracted plugin + snippet: Enabled %s, model %s, reason %s"
          % (st["Enabled"], st["Model"].get("Active"), st.get("Reason")))
    node.stop(timeout=20)


if __name__ == "__main__":
    H.run_test(main, TMP, lambda: [node])
