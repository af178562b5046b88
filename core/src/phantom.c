/* The synthetic thermogram phantom: per-patient anatomy, ray casting of the views, the skin
 * temperature model (physiological variation, vessels, inframammary folds, lesion), noise.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/phantom.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "thermoguard/rng.h"

#define PI 3.14159265358979323846
#define MAX_VESSELS 12
#define VESSEL_PTS 11
#define N_BLOBS 8
#define STREAMS_PER_PATIENT 8

enum { HIT_NONE = -1, HIT_TORSO = 2 }; /* breasts are hit ids 0 (right) and 1 (left) */

/* A vessel is a polyline in a breast's chart: u = lateral (toward the armpit), v = down, both
 * in units of the breast radius, from the front-facing hemisphere (see breast_chart). */
typedef struct vessel {
    double u[VESSEL_PTS], v[VESSEL_PTS];
    double amp, width;
    double umin, umax, vmin, vmax; /* bounding box including 3 widths */
} vessel;

typedef struct blob {
    double x, y, z, sigma;
    double amp[2]; /* at -x (patient's right) and +x (left) */
} blob;

typedef struct anatomy {
    int sick, lesion_side;
    double shift;                  /* horizontal position of the body in the frame, pixels */
    double t_bg, bg_grad, bg_wave;
    double a, b, y_top, shoulder;  /* torso semi-axes, top row, shoulder rounding height */
    double t_skin, edge_cool, fold_amp, breast_cool;
    double bx[2], by[2], bz[2], br[2], bdt[2];
    blob blobs[N_BLOBS];
    vessel vessels[2][MAX_VESSELS];
    int n_vessels[2];
    double lx, ly, lz;             /* lesion centre (world) */
    double sx, sy, sz;             /* its surface peak */
    double l_radius, l_depth, l_contrast, l_peak, l_sigma;
} anatomy;

typedef struct camera {
    double rx, rz, vx, vz; /* image-right and toward-camera directions in the XZ plane */
    double c0;             /* column of the world origin */
} camera;

void tg_phantom_opts_default(tg_phantom_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_patients = 100;
    o->views = (1u << TG_VIEW_FRONTAL) | (1u << TG_VIEW_LATERAL_LEFT) | (1u << TG_VIEW_LATERAL_RIGHT);
    o->sick_fraction = 0.5;
    o->lesion_min_c = 0.3;
    o->lesion_max_c = 2.5;
    o->lesion_radius_min_px = 5.0;
    o->lesion_radius_max_px = 22.0;
    o->lesion_depth_max_px = 25.0;
    o->noise_c = 0.08;
    o->asymmetry = 1.0;
    o->vessel_density = 4.0;
    o->quantize = 0;
}

static int in_range(double v, double lo, double hi) { return v >= lo && v <= hi; }

tg_status tg_phantom_opts_check(const tg_phantom_opts *o)
{
    if (!o)
        return tg_fail(TG_ERR_ARG, "phantom: NULL options");
    if (o->n_patients == 0 || o->n_patients > TG_PHANTOM_MAX_PATIENTS)
        return tg_fail(TG_ERR_RANGE, "phantom: n_patients must be 1..2^40, got %zu", o->n_patients);
    if (o->views == 0 || o->views >= (1u << TG_VIEW_COUNT))
        return tg_fail(TG_ERR_RANGE, "phantom: view mask 0x%x selects no valid view", o->views);
    if (!in_range(o->sick_fraction, 0.0, 1.0))
        return tg_fail(TG_ERR_RANGE, "phantom: sick_fraction %g outside 0..1", o->sick_fraction);
    if (!in_range(o->lesion_min_c, 0.0, 10.0) || !in_range(o->lesion_max_c, o->lesion_min_c, 10.0))
        return tg_fail(TG_ERR_RANGE, "phantom: lesion contrast range %g..%g must lie in 0..10 degC",
                       o->lesion_min_c, o->lesion_max_c);
    if (!in_range(o->lesion_radius_min_px, 1.0, 60.0) ||
        !in_range(o->lesion_radius_max_px, o->lesion_radius_min_px, 60.0))
        return tg_fail(TG_ERR_RANGE, "phantom: lesion radius range %g..%g must lie in 1..60 px",
                       o->lesion_radius_min_px, o->lesion_radius_max_px);
    if (!in_range(o->lesion_depth_max_px, 0.0, 50.0))
        return tg_fail(TG_ERR_RANGE, "phantom: lesion depth %g outside 0..50 px", o->lesion_depth_max_px);
    if (!in_range(o->noise_c, 0.0, 5.0))
        return tg_fail(TG_ERR_RANGE, "phantom: noise %g outside 0..5 degC", o->noise_c);
    if (!in_range(o->asymmetry, 0.0, 4.0))
        return tg_fail(TG_ERR_RANGE, "phantom: asymmetry %g outside 0..4", o->asymmetry);
    if (!in_range(o->vessel_density, 0.0, MAX_VESSELS))
        return tg_fail(TG_ERR_RANGE, "phantom: vessel density %g outside 0..%d", o->vessel_density,
                       MAX_VESSELS);
    return TG_OK;
}

