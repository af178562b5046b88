/* DMR-IR temperature matrices: reader for both text dialects, writer, and the bounded file
 * reader the data sources share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "thermoguard/dataset.h"

#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data_internal.h"

#define EXCERPT_MAX 24

void tg_textmatrix_opts_default(tg_textmatrix_opts *o)
{
    o->rows = 480;
    o->cols = 640;
    o->any_size = 0;
    o->min_value = 0.0;
    o->max_value = 60.0;
    o->max_bytes = (size_t)64 << 20;
}

void tg_data_excerpt(char *dst, size_t max, const char *s, size_t n)
{
    size_t k = n < max ? n : max;
    for (size_t i = 0; i < k; i++) {
        unsigned char ch = (unsigned char)s[i];
        dst[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
    }
    dst[k] = '\0';
    if (n > max && max >= 3)
        memcpy(dst + max - 3, "...", 3);
}

tg_status tg_data_read_file(const char *path, size_t max_bytes, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return tg_fail(TG_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    /* Regular files: refuse oversized ones before reading a byte. */
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size >= 0 && (unsigned long)size > max_bytes) {
            fclose(f);
            return tg_fail(TG_ERR_OVERFLOW, "%s: file size %ld bytes exceeds the limit of %zu bytes",
                           path, size, max_bytes);
        }
    }
    rewind(f);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return tg_fail(TG_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            size_t ncap = cap * 2;
            char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return tg_fail(TG_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, ncap);
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - 1 - n, f);
        n += got;
        if (n > max_bytes) {
            free(buf);
            fclose(f);
            return tg_fail(TG_ERR_OVERFLOW, "%s: file exceeds the limit of %zu bytes", path, max_bytes);
        }
        if (got == 0)
            break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        return tg_fail(TG_ERR_IO, "%s: read error", path);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return TG_OK;
}

/* ---- number parsing (locale-independent, bounded, no NUL terminator needed) ---- */

enum { NUM_OK = 0, NUM_BAD = 1, NUM_NONFINITE = 2 };

static int lower(int c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

static int equals_nocase(const char *s, size_t n, const char *word)
{
    size_t k = strlen(word);
    if (n != k)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower((unsigned char)s[i]) != word[i])
            return 0;
    return 1;
}

/* Decimal [+-]digits[.digits][(e|E)[+-]digits] -> *v. NaN/Inf spellings are reported apart
 * so the caller can say "not finite" instead of "not a number". */
static int parse_number(const char *s, size_t n, double *v)
{
    static const double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (equals_nocase(s + i, n - i, "nan") || equals_nocase(s + i, n - i, "inf") ||
        equals_nocase(s + i, n - i, "infinity"))
        return NUM_NONFINITE;
    uint64_t mant = 0;
    int sig = 0, digits = 0;
    long exp10 = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (sig < 19) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            if (mant)
                sig++;
        } else {
            exp10++;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (sig < 19) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                if (mant)
                    sig++;
                exp10--;
            }
        }
    }
    if (digits == 0)
        return NUM_BAD;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9')
            return NUM_BAD;
        long e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000)
                e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (i != n)
        return NUM_BAD;
    double x = (double)mant;
    if (mant == 0)
        x = 0.0;
    else if (exp10 >= 0 && exp10 <= 22)
        x *= pow10[exp10];
    else if (exp10 < 0 && exp10 >= -22)
        x /= pow10[-exp10];
    else if (exp10 > 400)
        x = HUGE_VAL;
    else if (exp10 < -400)
        x = 0.0;
    else
        x *= pow(10.0, (double)exp10);
    *v = neg ? -x : x;
    return NUM_OK;
}

/* ---- the reader ---- */

typedef struct matrix_parser {
    const char *name;
    const tg_textmatrix_opts *o;
    float *vals;
    size_t n_vals, cap;
    size_t rows, cols; /* cols = values per row, fixed by the first row */
} matrix_parser;

static tg_status push_value(matrix_parser *mp, float v)
{
    if (mp->n_vals == mp->cap) {
        size_t ncap = mp->cap ? mp->cap * 2 : 4096;
        if (ncap > TG_IMAGE_MAX_ELEMENTS)
            ncap = TG_IMAGE_MAX_ELEMENTS;
        if (ncap <= mp->cap)
            return tg_fail(TG_ERR_OVERFLOW, "%s: more than %zu values", mp->name,
                           (size_t)TG_IMAGE_MAX_ELEMENTS);
        float *nv = realloc(mp->vals, ncap * sizeof(float));
        if (!nv)
            return tg_fail(TG_ERR_NOMEM, "%s: out of memory for %zu values", mp->name, ncap);
        mp->vals = nv;
        mp->cap = ncap;
    }
    mp->vals[mp->n_vals++] = v;
    return TG_OK;
}

