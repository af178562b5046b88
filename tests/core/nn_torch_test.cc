// Cross-check against PyTorch (Debian python3-torch through /usr/bin/python3): the test exports a
// network's spec, weights, running statistics, a batch and labels as raw little-endian files;
// tests/python/nn_torch_check.py rebuilds the network in torch (float64) and writes logits, loss,
// parameter gradients, input gradients and the updated running statistics back. Every tensor
// must agree within a norm-wise relative error of 1e-4.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "nn_test_util.h"

namespace {

template <class T> void write_raw(const std::string &path, const T *data, size_t n)
{
    std::ofstream f(path, std::ios::binary); // the test machine is little-endian (x86-64/aarch64)
    f.write(reinterpret_cast<const char *>(data), (std::streamsize)(n * sizeof(T)));
    ASSERT_TRUE(f.good()) << path;
}

std::vector<float> read_raw(const std::string &path, size_t n)
{
    std::vector<float> v(n);
    std::ifstream f(path, std::ios::binary);
    f.read(reinterpret_cast<char *>(v.data()), (std::streamsize)(n * sizeof(float)));
    EXPECT_TRUE(f.good() && f.gcount() == (std::streamsize)(n * sizeof(float))) << path;
    return v;
}

double rel_err(const float *a, const float *b, size_t n)
{
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return std::sqrt(e) / std::max(std::sqrt(s), 1e-30);
}

struct TorchCase {
    const char *spec;
    int C, H, W, B;
    int train, bn_set;
    bool weighted;
};

class TorchCrossCheck : public ::testing::TestWithParam<TorchCase> {};

TEST_P(TorchCrossCheck, LogitsLossAndAllGradientsAgree)
{
    TorchCase tc = GetParam();
    tg_net *raw = nullptr;
    ASSERT_EQ(tg_net_create(&raw, tc.spec, tc.C, tc.H, tc.W), TG_OK) << tg_last_error();
    std::unique_ptr<tg_net, void (*)(tg_net *)> net(raw, tg_net_destroy);
    tg_rng r;
    tg_rng_seed(&r, 77);
    ASSERT_EQ(tg_net_init(raw, &r), TG_OK);
    for (size_t i = 0; i < raw->n_params; i++)
        raw->params[i] += 0.05f * (float)tg_rng_normal(&r);
    for (size_t i = 0; i < raw->n_stats; i++)
        raw->stats[i] = 0.5f + (float)tg_rng_uniform(&r);
    auto x = nntest::randn((size_t)tc.B * tc.C * tc.H * tc.W, 78);
    std::vector<int> y(tc.B);
    for (int b = 0; b < tc.B; b++)
        y[b] = (int)tg_rng_below(&r, (uint64_t)raw->classes);
    std::vector<float> cw;
    for (int k = 0; k < raw->classes; k++)
        cw.push_back(0.5f + (float)k);

    char tmpl[] = "/tmp/tg_nn_torch_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    std::string dir = tmpl;
    {
        std::ofstream meta(dir + "/meta.txt");
        meta << "spec " << tc.spec << "\nshape " << tc.C << " " << tc.H << " " << tc.W << "\nbatch " << tc.B
             << "\ntrain " << tc.train << "\nbnset " << tc.bn_set << "\nmomentum " << raw->bn_momentum << "\neps "
             << raw->bn_eps << "\nweights";
        if (!tc.weighted)
            meta << " none";
        for (size_t k = 0; tc.weighted && k < cw.size(); k++)
            meta << " " << cw[k];
        meta << "\n";
    }
    write_raw(dir + "/params.bin", raw->params, raw->n_params);
    write_raw(dir + "/stats.bin", raw->stats, raw->n_stats);
    write_raw(dir + "/input.bin", x.data(), x.size());
    write_raw(dir + "/labels.bin", y.data(), y.size());

    std::string cmd = std::string(TG_TEST_PYTHON) + " " + TG_TEST_PYTHON_DIR + "/nn_torch_check.py " + dir;
    int rc = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(rc)) << cmd;
    // PyTorch is a declared test dependency (packaging/install-deps.sh): its absence fails.
    ASSERT_NE(WEXITSTATUS(rc), 77) << "PyTorch/NumPy are not installed for " << TG_TEST_PYTHON;
    ASSERT_EQ(WEXITSTATUS(rc), 0) << cmd;

