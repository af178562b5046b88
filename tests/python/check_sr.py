#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Independent read-back of a ThermoGuard SR with pydicom.

usage: check_sr.py sr.dcm KIND EXPECT source1.dcm [source2.dcm ...]
KIND is "result" or "audit". EXPECT is a comma list of key=value checks:
  result: L=<probability>,R=<probability>,threshold=<t>,placeholder=0|1
  audit:  rows=<n>
Exits 0 when every check holds, prints each failure otherwise."""
import sys

import pydicom

failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


def walk(items):
    for it in items:
        yield it
        if "ContentSequence" in it:
            yield from walk(it.ContentSequence)


def name(it):
    return (it.ConceptNameCodeSequence[0].CodeValue, it.ConceptNameCodeSequence[0].CodingSchemeDesignator) \
        if "ConceptNameCodeSequence" in it else None


def main():
    sr_path, kind, expect = sys.argv[1], sys.argv[2], sys.argv[3]
    sources = [pydicom.dcmread(p) for p in sys.argv[4:]]
    exp = dict(kv.split("=") for kv in expect.split(",") if kv)
    sr = pydicom.dcmread(sr_path)
    src_uids = {s.SOPInstanceUID for s in sources}

    check(sr.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22", "not Enhanced SR: %s" % sr.SOPClassUID)
    check(sr.Modality == "SR", "Modality %s" % sr.Modality)
    check(sr.VerificationFlag == "UNVERIFIED", "VerificationFlag %s" % sr.VerificationFlag)
    check(sr.CompletionFlag == "COMPLETE", "CompletionFlag %s" % sr.CompletionFlag)
    check(sr.StudyInstanceUID == sources[0].StudyInstanceUID, "SR not in the source study")
    check(sr.SeriesInstanceUID not in {s.SeriesInstanceUID for s in sources}, "SR reuses a source series")
    for uid in (sr.SeriesInstanceUID, sr.SOPInstanceUID):
        check(uid.startswith("2.25."), "UID %s not under the project root" % uid)
    check(sr.PatientID == sources[0].PatientID, "PatientID differs")
    schemes = [i.CodingSchemeDesignator for i in sr.get("CodingSchemeIdentificationSequence", [])]
    check("99TGUARD" in schemes, "99TGUARD not declared: %s" % schemes)
    root = sr.ConceptNameCodeSequence[0]
    check((root.CodeValue, root.CodingSchemeDesignator) == ("126000", "DCM"), "root is not TID 1500")
    tmpl = sr.ContentTemplateSequence[0]
    check(tmpl.TemplateIdentifier == "1500", "template %s" % tmpl.TemplateIdentifier)

    # Evidence + every referenced SOP instance exists among the sources.
    evid = set()
    for st in sr.CurrentRequestedProcedureEvidenceSequence:
        for se in st.ReferencedSeriesSequence:
            for ref in se.ReferencedSOPSequence:
                evid.add(ref.ReferencedSOPInstanceUID)
    check(evid == src_uids, "evidence %s != sources %s" % (evid, src_uids))
    items = list(walk(sr.ContentSequence))
    refs = {r.ReferencedSOPInstanceUID for it in items if it.ValueType == "IMAGE"
            for r in it.ReferencedSOPSequence}
    check(refs == src_uids, "IMAGE references %s != sources %s" % (refs, src_uids))

    texts = [it.TextValue for it in items if it.ValueType == "TEXT"]
    check(any("Research use only" in t for t in texts), "no research-use notice")

    if kind == "result":
        groups = [it for it in items if it.ValueType == "CONTAINER" and name(it) == ("125007", "DCM")]
        check(len(groups) == sum(1 for k in ("L", "R") if k in exp), "measurement groups: %d" % len(groups))
        for g in groups:
            sub = list(walk(g.ContentSequence))
            site = [it for it in sub if name(it) == ("363698007", "SCT")]
            check(site and site[0].ConceptCodeSequence[0].CodeValue == "76752008", "finding site not breast")
            lat = [it for it in sub if name(it) == ("272741003", "SCT")]
            code = lat[0].ConceptCodeSequence[0].CodeValue if lat else None
            side = {"7771000": "L", "24028007": "R"}.get(code)
            check(side in exp, "laterality code %s" % code)
            prob = [it for it in sub if name(it) == ("111047", "DCM")]
            check(len(prob) == 1, "probability items: %d" % len(prob))
            if prob and side:
                mv = prob[0].MeasuredValueSequence[0]
                check(abs(float(mv.NumericValue) - float(exp[side])) < 1e-6,
                      "%s probability %s != %s" % (side, mv.NumericValue, exp[side]))
                u = mv.MeasurementUnitsCodeSequence[0]
                check((u.CodeValue, u.CodingSchemeDesignator) == ("1", "UCUM"), "probability unit")
            thr = [it for it in sub if name(it) == ("TG0003", "99TGUARD")]
            check(thr and abs(float(thr[0].MeasuredValueSequence[0].NumericValue) - float(exp["threshold"])) < 1e-6,
                  "threshold")
            susp = [it for it in sub if name(it) == ("TG0002", "99TGUARD")]
            want = "373066001" if side and float(exp[side]) >= float(exp["threshold"]) else "373067005"
            check(susp and susp[0].ConceptCodeSequence[0].CodeValue == want, "suspicion code")
            for c in ("111001", "111002", "111003"):
                check(any(name(it) == (c, "DCM") for it in sub), "algorithm row %s missing" % c)
            check(any(name(it) == ("TG0005", "99TGUARD") for it in sub), "detector flag missing")
            check(any(name(it) == ("TG0004", "99TGUARD") for it in sub), "detector score missing")
        placeholder = any("no model loaded: placeholder result" in t for t in texts)
        check(placeholder == (exp.get("placeholder", "0") == "1"), "placeholder caveat mismatch")
        if "predecessor" in exp:
            pre = [r.ReferencedSOPInstanceUID for st in sr.get("PredecessorDocumentsSequence", [])
                   for se in st.ReferencedSeriesSequence for r in se.ReferencedSOPSequence]
            check(pre == [exp["predecessor"]], "predecessor %s" % pre)
    else:
        check("QA robustness audit" in sr.SeriesDescription, "audit series description")
        groups = [it for it in items if it.ValueType == "CONTAINER" and name(it) == ("125007", "DCM")]
        check(len(groups) == int(exp["rows"]), "audit rows: %d" % len(groups))
        for g in groups:
            sub = list(walk(g.ContentSequence))
            for c in ("TG0021", "TG0022", "TG0023", "TG0024", "TG0025", "TG0026"):
                check(any(name(it) == (c, "99TGUARD") for it in sub), "audit row lacks %s" % c)
        if "detector_rows" in exp:  # rows whose attacked input the detector scored: flag and score
            flagged = [g for g in groups
                       if any(name(it) == ("TG0005", "99TGUARD") for it in walk(g.ContentSequence))]
            scored = [g for g in groups
                      if any(name(it) == ("TG0004", "99TGUARD") for it in walk(g.ContentSequence))]
            check(len(flagged) == len(scored) == int(exp["detector_rows"]),
                  "detector rows: %d flags, %d scores" % (len(flagged), len(scored)))

    for f in failures:
        print("FAIL:", f)
    print("checked %s: %d failures" % (sr_path, len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
