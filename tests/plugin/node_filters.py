#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Series selection filters of the ThermoGuard node, against a real Orthanc on loopback.

usage: node_filters.py PLUGIN.so THERMOGUARD_CLI PHANTOM_MATRICES SNIPPET.json

Configuration: Modalities ["TG"], CallingAETs ["TGTEST"], BodyParts ["breast"] (matched whole,
case-insensitive), SeriesDescriptions ["thermogram", "IR view"] (a case-insensitive substring of
SeriesDescription). One synthetic 4-view series is cloned into studies that differ in one
attribute each:
  match            TG, BREAST, "ThermoGuard thermogram", sent by TGTEST      -> one SR
  match_case       body part "Breast", description "left IR VIEW, frontal"  -> one SR
  modality         Modality OT                                               -> ignored
  aet              sent by TGOTHER (a declared modality)                     -> ignored
  rest_upload      uploaded with POST /instances (no calling AET)            -> ignored
  body_part        BodyPartExamined HAND                                     -> ignored
  no_body_part     BodyPartExamined absent                                   -> ignored
  description      SeriesDescription "Calibration frame"                     -> ignored
  foreign_sr       an SR series the node did not write                       -> ignored
  own_sr           the node's own SR series (POST .../analyze on it)         -> ignored
An ignored series is recognised by the node's log line "series ID: ignored (REASON)" with the
expected reason; then it must have no SR in its study and no result (404). An explicit
POST /thermoguard/series/{id}/analyze does not bypass the filters. Finally: "SR" in Modalities,
an empty Modalities list and a non-list filter each leave the plugin disabled with the reason
at /thermoguard/status while Orthanc serves /system.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

import pydicom

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check  # noqa: E402

PLUGIN, CLI, PHANTOM, SNIPPET = (os.path.abspath(a) for a in sys.argv[1:5])
TMP = tempfile.mkdtemp(prefix="tg_node_filters_")
OTHER_AET = "TGOTHER"
node = None


def variant(template, name, index, **tags):
    files = H.clone_series(template, os.path.join(TMP, name), index)
    for f in files:
        ds = pydicom.dcmread(f)
        for k, v in tags.items():
            if v is None:
                if k in ds:
                    delattr(ds, k)
            else:
                setattr(ds, k, v)
        ds.save_as(f)
    return files


def storescu_as(aet, files):
    r = subprocess.run(["storescu", "-aet", aet, "-aec", H.NODE_AET, "127.0.0.1", str(node.dicom_port)] + files,
                       capture_output=True, text=True, timeout=60)
    return check(r.returncode == 0, "storescu -aet %s failed: %s" % (aet, r.stderr[-500:]))


def expect_ignored(name, sid, reason):
    if not check(sid is not None, "%s: series not found in Orthanc" % name):
        return
    # An explicit request must not bypass the filters either.
    check(node.http("POST", "/thermoguard/series/%s/analyze" % sid, "")[0] == 200, "%s: analyze request" % name)
    line = "series %s: ignored (%s)" % (sid, reason)
    check(node.wait_log(line), "%s: no log line %r" % (name, line))


def check_no_result(name, sid):
    status, body = node.http("GET", "/thermoguard/series/%s/result" % sid)
    check(status == 404, "%s: result answered %s %s, want 404" % (name, status, body))
    check(node.sr_count(sid) == 0, "%s: %d SR(s) in its study, want 0" % (name, node.sr_count(sid)))


def disabled_with(section_patch, needle, name):
    section = json.load(open(SNIPPET))["ThermoGuard"]
    section.update(section_patch)
    n = H.Orthanc(TMP, PLUGIN, SNIPPET, name, section=section, storage=os.path.join(TMP, "st-" + name)).start()
    try:
        st = n.status()
        check(st["Enabled"] is False and needle in (st.get("Reason") or ""),
              "%s: want disabled with %r, got %s / %s" % (name, needle, st["Enabled"], st.get("Reason")))
        n.system_ok("with a bad filter configuration (%s)" % name)
    finally:
        n.stop(timeout=20)


