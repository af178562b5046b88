// Audits (core/src/audit*.c): per-image cells agree with tg_attack_run, early stop, the
// re-quantisation check on a constructed case, summary counts and Wilson intervals on hand
// numbers, refusals, caps and cancellation, valid JSON (parsed by Python), the HTML report's
// sections and SVG plots, and a fragile model flipping more often than a robust one.
// Small random network on 2 x 16 x 16 °C inputs (denoiser off: fast); the last dense layer is
// rescaled so the logit difference has a chosen spread and boundary.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include "thermoguard/audit.h"
#include "thermoguard/rng.h"
}

namespace {

const char *kSpec = "conv(6,3,1,1)-relu-gap-dense(2)";
constexpr int kC = 2, kH = 16, kW = 16;
constexpr size_t kN = (size_t)kC * kH * kW;

struct Model {
    tg_model *m = nullptr;
    std::vector<float> x; // [n, kN], on the 0.01 °C grid
    int n = 0;
    // gain: spread of the logit difference over the images; boundary_at: -1 = median image,
    // otherwise the index of an image put just on the positive side of the boundary;
    // offset: added to the logit difference (pushes every image away from the boundary).
    Model(int n_, double gain, int boundary_at = -1, double offset = 0.0, int has_temperature = 1) : n(n_)
    {
        tg_pipeline_config cfg;
        tg_pipeline_config_default(&cfg);
        cfg.in_c = kC;
        cfg.in_h = kH;
        cfg.in_w = kW;
        cfg.denoise_on = 0;
        cfg.has_temperature = has_temperature;
        if (!has_temperature) {
            cfg.t_min = 0.0f;
            cfg.t_max = 1.0f;
        }
        EXPECT_EQ(tg_model_create(&m, "audit-test", kSpec, &cfg), TG_OK) << tg_last_error();
        tg_rng r;
        tg_rng_seed(&r, 3);
        EXPECT_EQ(tg_net_init(m->net, &r), TG_OK);
        x.resize((size_t)n * kN);
        for (int b = 0; b < n; b++) {
            double cx = tg_rng_range(&r, 4, 12), cy = tg_rng_range(&r, 4, 12), amp = tg_rng_range(&r, 0, 3);
            double base = tg_rng_range(&r, 29, 31);
            for (int c = 0; c < kC; c++)
                for (int i = 0; i < kH; i++)
                    for (int j = 0; j < kW; j++) {
                        double d2 = (i - cy) * (i - cy) + (j - cx) * (j - cx);
                        double v = base + (c == 0 ? amp : 0.3 * amp) * std::exp(-d2 / 12.0) + 0.1 * tg_rng_normal(&r);
                        if (!has_temperature)
                            v = (v - 20.0) / 20.0;
                        x[(size_t)b * kN + (size_t)c * kH * kW + (size_t)i * kW + j] =
                            (float)(std::nearbyint(v / 0.01) * 0.01);
                    }
        }
        calibrate(gain, boundary_at, offset);
    }
    void calibrate(double gain, int boundary_at, double offset)
    {
        tg_pipeline *p = nullptr;
        ASSERT_EQ(tg_model_pipeline(m, n, &p), TG_OK) << tg_last_error();
        const float *z;
        ASSERT_EQ(tg_pipeline_forward(p, x.data(), n, nullptr, &z), TG_OK);
        std::vector<double> d(n);
        double mean = 0, var = 0;
        for (int b = 0; b < n; b++)
            mean += (d[b] = (double)z[2 * b + 1] - z[2 * b]) / n;
        for (double v : d)
            var += (v - mean) * (v - mean) / n;
        tg_pipeline_destroy(p);
        const tg_layer &l = m->net->layers[m->net->n_layers - 1];
        const int F = l.c * l.h * l.w;
        float *w = m->net->params + l.param_off, *bias = w + 2 * F;
        double k = gain / std::sqrt(std::max(var, 1e-20)), bd = (double)bias[1] - bias[0];
        std::vector<double> s = d;
        std::sort(s.begin(), s.end());
        double ref = boundary_at < 0 ? s[n / 2] : d[boundary_at];
        for (int i = 0; i < 2 * F; i++)
            w[i] = (float)(w[i] * k);
        bias[0] = 0.0f;
        // image `ref` gets logit difference +1e-4 (+ offset): positive by a hair
        bias[1] = (float)(-k * (ref - bd) + 1e-4 + offset);
    }
    ~Model() { tg_model_destroy(m); }
    const float *img(int i) const { return x.data() + (size_t)i * kN; }
    void calibrate_detector()
    {
        tg_pipeline *p = nullptr;
        ASSERT_EQ(tg_model_pipeline(m, n, &p), TG_OK);
        tg_detector_default(&m->detector);
        ASSERT_EQ(tg_detector_calibrate(p, &m->detector, x.data(), n, 0.1, nullptr), TG_OK) << tg_last_error();
        tg_pipeline_destroy(p);
    }
};

tg_audit_config one_attack(const char *name, double eps_c)
{
    tg_audit_config c;
    tg_audit_config_default(&c);
    c.n_attacks = 1;
    EXPECT_EQ(tg_audit_attack_parse(name, &c.attacks[0]), TG_OK);
    c.n_threats = 1;
    c.threats[0] = TG_THREAT_ADAPTIVE;
    c.n_budgets = 1;
    c.budgets[0] = eps_c;
    return c;
}

struct Audit {
    tg_audit *a = nullptr;
    ~Audit() { tg_audit_destroy(a); }
};

double flip_rate(Model &md, const tg_audit_config &c)
{
    Audit au;
    EXPECT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK) << tg_last_error();
    for (int i = 0; i < md.n; i++)
        EXPECT_EQ(tg_audit_image(au.a, md.img(i), -1, nullptr, nullptr, nullptr), TG_OK) << tg_last_error();
    tg_audit_summary s;
    EXPECT_EQ(tg_audit_summarize(au.a, &s), TG_OK);
    const tg_audit_point &p = s.points[s.n_points - 1];
    double r = (double)p.flipped.k / (double)p.flipped.n;
    tg_audit_summary_free(&s);
    return r;
}

