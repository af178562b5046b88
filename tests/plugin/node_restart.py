#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Restart mid-queue: Orthanc stopped (SIGTERM) while series are still pending, restarted on the
same storage -> every series ends with exactly one SR.

usage: node_restart.py PLUGIN.so THERMOGUARD_CLI PHANTOM_MATRICES SNIPPET.json MODEL.tgm

One worker and the demo model (its SHA-256 computed here and pinned in the config). N series
(new studies, cloned from one phantom series with fresh UIDs) are sent back to back in one
storescu association; as soon as the first SR exists Orthanc gets SIGTERM, which must end it
cleanly (exit code 0, bounded wait) with some series still without a result. Orthanc restarts on
the same storage on new ports: the start-up scan must analyse the pending series, leave the
finished ones alone (same SR instance), and every series must end with exactly one SR and a
"done" result. Orthanc is always killed at the end.
"""
import hashlib
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import orthanc_harness as H  # noqa: E402
from orthanc_harness import check  # noqa: E402

PLUGIN, CLI, PHANTOM, SNIPPET, MODEL = (os.path.abspath(a) for a in sys.argv[1:6])
TMP = tempfile.mkdtemp(prefix="tg_node_restart_")
N_SERIES = 8
nodes = []


def main():
    import json
    t_start = time.time()
    sha = hashlib.sha256(open(MODEL, "rb").read()).hexdigest()
    section = json.load(open(SNIPPET))["ThermoGuard"]
    section.update({"Workers": 1, "ActiveModel": "demo",
                    "Models": [{"Name": "demo", "Version": "demo", "Path": MODEL, "SHA256": sha}]})
    storage = os.path.join(TMP, "storage")

    template = H.make_series(TMP, PHANTOM, CLI, "template", 11)
    series = [H.clone_series(template, os.path.join(TMP, "s%02d" % i), i) for i in range(N_SERIES)]

    first = H.Orthanc(TMP, PLUGIN, SNIPPET, "first", section=section, storage=storage)
    nodes.append(first)
    first.start()
    check(first.status()["Enabled"] is True, "plugin not enabled: %s" % first.status())
    first.storescu([f for s in series for f in s])
    sids = [first.series_id(s[0]) for s in series]
    if not check(all(sids), "not every series was stored: %s" % sids):
        return
    # Stop once an SR exists and the queue holds waiting series (one worker: they pile up); if the
    # queue never reaches 2 waiting series, stop at the first SR anyway (still mid-queue).
    done_before, q = {}, {}
    deadline = time.time() + 60
    while time.time() < deadline:
        q = first.status()["Queue"]
        for sid in sids:
            if sid not in done_before:
                r = first.result(sid)
                if r is not None:
                    done_before[sid] = r
        if done_before and (q["Depth"] + q["Deferred"] >= 2 or len(done_before) >= N_SERIES // 2):
            break
        time.sleep(0.05)
    t_term = time.time()
    first.stop(timeout=30)
    stop_seconds = time.time() - t_term
    check(done_before, "no series was analysed within 60 s before the restart")
    # Series that had no result when SIGTERM was sent (some may finish during shutdown).
    pending_at_stop = N_SERIES - len(done_before)
    check(pending_at_stop >= 1, "every series was done before SIGTERM: nothing pending to test")
    check("ThermoGuard" in first.log() and "Segmentation" not in first.log(), "first run log")

    second = H.Orthanc(TMP, PLUGIN, SNIPPET, "second", section=section, storage=storage)
    nodes.append(second)
    second.start()
    results = {}
    deadline = time.time() + 120
    while time.time() < deadline and len(results) < N_SERIES:
        for sid in sids:
            if sid not in results:
                r = second.result(sid)
                if r is not None:
                    results[sid] = r
        time.sleep(0.25)
    check(len(results) == N_SERIES, "after restart only %d/%d series have a result" % (len(results), N_SERIES))
    check(second.wait_idle(60), "queue did not drain after restart")
    counts = {sid: second.sr_count(sid) for sid in sids}
    check(all(n == 1 for n in counts.values()), "SR instances per series (want exactly 1 each): %s"
          % sorted(counts.values()))
    check(all(r["Status"] == "done" and r["Model"] == sha for r in results.values()),
          "results not all done with the model: %s" % [r.get("Status") for r in results.values()])
    for sid, r in done_before.items():
        check(results.get(sid, {}).get("SRInstance") == r["SRInstance"],
              "series %s finished before the restart was analysed again" % sid)
    st = second.status()
    check(st["Counters"]["Failed"] == 0, "failures after restart: %s" % st["Counters"])
    second.system_ok("after the restart")
    print("node restart: %d series, %d with an SR before SIGTERM (queue then: depth %d, running %d, deferred %d), "
          "Orthanc stopped in %.2f s, after restart %d analysed + %d already current, SRs per series %s; test %.1f s"
          % (N_SERIES, len(done_before), q["Depth"], q["Running"], q["Deferred"], stop_seconds,
             st["Counters"]["Analysed"], st["Counters"]["AlreadyCurrent"], sorted(set(counts.values())),
             time.time() - t_start), flush=True)
    second.stop()


if __name__ == "__main__":
    H.run_test(main, TMP, lambda: nodes)
