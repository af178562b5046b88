// .tgm model files: round trip (fields, weights, hash, bit-identical logits), and every
// corruption class rejected with the right status and a message naming the file and field.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "thermoguard/model.h"
#include "thermoguard/rng.h"

namespace {

using Bytes = std::vector<uint8_t>;
const char *kSpec = "conv(4,3,1,1)-bn-relu-maxpool(2)-conv(6,3,1,1)-dbn-lrelu-gap-dense(2)";

struct ModelPtr {
    tg_model *m = nullptr;
    ModelPtr() = default;
    ModelPtr(const ModelPtr &) = delete;
    ModelPtr &operator=(const ModelPtr &) = delete;
    ~ModelPtr() { tg_model_destroy(m); }
};

tg_pipeline_config small_config()
{
    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg);
    cfg.in_h = 24;
    cfg.in_w = 20;
    cfg.t_min = 22.5f;
    cfg.t_max = 37.25f;
    cfg.denoise.threshold = TG_THRESH_HARD;
    cfg.denoise_grad = TG_DENOISE_GRAD_BPDA;
    cfg.feat_bands = TG_BAND_LL | TG_BAND_D;
    return cfg;
}

void make_model(ModelPtr &mp)
{
    tg_pipeline_config cfg = small_config();
    ASSERT_EQ(tg_model_create(&mp.m, "demo-synthetic", kSpec, &cfg), TG_OK) << tg_last_error();
    tg_model *m = mp.m;
    tg_rng r;
    tg_rng_seed(&r, 11);
    ASSERT_EQ(tg_net_init(m->net, &r), TG_OK);
    for (size_t i = 0; i < m->net->n_params; i++)
        m->net->params[i] += 0.01f * (float)tg_rng_normal(&r);
    for (size_t i = 0; i < m->net->n_stats; i++)
        m->net->stats[i] = 0.5f + 0.25f * (float)tg_rng_uniform(&r); // means and variances > 0
    std::strcpy(m->version, "1.2.3");
    m->synthetic = 1;
    m->threshold = 0.375;
    std::strcpy(m->prov.data_sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    m->prov.seed = 0x123456789abcdefULL;
    m->prov.epochs = 30;
    std::strcpy(m->prov.defense, "WBAD");
    std::strcpy(m->prov.defense_settings, "denoise=db1 BayesShrink hard\nfeatures=haar L1 LL+D");
    std::strcpy(m->prov.attack_settings, "PGD-Linf eps=0.05 degC steps=10");
    std::strcpy(m->prov.created, "2024-05-01T12:00:00Z");
    std::strcpy(m->prov.notes, "synthetic \xe2\x80\x94 not for clinical use");
}

Bytes save(tg_model *m)
{
    uint8_t *d = nullptr;
    size_t n = 0;
    EXPECT_EQ(tg_model_save_buffer(m, &d, &n), TG_OK) << tg_last_error();
    Bytes b(d, d + n);
    std::free(d);
    return b;
}

tg_status load(const Bytes &b, ModelPtr &out, const tg_model_limits *lim = nullptr)
{
    return tg_model_load_buffer(b.data(), b.size(), "test.tgm", &out.m, lim);
}

uint32_t get_u32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

// A file split into (tag, payload) sections, editable and re-serialised with a fresh hash.
struct Sections {
    std::vector<std::pair<std::string, Bytes>> s;
    explicit Sections(const Bytes &file)
    {
        size_t off = 12;
        while (off < file.size()) {
            std::string tag(file.begin() + off, file.begin() + off + 4);
            uint64_t len = get_u32(&file[off + 4]) | (uint64_t)get_u32(&file[off + 8]) << 32;
            Bytes payload(file.begin() + off + 12, file.begin() + off + 12 + len);
            off += 12 + len;
            if (tag != "HASH")
                s.emplace_back(tag, payload);
        }
    }
    Bytes &get(const std::string &tag)
    {
        for (auto &p : s)
            if (p.first == tag)
                return p.second;
        ADD_FAILURE() << "no section " << tag;
        return s[0].second;
    }
    Bytes build(uint32_t version = 1) const
    {
        Bytes f = {'T', 'G', 'M', 'O', 'D', 'E', 'L', 0, 0, 0, 0, 0};
        put_u32(&f[8], version);
        for (auto &p : s) {
            size_t at = f.size();
            f.resize(at + 12 + p.second.size());
            std::memcpy(&f[at], p.first.data(), 4);
            put_u64(&f[at + 4], p.second.size());
            if (!p.second.empty())
                std::memcpy(&f[at + 12], p.second.data(), p.second.size());
        }
        size_t at = f.size();
        f.resize(at + 12 + 32);
        std::memcpy(&f[at], "HASH", 4);
        put_u64(&f[at + 4], 32);
        tg_sha256(f.data(), at, &f[at + 12]);
        return f;
    }
};

// Byte offsets of PIPE fields (see model.h): strings are "db1" and "haar" in the test model.
constexpr size_t kPipeInH = 4, kPipeHasTemp = 12, kPipeTMin = 13;
constexpr size_t kPipeFeatMode = 13 + 4 + 4 + 1 + 4 + 3 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 4 + 4;

void expect_reject(const Bytes &b, tg_status want, const std::string &needle, const tg_model_limits *lim = nullptr)
{
    ModelPtr m;
    tg_status st = load(b, m, lim);
    std::string msg = tg_last_error();
    EXPECT_EQ(st, want) << tg_status_name(st) << ": " << msg;
    EXPECT_EQ(m.m, nullptr);
    EXPECT_NE(msg.find("test.tgm"), std::string::npos) << msg;
    EXPECT_NE(msg.find(needle), std::string::npos) << "expected '" << needle << "' in: " << msg;
}

std::vector<float> logits_of(tg_model *m, const std::vector<float> &x, int batch)
{
    tg_pipeline *p = nullptr;
    EXPECT_EQ(tg_model_pipeline(m, batch, &p), TG_OK) << tg_last_error();
    const float *z = nullptr;
    EXPECT_EQ(tg_pipeline_forward(p, x.data(), batch, nullptr, &z), TG_OK) << tg_last_error();
    std::vector<float> out(z, z + (size_t)batch * m->n_classes);
    tg_pipeline_destroy(p);
    return out;
}

TEST(Model, RoundTripThroughAFileIsExact)
{
    ModelPtr a, b;
    make_model(a);
    std::string path = ::testing::TempDir() + "tg_model_roundtrip.tgm";
    ASSERT_EQ(tg_model_save(a.m, path.c_str()), TG_OK) << tg_last_error();
    ASSERT_EQ(tg_model_load(path.c_str(), &b.m, nullptr), TG_OK) << tg_last_error();
    // The hash is the SHA-256 of the exact file bytes, the same after saving and after loading.
    FILE *f = std::fopen(path.c_str(), "rb");
    ASSERT_NE(f, nullptr);
    Bytes file(1 << 20);
    file.resize(std::fread(file.data(), 1, file.size(), f));
    std::fclose(f);
    std::remove(path.c_str());
    uint8_t d[32];
    char hex[65];
    tg_sha256(file.data(), file.size(), d);
    tg_sha256_hex(d, hex);
    EXPECT_STREQ(tg_model_sha256_hex(a.m), hex);
    EXPECT_STREQ(tg_model_sha256_hex(b.m), hex);
    EXPECT_EQ(save(b.m), file); // re-saving reproduces the bytes

    EXPECT_STREQ(b.m->name, "demo-synthetic");
    EXPECT_STREQ(b.m->version, "1.2.3");
    EXPECT_EQ(b.m->synthetic, 1);
    EXPECT_EQ(b.m->n_classes, 2);
    EXPECT_STREQ(b.m->class_names[0], "healthy");
    EXPECT_STREQ(b.m->class_names[1], "sick");
    EXPECT_EQ(b.m->positive_class, 1);
    EXPECT_EQ(b.m->threshold, 0.375);
    EXPECT_EQ(std::memcmp(&b.m->prov, &a.m->prov, sizeof a.m->prov), 0);
    EXPECT_STREQ(b.m->prov.notes, "synthetic \xe2\x80\x94 not for clinical use");
    const tg_pipeline_config &ca = a.m->pipeline, &cb = b.m->pipeline;
    EXPECT_EQ(cb.in_c, ca.in_c);
    EXPECT_EQ(cb.in_h, ca.in_h);
    EXPECT_EQ(cb.in_w, ca.in_w);
    EXPECT_EQ(cb.has_temperature, ca.has_temperature);
    EXPECT_EQ(cb.t_min, ca.t_min);
    EXPECT_EQ(cb.t_max, ca.t_max);
    EXPECT_EQ(cb.denoise_on, ca.denoise_on);
    EXPECT_STREQ(cb.denoise.wavelet, ca.denoise.wavelet);
    EXPECT_EQ(cb.denoise.mode, ca.denoise.mode);
    EXPECT_EQ(cb.denoise.levels, ca.denoise.levels);
    EXPECT_EQ(cb.denoise.threshold, TG_THRESH_HARD);
    EXPECT_EQ(cb.denoise.rule, ca.denoise.rule);
    EXPECT_EQ(cb.denoise.sigma, ca.denoise.sigma);
    EXPECT_EQ(cb.denoise.firm_ratio, ca.denoise.firm_ratio);
    EXPECT_EQ(cb.denoise_grad, TG_DENOISE_GRAD_BPDA);
    EXPECT_STREQ(cb.feat_wavelet, ca.feat_wavelet);
    EXPECT_EQ(cb.feat_mode, ca.feat_mode);
    EXPECT_EQ(cb.feat_level, ca.feat_level);
    EXPECT_EQ(cb.feat_bands, ca.feat_bands);
    EXPECT_STREQ(b.m->net->spec, kSpec);
    ASSERT_EQ(b.m->net->n_params, a.m->net->n_params);
    ASSERT_EQ(b.m->net->n_stats, a.m->net->n_stats);
    EXPECT_EQ(std::memcmp(b.m->net->params, a.m->net->params, a.m->net->n_params * 4), 0);
    EXPECT_EQ(std::memcmp(b.m->net->stats, a.m->net->stats, a.m->net->n_stats * 4), 0);

    const int batch = 3;
    std::vector<float> x((size_t)batch * ca.in_c * ca.in_h * ca.in_w);
    tg_rng r;
    tg_rng_seed(&r, 3);
    for (auto &v : x)
        v = 30.0f + 3.0f * (float)tg_rng_normal(&r);
    std::vector<float> za = logits_of(a.m, x, batch), zb = logits_of(b.m, x, batch);
    ASSERT_EQ(za.size(), zb.size());
    EXPECT_EQ(std::memcmp(za.data(), zb.data(), za.size() * 4), 0);
}

TEST(Model, CreateDefaultsAndBadArguments)
{
    ModelPtr m;
    tg_pipeline_config cfg = small_config();
    EXPECT_STREQ(tg_model_sha256_hex(m.m), "");
    ASSERT_EQ(tg_model_create(&m.m, "x", "gap-dense(3)", &cfg), TG_OK) << tg_last_error();
    EXPECT_STREQ(m.m->class_names[2], "class2");
    EXPECT_EQ(m.m->positive_class, 2);
    EXPECT_STREQ(tg_model_sha256_hex(m.m), "");
    tg_model *bad = nullptr;
    EXPECT_EQ(tg_model_create(&bad, "x", "gap-dense(1)", &cfg), TG_ERR_RANGE);
    EXPECT_EQ(tg_model_create(&bad, "x", "gap-dense(17)", &cfg), TG_ERR_RANGE);
    EXPECT_EQ(tg_model_create(&bad, "", "gap-dense(2)", &cfg), TG_ERR_ARG);
    EXPECT_EQ(tg_model_create(&bad, "x", "gap-bogus-dense(2)", &cfg), TG_ERR_NOTFOUND);
    cfg.t_max = cfg.t_min;
    EXPECT_EQ(tg_model_create(&bad, "x", "gap-dense(2)", &cfg), TG_ERR_RANGE);
    EXPECT_EQ(bad, nullptr);
}

TEST(Model, SaveRefusesInvalidModels)
{
    ModelPtr m;
    make_model(m);
    uint8_t *d = nullptr;
    size_t n = 0;
    m.m->net->params[5] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_EQ(tg_model_save_buffer(m.m, &d, &n), TG_ERR_NONFINITE);
    EXPECT_NE(std::string(tg_last_error()).find("PARM: parameter 5"), std::string::npos) << tg_last_error();
    m.m->net->params[5] = 0;
    m.m->threshold = 1.5;
    EXPECT_EQ(tg_model_save_buffer(m.m, &d, &n), TG_ERR_RANGE);
    m.m->threshold = 1.0;
    std::strcpy(m.m->class_names[1], "healthy");
    EXPECT_EQ(tg_model_save_buffer(m.m, &d, &n), TG_ERR_FORMAT);
    std::strcpy(m.m->class_names[1], "sick");
    std::strcpy(m.m->prov.data_sha256, "ABC");
    EXPECT_EQ(tg_model_save_buffer(m.m, &d, &n), TG_ERR_FORMAT);
    EXPECT_EQ(d, nullptr);
    EXPECT_EQ(tg_model_save(m.m, "/nonexistent-dir/x.tgm"), TG_ERR_FORMAT);
    m.m->prov.data_sha256[0] = '\0';
    EXPECT_EQ(tg_model_save(m.m, "/nonexistent-dir/x.tgm"), TG_ERR_IO);
    EXPECT_NE(std::string(tg_last_error()).find("/nonexistent-dir/x.tgm"), std::string::npos);
}

TEST(Model, LoadMissingFileNamesThePath)
{
    ModelPtr m;
    EXPECT_EQ(tg_model_load("/nonexistent-dir/model.tgm", &m.m, nullptr), TG_ERR_IO);
    EXPECT_NE(std::string(tg_last_error()).find("/nonexistent-dir/model.tgm"), std::string::npos);
}

TEST(Model, TruncationAtEveryOffsetIsRejected)
{
    ModelPtr a;
    make_model(a);
    Bytes file = save(a.m);
    for (size_t n = 0; n < file.size(); n++) {
        Bytes cut(file.begin(), file.begin() + n);
        ModelPtr m;
        tg_status st = load(cut, m);
        ASSERT_EQ(st, TG_ERR_FORMAT) << "length " << n << ": " << tg_last_error();
        ASSERT_EQ(m.m, nullptr);
        ASSERT_NE(std::string(tg_last_error()).find("truncated"), std::string::npos)
            << "length " << n << ": " << tg_last_error();
    }
}

TEST(Model, EveryBitFlipIsRejected)
{
    ModelPtr a;
    make_model(a);
    Bytes file = save(a.m);
    int hash_msgs = 0;
    for (size_t i = 0; i < file.size(); i++)
        for (int bit = 0; bit < 8; bit += (i >= 12 && i + 44 < file.size()) ? 3 : 1) {
            Bytes f = file;
            f[i] ^= (uint8_t)(1u << bit);
            ModelPtr m;
            tg_status st = load(f, m);
            ASSERT_NE(st, TG_OK) << "byte " << i << " bit " << bit;
            ASSERT_NE(tg_last_error()[0], '\0');
            hash_msgs += std::string(tg_last_error()).find("SHA-256 mismatch") != std::string::npos;
        }
    EXPECT_GT(hash_msgs, (int)file.size()); // most flips land in payloads and fail the hash
}

TEST(Model, HeaderErrors)
{
    ModelPtr a;
    make_model(a);
    Bytes file = save(a.m);
    Bytes f = file;
    f[0] = 'X';
    expect_reject(f, TG_ERR_FORMAT, "bad magic");
    expect_reject(Sections(file).build(2), TG_ERR_FORMAT, "written by a newer ThermoGuard (format 2)");
    expect_reject(Sections(file).build(0), TG_ERR_FORMAT, "invalid format version 0");
    f = file;
    f[f.size() - 1] ^= 1;
    expect_reject(f, TG_ERR_FORMAT, "SHA-256 mismatch");
    tg_model_limits lim;
    tg_model_limits_default(&lim);
    lim.max_file_bytes = file.size() - 1;
    expect_reject(file, TG_ERR_OVERFLOW, "above the limit", &lim);
    f = file;
    f.push_back(0);
    expect_reject(f, TG_ERR_FORMAT, "HASH: 1 bytes follow");
}

TEST(Model, FramingErrors)
{
    ModelPtr a;
    make_model(a);
    Bytes file = save(a.m);
    Sections s(file);
    // A declared length far beyond the file (no allocation is made from it).
    Bytes f = file;
    put_u64(&f[12 + 4], (uint64_t)1 << 62);
    expect_reject(f, TG_ERR_FORMAT, "section HEAD at offset 12: declared length 4611686018427387904");
    f = file;
    f[12] = 0x01;
    expect_reject(f, TG_ERR_FORMAT, "invalid tag");
    Sections u = s;
    u.s.insert(u.s.begin() + 2, {"ZZZZ", Bytes(5, 1)});
    expect_reject(u.build(), TG_ERR_FORMAT, "unknown critical section ZZZZ");
    u = s;
    u.s.insert(u.s.begin() + 2, {"zext", Bytes(5, 1)});
    ModelPtr ok;
    EXPECT_EQ(load(u.build(), ok), TG_OK) << tg_last_error(); // ancillary sections are skipped
    u = s;
    u.s.push_back(u.s[0]);
    expect_reject(u.build(), TG_ERR_FORMAT, "section HEAD appears twice");
    u = s;
    u.s.pop_back(); // STAT is the last section before HASH
    expect_reject(u.build(), TG_ERR_FORMAT, "missing section STAT");
    u = s;
    u.get("HEAD").push_back(0);
    expect_reject(u.build(), TG_ERR_FORMAT, "HEAD: 1 unexpected bytes");
    u = s;
    u.get("PROV").resize(4 + 64 + 8 + 2);
    expect_reject(u.build(), TG_ERR_FORMAT, "PROV.epochs: the section ends");
}

void put_f64(uint8_t *p, double v)
{
    uint64_t u;
    std::memcpy(&u, &v, 8);
    put_u64(p, u);
}

// Byte offsets in the ancillary sections (see model.h).
constexpr size_t kPrepOtsu = 8, kPrepKeep = 16, kPrepBandTop = 34, kPrepRoiSize = 66, kPrepAaSigma = 106;
constexpr size_t kDeteSq1Size = 28, kDeteThreshold = 36, kDeteFpr = 44, kDeteCalibrated = 52;

TEST(Model, PreprocessingAndDetectorRoundTrip)
{
    ModelPtr a, b;
    make_model(a);
    EXPECT_EQ(a.m->prep.grid_h, 24); // the pipeline's grid, other settings default
    EXPECT_EQ(a.m->prep.grid_w, 20);
    EXPECT_EQ(a.m->prep.otsu_bins, 256);
    EXPECT_EQ(a.m->detector.calibrated, 0);
    tg_preprocess_params &p = a.m->prep;
    p.otsu_bins = 128;
    p.closing_radius_px = 7;
    p.keep_largest = 0;
    p.fill_holes = 1;
    p.min_body_fraction = 0.03;
    p.min_separation = 3.5;
    p.band_top = 0.35;
    p.band_bottom = 0.85;
    p.roi_center_x = 0.5;
    p.roi_center_y = 0.55;
    p.roi_size = 0.8;
    p.lateral_center_x = 0.2;
    p.oblique_center_x = 0.5;
    p.lateral_size = 0.7;
    p.roi_margin = 0.125;
    p.aa_sigma = 0.75;
    tg_detector &d = a.m->detector;
    d.n = 3;
    d.sq[2].kind = TG_SQUEEZE_JPEG;
    d.sq[2].quality = 60;
    d.threshold = 0.3125;
    d.target_fpr = 0.05;
    d.calibrated = 1;
    Bytes file = save(a.m);
    ASSERT_EQ(load(file, b), TG_OK) << tg_last_error();
    EXPECT_EQ(std::memcmp(&b.m->prep, &a.m->prep, sizeof p), 0);
    EXPECT_EQ(b.m->detector.n, 3);
    for (int i = 0; i < 3; i++) {
        EXPECT_EQ(b.m->detector.sq[i].kind, d.sq[i].kind);
        EXPECT_EQ(b.m->detector.sq[i].bits, d.sq[i].bits);
        EXPECT_EQ(b.m->detector.sq[i].size, d.sq[i].size);
        EXPECT_EQ(b.m->detector.sq[i].quality, d.sq[i].quality);
    }
    EXPECT_EQ(b.m->detector.threshold, 0.3125);
    EXPECT_EQ(b.m->detector.target_fpr, 0.05);
    EXPECT_EQ(b.m->detector.calibrated, 1);
    EXPECT_EQ(save(b.m), file); // every field stored explicitly: saving again gives the same bytes

    // Absent sections (an older writer): defaults, with the pipeline's grid.
    Sections s(file);
    for (const char *tag : {"prep", "dete"})
        for (size_t i = 0; i < s.s.size(); i++)
            if (s.s[i].first == tag)
                s.s.erase(s.s.begin() + (long)i);
    ModelPtr c;
    ASSERT_EQ(load(s.build(), c), TG_OK) << tg_last_error();
    tg_preprocess_params def;
    tg_preprocess_params_default(&def);
    def.grid_h = 24;
    def.grid_w = 20;
    EXPECT_EQ(std::memcmp(&c.m->prep, &def, sizeof def), 0);
    tg_detector ddef;
    tg_detector_default(&ddef);
    EXPECT_EQ(std::memcmp(&c.m->detector, &ddef, sizeof ddef), 0);
}

TEST(Model, PreprocessingAndDetectorErrorsNameTheField)
{
    ModelPtr a;
    make_model(a);
    Sections s(save(a.m));
    auto edit = [&](const char *tag, auto fn) {
        Sections e = s;
        fn(e.get(tag));
        return e.build();
    };
    expect_reject(edit("prep", [](Bytes &p) { put_u32(&p[0], 2); }), TG_ERR_RANGE, "prep.grid_h: 2 outside");
    expect_reject(edit("prep", [](Bytes &p) { put_u32(&p[0], 32); }), TG_ERR_FORMAT,
                  "prep.grid: 32 x 20 but the pipeline input is 24 x 20");
    expect_reject(edit("prep", [](Bytes &p) { put_u32(&p[kPrepOtsu], 8); }), TG_ERR_RANGE, "prep.otsu_bins: 8");
    expect_reject(edit("prep", [](Bytes &p) { p[kPrepKeep] = 7; }), TG_ERR_FORMAT, "prep.keep_largest");
    expect_reject(edit("prep", [](Bytes &p) { put_f64(&p[kPrepBandTop], 0.95); }), TG_ERR_RANGE,
                  "prep: preprocess: band");
    expect_reject(edit("prep", [](Bytes &p) { put_f64(&p[kPrepRoiSize], std::nan("")); }), TG_ERR_NONFINITE,
                  "prep.roi_size: not finite");
    expect_reject(edit("prep", [](Bytes &p) { put_f64(&p[kPrepAaSigma], -1.0); }), TG_ERR_RANGE,
                  "prep: preprocess: aa_sigma");
    expect_reject(edit("prep", [](Bytes &p) { p.push_back(0); }), TG_ERR_FORMAT, "prep: 1 unexpected bytes");
    expect_reject(edit("prep", [](Bytes &p) { p.resize(20); }), TG_ERR_FORMAT, "prep.min_body_fraction: the section ends");
    expect_reject(edit("dete", [](Bytes &p) { put_u32(&p[0], 0); }), TG_ERR_RANGE, "dete.n: 0 outside");
    expect_reject(edit("dete", [](Bytes &p) { put_u32(&p[4], 9); }), TG_ERR_FORMAT, "dete.squeezer.kind: invalid");
    expect_reject(edit("dete", [](Bytes &p) { put_u32(&p[kDeteSq1Size], 4); }), TG_ERR_ARG,
                  "dete: detector squeezer 1: squeezer: median window 4");
    expect_reject(edit("dete", [](Bytes &p) { put_f64(&p[kDeteThreshold], 3.0); }), TG_ERR_RANGE,
                  "dete: detector: threshold 3");
    expect_reject(edit("dete", [](Bytes &p) { p[kDeteCalibrated] = 1; }), TG_ERR_RANGE,
                  "dete: detector: target_fpr 0 outside (0, 1)");
    expect_reject(edit("dete", [](Bytes &p) { put_f64(&p[kDeteFpr], std::numeric_limits<double>::infinity()); }),
                  TG_ERR_NONFINITE, "dete.target_fpr: not finite");
    Sections u = s;
    u.s.insert(u.s.begin() + 1, {"prep", u.get("prep")});
    expect_reject(u.build(), TG_ERR_FORMAT, "section prep appears twice");
}

TEST(Model, FieldErrorsNameTheField)
{
    ModelPtr a;
    make_model(a);
    Sections s(save(a.m));
    auto edit = [&](const char *tag, auto fn) {
        Sections e = s;
        fn(e.get(tag));
        return e.build();
    };
    expect_reject(edit("PIPE", [](Bytes &p) { put_u32(&p[kPipeInH], 0); }), TG_ERR_RANGE, "PIPE.in_h: 0 outside");
    expect_reject(edit("PIPE", [](Bytes &p) { p[kPipeHasTemp] = 2; }), TG_ERR_FORMAT, "PIPE.has_temperature");
    expect_reject(edit("PIPE", [](Bytes &p) { put_u32(&p[kPipeTMin], 0x7fc00000u); }), TG_ERR_NONFINITE,
                  "PIPE.t_min: not finite");
    expect_reject(edit("PIPE", [](Bytes &p) { put_u32(&p[kPipeTMin], 0x42c80000u); }), TG_ERR_RANGE,
                  "PIPE: pipeline config: normalisation range"); // t_min 100 > t_max
    expect_reject(edit("PIPE", [](Bytes &p) { put_u32(&p[kPipeFeatMode], 99); }), TG_ERR_FORMAT,
                  "PIPE.feat_mode: invalid value 99");
    expect_reject(edit("PIPE", [](Bytes &p) { put_u32(&p[kPipeFeatMode + 4], 9); }), TG_ERR_RANGE,
                  "PIPE: pipeline config: feature level 9 outside");
    tg_model_limits lim;
    tg_model_limits_default(&lim);
    lim.max_input_pixels = 100;
    expect_reject(s.build(), TG_ERR_OVERFLOW, "PIPE.in_h/in_w: 24 x 20 pixels above the limit", &lim);

    // Strings: over the cap, control characters, invalid UTF-8.
    Sections e = s;
    put_u32(&e.get("HEAD")[0], 1000);
    expect_reject(e.build(), TG_ERR_OVERFLOW, "HEAD.name: declared length 1000 above the cap");
    expect_reject(edit("HEAD", [](Bytes &p) { p[4] = '\n'; }), TG_ERR_FORMAT, "HEAD.name: control character");
    e = s;
    Bytes &prov = e.get("PROV");
    prov[prov.size() - 3] = 0xe2; // inside "... clinical use"
    expect_reject(e.build(), TG_ERR_FORMAT, "PROV.notes: invalid UTF-8");

    // Architecture and weights.
    auto arch_edit = [&](const std::string &spec, uint64_t np, uint64_t ns) {
        Sections x = s;
        Bytes p(4 + spec.size() + 16);
        put_u32(&p[0], (uint32_t)spec.size());
        std::memcpy(&p[4], spec.data(), spec.size());
        put_u64(&p[4 + spec.size()], np);
        put_u64(&p[12 + spec.size()], ns);
        x.get("ARCH") = p;
        return x.build();
    };
    size_t np = a.m->net->n_params, ns = a.m->net->n_stats;
    expect_reject(arch_edit(kSpec, np + 1, ns), TG_ERR_FORMAT, "ARCH.param_count/stat_count: stored");
    expect_reject(arch_edit(kSpec, (uint64_t)1 << 40, ns), TG_ERR_OVERFLOW, "above the limit");
    expect_reject(arch_edit("gap-dense(2", np, ns), TG_ERR_FORMAT, "ARCH.spec: net spec");
    // A spec implying ~34M parameters with matching counts but a small PARM: refused before allocating.
    std::string big = "conv(16384,1)-dense(2)";
    size_t bp = 0, bs = 0;
    int classes = 0;
    ASSERT_EQ(tg_net_spec_counts(big.c_str(), a.m->net->in_c, a.m->net->in_h, a.m->net->in_w, &bp, &bs, &classes),
              TG_OK);
    expect_reject(arch_edit(big, bp, bs), TG_ERR_FORMAT, "PARM: ");
    lim.max_input_pixels = 4096 * 4096;
    lim.max_params = 1000;
    expect_reject(arch_edit(big, bp, bs), TG_ERR_OVERFLOW, "above the limit of 1000 floats", &lim);
    expect_reject(arch_edit("gap-dense(3)", 4 * 3 + 3, 0), TG_ERR_FORMAT, "PARM: ");

    expect_reject(edit("PARM", [](Bytes &p) { put_u32(&p[4 * 7], 0x7f800000u); }), TG_ERR_NONFINITE,
                  "PARM: parameter 7 is not finite");
    // STAT layout: bn(4): mean[4], var[4]; the first variance is statistic 4.
    expect_reject(edit("STAT", [](Bytes &p) { put_u32(&p[4 * 4], 0xbf800000u); }), TG_ERR_RANGE,
                  "STAT: running variance 4");

    // Classes and threshold: count, names, positive class, threshold.
    auto clas = [&](int n, std::vector<std::string> names, uint32_t pos, double thr) {
        Sections x = s;
        Bytes p(4);
        put_u32(&p[0], (uint32_t)n);
        for (auto &nm : names) {
            size_t at = p.size();
            p.resize(at + 4 + nm.size());
            put_u32(&p[at], (uint32_t)nm.size());
            std::memcpy(&p[at + 4], nm.data(), nm.size());
        }
        size_t at = p.size();
        p.resize(at + 12);
        put_u32(&p[at], pos);
        std::memcpy(&p[at + 4], &thr, 8);
        x.get("CLAS") = p;
        return x.build();
    };
    ModelPtr good;
    EXPECT_EQ(load(clas(2, {"healthy", "sick"}, 1, 0.25), good), TG_OK) << tg_last_error();
    expect_reject(clas(2, {"healthy", "sick"}, 1, 1.5), TG_ERR_RANGE, "CLAS.threshold: 1.5 outside [0, 1]");
    expect_reject(clas(2, {"healthy", "sick"}, 1, -0.0001), TG_ERR_RANGE, "CLAS.threshold");
    expect_reject(clas(2, {"healthy", "sick"}, 1, std::nan("")), TG_ERR_NONFINITE, "CLAS.threshold: not finite");
    expect_reject(clas(2, {"healthy", "sick"}, 2, 0.5), TG_ERR_RANGE, "CLAS.positive_class: 2 outside 0..1");
    expect_reject(clas(3, {"a", "b", "c"}, 1, 0.5), TG_ERR_FORMAT, "CLAS.count: 3 class names but the network has 2");
    expect_reject(clas(17, {}, 1, 0.5), TG_ERR_RANGE, "CLAS.count: 17 outside 2..16");
    expect_reject(clas(2, {"healthy", ""}, 1, 0.5), TG_ERR_FORMAT, "CLAS.name[1]: must not be empty");
    expect_reject(clas(2, {"same", "same"}, 1, 0.5), TG_ERR_FORMAT, "CLAS.name[1]: 'same' repeats class 0");
    expect_reject(clas(2, {"healthy", "si\tck"}, 1, 0.5), TG_ERR_FORMAT, "CLAS.name[1]: control character");
}

} // namespace

