/* ThermoGuard node — the Orthanc plugin entry points: reads and validates the configuration,
 * registers every callback in one place, and keeps Orthanc's callbacks short (they only queue
 * ids; worker threads do the rest). A bad configuration never stops Orthanc: the plugin then
 * starts disabled, registers no change callback and explains why at GET /thermoguard/status.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "analyze.h"
#include "audit_node.h"
#include "node.h"
#include "rest_body.h"

#ifndef TG_NODE_VERSION
#define TG_NODE_VERSION "0.0.0"
#endif

OrthancPluginContext *tg_ctx;
tg_node_config tg_cfg;
int tg_enabled;
char tg_disabled_reason[512];
tg_node_counters tg_stats;
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;

/* Orthanc Explorer: a ThermoGuard button on series pages showing the result (or queueing). */
static const char EXPLORER_JS[] =
    "$('#series').live('pagebeforeshow', function() {\n"
    "  $('#thermoguard-button').remove();\n"
    "  var b = $('<a>').attr('id', 'thermoguard-button').attr('data-role', 'button').attr('href', '#')\n"
    "    .attr('data-icon', 'info').attr('data-theme', 'e').text('ThermoGuard result');\n"
    "  b.insertBefore($('#series-delete').parent().parent());\n"
    "  b.button();\n"
    "  b.click(function() {\n"
    "    var id = $.mobile.pageData.uuid;\n"
    "    $.ajax({ url: '../thermoguard/series/' + id + '/result', dataType: 'json',\n"
    "      success: function(r) { alert('ThermoGuard (research use only)\\n' + JSON.stringify(r, null, 2)); },\n"
    "      error: function() {\n"
    "        if (confirm('No ThermoGuard result for this series. Analyse it now?'))\n"
    "          $.post('../thermoguard/series/' + id + '/analyze', '{}', function() { alert('Queued.'); });\n"
    "      } });\n"
    "  });\n"
    "});\n";

void tg_log(int level, const char *fmt, ...)
{
    char msg[1024];
    int k = snprintf(msg, sizeof msg, "ThermoGuard: ");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + k, sizeof msg - (size_t)k, fmt, ap);
    va_end(ap);
    if (level == TG_ERROR)
        OrthancPluginLogError(tg_ctx, msg);
    else if (level == TG_WARN)
        OrthancPluginLogWarning(tg_ctx, msg);
    else
        OrthancPluginLogInfo(tg_ctx, msg);
}

void tg_stats_lock(void)
{
    pthread_mutex_lock(&stats_mu);
}

void tg_stats_unlock(void)
{
    pthread_mutex_unlock(&stats_mu);
}

void tg_publish_metrics(void)
{
    int depth, cap, deferred, running;
    tg_queue_counts(&depth, &cap, &deferred, &running);
    tg_stats_lock();
    tg_node_counters c = tg_stats;
    tg_stats_unlock();
    static const OrthancPluginMetricsType D = OrthancPluginMetricsType_Default;
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_queue_depth", (float)depth, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_queue_deferred", (float)deferred, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_series_running", (float)running, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_series_analysed_total", (float)c.analysed, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_sr_created_total", (float)c.sr_created, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_series_failed_total", (float)c.failed, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_series_ignored_total", (float)c.ignored, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_series_current_total", (float)c.skipped_current, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_instances_rejected_total", (float)c.bad_instances, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_forward_failed_total", (float)c.forward_failed, D);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_latency_last_ms", (float)(1000.0 * c.last_latency_s),
                                 OrthancPluginMetricsType_Timer);
    OrthancPluginSetMetricsValue(tg_ctx, "thermoguard_latency_max_ms", (float)(1000.0 * c.max_latency_s),
                                 OrthancPluginMetricsType_Timer);
}

/* Change callback: no REST, no blocking — only queue operations under a short mutex. */
static OrthancPluginErrorCode on_change(OrthancPluginChangeType type, OrthancPluginResourceType level,
                                        const char *id)
{
    (void)level;
    if (type == OrthancPluginChangeType_StableSeries && tg_valid_orthanc_id(id)) {
        tg_push_result r = tg_queue_push(id, 0);
        if (r == TG_PUSH_QUEUED)
            TG_COUNT(queued, 1);
        else if (r == TG_PUSH_DEFERRED)
            TG_COUNT(deferred, 1);
        else if (r == TG_PUSH_DUPLICATE)
            TG_COUNT(duplicates, 1);
        else if (tg_queue_stopping())
            tg_log(TG_INFO, "series %s not queued: the node is stopping (the start-up scan finds it)", id);
        else
            tg_log(TG_ERROR, "series %s could not be queued (out of memory)", id);
    } else if (type == OrthancPluginChangeType_OrthancStarted) {
        tg_queue_push("", 0); /* start-up scan, done by a worker */
    } else if (type == OrthancPluginChangeType_OrthancStopped) {
        tg_queue_stop();
    }
    return OrthancPluginErrorCode_Success;
}