std::string write_temp(const std::string &text, const char *suffix)
{
    char path[] = "/tmp/tg_audit_test_XXXXXX";
    int fd = mkstemp(path);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, text.data(), text.size()), (ssize_t)text.size());
    close(fd);
    std::string p = std::string(path) + suffix;
    rename(path, p.c_str());
    return p;
}

} // namespace

TEST(Audit, CellsAgreeWithTheAttackRun)
{
    Model md(12, 2.0);
    tg_audit_config c = one_attack("fgsm", 0.05);
    c.early_stop = 0;
    c.quant_step_c = 0;
    Audit au;
    ASSERT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK) << tg_last_error();
    tg_pipeline *p = nullptr;
    ASSERT_EQ(tg_model_pipeline(md.m, 1, &p), TG_OK);
    tg_attack_result res;
    ASSERT_EQ(tg_attack_result_init(&res, 1), TG_OK);
    std::vector<float> adv(kN);
    int flips = 0;
    for (int i = 0; i < md.n; i++) {
        ASSERT_EQ(tg_audit_image(au.a, md.img(i), -1, nullptr, nullptr, nullptr), TG_OK) << tg_last_error();
        const tg_audit_record *r = tg_audit_get_record(au.a, (size_t)i);
        float probs[2];
        ASSERT_EQ(tg_pipeline_predict(p, md.img(i), 1, probs), TG_OK);
        int cls = probs[1] > probs[0];
        EXPECT_EQ(r->clean_verdict, cls);
        tg_attack_params prm = c.attacks[0].params;
        prm.eps = prm.step = tg_audit_budget_norm(au.a, 0);
        ASSERT_EQ(tg_attack_run(p, &prm, md.img(i), &cls, 1, adv.data(), &res, nullptr), TG_OK);
        const tg_audit_cell &cell = r->cells[0];
        EXPECT_EQ(cell.state, TG_AUDIT_RUN);
        EXPECT_EQ(cell.flipped, res.success[0]) << "image " << i;
        EXPECT_NEAR(cell.linf_c, res.linf_c[0], 1e-4);
        EXPECT_NEAR(cell.l2_c, res.l2_c[0], 1e-3);
        EXPECT_LE(cell.linf_c, 0.05 + 1e-4);
        if (cell.flipped) {
            flips++;
            EXPECT_FLOAT_EQ(r->min_linf_c[0], cell.linf_c);
        } else {
            EXPECT_LT(r->min_linf_c[0], 0);
        }
    }
    EXPECT_GT(flips, 0);
    EXPECT_LT(flips, md.n);
    EXPECT_NEAR(tg_audit_budget_c(au.a, 0), 0.05, 1e-12);
    EXPECT_NEAR(tg_audit_budget_norm(au.a, 0), 0.05 / 20.0, 1e-12);
    tg_attack_result_free(&res);
    tg_pipeline_destroy(p);
}