    tg_net_workspace *ws_raw = nullptr;
    ASSERT_EQ(tg_net_workspace_create(&ws_raw, raw, tc.B), TG_OK);
    std::unique_ptr<tg_net_workspace, void (*)(tg_net_workspace *)> ws(ws_raw, tg_net_workspace_destroy);
    tg_net_pass pass = {tc.train, tc.bn_set, 0, nullptr};
    const float *logits = nullptr, *dx = nullptr;
    ASSERT_EQ(tg_net_forward(raw, ws_raw, x.data(), tc.B, &pass, &logits), TG_OK) << tg_last_error();
    const float *w = tc.weighted ? cw.data() : nullptr;
    float loss;
    size_t nl = (size_t)tc.B * raw->classes;
    ASSERT_EQ(tg_xent_forward(&loss, nullptr, logits, y.data(), w, tc.B, raw->classes, TG_REDUCE_MEAN), TG_OK);
    std::vector<float> dl(nl, 0.f);
    ASSERT_EQ(tg_xent_backward(dl.data(), 1.0f, logits, y.data(), w, tc.B, raw->classes, TG_REDUCE_MEAN), TG_OK);
    tg_net_zero_grad(raw);
    ASSERT_EQ(tg_net_backward(raw, ws_raw, dl.data(), TG_NET_GRAD_PARAMS | TG_NET_GRAD_INPUT, &dx), TG_OK);

    auto t_logits = read_raw(dir + "/logits.out", nl);
    auto t_loss = read_raw(dir + "/loss.out", 1);
    auto t_grads = read_raw(dir + "/grads.out", raw->n_params);
    auto t_dx = read_raw(dir + "/dinput.out", x.size());
    auto t_stats = read_raw(dir + "/stats.out", raw->n_stats);
    EXPECT_LT(rel_err(logits, t_logits.data(), nl), 1e-4);
    EXPECT_LT(rel_err(&loss, t_loss.data(), 1), 1e-4);
    EXPECT_LT(rel_err(dx, t_dx.data(), x.size()), 1e-4) << "input gradient";
    for (int i = 0; i < raw->n_layers; i++) {
        const tg_layer &l = raw->layers[i];
        if (l.param_count) {
            EXPECT_LT(rel_err(raw->grads + l.param_off, t_grads.data() + l.param_off, l.param_count), 1e-4)
                << "parameter gradients of layer " << i;
        }
    }
    if (raw->n_stats) {
        EXPECT_LT(rel_err(raw->stats, t_stats.data(), raw->n_stats), 1e-4) << "running statistics";
    }
    for (const char *f : {"meta.txt", "params.bin", "stats.bin", "input.bin", "labels.bin", "logits.out", "loss.out",
                          "grads.out", "dinput.out", "stats.out"})
        std::remove((dir + "/" + f).c_str());
    rmdir(dir.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Nets, TorchCrossCheck,
    ::testing::Values(
        TorchCase{"conv(4,3,1,1)-bn-relu-maxpool(2)-conv(6,3,2,1)-bn-lrelu(0.1)-avgpool(2)-dense(3)", 2, 16, 16, 4, 1,
                  0, true},
        TorchCase{"conv(4,3,1,1)-dbn-relu-maxpool(2,1)-conv(5,3,1,0)-dbn-relu-gap-dense(4)-dense(2)", 1, 12, 10, 3, 0,
                  1, false},
        TorchCase{"conv(16,3,1,1)-relu-maxpool(2)-conv(32,3,1,1)-relu-maxpool(2)-conv(64,3,1,1)-relu-gap-dense(2)", 1,
                  32, 32, 2, 1, 0, false}));

} // namespace