static int popcount_views(unsigned m)
{
    int k = 0;
    for (int v = 0; v < TG_VIEW_COUNT; v++)
        k += (m >> v) & 1u;
    return k;
}

size_t tg_phantom_item_count(const tg_phantom_opts *o)
{
    if (tg_phantom_opts_check(o) != TG_OK)
        return 0;
    return o->n_patients * (size_t)popcount_views(o->views);
}

tg_status tg_phantom_item(const tg_phantom_opts *o, size_t item, size_t *patient, tg_view *view)
{
    tg_status st = tg_phantom_opts_check(o);
    if (st != TG_OK)
        return st;
    if (!patient || !view)
        return tg_fail(TG_ERR_ARG, "tg_phantom_item: NULL output");
    size_t per = (size_t)popcount_views(o->views);
    if (item >= o->n_patients * per)
        return tg_fail(TG_ERR_RANGE, "tg_phantom_item: item %zu beyond the %zu images", item,
                       o->n_patients * per);
    *patient = item / per;
    size_t k = item % per;
    for (int v = 0; v < TG_VIEW_COUNT; v++)
        if ((o->views >> v) & 1u) {
            if (k == 0) {
                *view = (tg_view)v;
                break;
            }
            k--;
        }
    return TG_OK;
}

/* ---- anatomy ---- */

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

static void vessel_bbox(vessel *v)
{
    double pad = 3.0 * v->width;
    v->umin = v->umax = v->u[0];
    v->vmin = v->vmax = v->v[0];
    for (int i = 1; i < VESSEL_PTS; i++) {
        v->umin = fmin(v->umin, v->u[i]);
        v->umax = fmax(v->umax, v->u[i]);
        v->vmin = fmin(v->vmin, v->v[i]);
        v->vmax = fmax(v->vmax, v->v[i]);
    }
    v->umin -= pad;
    v->umax += pad;
    v->vmin -= pad;
    v->vmax += pad;
}

/* A vessel enters at the breast's outer rim (mostly upper-outer) and meanders toward the areola. */
static void make_vessel(tg_rng *r, vessel *v)
{
    double phi = tg_rng_range(r, -0.35 * PI, 0.6 * PI); /* angle from lateral, upward positive */
    double u = 0.95 * cos(phi), w = -0.95 * sin(phi);
    double heading = atan2(-w, -u) + tg_rng_range(r, -0.5, 0.5);
    double step = tg_rng_range(r, 0.06, 0.09);
    for (int i = 0; i < VESSEL_PTS; i++) {
        v->u[i] = u;
        v->v[i] = w;
        heading += 0.35 * tg_rng_normal(r);
        u += step * cos(heading);
        w += step * sin(heading);
    }
    v->amp = tg_rng_range(r, 0.25, 0.8);
    v->width = tg_rng_range(r, 0.015, 0.035);
    vessel_bbox(v);
}

/* The left breast's vessels mirror the right's, perturbed by the asymmetry knob. */
static void mirror_vessel(tg_rng *r, const vessel *src, vessel *dst, double asym)
{
    *dst = *src;
    for (int i = 0; i < VESSEL_PTS; i++) {
        dst->u[i] += asym * 0.05 * tg_rng_normal(r);
        dst->v[i] += asym * 0.05 * tg_rng_normal(r);
    }
    dst->amp = clampd(src->amp * (1.0 + asym * 0.3 * tg_rng_normal(r)), 0.05, 1.5);
    vessel_bbox(dst);
}