// With a calibrated threshold below 0.5 the verdict is P(positive) >= threshold, and the
// attacks aim at that verdict: every cell equals tg_attack_run against the verdict's class with
// the model's threshold as the decision rule (not the argmax class and rule).
TEST(Audit, AttacksAimAtTheThresholdVerdict)
{
    Model md(16, 2.0);
    tg_pipeline *p = nullptr;
    ASSERT_EQ(tg_model_pipeline(md.m, 1, &p), TG_OK);
    std::vector<float> p1(md.n);
    float probs[2];
    for (int i = 0; i < md.n; i++) {
        ASSERT_EQ(tg_pipeline_predict(p, md.img(i), 1, probs), TG_OK);
        p1[i] = probs[1];
    }
    std::vector<float> s = p1;
    std::sort(s.begin(), s.end());
    md.m->threshold = 0.5 * ((double)s[md.n / 4] + s[md.n / 4 - 1]);
    int differ = 0;
    for (float v : p1)
        differ += (v >= md.m->threshold) != (v > 0.5f);
    ASSERT_GT(differ, 0) << "fixture: the threshold changes no verdict";
    for (const char *name : {"fgsm", "pgd"}) {
        tg_audit_config c = one_attack(name, 0.05);
        c.early_stop = 0;
        c.quant_step_c = 0;
        Audit au;
        ASSERT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK) << tg_last_error();
        tg_attack_result res;
        ASSERT_EQ(tg_attack_result_init(&res, 1), TG_OK);
        std::vector<float> adv(kN);
        int flips = 0;
        for (int i = 0; i < md.n; i++) {
            ASSERT_EQ(tg_audit_image(au.a, md.img(i), -1, nullptr, nullptr, nullptr), TG_OK) << tg_last_error();
            const tg_audit_record *r = tg_audit_get_record(au.a, (size_t)i);
            int verdict = p1[i] >= md.m->threshold;
            EXPECT_EQ(r->clean_verdict, verdict) << name << " image " << i;
            tg_attack_params prm = c.attacks[0].params;
            prm.eps = tg_audit_budget_norm(au.a, 0);
            prm.step = std::string(name) == "fgsm" ? prm.eps : 2.5 * prm.eps / prm.iterations;
            prm.threshold = md.m->threshold;
            prm.seed = c.seed * 0x9E3779B97F4A7C15ull + 1;
            prm.index_base = (uint64_t)i;
            ASSERT_EQ(tg_attack_run(p, &prm, md.img(i), &verdict, 1, adv.data(), &res, nullptr), TG_OK);
            EXPECT_EQ(r->cells[0].flipped, res.success[0]) << name << " image " << i;
            flips += r->cells[0].flipped;
        }
        EXPECT_GT(flips, 0) << name;
        tg_attack_result_free(&res);
    }
    tg_pipeline_destroy(p);
}

TEST(Audit, EarlyStopSkipsLaterAttacksOnceTheVerdictFlips)
{
    Model md(12, 2.0);
    for (int early = 0; early <= 1; early++) {
        tg_audit_config c = one_attack("fgsm", 0.05);
        c.n_attacks = 2;
        ASSERT_EQ(tg_audit_attack_parse("pgd-5", &c.attacks[1]), TG_OK);
        c.early_stop = early;
        Audit au;
        ASSERT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK) << tg_last_error();
        int skipped = 0;
        for (int i = 0; i < md.n; i++) {
            ASSERT_EQ(tg_audit_image(au.a, md.img(i), -1, nullptr, nullptr, nullptr), TG_OK);
            const tg_audit_record *r = tg_audit_get_record(au.a, (size_t)i);
            EXPECT_EQ(r->cells[0].state, TG_AUDIT_RUN);
            if (early && r->cells[0].flipped) {
                EXPECT_EQ(r->cells[1].state, TG_AUDIT_SKIPPED);
                skipped++;
            } else {
                EXPECT_EQ(r->cells[1].state, TG_AUDIT_RUN);
            }
        }
        EXPECT_EQ(skipped > 0, early == 1);
    }
}