/* One cell [s, s+n) at byte column `col` (1-based) of line `line`, value number `k` in the row. */
static tg_status parse_cell(matrix_parser *mp, const char *s, size_t n, size_t line, size_t col,
                            size_t k)
{
    char ex[EXCERPT_MAX + 1];
    if (mp->rows > 0 ? k > mp->cols : (!mp->o->any_size && k > (size_t)mp->o->cols)) {
        size_t want = mp->rows > 0 ? mp->cols : (size_t)mp->o->cols;
        return tg_fail(TG_ERR_FORMAT, "%s:%zu:%zu: %s: more than %zu values in the row", mp->name,
                       line, col, mp->rows > 0 ? "ragged row" : "wrong matrix width", want);
    }
    if (n == 0)
        return tg_fail(TG_ERR_FORMAT, "%s:%zu:%zu: empty cell (value %zu of the row)", mp->name,
                       line, col, k);
    double v = 0.0;
    int r = parse_number(s, n, &v);
    tg_data_excerpt(ex, EXCERPT_MAX, s, n);
    if (r == NUM_NONFINITE)
        return tg_fail(TG_ERR_NONFINITE, "%s:%zu:%zu: value \"%s\" is not finite (value %zu of the row)",
                       mp->name, line, col, ex, k);
    if (r != NUM_OK)
        return tg_fail(TG_ERR_FORMAT, "%s:%zu:%zu: non-numeric cell \"%s\" (value %zu of the row)",
                       mp->name, line, col, ex, k);
    if (!(v >= mp->o->min_value && v <= mp->o->max_value))
        return tg_fail(TG_ERR_RANGE, "%s:%zu:%zu: value %s outside the plausible range %g..%g (value %zu of the row)",
                       mp->name, line, col, ex, mp->o->min_value, mp->o->max_value, k);
    return push_value(mp, (float)v);
}

/* Splits one line (line end and trailing blanks already removed) into cells. */
static tg_status parse_line(matrix_parser *mp, const char *ls, size_t n, size_t line,
                            tg_textmatrix_dialect d)
{
    size_t i = 0, k = 0;
    tg_status st;
    if (d == TG_TEXTMATRIX_SPACE) {
        while (i < n) {
            while (i < n && (ls[i] == ' ' || ls[i] == '\t'))
                i++;
            size_t b = i;
            while (i < n && ls[i] != ' ' && ls[i] != '\t')
                i++;
            if ((st = parse_cell(mp, ls + b, i - b, line, b + 1, ++k)) != TG_OK)
                return st;
        }
    } else {
        for (;;) {
            size_t b = i;
            while (i < n && ls[i] != ';')
                i++;
            size_t e = i, cb = b;
            while (cb < e && (ls[cb] == ' ' || ls[cb] == '\t'))
                cb++;
            while (e > cb && (ls[e - 1] == ' ' || ls[e - 1] == '\t'))
                e--;
            /* One trailing ';' at the end of a line is tolerated. */
            if (!(cb == e && i == n && k > 0 && b > 0)) {
                if ((st = parse_cell(mp, ls + cb, e - cb, line, cb + 1, ++k)) != TG_OK)
                    return st;
            }
            if (i == n)
                break;
            i++;
        }
    }
    size_t want = mp->rows > 0 ? mp->cols : (mp->o->any_size ? k : (size_t)mp->o->cols);
    if (k != want)
        return tg_fail(TG_ERR_FORMAT, "%s:%zu: %s: %zu values, expected %zu", mp->name, line,
                       mp->rows > 0 ? "ragged row" : "wrong matrix width", k, want);
    if (mp->rows == 0)
        mp->cols = k;
    mp->rows++;
    return TG_OK;
}