static void make_anatomy(const tg_phantom_opts *o, size_t patient, anatomy *A)
{
    tg_rng r;
    const double asym = o->asymmetry;
    tg_rng_stream(&r, o->seed, (uint64_t)patient * STREAMS_PER_PATIENT);
    memset(A, 0, sizeof *A);
    A->sick = tg_rng_uniform(&r) < o->sick_fraction;
    A->shift = (double)(long)tg_rng_range(&r, -15.0, 16.0);
    A->t_bg = tg_rng_range(&r, 22.5, 25.5);
    A->bg_grad = tg_rng_range(&r, -0.5, 0.5);
    A->bg_wave = tg_rng_range(&r, 0.0, 0.3);
    A->a = tg_rng_range(&r, 190.0, 235.0);
    A->b = A->a * tg_rng_range(&r, 0.55, 0.65);
    A->y_top = tg_rng_range(&r, 5.0, 45.0);
    A->shoulder = tg_rng_range(&r, 50.0, 80.0);
    A->t_skin = tg_rng_range(&r, 32.3, 33.8);
    A->edge_cool = tg_rng_range(&r, 1.8, 2.8);
    A->fold_amp = tg_rng_range(&r, 0.5, 1.0);
    A->breast_cool = tg_rng_range(&r, 0.3, 0.9);

    double r0 = tg_rng_range(&r, 55.0, 80.0);
    double dx = clampd(A->a * tg_rng_range(&r, 0.38, 0.5), r0 * 1.1 + 10.0, 0.6 * A->a);
    double y0 = tg_rng_range(&r, 265.0, 320.0);
    double rl = r0 * (1.0 + asym * 0.06 * tg_rng_normal(&r));
    double rr[2] = {r0, clampd(rl, 0.8 * r0, 1.2 * r0)};
    for (int s = 0; s < 2; s++) {
        double x = s ? dx : -dx;
        A->br[s] = rr[s];
        A->bx[s] = x;
        A->by[s] = y0 + (s ? asym * 4.0 * tg_rng_normal(&r) : 0.0);
        A->bz[s] = A->b * sqrt(1.0 - (x / A->a) * (x / A->a)) - 0.3 * rr[s];
        A->bdt[s] = s ? asym * 0.2 * tg_rng_normal(&r) : 0.0;
    }
    for (int i = 0; i < N_BLOBS; i++) {
        blob *bl = &A->blobs[i];
        bl->x = tg_rng_range(&r, 0.0, A->a);
        bl->y = tg_rng_range(&r, A->y_top, 480.0);
        bl->z = A->b * tg_rng_range(&r, 0.3, 1.3);
        bl->sigma = tg_rng_range(&r, 40.0, 120.0);
        bl->amp[0] = tg_rng_range(&r, -0.6, 0.6);
        bl->amp[1] = bl->amp[0] * (1.0 + asym * 0.4 * tg_rng_normal(&r)) + asym * 0.1 * tg_rng_normal(&r);
    }
    int nv = (int)floor(o->vessel_density * tg_rng_range(&r, 0.5, 1.5) + 0.5);
    if (nv > MAX_VESSELS)
        nv = MAX_VESSELS;
    for (int i = 0; i < nv; i++) {
        make_vessel(&r, &A->vessels[0][i]);
        mirror_vessel(&r, &A->vessels[0][i], &A->vessels[1][i], asym);
    }
    A->n_vessels[0] = A->n_vessels[1] = nv;
    /* Healthy asymmetry also shows as a vessel present on one side only. */
    if (nv > 0 && tg_rng_uniform(&r) < clampd(asym * 0.4, 0.0, 1.0)) {
        int side = (int)tg_rng_below(&r, 2);
        make_vessel(&r, &A->vessels[side][0]);
    }

    /* Drawn for every patient so healthy and sick anatomy use the same stream positions. */
    int lside = (int)tg_rng_below(&r, 2);
    double ang = tg_rng_range(&r, 0.0, 2.0 * PI), rad = 0.75 * sqrt(tg_rng_uniform(&r));
    double lrad = tg_rng_range(&r, o->lesion_radius_min_px, o->lesion_radius_max_px);
    double ldep = tg_rng_range(&r, 0.0, o->lesion_depth_max_px);
    double lcon = tg_rng_range(&r, o->lesion_min_c, o->lesion_max_c);
    if (A->sick) {
        double nx = rad * cos(ang), ny = rad * sin(ang), nz = sqrt(1.0 - nx * nx - ny * ny);
        double R = A->br[lside];
        A->lesion_side = lside;
        A->sx = A->bx[lside] + R * nx;
        A->sy = A->by[lside] + R * ny;
        A->sz = A->bz[lside] + R * nz;
        A->lx = A->bx[lside] + (R - ldep) * nx;
        A->ly = A->by[lside] + (R - ldep) * ny;
        A->lz = A->bz[lside] + (R - ldep) * nz;
        A->l_radius = lrad;
        A->l_depth = ldep;
        A->l_contrast = lcon;
        A->l_peak = lcon * lrad / (lrad + ldep);
        A->l_sigma = lrad + 0.5 * ldep;
    }
}