namespace {

// Small seed models for tests/fuzz/fuzz_model.c covering the layer kinds and config options.
struct Seed {
    const char *file, *spec;
    int h, w, denoise, classes;
    const char *feat_wavelet;
    tg_dwt_mode mode;
    unsigned bands;
};
const Seed kSeeds[] = {
    {"valid_linear.tgm", "gap-dense(2)", 8, 8, 0, 2, "haar", TG_MODE_SYMMETRIC, TG_BAND_ALL},
    {"valid_conv_bn.tgm", "conv(2,3,1,1)-bn-relu-maxpool(2)-dbn-gap-dense(3)", 16, 16, 1, 3, "db2",
     TG_MODE_PERIODIZATION, TG_BAND_LL | TG_BAND_H},
    {"valid_pool_dropout.tgm", "conv(2,3)-lrelu(0.2)-avgpool(2)-dropout(0.5)-dense(2)", 12, 10, 1, 2, "sym2",
     TG_MODE_REFLECT, TG_BAND_D},
};

void make_seed(const Seed &sd, ModelPtr &mp)
{
    tg_pipeline_config cfg;
    tg_pipeline_config_default(&cfg);
    cfg.in_h = sd.h;
    cfg.in_w = sd.w;
    cfg.denoise_on = sd.denoise;
    std::strcpy(cfg.feat_wavelet, sd.feat_wavelet);
    cfg.feat_mode = sd.mode;
    cfg.feat_bands = sd.bands;
    ASSERT_EQ(tg_model_create(&mp.m, sd.file, sd.spec, &cfg), TG_OK) << tg_last_error();
    for (size_t i = 0; i < mp.m->net->n_params; i++)
        mp.m->net->params[i] = (float)((int)(i % 17) - 8) / 16.0f;
    mp.m->synthetic = 1;
    std::strcpy(mp.m->prov.defense, "WBAD");
    std::strcpy(mp.m->prov.notes, "synthetic \xe2\x80\x94 not for clinical use");
}

std::string seed_dir() { return std::string(TG_TEST_DATA_DIR) + "/fuzz/model/"; }

Bytes read_all(const std::string &path)
{
    Bytes b;
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f)
        return b;
    int c;
    while ((c = std::fgetc(f)) != EOF)
        b.push_back((uint8_t)c);
    std::fclose(f);
    return b;
}