def main():
    global node
    t0 = time.time()
    section = json.load(open(SNIPPET))["ThermoGuard"]
    section.update({"Modalities": ["TG"], "CallingAETs": [H.SCU_AET], "BodyParts": ["breast"],
                    "SeriesDescriptions": ["thermogram", "IR view"]})
    node = H.Orthanc(TMP, PLUGIN, SNIPPET, "filters", section=section,
                     modalities={"other": [OTHER_AET, "127.0.0.1", H.free_port()]}).start()
    st = node.status()
    if not check(st["Enabled"], "plugin not enabled: %s" % st.get("Reason")):
        return

    template = H.make_series(TMP, PHANTOM, CLI, "template", 21)
    series = {
        "match": variant(template, "match", 1),
        "match_case": variant(template, "match_case", 2, BodyPartExamined="Breast",
                              SeriesDescription="left IR VIEW, frontal"),
        "modality": variant(template, "modality", 3, Modality="OT"),
        "aet": variant(template, "aet", 4),
        "rest_upload": variant(template, "rest_upload", 5),
        "body_part": variant(template, "body_part", 6, BodyPartExamined="HAND"),
        "no_body_part": variant(template, "no_body_part", 7, BodyPartExamined=None),
        "description": variant(template, "description", 8, SeriesDescription="Calibration frame"),
    }
    for name, files in series.items():
        if name == "aet":
            storescu_as(OTHER_AET, files)
        elif name == "rest_upload":
            for f in files:
                check(node.http("POST", "/instances", open(f, "rb").read())[0] == 200, "POST /instances")
        else:
            node.storescu(files)
    sids = {name: node.series_id(files[0]) for name, files in series.items()}

    results = {}
    for name in ("match", "match_case"):
        r = node.wait_result(sids[name], timeout=60) if sids[name] else None
        if check(r is not None and r["Status"] == "done", "%s: no SR (%s)" % (name, r)):
            results[name] = r
            check(node.sr_count(sids[name]) == 1, "%s: %d SRs, want 1" % (name, node.sr_count(sids[name])))

    reasons = {"modality": "modality not selected", "aet": "calling AET not selected",
               "rest_upload": "calling AET not selected", "body_part": "body part not selected",
               "no_body_part": "body part not selected", "description": "series description not selected"}
    for name, reason in reasons.items():
        expect_ignored(name, sids[name], reason)

    if "match" in results:
        foreign = os.path.join(TMP, "foreign_sr.dcm")
        node.fetch(results["match"]["SRInstance"], foreign)
        ds = pydicom.dcmread(foreign)
        ds.StudyInstanceUID = "2.25.%d" % uuid.uuid4().int
        ds.SeriesInstanceUID = "2.25.%d" % uuid.uuid4().int
        ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = "2.25.%d" % uuid.uuid4().int
        ds.save_as(foreign)
        node.storescu([foreign])
        expect_ignored("foreign_sr", node.series_id(foreign), "structured report")
        expect_ignored("own_sr", results["match"]["SRSeries"], "structured report")
    node.wait_idle(30)
    for name in reasons:
        if sids[name]:
            check_no_result(name, sids[name])
    for name in ("match", "match_case"):
        if sids[name]:
            check(node.sr_count(sids[name]) == 1, "%s: %d SRs after the ignored series, want 1"
                  % (name, node.sr_count(sids[name])))
    c = node.status()["Counters"]
    check(c["SRCreated"] == 2 and c["Failed"] == 0, "counters: %s (want SRCreated 2, Failed 0)" % c)
    node.system_ok("after the filtered series")
    node.stop(timeout=20)

    disabled_with({"Modalities": ["TG", "SR"]}, "must not contain \"SR\"", "modality_sr")
    disabled_with({"Modalities": []}, "at least one modality", "modality_empty")
    disabled_with({"BodyParts": "BREAST"}, "ThermoGuard.BodyParts must be an array", "body_part_string")
    print("node filters: 2 selected series analysed, 8 ignored with the expected reason; test %.1f s"
          % (time.time() - t0), flush=True)


if __name__ == "__main__":
    H.run_test(main, TMP, lambda: [node])