/* ---- geometry ---- */

static void make_camera(tg_view view, const anatomy *A, camera *c)
{
    double th = 0.0;
    switch (view) {
    case TG_VIEW_LATERAL_LEFT: th = 0.5 * PI; break;
    case TG_VIEW_LATERAL_RIGHT: th = -0.5 * PI; break;
    case TG_VIEW_OBLIQUE_LEFT: th = 0.25 * PI; break;
    case TG_VIEW_OBLIQUE_RIGHT: th = -0.25 * PI; break;
    default: break;
    }
    c->rx = cos(th);
    c->rz = -sin(th);
    c->vx = sin(th);
    c->vz = cos(th);
    c->c0 = 0.5 * (TG_PHANTOM_WIDTH - 1) + A->shift;
}

/* Torso half-width scale at row y: 0 above the top, rounded over the shoulder height. */
static double torso_scale(const anatomy *A, double y)
{
    if (y < A->y_top)
        return 0.0;
    double t = (A->y_top + A->shoulder - y) / A->shoulder;
    return t <= 0.0 ? 1.0 : sqrt(1.0 - t * t);
}

/* Front-most surface along the ray through image offset u (from c0) at row y. Returns the hit
 * id and fills the world point p[3] and unit normal n[3]. */
static int cast(const anatomy *A, const camera *c, double u, double y, double *p, double *n)
{
    int hit = HIT_NONE;
    double best = -HUGE_VAL;
    double ox = u * c->rx, oz = u * c->rz;
    double k = torso_scale(A, y);
    if (k > 0.0) {
        double a = A->a * k, b = A->b * k;
        double qa = c->vx * c->vx / (a * a) + c->vz * c->vz / (b * b);
        double qb = 2.0 * (ox * c->vx / (a * a) + oz * c->vz / (b * b));
        double qc = ox * ox / (a * a) + oz * oz / (b * b) - 1.0;
        double disc = qb * qb - 4.0 * qa * qc;
        if (disc >= 0.0) {
            best = (-qb + sqrt(disc)) / (2.0 * qa);
            hit = HIT_TORSO;
            p[0] = ox + best * c->vx;
            p[2] = oz + best * c->vz;
            n[0] = p[0] / (a * a);
            n[1] = 0.0;
            n[2] = p[2] / (b * b);
        }
    }
    for (int s = 0; s < 2; s++) {
        double dx = ox - A->bx[s], dy = y - A->by[s], dz = oz - A->bz[s];
        double dv = dx * c->vx + dz * c->vz;
        double disc = dv * dv - (dx * dx + dy * dy + dz * dz) + A->br[s] * A->br[s];
        if (disc < 0.0)
            continue;
        double t = -dv + sqrt(disc);
        if (t > best) {
            best = t;
            hit = s;
            p[0] = ox + t * c->vx;
            p[2] = oz + t * c->vz;
            n[0] = p[0] - A->bx[s];
            n[1] = y - A->by[s];
            n[2] = p[2] - A->bz[s];
        }
    }
    if (hit == HIT_NONE)
        return hit;
    p[1] = y;
    double len = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (int i = 0; i < 3; i++)
        n[i] /= len;
    return hit;
}

/* ---- skin temperature ---- */

