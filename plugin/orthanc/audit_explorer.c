/* ThermoGuard node — Orthanc Explorer: a "robustness audit" button on study pages that starts an
 * audit of the study with the default suite (no SR) and says where to follow it (Jobs page) and
 * where its report will be. Watching, pausing and cancelling use Orthanc Explorer's Jobs page.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "audit_node.h"

const char tg_audit_explorer_js[] =
    "$('#study').live('pagebeforeshow', function() {\n"
    "  $('#thermoguard-audit-button').remove();\n"
    "  var b = $('<a>').attr('id', 'thermoguard-audit-button').attr('data-role', 'button').attr('href', '#')\n"
    "    .attr('data-icon', 'gear').attr('data-theme', 'e').text('ThermoGuard robustness audit');\n"
    "  b.insertBefore($('#study-delete').parent().parent());\n"
    "  b.button();\n"
    "  b.click(function() {\n"
    "    var id = $.mobile.pageData.uuid;\n"
    "    if (!confirm('Start a QA robustness audit of this study with the default attack suite? '\n"
    "                 + '(no SR; it runs as an Orthanc job after clinical work)')) return;\n"
    "    $.ajax({ url: '../thermoguard/audits', type: 'POST', dataType: 'json',\n"
    "      data: JSON.stringify({ Studies: [id] }),\n"
    "      success: function(r) { alert('Audit ' + r.ID + ' started as Orthanc job ' + r.JobID\n"
    "        + '.\\nFollow, pause or cancel it on the Jobs page; report: thermoguard/audits/' + r.ID + '/report'); },\n"
    "      error: function(x) { alert('Audit not started: ' + x.responseText); } });\n"
    "  });\n"
    "});\n";