TEST(Audit, FlipsBelowHalfAStoredStepDoNotSurviveRequantisation)
{
    Model md(8, 2.0, 0); // image 0 sits a hair on the positive side of the boundary
    for (double step : {0.01, 1e-6}) {
        tg_audit_config c = one_attack("fgsm", 0.004); // < step/2 for 0.01: rounding undoes it
        c.quant_step_c = step;
        Audit au;
        ASSERT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK) << tg_last_error();
        ASSERT_EQ(tg_audit_image(au.a, md.img(0), -1, nullptr, nullptr, nullptr), TG_OK) << tg_last_error();
        const tg_audit_cell &cell = tg_audit_get_record(au.a, 0)->cells[0];
        ASSERT_EQ(cell.flipped, 1) << "a 1e-4 margin must flip at 0.004 °C";
        EXPECT_EQ(cell.survives_quant, step < 1e-3 ? 1 : 0) << "step " << step;
    }
}

TEST(Audit, WilsonIntervalsOnHandNumbers)
{
    tg_audit_count c = tg_audit_wilson(8, 10, 1.96);
    EXPECT_NEAR(c.lo, 0.4902, 1e-4);
    EXPECT_NEAR(c.hi, 0.9433, 1e-4);
    c = tg_audit_wilson(0, 10, 1.96);
    EXPECT_EQ(c.lo, 0.0);
    EXPECT_NEAR(c.hi, 0.2775, 1e-4);
    c = tg_audit_wilson(10, 10, 1.96);
    EXPECT_NEAR(c.lo, 0.7225, 1e-4);
    EXPECT_EQ(c.hi, 1.0);
    c = tg_audit_wilson(0, 0, 1.96);
    EXPECT_EQ(c.lo, 0.0);
    EXPECT_EQ(c.hi, 1.0);
}

TEST(Audit, SummaryCountsMatchTheRecords)
{
    Model md(12, 2.0);
    tg_audit_config c = one_attack("fgsm", 0.02);
    c.n_budgets = 2;
    c.budgets[1] = 0.1;
    Audit au;
    ASSERT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK);
    // labels: the clean verdict for even images, its opposite for odd ones (clean accuracy 6/12)
    std::vector<int> labels;
    for (int i = 0; i < md.n; i++) {
        ASSERT_EQ(tg_audit_image(au.a, md.img(i), 0, nullptr, nullptr, nullptr), TG_OK);
        const tg_audit_record *r = tg_audit_get_record(au.a, (size_t)i);
        labels.push_back(i % 2 ? !r->clean_verdict : r->clean_verdict);
    }
    // re-run with the labels (records are per call; labels only affect accuracy)
    Audit au2;
    ASSERT_EQ(tg_audit_create(&au2.a, &c, md.m, nullptr), TG_OK);
    for (int i = 0; i < md.n; i++)
        ASSERT_EQ(tg_audit_image(au2.a, md.img(i), labels[(size_t)i], nullptr, nullptr, nullptr), TG_OK);
    tg_audit_summary s;
    ASSERT_EQ(tg_audit_summarize(au2.a, &s), TG_OK);
    EXPECT_EQ(s.n_images, 12u);
    EXPECT_EQ(s.clean_correct.k, 6u);
    EXPECT_EQ(s.clean_correct.n, 12u);
    EXPECT_EQ(s.percent_ok, 0) << "12 < 30 images: counts with CIs, no percentages";
    for (int b = 0; b < 2; b++) {
        size_t flipped = 0, robust = 0;
        for (int i = 0; i < md.n; i++) {
            const tg_audit_record *r = tg_audit_get_record(au2.a, (size_t)i);
            int f = r->cells[b].flipped;
            flipped += (size_t)f;
            robust += (size_t)(r->clean_verdict == labels[(size_t)i] && !f);
        }
        const tg_audit_point &p = s.points[(size_t)b];
        EXPECT_EQ(p.flipped.k, flipped);
        EXPECT_EQ(p.robust.k, robust);
        tg_audit_count w = tg_audit_wilson(robust, 12, 1.96);
        EXPECT_DOUBLE_EQ(p.robust.lo, w.lo);
        EXPECT_DOUBLE_EQ(p.robust.hi, w.hi);
        EXPECT_EQ(s.n_min[0], s.points[1].flipped.k); // every flipped image once, by its smallest flip
    }
    EXPECT_GE(s.points[1].flipped.k, s.points[0].flipped.k) << "more budget, no fewer flips";
    tg_audit_summary_free(&s);
}