static double vessels_at(const anatomy *A, int s, double u, double v)
{
    double sum = 0.0;
    for (int i = 0; i < A->n_vessels[s]; i++) {
        const vessel *ve = &A->vessels[s][i];
        if (u < ve->umin || u > ve->umax || v < ve->vmin || v > ve->vmax)
            continue;
        double d2 = HUGE_VAL;
        for (int j = 0; j + 1 < VESSEL_PTS; j++) {
            double ex = ve->u[j + 1] - ve->u[j], ey = ve->v[j + 1] - ve->v[j];
            double px = u - ve->u[j], py = v - ve->v[j];
            double t = clampd((px * ex + py * ey) / (ex * ex + ey * ey + 1e-12), 0.0, 1.0);
            double qx = px - t * ex, qy = py - t * ey;
            d2 = fmin(d2, qx * qx + qy * qy);
        }
        sum += ve->amp * exp(-d2 / (2.0 * ve->width * ve->width));
    }
    return sum;
}

static double skin_temperature(const anatomy *A, const camera *c, int hit, const double *p,
                               const double *n)
{
    double t = A->t_skin;
    for (int i = 0; i < N_BLOBS; i++) {
        const blob *bl = &A->blobs[i];
        for (int s = 0; s < 2; s++) {
            double dx = p[0] - (s ? bl->x : -bl->x), dy = p[1] - bl->y, dz = p[2] - bl->z;
            t += bl->amp[s] * exp(-(dx * dx + dy * dy + dz * dz) / (2.0 * bl->sigma * bl->sigma));
        }
    }
    /* Grazing angles emit less toward the camera: silhouettes look cooler. */
    double cosang = clampd(n[0] * c->vx + n[2] * c->vz, 0.0, 1.0);
    t -= A->edge_cool * pow(1.0 - cosang, 1.5);
    if (hit == HIT_TORSO) {
        /* Warm inframammary fold: torso skin just below each breast. */
        for (int s = 0; s < 2; s++) {
            double dx = p[0] - A->bx[s], dy = p[1] - A->by[s], dz = p[2] - A->bz[s];
            if (dy <= 0.0)
                continue;
            double gap = sqrt(dx * dx + dy * dy + dz * dz) - A->br[s];
            t += A->fold_amp * exp(-gap * gap / 64.0) * clampd(dy / A->br[s], 0.0, 1.0);
        }
        return t;
    }
    int s = hit;
    double R = A->br[s];
    double nx = (p[0] - A->bx[s]) / R, ny = (p[1] - A->by[s]) / R, nz = (p[2] - A->bz[s]) / R;
    double u = s ? nx : -nx, v = ny;
    t += A->bdt[s] - A->breast_cool * (u * u + v * v);
    t += 0.4 * exp(-((u - 0.05) * (u - 0.05) + (v - 0.1) * (v - 0.1)) / (2.0 * 0.08 * 0.08));
    t += clampd((nz + 0.2) / 0.4, 0.0, 1.0) * vessels_at(A, s, u, v);
    /* Where the breast meets the torso from below, the fold is warm on the breast side too. */
    double q = sqrt((p[0] / A->a) * (p[0] / A->a) + (p[2] / A->b) * (p[2] / A->b));
    double gap = (q - 1.0) * A->b;
    if (ny > 0.0 && gap > 0.0)
        t += A->fold_amp * exp(-gap * gap / 64.0) * clampd(ny, 0.0, 1.0);
    if (A->sick && s == A->lesion_side) {
        double dx = p[0] - A->lx, dy = p[1] - A->ly, dz = p[2] - A->lz;
        double d2 = dx * dx + dy * dy + dz * dz - A->l_depth * A->l_depth;
        t += A->l_peak * exp(-fmax(d2, 0.0) / (2.0 * A->l_sigma * A->l_sigma));
    }
    return t;
}

static double background(const anatomy *A, const camera *c, double col, double y)
{
    double u = col - c->c0;
    return A->t_bg + A->bg_grad * (y - 240.0) / 240.0 +
           A->bg_wave * cos(u / 150.0) * sin(y / 130.0);
}

/* ---- public API ---- */

tg_status tg_phantom_labels(const tg_phantom_opts *o, size_t patient, tg_label *patient_label,
                            tg_label breast_label[2])
{
    tg_status st = tg_phantom_opts_check(o);
    if (st != TG_OK)
        return st;
    if (patient >= o->n_patients)
        return tg_fail(TG_ERR_RANGE, "phantom: patient %zu beyond n_patients %zu", patient, o->n_patients);
    anatomy A;
    make_anatomy(o, patient, &A);
    if (patient_label)
        *patient_label = A.sick ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
    if (breast_label)
        for (int s = 0; s < 2; s++)
            breast_label[s] = (A.sick && A.lesion_side == s) ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
    return TG_OK;
}

