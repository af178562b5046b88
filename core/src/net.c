/* The sequential network: spec parsing, shapes, the parameter/gradient/statistics blocks,
 * He initialisation and the per-batch-size workspace.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/nn.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn_internal.h"

#define MAX_ARGS 4

/* Argument i as an integer in [lo, hi]. */
static tg_status int_arg(const double *a, int i, int lo, int hi, const char *layer, int *out)
{
    double v = a[i];
    if (!(v >= lo && v <= hi) || v != floor(v))
        return tg_fail(TG_ERR_RANGE, "net spec: %s argument %d must be an integer in [%d, %d], got %g", layer,
                       i + 1, lo, hi, v);
    *out = (int)v;
    return TG_OK;
}

/* Fills the output shape, parameter and statistics counts of layer `l` from its input shape. */
static tg_status layer_shape(tg_layer *l, const char *name, const double *a, int na)
{
    tg_status st = TG_OK;
    l->oc = l->c;
    l->oh = l->h;
    l->ow = l->w;
    switch (l->kind) {
    case TG_LAYER_CONV:
        if (na < 2)
            return tg_fail(TG_ERR_FORMAT, "net spec: conv needs (out_channels, kernel[, stride[, padding]])");
        l->s = 1;
        l->p = 0;
        if ((st = int_arg(a, 0, 1, TG_NET_MAX_DIM, name, &l->oc)) ||
            (st = int_arg(a, 1, 1, TG_NET_MAX_KERNEL, name, &l->k)) ||
            (na > 2 && (st = int_arg(a, 2, 1, TG_NET_MAX_KERNEL, name, &l->s))) ||
            (na > 3 && (st = int_arg(a, 3, 0, l->k - 1, name, &l->p))))
            return st;
        l->param_count = (size_t)l->oc * l->c * l->k * l->k + (size_t)l->oc;
        break;
    case TG_LAYER_MAXPOOL:
    case TG_LAYER_AVGPOOL:
        if (na < 1)
            return tg_fail(TG_ERR_FORMAT, "net spec: %s needs (window[, stride])", name);
        if ((st = int_arg(a, 0, 1, TG_NET_MAX_KERNEL, name, &l->k)))
            return st;
        l->s = l->k;
        if (na > 1 && (st = int_arg(a, 1, 1, TG_NET_MAX_KERNEL, name, &l->s)))
            return st;
        break;
    case TG_LAYER_BN:
        l->param_count = 2 * (size_t)l->c * l->sets;
        l->stat_count = l->param_count;
        break;
    case TG_LAYER_LRELU:
        l->arg = 0.01f;
        if (na > 0 && !isfinite(l->arg = (float)a[0]))
            return tg_fail(TG_ERR_RANGE, "net spec: lrelu slope must be finite");
        break;
    case TG_LAYER_DROPOUT:
        if (na != 1 || !(a[0] >= 0.0 && a[0] < 1.0))
            return tg_fail(TG_ERR_RANGE, "net spec: dropout needs one probability in [0, 1)");
        l->arg = (float)a[0];
        break;
    case TG_LAYER_GAP:
        l->oh = l->ow = 1;
        break;
    case TG_LAYER_DENSE: {
        size_t in = (size_t)l->c * l->h * l->w;
        if (na != 1)
            return tg_fail(TG_ERR_FORMAT, "net spec: dense needs (out_features)");
        if ((st = int_arg(a, 0, 1, TG_NET_MAX_DIM, name, &l->oc)))
            return st;
        if (in > TG_NET_MAX_PARAMS)
            return tg_fail(TG_ERR_OVERFLOW, "net spec: dense layer with %zu inputs exceeds the parameter cap", in);
        l->oh = l->ow = 1;
        l->param_count = (size_t)l->oc * in + (size_t)l->oc;
        break;
    }
    case TG_LAYER_RELU:
        break;
    }
    if (l->kind == TG_LAYER_CONV || l->kind == TG_LAYER_MAXPOOL || l->kind == TG_LAYER_AVGPOOL) {
        l->oh = tg_nn_out_dim(l->h, l->k, l->s, l->p);
        l->ow = tg_nn_out_dim(l->w, l->k, l->s, l->p);
        if (l->oh <= 0 || l->ow <= 0)
            return tg_fail(TG_ERR_RANGE, "net spec: %s window %d does not fit its %dx%d input", name, l->k, l->h,
                           l->w);
    }
    return TG_OK;
}