static void disable(const char *why)
{
    tg_enabled = 0;
    snprintf(tg_disabled_reason, sizeof tg_disabled_reason, "%s", why);
    tg_log(TG_ERROR, "plugin DISABLED (Orthanc continues without it): %s", why);
}

ORTHANC_PLUGINS_API int32_t OrthancPluginInitialize(OrthancPluginContext *c)
{
    tg_ctx = c;
    if (!OrthancPluginCheckVersion(c)) {
        /* Returning non-zero would stop Orthanc: stay loaded but inert. */
        OrthancPluginLogError(c, "ThermoGuard: this Orthanc is older than the plugin SDK (1.10.1); plugin inactive");
        return 0;
    }
    OrthancPluginSetDescription(c, "ThermoGuard: breast thermography analysis with a DICOM SR result "
                                   "(research use only)");
    tg_rest_register();
    tg_audit_rest_register();
    char *js = malloc(sizeof EXPLORER_JS + strlen(tg_audit_explorer_js));
    if (js) { /* Orthanc keeps one script per plugin: ours is the series and the audit part */
        memcpy(js, EXPLORER_JS, sizeof EXPLORER_JS - 1);
        strcpy(js + sizeof EXPLORER_JS - 1, tg_audit_explorer_js);
    }
    OrthancPluginExtendOrthancExplorer(c, js ? js : EXPLORER_JS);
    free(js);

    char why[512];
    char *json = OrthancPluginGetConfiguration(c);
    int rc = tg_node_config_load(json, &tg_cfg, why, sizeof why);
    if (rc == 0)
        rc = tg_audit_settings_load(json, why, sizeof why);
    if (json)
        OrthancPluginFreeString(c, json);
    if (rc != 0) {
        disable(why);
        return 0;
    }
    if (tg_cfg.active >= 0) {
        const tg_node_model_cfg *mc = &tg_cfg.models[tg_cfg.active];
        tg_node_model *m = tg_node_model_load(tg_cfg.active, mc->name, mc->path, mc->sha256, why, sizeof why);
        if (!m) {
            disable(why);
            return 0;
        }
        tg_node_model_activate(m, tg_cfg.workers);
    } else {
        tg_node_model_activate(NULL, tg_cfg.workers);
    }
    if (tg_queue_init(tg_cfg.queue_size) != 0) {
        tg_node_model_shutdown();
        disable("cannot allocate the work queue");
        return 0;
    }
    int started = tg_workers_start(tg_cfg.workers);
    if (started < 1) {
        tg_queue_destroy();
        tg_node_model_shutdown();
        disable("cannot start worker threads");
        return 0;
    }
    tg_enabled = 1;
    tg_audit_store_init();
    OrthancPluginRegisterOnChangeCallback(c, on_change); /* metrics: first published by a worker */
    tg_log(TG_WARN, "version %s enabled: %d worker(s), queue %d, modalities %s%s, model %s%s%s; REST under /thermoguard/",
           TG_NODE_VERSION, started, tg_cfg.queue_size, tg_cfg.modalities[0], tg_cfg.n_modalities > 1 ? ",..." : "",
           tg_cfg.active >= 0 ? tg_cfg.models[tg_cfg.active].name : "none (placeholder results)",
           tg_cfg.active >= 0 ? " sha256 " : "", tg_cfg.active >= 0 ? tg_cfg.models[tg_cfg.active].sha256 : "");
    return 0;
}

ORTHANC_PLUGINS_API void OrthancPluginFinalize(void)
{
    if (tg_enabled) {
        tg_workers_join();
        tg_queue_destroy();
        tg_node_model_shutdown();
        tg_enabled = 0;
    }
}

ORTHANC_PLUGINS_API const char *OrthancPluginGetName(void)
{
    return TG_NODE_NAME;
}

ORTHANC_PLUGINS_API const char *OrthancPluginGetVersion(void)
{
    return TG_NODE_VERSION;
}

const char *tg_node_version(void)
{
    return TG_NODE_VERSION;
}