static void describe(size_t patient, tg_view view, const anatomy *A, const camera *c,
                     tg_phantom_view_info *info)
{
    double p[3], n[3];
    memset(info, 0, sizeof *info);
    snprintf(info->patient_id, sizeof info->patient_id, "SYN-%05zu", patient);
    info->patient_index = patient;
    info->view = view;
    info->view_name = tg_view_name(view);
    info->laterality = tg_view_laterality(view);
    info->patient_label = A->sick ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
    for (int s = 0; s < 2; s++) {
        info->breast_label[s] = (A->sick && A->lesion_side == s) ? TG_LABEL_SICK : TG_LABEL_HEALTHY;
        double u = A->bx[s] * c->rx + A->bz[s] * c->rz;
        info->breast[s].col = c->c0 + u;
        info->breast[s].row = A->by[s];
        info->breast[s].radius = A->br[s];
        info->breast[s].visible = cast(A, c, u, A->by[s], p, n) == s;
    }
    int lateral = view == TG_VIEW_LATERAL_LEFT || view == TG_VIEW_LATERAL_RIGHT;
    info->midline_col = lateral ? -1.0 : c->c0 + A->b * c->rz;
    info->lesion_col = info->lesion_row = -1.0;
    if (A->sick) {
        double u = A->sx * c->rx + A->sz * c->rz;
        info->lesion_col = c->c0 + u;
        info->lesion_row = A->sy;
        info->lesion_peak_c = A->l_peak;
        info->lesion_radius_px = A->l_radius;
        info->lesion_depth_px = A->l_depth;
        if (cast(A, c, u, A->sy, p, n) == A->lesion_side) {
            double dx = p[0] - A->sx, dy = p[1] - A->sy, dz = p[2] - A->sz;
            info->lesion_visible = dx * dx + dy * dy + dz * dz < 1.0;
        }
    }
}

tg_status tg_phantom_render(const tg_phantom_opts *o, size_t patient, tg_view view,
                            tg_image *out, tg_phantom_view_info *info)
{
    if (!out)
        return tg_fail(TG_ERR_ARG, "tg_phantom_render: NULL output");
    out->c = out->h = out->w = 0;
    out->data = NULL;
    tg_status st = tg_phantom_opts_check(o);
    if (st != TG_OK)
        return st;
    if (patient >= o->n_patients)
        return tg_fail(TG_ERR_RANGE, "phantom: patient %zu beyond n_patients %zu", patient, o->n_patients);
    if ((int)view < 0 || view >= TG_VIEW_COUNT)
        return tg_fail(TG_ERR_RANGE, "phantom: unknown view %d", (int)view);
    st = tg_image_create(out, 1, TG_PHANTOM_HEIGHT, TG_PHANTOM_WIDTH);
    if (st != TG_OK)
        return st;
    anatomy A;
    camera c;
    make_anatomy(o, patient, &A);
    make_camera(view, &A, &c);
    tg_rng r;
    tg_rng_stream(&r, o->seed, (uint64_t)patient * STREAMS_PER_PATIENT + 1 + (uint64_t)view);
    /* A small per-view calibration drift, then independent sensor noise per pixel. */
    double drift = 0.1 * tg_rng_normal(&r) * (o->noise_c > 0.0);
    for (int y = 0; y < TG_PHANTOM_HEIGHT; y++) {
        float *row = out->data + (size_t)y * TG_PHANTOM_WIDTH;
        for (int x = 0; x < TG_PHANTOM_WIDTH; x++) {
            double p[3], n[3];
            int hit = cast(&A, &c, x - c.c0, y, p, n);
            double t = hit == HIT_NONE ? background(&A, &c, x, y) : skin_temperature(&A, &c, hit, p, n);
            t += drift + o->noise_c * tg_rng_normal(&r);
            if (o->quantize)
                t = floor(t * 100.0 + 0.5) / 100.0;
            row[x] = (float)t;
        }
    }
    if (info)
        describe(patient, view, &A, &c, info);
    return TG_OK;
}