static const struct {
    const char *name;
    tg_layer_kind kind;
    int sets, max_args;
} layer_names[] = {
    {"conv", TG_LAYER_CONV, 0, 4},       {"bn", TG_LAYER_BN, 1, 0},         {"dbn", TG_LAYER_BN, 2, 0},
    {"relu", TG_LAYER_RELU, 0, 0},       {"lrelu", TG_LAYER_LRELU, 0, 1},   {"maxpool", TG_LAYER_MAXPOOL, 0, 2},
    {"avgpool", TG_LAYER_AVGPOOL, 0, 2}, {"gap", TG_LAYER_GAP, 0, 0},       {"dense", TG_LAYER_DENSE, 0, 1},
    {"dropout", TG_LAYER_DROPOUT, 0, 1},
};

/* Parses one "name[(a,b,...)]" item at *s into *l (input shape already set) and advances *s. */
static tg_status parse_layer(const char **s, tg_layer *l)
{
    char name[16];
    int n = 0, na = 0;
    double a[MAX_ARGS];
    while (isalpha((unsigned char)**s) && n < 15)
        name[n++] = *(*s)++;
    name[n] = '\0';
    if (n == 0 || isalpha((unsigned char)**s))
        return tg_fail(TG_ERR_FORMAT, "net spec: expected a layer name at '%.20s'", *s);
    if (**s == '(') {
        (*s)++;
        for (;;) {
            char *end;
            if (na == MAX_ARGS)
                return tg_fail(TG_ERR_FORMAT, "net spec: %s has more than %d arguments", name, MAX_ARGS);
            a[na++] = strtod(*s, &end);
            if (end == *s || !isfinite(a[na - 1]))
                return tg_fail(TG_ERR_FORMAT, "net spec: bad number in %s at '%.20s'", name, *s);
            *s = end;
            if (**s == ')')
                break;
            if (**s != ',')
                return tg_fail(TG_ERR_FORMAT, "net spec: expected ',' or ')' in %s at '%.20s'", name, *s);
            (*s)++;
        }
        (*s)++;
    }
    for (size_t i = 0; i < sizeof layer_names / sizeof layer_names[0]; i++)
        if (strcmp(name, layer_names[i].name) == 0) {
            if (na > layer_names[i].max_args)
                return tg_fail(TG_ERR_FORMAT, "net spec: %s takes at most %d arguments", name,
                               layer_names[i].max_args);
            l->kind = layer_names[i].kind;
            l->sets = layer_names[i].sets;
            return layer_shape(l, name, a, na);
        }
    return tg_fail(TG_ERR_NOTFOUND, "net spec: unknown layer '%s'", name);
}

/* Parses the spec into net->layers and sets the parameter/statistics offsets. */
static tg_status parse_spec(tg_net *net, const char *spec)
{
    const char *s = spec;
    int c = net->in_c, h = net->in_h, w = net->in_w;
    for (;;) {
        if (net->n_layers == TG_NET_MAX_LAYERS)
            return tg_fail(TG_ERR_OVERFLOW, "net spec: more than %d layers", TG_NET_MAX_LAYERS);
        tg_layer *l = &net->layers[net->n_layers];
        memset(l, 0, sizeof *l);
        l->c = c;
        l->h = h;
        l->w = w;
        tg_status st = parse_layer(&s, l);
        if (st)
            return st;
        l->param_off = net->n_params;
        l->stat_off = net->n_stats;
        if (tg_size_add(net->n_params, l->param_count, &net->n_params, "net parameters") ||
            tg_size_add(net->n_stats, l->stat_count, &net->n_stats, "net statistics"))
            return TG_ERR_OVERFLOW;
        if (net->n_params > TG_NET_MAX_PARAMS)
            return tg_fail(TG_ERR_OVERFLOW, "net spec: more than %zu parameters", TG_NET_MAX_PARAMS);
        c = l->oc;
        h = l->oh;
        w = l->ow;
        net->n_layers++;
        if (*s == '\0')
            break;
        if (*s != '-')
            return tg_fail(TG_ERR_FORMAT, "net spec: expected '-' between layers at '%.20s'", s);
        s++;
    }
    if (net->layers[net->n_layers - 1].kind != TG_LAYER_DENSE)
        return tg_fail(TG_ERR_FORMAT, "net spec: the last layer must be dense");
    net->classes = c;
    return TG_OK;
}

