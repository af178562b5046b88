/* libFuzzer target for the node's configuration loader (tg_node_config_parse, plugin/orthanc/config.c).
 * The input, NUL-terminated, stands for Orthanc's whole merged configuration. Model files are not
 * read: the hash callback answers the SHA-256 of an empty file for every path (unless the path
 * contains "unreadable"), so the seeds can pin models that load. Whatever loads must satisfy the
 * documented ranges; whatever fails must say why in a NUL-terminated message, also when the
 * message buffer is tiny.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "node.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static int fake_hash(const char *path, char hex[65])
{
    if (strstr(path, "unreadable"))
        return -1;
    memcpy(hex, EMPTY_SHA256, 65);
    return 0;
}

static int terminated_text(const char (*s)[17], int n)
{
    for (int i = 0; i < n; ++i)
        if (!s[i][0] || memchr(s[i], '\0', sizeof s[i]) == NULL)
            return 0;
    return 1;
}

static void check_loaded(const tg_node_config *c)
{
    if (c->enable != 1 || c->n_models < 0 || c->n_models > TG_NODE_MAX_MODELS || c->active < -1 ||
        c->active >= c->n_models || c->n_modalities < 1 || c->n_modalities > TG_NODE_MAX_FILTER ||
        c->n_aets < 0 || c->n_aets > TG_NODE_MAX_FILTER || c->n_body_parts < 0 ||
        c->n_body_parts > TG_NODE_MAX_FILTER || c->n_descriptions < 0 || c->n_descriptions > TG_NODE_MAX_FILTER ||
        c->n_forward < 0 || c->n_forward > TG_NODE_MAX_FORWARD)
        abort();
    if (c->workers < 1 || c->workers > 16 || c->queue_size < 1 || c->queue_size > 10000 ||
        c->series_timeout_s < 1 || c->series_timeout_s > 3600 || c->max_instances < 1 || c->max_instances > 1024 ||
        c->max_pixels < 1 || c->max_pixels > (1L << 26) || c->forward_max_attempts < 1 ||
        c->forward_max_attempts > 1000 || c->forward_retry_s < 1 || c->forward_max_retry_s < c->forward_retry_s ||
        c->forward_max_retry_s > 86400)
        abort();
    if (!(c->detector_threshold == -1.0 || (c->detector_threshold >= 0 && c->detector_threshold <= 1e6)))
        abort();
    if (!terminated_text(c->modalities, c->n_modalities) || !terminated_text(c->aets, c->n_aets))
        abort();
    for (int i = 0; i < c->n_modalities; ++i)
        if (!strcmp(c->modalities[i], "SR"))
            abort();
    for (int i = 0; i < c->n_models; ++i)
        if (!c->models[i].name[0] || strcmp(c->models[i].sha256, EMPTY_SHA256) != 0)
            abort();
    for (int i = 0; i < c->n_forward; ++i)
        if (!c->forward[i].name[0] || strchr(c->forward[i].name, '/'))
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *json = malloc(size + 1);
    if (!json)
        return 0;
    memcpy(json, data, size);
    json[size] = '\0';
    static tg_node_config cfg; /* ~20 KiB */
    char why[512];
    int rc = tg_node_config_parse(json, fake_hash, &cfg, why, sizeof why);
    if (rc == 0) {
        if (why[0])
            abort();
        check_loaded(&cfg);
    } else if (rc != -1 || !why[0] || memchr(why, '\0', sizeof why) == NULL) {
        abort();
    }
    char tiny[6]; /* the same verdict, the message cut short */
    if (tg_node_config_parse(json, fake_hash, &cfg, tiny, sizeof tiny) != rc || strncmp(tiny, why, 5) != 0)
        abort();
    free(json);
    return 0;
}