static tg_status parse_all(matrix_parser *mp, const char *data, size_t len,
                           tg_textmatrix_dialect *dialect)
{
    size_t pos = 0, line = 0, blank_line = 0;
    int have_dialect = 0;
    tg_textmatrix_dialect d = TG_TEXTMATRIX_SPACE;
    tg_status st;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        pos = 3;
    while (pos < len) {
        line++;
        const char *ls = data + pos;
        const char *nl = memchr(ls, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - ls) : len - pos;
        pos += n + (nl ? 1 : 0);
        while (n > 0 && (ls[n - 1] == '\r' || ls[n - 1] == ' ' || ls[n - 1] == '\t'))
            n--;
        size_t lead = 0;
        while (lead < n && (ls[lead] == ' ' || ls[lead] == '\t'))
            lead++;
        if (lead == n) {
            if (!blank_line)
                blank_line = line;
            continue;
        }
        if (blank_line)
            return tg_fail(TG_ERR_FORMAT, "%s:%zu: empty line inside the matrix (row %zu)",
                           mp->name, blank_line, mp->rows + 1);
        const char *cr = memchr(ls, '\r', n);
        if (cr)
            return tg_fail(TG_ERR_FORMAT, "%s:%zu:%zu: stray carriage return inside a line",
                           mp->name, line, (size_t)(cr - ls) + 1);
        if (!have_dialect) {
            d = memchr(ls, ';', n) ? TG_TEXTMATRIX_SEMICOLON : TG_TEXTMATRIX_SPACE;
            have_dialect = 1;
        }
        if (!mp->o->any_size && mp->rows == (size_t)mp->o->rows)
            return tg_fail(TG_ERR_FORMAT, "%s:%zu: wrong matrix height: more than %d rows",
                           mp->name, line, mp->o->rows);
        if ((st = parse_line(mp, ls, n, line, d)) != TG_OK)
            return st;
    }
    if (mp->rows == 0)
        return tg_fail(TG_ERR_FORMAT, "%s: no values (empty matrix)", mp->name);
    if (!mp->o->any_size && mp->rows != (size_t)mp->o->rows)
        return tg_fail(TG_ERR_FORMAT, "%s: wrong matrix height: %zu rows, expected %d", mp->name,
                       mp->rows, mp->o->rows);
    if (dialect)
        *dialect = d;
    return TG_OK;
}

static tg_status check_opts(const tg_textmatrix_opts *o, const char *name)
{
    if (!o->any_size && (o->rows <= 0 || o->cols <= 0))
        return tg_fail(TG_ERR_ARG, "%s: required dimensions must be positive, got %d x %d", name,
                       o->rows, o->cols);
    if (!(isfinite(o->min_value) && isfinite(o->max_value) && o->min_value <= o->max_value &&
          fabs(o->min_value) <= FLT_MAX && fabs(o->max_value) <= FLT_MAX))
        return tg_fail(TG_ERR_ARG, "%s: invalid value range %g..%g", name, o->min_value, o->max_value);
    return TG_OK;
}

tg_status tg_textmatrix_read_buffer(const char *data, size_t len, const char *name,
                                    const tg_textmatrix_opts *opts, tg_image *out,
                                    tg_textmatrix_dialect *dialect)
{
    tg_textmatrix_opts def;
    if (!opts) {
        tg_textmatrix_opts_default(&def);
        opts = &def;
    }
    if (!name)
        name = "<buffer>";
    if (!out || (!data && len))
        return tg_fail(TG_ERR_ARG, "%s: NULL output or data", name);
    out->c = out->h = out->w = 0;
    out->data = NULL;
    tg_status st = check_opts(opts, name);
    if (st != TG_OK)
        return st;
    if (len > opts->max_bytes)
        return tg_fail(TG_ERR_OVERFLOW, "%s: %zu bytes exceed the limit of %zu bytes", name, len,
                       opts->max_bytes);
    matrix_parser mp = {name, opts, NULL, 0, 0, 0, 0};
    st = parse_all(&mp, data, len, dialect);
    if (st == TG_OK && (mp.rows > 0x7fffffff || mp.cols > 0x7fffffff))
        st = tg_fail(TG_ERR_OVERFLOW, "%s: %zu x %zu matrix is too large", name, mp.rows, mp.cols);
    if (st == TG_OK)
        st = tg_image_create(out, 1, (int)mp.rows, (int)mp.cols);
    if (st == TG_OK)
        memcpy(out->data, mp.vals, mp.n_vals * sizeof(float));
    free(mp.vals);
    return st;
}