TEST(Audit, RefusesWhatWouldMislead)
{
    Model md(4, 2.0);
    Model intensity(4, 2.0, -1, 0.0, 0);
    Audit au;
    tg_audit_config c = one_attack("fgsm", 0.05);
    EXPECT_EQ(tg_audit_create(&au.a, &c, intensity.m, nullptr), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("temperature"), std::string::npos) << tg_last_error();
    c.unit = TG_AUDIT_NORMALISED;
    EXPECT_EQ(tg_audit_create(&au.a, &c, intensity.m, nullptr), TG_OK) << "normalised budgets are fine";
    tg_audit_destroy(au.a);
    au.a = nullptr;
    c = one_attack("fgsm", 0.05);
    c.threats[0] = TG_THREAT_TRANSFER;
    EXPECT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_ERR_ARG) << "transfer needs a source";
    c = one_attack("fgsm", 0.05);
    c.n_budgets = 2;
    c.budgets[1] = 0.01;
    EXPECT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_ERR_ARG) << "budgets ascending";
    c = one_attack("fgsm", 25.0);
    EXPECT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_ERR_RANGE) << "budget above the 20 °C range";
    tg_audit_attack at;
    EXPECT_EQ(tg_audit_attack_parse("deepfool", &at), TG_ERR_NOTFOUND);
    EXPECT_EQ(tg_audit_attack_parse("pgd-x", &at), TG_ERR_NOTFOUND);
    EXPECT_EQ(au.a, nullptr);
}

TEST(Audit, CapsCancellationAndOutOfRangeImages)
{
    Model md(4, 2.0);
    tg_audit_config c = one_attack("pgd-5", 0.05);
    c.max_images = 2;
    Audit au;
    ASSERT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK);
    volatile int cancel = 1;
    tg_progress pr = {nullptr, nullptr, &cancel};
    EXPECT_EQ(tg_audit_image(au.a, md.img(0), -1, nullptr, nullptr, &pr), TG_ERR_CANCELLED);
    EXPECT_EQ(tg_audit_images(au.a), 0u) << "a cancelled image leaves no record";
    std::vector<float> hot(md.img(1), md.img(1) + kN);
    hot[5] = 45.0f; // outside the model's 20-40 °C range
    ASSERT_EQ(tg_audit_image(au.a, hot.data(), -1, "hot", "P1", nullptr), TG_OK);
    EXPECT_EQ(tg_audit_get_record(au.a, 0)->skipped, 1);
    EXPECT_FALSE(tg_audit_done(au.a));
    ASSERT_EQ(tg_audit_image(au.a, md.img(2), -1, nullptr, nullptr, nullptr), TG_OK);
    EXPECT_TRUE(tg_audit_done(au.a));
    EXPECT_EQ(tg_audit_image(au.a, md.img(3), -1, nullptr, nullptr, nullptr), TG_ERR_RANGE);
    tg_audit_summary s;
    ASSERT_EQ(tg_audit_summarize(au.a, &s), TG_OK);
    EXPECT_EQ(s.n_images, 1u);
    EXPECT_EQ(s.n_skipped, 1u);
    tg_audit_summary_free(&s);
}

TEST(Audit, FragileModelFlipsMoreOftenThanARobustOne)
{
    Model fragile(16, 4.0);          // boundary through the middle of the data, steep
    Model robust(16, 0.05, -1, 3.0); // flat in the input, every image 3 logits from the boundary
    tg_audit_config c = one_attack("pgd-10", 0.1);
    double f = flip_rate(fragile, c), r = flip_rate(robust, c);
    EXPECT_GT(f, 0.25);
    EXPECT_LT(r, f);
    EXPECT_EQ(r, 0.0);
}