/* Zero weights, BN gamma 1, running variance 1. */
static void reset_params(tg_net *net)
{
    memset(net->params, 0, net->n_params * sizeof(float));
    memset(net->grads, 0, net->n_params * sizeof(float));
    memset(net->stats, 0, net->n_stats * sizeof(float));
    for (int i = 0; i < net->n_layers; i++) {
        const tg_layer *l = &net->layers[i];
        if (l->kind != TG_LAYER_BN)
            continue;
        for (int set = 0; set < l->sets; set++)
            for (int c = 0; c < l->c; c++) {
                net->params[l->param_off + (size_t)2 * set * l->c + c] = 1.0f;
                net->stats[l->stat_off + (size_t)2 * set * l->c + l->c + c] = 1.0f;
            }
    }
}

/* Checks the arguments, allocates the tg_net struct (no parameter blocks) and parses the spec. */
static tg_status net_parse(tg_net **out, const char *spec, int in_c, int in_h, int in_w, const char *fn)
{
    *out = NULL;
    if (!spec)
        return tg_nn_null(fn, "spec");
    if (strlen(spec) >= TG_NET_MAX_SPEC)
        return tg_fail(TG_ERR_OVERFLOW, "%s: spec longer than %d characters", fn, TG_NET_MAX_SPEC - 1);
    if (in_c <= 0 || in_h <= 0 || in_w <= 0 || in_c > TG_NET_MAX_DIM || in_h > TG_NET_MAX_DIM ||
        in_w > TG_NET_MAX_DIM)
        return tg_fail(TG_ERR_RANGE, "%s: input shape %dx%dx%d outside 1..%d", fn, in_c, in_h, in_w,
                       TG_NET_MAX_DIM);
    tg_net *net = calloc(1, sizeof *net);
    if (!net)
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory", fn);
    strcpy(net->spec, spec);
    net->in_c = in_c;
    net->in_h = in_h;
    net->in_w = in_w;
    net->bn_momentum = 0.1f;
    net->bn_eps = 1e-5f;
    tg_status st = parse_spec(net, spec);
    if (st) {
        free(net);
        return st;
    }
    *out = net;
    return TG_OK;
}

tg_status tg_net_spec_counts(const char *spec, int in_c, int in_h, int in_w, size_t *n_params, size_t *n_stats,
                             int *classes)
{
    tg_net *net;
    tg_status st = net_parse(&net, spec, in_c, in_h, in_w, "tg_net_spec_counts");
    if (st)
        return st;
    if (n_params)
        *n_params = net->n_params;
    if (n_stats)
        *n_stats = net->n_stats;
    if (classes)
        *classes = net->classes;
    free(net);
    return TG_OK;
}

tg_status tg_net_create(tg_net **out, const char *spec, int in_c, int in_h, int in_w)
{
    if (!out)
        return tg_nn_null("tg_net_create", "out");
    *out = NULL;
    tg_net *net;
    tg_status st = net_parse(&net, spec, in_c, in_h, in_w, "tg_net_create");
    if (st)
        return st;
    if (!(st = tg_alloc_checked((void **)&net->params, net->n_params, sizeof(float), 0, "net parameters")) &&
        !(st = tg_alloc_checked((void **)&net->grads, net->n_params, sizeof(float), 0, "net gradients")))
        st = tg_alloc_checked((void **)&net->stats, net->n_stats, sizeof(float), 0, "net statistics");
    if (st) {
        tg_net_destroy(net);
        return st;
    }
    reset_params(net);
    *out = net;
    return TG_OK;
}

void tg_net_destroy(tg_net *net)
{
    if (!net)
        return;
    free(net->params);
    free(net->grads);
    free(net->stats);
    free(net);
}

tg_status tg_net_init(tg_net *net, tg_rng *rng)
{
    if (!net || !rng)
        return tg_nn_null("tg_net_init", !net ? "net" : "rng");
    reset_params(net);
    for (int i = 0; i < net->n_layers; i++) {
        const tg_layer *l = &net->layers[i];
        if (l->kind != TG_LAYER_CONV && l->kind != TG_LAYER_DENSE)
            continue;
        size_t fan_in = l->kind == TG_LAYER_CONV ? (size_t)l->c * l->k * l->k : (size_t)l->c * l->h * l->w;
        size_t n_w = l->param_count - (size_t)l->oc;
        double sd = sqrt(2.0 / (double)fan_in);
        for (size_t j = 0; j < n_w; j++)
            net->params[l->param_off + j] = (float)(sd * tg_rng_normal(rng));
    }
    return TG_OK;
}

