/* The built-in models (builtin:tiny, builtin:resnet18, builtin:resnet50):
 * torchvision's ResNet layer structure and initialisation with random
 * weights, so that a benchmark needs no model file. */
#include "torch_private.hpp"

#include <torch/nn/init.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/pooling.h>

namespace mb_torch_detail {

namespace {

torch::nn::Conv2d mb_conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t pad)
{
    return torch::nn::Conv2d(
        torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(false));
}

} /* namespace */

/* A torchvision ResNet block: BasicBlock (two 3x3 convs) or Bottleneck
 * (1x1, 3x3, 1x1 with expansion 4) with the stride on the 3x3 conv, as in
 * torchvision's "v1.5" models, so FLOPs and layer structure match. */
struct MbBlock : torch::nn::Module {
    MbBlock(int64_t in, int64_t planes, int64_t stride, bool bottleneck)
        : bottleneck_(bottleneck)
    {
        int64_t out = bottleneck ? planes * 4 : planes;
        if (bottleneck) {
            conv1 = register_module("conv1", mb_conv(in, planes, 1, 1, 0));
            conv2 = register_module("conv2", mb_conv(planes, planes, 3, stride, 1));
            conv3 = register_module("conv3", mb_conv(planes, out, 1, 1, 0));
            bn3 = register_module("bn3", torch::nn::BatchNorm2d(out));
        } else {
            conv1 = register_module("conv1", mb_conv(in, planes, 3, stride, 1));
            conv2 = register_module("conv2", mb_conv(planes, planes, 3, 1, 1));
        }
        bn1 = register_module("bn1", torch::nn::BatchNorm2d(planes));
        bn2 = register_module("bn2", torch::nn::BatchNorm2d(planes));
        if (stride != 1 || in != out) {
            down = register_module("downsample_conv", mb_conv(in, out, 1, stride, 0));
            down_bn = register_module("downsample_bn", torch::nn::BatchNorm2d(out));
        }
    }

    /* In place where torchvision is (ReLU(inplace=True), out += identity):
     * each of these would otherwise allocate and write a fresh activation,
     * which on the CPU costs memory bandwidth the convolutions need. */
    at::Tensor forward(const at::Tensor &x)
    {
        at::Tensor y = bn1->forward(conv1->forward(x)).relu_();
        y = bn2->forward(conv2->forward(y));
        if (bottleneck_)
            y = bn3->forward(conv3->forward(y.relu_()));
        at::Tensor identity = down ? down_bn->forward(down->forward(x)) : x;
        return y.add_(identity).relu_();
    }

    bool bottleneck_;
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, down{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, down_bn{nullptr};
};

at::Tensor MbNet::forward(const at::Tensor &x)
{
    at::Tensor y = stem->forward(x);
    for (auto &b : blocks)
        y = b->forward(y);
    return torch::adaptive_avg_pool2d(y, {1, 1}).flatten(1);
}

namespace {

std::shared_ptr<MbNet> mb_make_tiny()
{
    auto net = std::make_shared<MbNet>();
    net->stem = net->register_module(
        "stem", torch::nn::Sequential(mb_conv(3, 16, 3, 2, 1), torch::nn::ReLU(),
                                      mb_conv(16, 32, 3, 2, 1), torch::nn::ReLU(),
                                      mb_conv(32, 64, 3, 2, 1), torch::nn::ReLU()));
    return net;
}

std::shared_ptr<MbNet> mb_make_resnet(const int (&layers)[4], bool bottleneck)
{
    auto net = std::make_shared<MbNet>();
    net->stem = net->register_module(
        "stem", torch::nn::Sequential(
                    mb_conv(3, 64, 7, 2, 3), torch::nn::BatchNorm2d(64),
                    torch::nn::ReLU(torch::nn::ReLUOptions().inplace(true)),
                    torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1))));
    int64_t in = 64;
    for (int stage = 0; stage < 4; stage++) {
        int64_t planes = int64_t{64} << stage;
        for (int i = 0; i < layers[stage]; i++) {
            int64_t stride = (stage > 0 && i == 0) ? 2 : 1;
            auto block = std::make_shared<MbBlock>(in, planes, stride, bottleneck);
            net->blocks.push_back(net->register_module(
                "layer" + std::to_string(stage + 1) + "_" + std::to_string(i), block));
            in = bottleneck ? planes * 4 : planes;
        }
    }
    return net;
}

/* torchvision's initialisation: He-normal (fan_out) convs and identity
 * BatchNorm, so that random-weight activations keep a sane scale through
 * fifty layers.  Running statistics keep their defaults, mean 0 and var 1. */
void mb_init_like_torchvision(MbNet &net)
{
    torch::NoGradGuard no_grad;
    for (auto &mod : net.modules(/*include_self=*/false)) {
        if (auto *conv = mod->as<torch::nn::Conv2d>()) {
            torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
            if (conv->bias.defined())
                torch::nn::init::zeros_(conv->bias);
        } else if (auto *bn = mod->as<torch::nn::BatchNorm2d>()) {
            torch::nn::init::ones_(bn->weight);
            torch::nn::init::zeros_(bn->bias);
        }
    }
}

} /* namespace */

std::shared_ptr<MbNet> mb_make_builtin(const std::string &name)
{
    static const int resnet18[4] = {2, 2, 2, 2};
    static const int resnet50[4] = {3, 4, 6, 3};
    std::shared_ptr<MbNet> net;
    if (name == "tiny")
        net = mb_make_tiny();
    else if (name == "resnet18")
        net = mb_make_resnet(resnet18, false);
    else if (name == "resnet50")
        net = mb_make_resnet(resnet50, true);
    else
        return nullptr;
    mb_init_like_torchvision(*net);
    return net;
}

} /* namespace mb_torch_detail */