// TG_UPDATE_FUZZ_SEEDS=1 rewrites testdata/fuzz/model/; otherwise the committed seeds must still
// load (valid_*) or be rejected for their reason (bad_*).
TEST(ModelFuzzSeeds, CommittedSeedsLoadOrFailAsNamed)
{
    if (std::getenv("TG_UPDATE_FUZZ_SEEDS")) {
        for (const Seed &sd : kSeeds) {
            ModelPtr m;
            make_seed(sd, m);
            ASSERT_EQ(tg_model_save(m.m, (seed_dir() + sd.file).c_str()), TG_OK) << tg_last_error();
        }
        ModelPtr m;
        make_seed(kSeeds[0], m);
        Bytes b = save(m.m);
        Bytes cut(b.begin(), b.begin() + b.size() / 2);
        Bytes future = Sections(b).build(2);
        for (auto &p : {std::make_pair("bad_truncated.tgm", cut), std::make_pair("bad_future_version.tgm", future)}) {
            FILE *f = std::fopen((seed_dir() + p.first).c_str(), "wb");
            ASSERT_NE(f, nullptr);
            std::fwrite(p.second.data(), 1, p.second.size(), f);
            std::fclose(f);
        }
    }
    for (const Seed &sd : kSeeds) {
        Bytes b = read_all(seed_dir() + sd.file);
        ASSERT_FALSE(b.empty()) << seed_dir() + sd.file;
        EXPECT_LT(b.size(), 65536u);
        ModelPtr m;
        EXPECT_EQ(tg_model_load_buffer(b.data(), b.size(), sd.file, &m.m, nullptr), TG_OK) << tg_last_error();
    }
    ModelPtr m;
    Bytes t = read_all(seed_dir() + "bad_truncated.tgm");
    EXPECT_EQ(tg_model_load_buffer(t.data(), t.size(), "t", &m.m, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::string(tg_last_error()).find("truncated"), std::string::npos);
    Bytes v = read_all(seed_dir() + "bad_future_version.tgm");
    EXPECT_EQ(tg_model_load_buffer(v.data(), v.size(), "v", &m.m, nullptr), TG_ERR_FORMAT);
    EXPECT_NE(std::string(tg_last_error()).find("newer ThermoGuard (format 2)"), std::string::npos);
}

} // namespace