// The default suite on both threat models with a detector: JSON parses and holds the numbers,
// the HTML has every section and plot, identifiers can be left out.
TEST(Audit, JsonAndHtmlReport)
{
    Model md(24, 3.0);
    md.calibrate_detector();
    tg_audit_config c;
    tg_audit_config_default(&c);
    c.attacks[1].params.iterations = 5;
    c.attacks[2].params.iterations = 20;
    c.attacks[3].params.iterations = 100;
    Audit au;
    ASSERT_EQ(tg_audit_create(&au.a, &c, md.m, nullptr), TG_OK) << tg_last_error();
    for (int i = 0; i < 6; i++) {
        std::string id = "img-" + std::to_string(i), pid = "PATIENT-SECRET-" + std::to_string(i);
        ASSERT_EQ(tg_audit_image(au.a, md.img(i), i % 2, id.c_str(), pid.c_str(), nullptr), TG_OK) << tg_last_error();
    }
    ASSERT_GT(tg_audit_example_count(au.a), 0);
    char *json = nullptr;
    size_t len = 0;
    ASSERT_EQ(tg_audit_to_json(au.a, 1, &json, &len), TG_OK);
    std::string js(json, len);
    free(json);
    std::string path = write_temp(js, ".json");
    std::string cmd = std::string(TG_TEST_PYTHON) +
                      " -c 'import json,sys; d=json.load(open(sys.argv[1])); "
                      "assert d[\"format\"]==\"thermoguard-audit\"; assert len(d[\"images\"])==6; "
                      "assert len(d[\"images\"][0][\"cells\"])==2*4*4; "
                      "assert d[\"config\"][\"threats\"]==[\"adaptive\",\"black-box\"]; "
                      "assert d[\"summary\"][\"images\"]==6; "
                      "assert d[\"images\"][0][\"patient\"]==\"PATIENT-SECRET-0\"' " + path;
    int rc = std::system(cmd.c_str());
    EXPECT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << js.substr(0, 2000);
    std::remove(path.c_str());
    ASSERT_EQ(tg_audit_to_json(au.a, 0, &json, nullptr), TG_OK);
    EXPECT_EQ(std::string(json).find("PATIENT-SECRET"), std::string::npos) << "ids left out of the JSON";
    free(json);

    static const uint8_t png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    tg_audit_png ex = {0, {png, png, png}, {8, 8, 8}, 10.0};
    tg_audit_render_opts o = {1, 0, "synthetic test set", 1};
    char *html = nullptr;
    ASSERT_EQ(tg_audit_render_html(au.a, &o, &ex, 1, &html, &len), TG_OK);
    std::string h(html, len);
    free(html);
    for (const char *want :
         {"<!DOCTYPE html>", "id=\"summary\"", "id=\"settings\"", "id=\"accuracy\"", "id=\"perturbation\"",
          "id=\"detector\"", "id=\"examples\"", "class=\"plot-accuracy\"", "class=\"plot-histogram\"",
          "class=\"plot-roc\"", "<polyline", "preprocessed model-grid input", "Re-quantisation", "synthetic",
          "adaptive", "black-box", "data:image/png;base64,iVBORw0KGgo=", "Wilson", "Fewer than 30 images"})
        EXPECT_NE(h.find(want), std::string::npos) << want;
    EXPECT_EQ(h.find("PATIENT-SECRET"), std::string::npos);
    EXPECT_EQ(h.find("http://"), h.find("http://www.w3.org/2000/svg")) << "no external assets";
    EXPECT_EQ(h.find("src=\"http"), std::string::npos);
    o.include_images = 0;
    o.include_ids = 1;
    ASSERT_EQ(tg_audit_render_html(au.a, &o, &ex, 1, &html, &len), TG_OK);
    h.assign(html, len);
    free(html);
    EXPECT_EQ(h.find("data:image/png"), std::string::npos);
    EXPECT_NE(h.find("PATIENT-SECRET-0"), std::string::npos);
}