tg_status tg_textmatrix_read_file(const char *path, const tg_textmatrix_opts *opts,
                                  tg_image *out, tg_textmatrix_dialect *dialect)
{
    tg_textmatrix_opts def;
    if (!opts) {
        tg_textmatrix_opts_default(&def);
        opts = &def;
    }
    if (!path || !out)
        return tg_fail(TG_ERR_ARG, "tg_textmatrix_read_file: NULL path or output");
    out->c = out->h = out->w = 0;
    out->data = NULL;
    char *buf;
    size_t len;
    tg_status st = tg_data_read_file(path, opts->max_bytes, &buf, &len);
    if (st != TG_OK)
        return st;
    st = tg_textmatrix_read_buffer(buf, len, path, opts, out, dialect);
    free(buf);
    return st;
}

/* ---- the writer ---- */

tg_status tg_textmatrix_write_buffer(const tg_image *img, tg_textmatrix_dialect dialect,
                                     char **out, size_t *len)
{
    if (!out || !len)
        return tg_fail(TG_ERR_ARG, "tg_textmatrix_write_buffer: NULL output");
    *out = NULL;
    *len = 0;
    if (!img || !img->data || img->h <= 0 || img->w <= 0)
        return tg_fail(TG_ERR_ARG, "tg_textmatrix_write_buffer: empty image");
    if (dialect != TG_TEXTMATRIX_SPACE && dialect != TG_TEXTMATRIX_SEMICOLON)
        return tg_fail(TG_ERR_ARG, "tg_textmatrix_write_buffer: unknown dialect %d", (int)dialect);
    size_t npix = (size_t)img->h * (size_t)img->w;
    for (size_t i = 0; i < npix; i++)
        if (!isfinite(img->data[i]))
            return tg_fail(TG_ERR_NONFINITE, "tg_textmatrix_write_buffer: pixel (%zu, %zu) is not finite",
                           i / (size_t)img->w, i % (size_t)img->w);
    const int semi = dialect == TG_TEXTMATRIX_SEMICOLON;
    const char *fmt = semi ? "%.5f" : "%.2f";
    const char *eol = semi ? "\r\r\n" : "\n";
    /* Size first (plus one spare byte per row for the one-column ';' case): every value is
     * formatted twice, which is cheap next to an allocation sized for the widest float. */
    size_t total = 0;
    for (size_t i = 0; i < npix; i++) {
        char tmp[64];
        int k = snprintf(tmp, sizeof tmp, fmt, (double)img->data[i]);
        if (k < 0 || (size_t)k >= sizeof tmp)
            return tg_fail(TG_ERR_RANGE, "tg_textmatrix_write_buffer: value %g cannot be formatted",
                           (double)img->data[i]);
        total += (size_t)k + 1; /* value + separator or first byte of the line end */
    }
    total += (size_t)img->h * strlen(eol) + 1;
    char *buf = malloc(total);
    if (!buf)
        return tg_fail(TG_ERR_NOMEM, "tg_textmatrix_write_buffer: out of memory for %zu bytes", total);
    size_t p = 0;
    for (int y = 0; y < img->h; y++) {
        for (int x = 0; x < img->w; x++) {
            float v = img->data[(size_t)y * (size_t)img->w + (size_t)x];
            p += (size_t)snprintf(buf + p, total - p, fmt, (double)v);
            /* A one-column ';' file ends each value with ';' so it still reads as that dialect. */
            if (x + 1 < img->w || (semi && img->w == 1))
                buf[p++] = semi ? ';' : ' ';
        }
        memcpy(buf + p, eol, strlen(eol));
        p += strlen(eol);
    }
    buf[p] = '\0';
    *out = buf;
    *len = p;
    return TG_OK;
}

tg_status tg_textmatrix_write_file(const char *path, const tg_image *img,
                                   tg_textmatrix_dialect dialect)
{
    if (!path)
        return tg_fail(TG_ERR_ARG, "tg_textmatrix_write_file: NULL path");
    char *buf;
    size_t len;
    tg_status st = tg_textmatrix_write_buffer(img, dialect, &buf, &len);
    if (st != TG_OK)
        return st;
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(buf);
        return tg_fail(TG_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    }
    size_t put = fwrite(buf, 1, len, f);
    free(buf);
    if (fclose(f) != 0 || put != len)
        return tg_fail(TG_ERR_IO, "%s: write failed", path);
    return TG_OK;
}
