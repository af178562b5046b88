#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SR leaves the node the DICOM way: C-FIND then C-MOVE against a real Orthanc on loopback.

usage: node_query_retrieve.py PLUGIN.so THERMOGUARD_CLI PHANTOM_MATRICES SNIPPET.json

A 4-view synthetic series is sent with storescu; once its SR exists, `findscu` (study root,
SERIES level, Modality SR in the study) must find exactly that SR series, and `movescu` must
retrieve it to a local `storescp` (AET TGSTORE, another free port, declared in Orthanc's
DicomModalities). The moved file must be the SR that Orthanc stores (same SOP Instance UID) and
pass dciodvfy with zero "Error" lines. Orthanc and storescp are always killed at the end.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check  # noqa: E402

PLUGIN, CLI, PHANTOM, SNIPPET = (os.path.abspath(a) for a in sys.argv[1:5])
TMP = tempfile.mkdtemp(prefix="tg_node_qr_")
STORE_AET = "TGSTORE"
node = scp = None


def main():
    global node, scp
    t_start = time.time()
    scp_port = H.free_port()
    received = os.path.join(TMP, "received")
    os.makedirs(received)
    scp = H.spawn(["storescp", "-aet", STORE_AET, "-od", received,
                   str(scp_port)], os.path.join(TMP, "storescp.log"))
    node = H.Orthanc(TMP, PLUGIN, SNIPPET, "qr", modalities={"store": [STORE_AET, "127.0.0.1", scp_port]}).start()

    files = H.make_series(TMP, PHANTOM, CLI, "series", 7)
    node.storescu(files)
    sid = node.series_id(files[0])
    res = node.wait_result(sid, timeout=60) if sid else None
    if not check(res is not None and res["Status"] == "done", "no SR for the series: %s" % res):
        return
    sr_tags = node.http("GET", "/instances/%s/simplified-tags" % res["SRInstance"])[1]
    study_uid, sr_series_uid, sr_uid = (sr_tags["StudyInstanceUID"], sr_tags["SeriesInstanceUID"],
                                        sr_tags["SOPInstanceUID"])

    # C-FIND, study root, series level, Modality SR within the study.
    find_dir = os.path.join(TMP, "find")
    os.makedirs(find_dir)
    r = subprocess.run(["findscu", "-S", "-aet", H.SCU_AET, "-aec", H.NODE_AET, "-X", "-od", find_dir,
                        "-k", "QueryRetrieveLevel=SERIES", "-k", "StudyInstanceUID=" + study_uid,
                        "-k", "Modality=SR", "-k", "SeriesInstanceUID", "-k", "NumberOfSeriesRelatedInstances",
                        "127.0.0.1", str(node.dicom_port)], capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "findscu failed (%d): %s" % (r.returncode, r.stderr[-800:]))
    answers = [pydicom.dcmread(os.path.join(find_dir, f)) for f in sorted(os.listdir(find_dir))]
    found = [a.SeriesInstanceUID for a in answers]
    check(found == [sr_series_uid], "findscu Modality=SR answers %s, want [%s]" % (found, sr_series_uid))
    if answers:
        check(answers[0].get("Modality") == "SR", "findscu answer Modality %r" % answers[0].get("Modality"))

    # C-MOVE of that series to storescp.
    r = subprocess.run(["movescu", "-S", "-aet", H.SCU_AET, "-aec", H.NODE_AET, "-aem", STORE_AET,
                        "-k", "QueryRetrieveLevel=SERIES", "-k", "StudyInstanceUID=" + study_uid,
                        "-k", "SeriesInstanceUID=" + sr_series_uid, "127.0.0.1", str(node.dicom_port)],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "movescu failed (%d): %s" % (r.returncode, r.stderr[-800:]))
    check(not re.search(r"Failed|Warning.*Sub-operations", r.stderr), "movescu reported failures: %s" % r.stderr[-800:])
    moved = []
    deadline = time.time() + 20
    while time.time() < deadline and not moved:
        moved = [os.path.join(received, f) for f in os.listdir(received)]
        time.sleep(0.2)
    time.sleep(0.5)  # storescp writes the file before the C-STORE response; settle anyway
    moved = [os.path.join(received, f) for f in os.listdir(received)]
    if check(len(moved) == 1, "storescp received %d files, want 1: %s" % (len(moved), moved)):
        ds = pydicom.dcmread(moved[0])
        check(ds.SOPInstanceUID == sr_uid and ds.Modality == "SR", "moved file is not the SR (%s %s)"
              % (ds.SOPInstanceUID, ds.get("Modality")))
        errors = H.dciodvfy_errors(moved[0])
        check(not errors, "dciodvfy errors in the moved SR: %s" % errors[:5])
    node.system_ok("after C-FIND/C-MOVE")
    print("node QR: findscu found the SR series, movescu moved %d file(s) to storescp; test %.1f s"
          % (len(moved), time.time() - t_start), flush=True)
    node.stop()


if __name__ == "__main__":
    H.run_test(main, TMP, lambda: [node], lambda: [scp])