void tg_net_zero_grad(tg_net *net)
{
    if (net)
        memset(net->grads, 0, net->n_params * sizeof(float));
}

/* Floats of one sample's input (i = 0) or of layer i-1's output. */
static size_t act_floats(const tg_net *net, int i)
{
    if (i == 0)
        return (size_t)net->in_c * net->in_h * net->in_w;
    const tg_layer *l = &net->layers[i - 1];
    return (size_t)l->oc * l->oh * l->ow;
}

/* Adds n floats (rounded up to 16 for alignment) to *total, overflow-checked. */
static tg_status reserve(size_t *total, size_t n)
{
    return tg_size_add(*total, (n + 15) / 16 * 16, total, "net workspace");
}

tg_status tg_net_workspace_create(tg_net_workspace **out, const tg_net *net, int max_batch)
{
    static const char fn[] = "tg_net_workspace_create";
    if (!out)
        return tg_nn_null(fn, "out");
    *out = NULL;
    if (!net)
        return tg_nn_null(fn, "net");
    if (max_batch <= 0)
        return tg_fail(TG_ERR_ARG, "%s: max_batch must be > 0, got %d", fn, max_batch);
    size_t B = (size_t)max_batch, total = 0, biggest = 0, col = 0, n, off[2 * TG_NET_MAX_LAYERS + 1];
    tg_status st = TG_OK;
    for (int i = 0; i <= net->n_layers && !st; i++) {
        size_t a = act_floats(net, i);
        biggest = a > biggest ? a : biggest;
        off[i] = total;
        if ((st = tg_size_mul(a, B, &n, fn)) || (st = reserve(&total, n)))
            break;
    }
    for (int i = 0; i < net->n_layers && !st; i++) {
        const tg_layer *l = &net->layers[i];
        off[net->n_layers + 1 + i] = total;
        n = 0;
        if (l->kind == TG_LAYER_BN)
            n = 2 * (size_t)l->c;
        else if (l->kind == TG_LAYER_DROPOUT)
            st = tg_size_mul(act_floats(net, i + 1), B, &n, fn);
        else if (l->kind == TG_LAYER_CONV) {
            size_t cf = tg_conv2d_col_floats(l->c, l->h, l->w, l->k, l->s, l->p);
            if (!cf)
                st = tg_fail(TG_ERR_OVERFLOW, "%s: conv layer %d column matrix overflows", fn, i);
            col = cf > col ? cf : col;
        }
        if (!st)
            st = reserve(&total, n);
    }
    size_t grad_off = total, col_off;
    if (!st && !(st = tg_size_mul(biggest, B, &n, fn)) && !(st = reserve(&total, n)) && !(st = reserve(&total, n))) {
        col_off = total;
        st = reserve(&total, col);
    }
    tg_net_workspace *ws = NULL;
    if (!st && !(st = tg_alloc_checked((void **)&ws, 1, sizeof *ws, 0, fn))) {
        memset(ws, 0, sizeof *ws);
        st = tg_alloc_checked((void **)&ws->mem, total, sizeof(float), TG_NET_MAX_WORKSPACE, "net workspace");
    }
    if (st) {
        tg_net_workspace_destroy(ws);
        return st;
    }
    ws->net = net;
    ws->max_batch = max_batch;
    for (int i = 0; i <= net->n_layers; i++)
        ws->act[i] = ws->mem + off[i];
    for (int i = 0; i < net->n_layers; i++) {
        tg_layer_kind k = net->layers[i].kind;
        ws->aux[i] = (k == TG_LAYER_BN || k == TG_LAYER_DROPOUT) ? ws->mem + off[net->n_layers + 1 + i] : NULL;
    }
    ws->grad[0] = ws->mem + grad_off;
    ws->grad[1] = ws->mem + grad_off + (n + 15) / 16 * 16;
    ws->col = ws->mem + col_off;
    *out = ws;
    return TG_OK;
}

void tg_net_workspace_destroy(tg_net_workspace *ws)
{
    if (!ws)
        return;
    free(ws->mem);
    free(ws);
}
