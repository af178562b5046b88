// The sequential network: spec parsing and caps, workspace checks, whole-net finite-difference
// gradients (parameters and input, train and eval, dual BN), dropout independence of batching.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <climits>
#include <cstring>
#include <memory>
#include <string>

#include "nn_test_util.h"

using nntest::expect_grad;
using nntest::randn;

namespace {

struct NetDel {
    void operator()(tg_net *n) const { tg_net_destroy(n); }
    void operator()(tg_net_workspace *w) const { tg_net_workspace_destroy(w); }
};
using NetPtr = std::unique_ptr<tg_net, NetDel>;
using WsPtr = std::unique_ptr<tg_net_workspace, NetDel>;

NetPtr make_net(const char *spec, int c, int h, int w)
{
    tg_net *n = nullptr;
    EXPECT_EQ(tg_net_create(&n, spec, c, h, w), TG_OK) << tg_last_error();
    return NetPtr(n);
}

WsPtr make_ws(const tg_net *net, int batch)
{
    tg_net_workspace *w = nullptr;
    EXPECT_EQ(tg_net_workspace_create(&w, net, batch), TG_OK) << tg_last_error();
    return WsPtr(w);
}

TEST(NnNet, BenchmarkNetworkShapesAndParameterCount)
{
    auto net = make_net("conv(16,3,1,1)-relu-maxpool(2)-conv(32,3,1,1)-relu-maxpool(2)-conv(64,3,1,1)-relu-gap-"
                        "dense(2)",
                        1, 128, 128);
    ASSERT_TRUE(net);
    EXPECT_EQ(net->n_layers, 10);
    EXPECT_EQ(net->classes, 2);
    EXPECT_EQ(net->n_params, (size_t)(16 * 9 + 16 + 32 * 144 + 32 + 64 * 288 + 64 + 2 * 64 + 2));
    EXPECT_EQ(net->layers[5].oh, 32);
    EXPECT_EQ(net->layers[8].oc, 64);
    EXPECT_EQ(net->layers[8].oh, 1);
    tg_rng r;
    tg_rng_seed(&r, 1);
    ASSERT_EQ(tg_net_init(net.get(), &r), TG_OK);
    // He init: conv1 weights have sd sqrt(2/9); biases are zero
    double s2 = 0;
    for (int i = 0; i < 144; i++)
        s2 += (double)net->params[i] * net->params[i];
    EXPECT_NEAR(std::sqrt(s2 / 144), std::sqrt(2.0 / 9), 0.1);
    EXPECT_EQ(net->params[144], 0.0f);
}

void expect_create_fails(const char *spec, int c, int h, int w, tg_status want, const char *needle)
{
    tg_net *n = reinterpret_cast<tg_net *>(1);
    EXPECT_EQ(tg_net_create(&n, spec, c, h, w), want) << (spec ? spec : "(null)") << ": " << tg_last_error();
    EXPECT_EQ(n, nullptr);
    EXPECT_NE(std::string(tg_last_error()).find(needle), std::string::npos) << tg_last_error();
}

TEST(NnNet, BadSpecsAreRejectedWithAMessage)
{
    expect_create_fails(nullptr, 1, 8, 8, TG_ERR_ARG, "spec is NULL");
    expect_create_fails("conv(4,3)-dense(2)", 0, 8, 8, TG_ERR_RANGE, "input shape");
    expect_create_fails("conv(4,3)-pool(2)-dense(2)", 1, 8, 8, TG_ERR_NOTFOUND, "unknown layer 'pool'");
    expect_create_fails("conv(4,3-dense(2)", 1, 8, 8, TG_ERR_FORMAT, "expected ',' or ')'");
    expect_create_fails("conv(4,x)-dense(2)", 1, 8, 8, TG_ERR_FORMAT, "bad number");
    expect_create_fails("conv(4,3)--dense(2)", 1, 8, 8, TG_ERR_FORMAT, "layer name");
    expect_create_fails("conv(4,3)-relu", 1, 8, 8, TG_ERR_FORMAT, "last layer must be dense");
    expect_create_fails("conv(4)-dense(2)", 1, 8, 8, TG_ERR_FORMAT, "conv needs");
    expect_create_fails("conv(4,9)-dense(2)", 1, 8, 8, TG_ERR_RANGE, "does not fit");
    expect_create_fails("conv(4,3,1,3)-dense(2)", 1, 8, 8, TG_ERR_RANGE, "integer in [0, 2]");
    expect_create_fails("conv(4.5,3)-dense(2)", 1, 8, 8, TG_ERR_RANGE, "integer");
    expect_create_fails("dropout(1.0)-dense(2)", 1, 8, 8, TG_ERR_RANGE, "dropout");
    expect_create_fails("relu(1,2)-dense(2)", 1, 8, 8, TG_ERR_FORMAT, "at most 0 arguments");
    expect_create_fails("dense(16384)-dense(2)", 16384, 128, 64, TG_ERR_OVERFLOW, "parameter cap");
    expect_create_fails("dense(16384)-dense(16384)-dense(2)", 1, 64, 64, TG_ERR_OVERFLOW, "parameters");
    std::string many;
    for (int i = 0; i < TG_NET_MAX_LAYERS; i++)
        many += "relu-";
    expect_create_fails((many + "dense(2)").c_str(), 1, 4, 4, TG_ERR_OVERFLOW, "more than 64 layers");
    std::string longspec(TG_NET_MAX_SPEC, 'a');
    expect_create_fails(longspec.c_str(), 1, 4, 4, TG_ERR_OVERFLOW, "spec longer");
}

TEST(NnNet, WorkspaceAndPassMisuseIsRejected)
{
    auto net = make_net("conv(2,3,1,1)-bn-relu-gap-dense(2)", 1, 6, 6);
    auto other = make_net("gap-dense(2)", 1, 6, 6);
    ASSERT_TRUE(net && other);
    tg_net_workspace *w = reinterpret_cast<tg_net_workspace *>(1);
    EXPECT_EQ(tg_net_workspace_create(&w, net.get(), 0), TG_ERR_ARG);
    EXPECT_EQ(w, nullptr);
    auto big = make_net("gap-dense(2)", 1024, 1024, 1024);
    EXPECT_EQ(tg_net_workspace_create(&w, big.get(), INT_MAX), TG_ERR_OVERFLOW);
    EXPECT_EQ(w, nullptr);
    auto ws = make_ws(net.get(), 2);
    auto ws_other = make_ws(other.get(), 2);
    std::vector<float> x(2 * 36, 0.5f), dl(4, 1.0f);
    const float *logits = nullptr, *dx = nullptr;
    tg_net_pass pass = {1, 0, 0, nullptr};
    EXPECT_EQ(tg_net_backward(net.get(), ws.get(), dl.data(), TG_NET_GRAD_INPUT, &dx), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("no successful forward"), std::string::npos);
    EXPECT_EQ(tg_net_forward(net.get(), ws.get(), x.data(), 3, &pass, &logits), TG_ERR_ARG);
    EXPECT_EQ(tg_net_forward(net.get(), ws_other.get(), x.data(), 2, &pass, &logits), TG_ERR_ARG);
    EXPECT_EQ(tg_net_forward(net.get(), ws.get(), nullptr, 2, &pass, &logits), TG_ERR_ARG);
    pass.bn_set = 1;
    EXPECT_EQ(tg_net_forward(net.get(), ws.get(), x.data(), 2, &pass, &logits), TG_ERR_ARG);
    EXPECT_NE(std::string(tg_last_error()).find("dual BN"), std::string::npos);
    pass.bn_set = 0;
    ASSERT_EQ(tg_net_forward(net.get(), ws.get(), x.data(), 2, &pass, &logits), TG_OK) << tg_last_error();
    EXPECT_EQ(tg_net_backward(net.get(), ws.get(), dl.data(), 0, &dx), TG_ERR_ARG);
    EXPECT_EQ(tg_net_backward(net.get(), ws.get(), dl.data(), TG_NET_GRAD_INPUT, nullptr), TG_ERR_ARG);
    EXPECT_EQ(tg_net_backward(net.get(), ws.get(), dl.data(), TG_NET_GRAD_INPUT, &dx), TG_OK);
}

// Whole-network gradient check: loss = weighted cross-entropy of the logits.
void check_net_gradients(const char *spec, int C, int H, int W, int B, const tg_net_pass &pass, uint64_t seed)
{
    auto net = make_net(spec, C, H, W);
    ASSERT_TRUE(net);
    tg_rng r;
    tg_rng_seed(&r, seed);
    ASSERT_EQ(tg_net_init(net.get(), &r), TG_OK);
    for (size_t i = 0; i < net->n_params; i++) // non-trivial BN affine and biases
        net->params[i] += 0.1f * (float)tg_rng_normal(&r);
    for (size_t i = 0; i < net->n_stats; i++)
        net->stats[i] = 0.5f + 0.5f * (float)tg_rng_uniform(&r);
    auto ws = make_ws(net.get(), B);
    auto x = randn((size_t)B * C * H * W, seed + 1);
    std::vector<int> y(B);
    for (int b = 0; b < B; b++)
        y[b] = b % net->classes;
    std::vector<float> cw(net->classes, 1.0f);
    cw[0] = 2.0f;
    const float *logits = nullptr;
    auto loss = [&](const float *input) {
        EXPECT_EQ(tg_net_forward(net.get(), ws.get(), input, B, &pass, &logits), TG_OK) << tg_last_error();
        float l;
        EXPECT_EQ(tg_xent_forward(&l, nullptr, logits, y.data(), cw.data(), B, net->classes, TG_REDUCE_MEAN), TG_OK);
        return (double)l;
    };
    loss(x.data());
    std::vector<float> dl((size_t)B * net->classes, 0.f);
    ASSERT_EQ(tg_xent_backward(dl.data(), 1.0f, logits, y.data(), cw.data(), B, net->classes, TG_REDUCE_MEAN), TG_OK);
    tg_net_zero_grad(net.get());
    const float *dx = nullptr;
    ASSERT_EQ(tg_net_backward(net.get(), ws.get(), dl.data(), TG_NET_GRAD_PARAMS | TG_NET_GRAD_INPUT, &dx), TG_OK);
    std::vector<float> dinput(dx, dx + x.size());
    auto f = [&] { return loss(x.data()); };
    expect_grad(f, net->params, net->grads, net->n_params, 1e-3, 1e-2, 1e-3, "net params");
    expect_grad(f, x.data(), dinput.data(), x.size(), 1e-3, 1e-2, 1e-3, "net input");

    // input gradient alone equals the one computed together with parameter gradients
    loss(x.data());
    ASSERT_EQ(tg_net_backward(net.get(), ws.get(), dl.data(), TG_NET_GRAD_INPUT, &dx), TG_OK);
    for (size_t i = 0; i < x.size(); i++)
        ASSERT_NEAR(dx[i], dinput[i], 1e-6 + 1e-5 * std::fabs(dinput[i]));
}

const char *kMixedSpec = "conv(3,3,1,1)-dbn-lrelu(0.1)-maxpool(2)-conv(4,3,2,1)-dbn-relu-avgpool(2)-dense(5)-"
                         "dropout(0.2)-dense(3)";

TEST(NnNet, WholeNetGradientsTrainModeDualBnSet1)
{
    tg_net_pass pass = {1, 1, 7, nullptr};
    check_net_gradients(kMixedSpec, 2, 8, 8, 3, pass, 40);
}

TEST(NnNet, WholeNetGradientsEvalMode)
{
    tg_net_pass pass = {0, 0, 0, nullptr};
    check_net_gradients(kMixedSpec, 2, 8, 8, 3, pass, 41);
}

TEST(NnNet, WholeNetGradientsStridedConvGapDense)
{
    tg_net_pass pass = {1, 0, 0, nullptr};
    check_net_gradients("conv(4,3,2,1)-bn-relu-conv(3,2)-lrelu-gap-dense(4)-bn-dense(2)", 1, 9, 7, 4, pass, 42);
}

TEST(NnNet, DualBnUpdatesOnlyTheSelectedRunningStatistics)
{
    auto net = make_net("conv(2,3,1,1)-dbn-relu-gap-dense(2)", 1, 5, 5);
    ASSERT_TRUE(net);
    auto ws = make_ws(net.get(), 2);
    auto x = randn(2 * 25, 50);
    const float *logits;
    std::vector<float> before(net->stats, net->stats + net->n_stats);
    tg_net_pass pass = {1, 1, 0, nullptr};
    ASSERT_EQ(tg_net_forward(net.get(), ws.get(), x.data(), 2, &pass, &logits), TG_OK);
    const tg_layer &bn = net->layers[1];
    for (size_t i = 0; i < 4; i++) // set 0: mean[2], var[2]
        EXPECT_EQ(net->stats[bn.stat_off + i], before[bn.stat_off + i]);
    bool changed = false;
    for (size_t i = 4; i < 8; i++)
        changed |= net->stats[bn.stat_off + i] != before[bn.stat_off + i];
    EXPECT_TRUE(changed);
    // eval passes leave the running statistics alone
    std::vector<float> after(net->stats, net->stats + net->n_stats);
    pass.train = 0;
    ASSERT_EQ(tg_net_forward(net.get(), ws.get(), x.data(), 2, &pass, &logits), TG_OK);
    EXPECT_EQ(0, std::memcmp(after.data(), net->stats, net->n_stats * sizeof(float)));
}

TEST(NnNet, DropoutDoesNotDependOnBatching)
{
    auto net = make_net("conv(3,3,1,1)-relu-gap-dropout(0.5)-dense(2)", 1, 6, 6);
    ASSERT_TRUE(net);
    tg_rng r;
    tg_rng_seed(&r, 3);
    ASSERT_EQ(tg_net_init(net.get(), &r), TG_OK);
    auto ws = make_ws(net.get(), 4);
    auto x = randn(4 * 36, 51);
    uint64_t ids[4] = {100, 101, 102, 103};
    tg_net_pass pass = {1, 0, 1234, ids};
    const float *logits;
    ASSERT_EQ(tg_net_forward(net.get(), ws.get(), x.data(), 4, &pass, &logits), TG_OK);
    std::vector<float> all(logits, logits + 8);
    pass.sample_ids = ids + 2;
    ASSERT_EQ(tg_net_forward(net.get(), ws.get(), x.data() + 2 * 36, 1, &pass, &logits), TG_OK);
    EXPECT_NEAR(logits[0], all[4], 1e-6);
    EXPECT_NEAR(logits[1], all[5], 1e-6);
}

} // namespace
