/* Loading a model (built-in or TorchScript) onto a device in a precision,
 * and the forward pass that every inference path runs. */
#include "torch_private.hpp"

#include <torch/nn/functional/upsampling.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace F = torch::nn::functional;

namespace mb_torch_detail {

/* Resize, cast, layout, forward: everything between the device copy of the
 * input and the raw [n, d] output. */
at::Tensor mb_forward(mb_torch_model &m, at::Tensor x, int resize_to)
{
    if (resize_to > 0) {
        x = F::interpolate(x, F::InterpolateFuncOptions()
                                  .size(std::vector<int64_t>{resize_to, resize_to})
                                  .mode(torch::kBilinear)
                                  .align_corners(false));
    }
    if (m.dtype != c10::kFloat)
        x = x.to(m.dtype);
    if (m.channels_last)
        x = x.contiguous(at::MemoryFormat::ChannelsLast);

    at::Tensor y;
    if (m.net) {
        y = m.net->forward(x);
    } else {
        c10::IValue out = m.script->forward({x});
        if (out.isTuple() && !out.toTuple()->elements().empty())
            out = out.toTuple()->elements()[0];
        TORCH_CHECK(out.isTensor(), "TorchScript model output is a ", out.tagKind(),
                    ", expected a tensor [n, d] or [n, d, 1, 1]");
        y = out.toTensor();
    }
    if (y.dim() == 4 && y.size(2) == 1 && y.size(3) == 1)
        y = y.flatten(1);
    TORCH_CHECK(y.dim() == 2 && y.size(0) == x.size(0), "model output has shape ", y.sizes(),
                " for a batch of ", x.size(0), ", expected [n, d] or [n, d, 1, 1]");
    return y;
}

} /* namespace mb_torch_detail */

using namespace mb_torch_detail;

namespace {

constexpr uint64_t MB_DEFAULT_SEED = 20240601;

/* Converts 4-D weights to channels-last so that convolutions do not convert
 * them again on every call. */
template <class Params>
void mb_params_channels_last(Params &&params)
{
    torch::NoGradGuard no_grad;
    for (at::Tensor p : params) {
        if (p.dim() == 4)
            p.set_data(p.contiguous(at::MemoryFormat::ChannelsLast));
    }
}

/* Returns 0 or the errno of opening path for reading. */
int mb_file_readable(const char *path)
{
    std::FILE *f = std::fopen(path, "rb");
    if (f == nullptr)
        return errno != 0 ? errno : EIO;
    std::fclose(f);
    return 0;
}

} /* namespace */

extern "C" {

int mb_torch_model_load(const mb_model_options *opt, mb_torch_model **out, mb_err *err) noexcept
{
    if (out != nullptr)
        *out = nullptr;
    if (opt == nullptr || opt->spec == nullptr || out == nullptr)
        return mb_err_set(err, MB_EINVAL, "mb_torch_model_load: NULL argument");
    if (opt->device != MB_DEVICE_CPU && opt->device != MB_DEVICE_CUDA &&
        opt->device != MB_DEVICE_MPS)
        return mb_err_set(err, MB_EINVAL, "unknown device %d", static_cast<int>(opt->device));

    static const char prefix[] = "builtin:";
    std::string spec = opt->spec;
    bool builtin = spec.compare(0, sizeof prefix - 1, prefix) == 0;
    /* A missing file is the commonest mistake in a scenario; say so plainly
     * rather than through libtorch's archive-reader message. */
    int open_errno = builtin ? 0 : mb_file_readable(opt->spec);
    if (open_errno != 0)
        return mb_err_set(err, MB_ETORCH, "cannot open TorchScript model '%s': %s", opt->spec,
                          std::strerror(open_errno));

    std::unique_ptr<mb_torch_model> m(new mb_torch_model());
    m->kind = opt->device;
    m->device = mb_to_torch_device(opt->device);
    m->channels_last = opt->channels_last != 0;
    switch (opt->precision) {
    case MB_PRECISION_FP32:
        m->dtype = c10::kFloat;
        break;
    case MB_PRECISION_FP16:
        m->dtype = c10::kHalf;
        break;
    case MB_PRECISION_BF16:
        m->dtype = c10::kBFloat16;
        break;
    default:
        return mb_err_set(err, MB_EINVAL, "unknown precision %d",
                          static_cast<int>(opt->precision));
    }

    int rc = mb_guard(err, [&]() -> int {
#if MB_TORCH_HAVE_CUDA
        if (m->kind == MB_DEVICE_CUDA) {
            /* Batches of one shape repeat thousands of times: let cuDNN time
             * its algorithms once per shape and keep the fastest. */
            at::globalContext().setBenchmarkCuDNN(true);
            m->copy_stream.emplace(c10::cuda::getStreamFromPool(false, mb_cuda_index()));
        }
#endif
        int64_t probe_size = 224;
        if (builtin) {
            std::string name = spec.substr(sizeof prefix - 1);
            torch::manual_seed(opt->seed != 0 ? opt->seed : MB_DEFAULT_SEED);
            m->net = mb_make_builtin(name);
            if (!m->net)
                return mb_err_set(err, MB_EINVAL,
                                  "unknown built-in model '%s' (known: builtin:tiny, "
                                  "builtin:resnet18, builtin:resnet50)",
                                  opt->spec);
            for (auto &p : m->net->parameters())
                p.requires_grad_(false);
            m->net->eval();
            m->net->to(m->device, m->dtype);
            if (m->channels_last)
                mb_params_channels_last(m->net->parameters());
            /* Built-in models accept any input of 32x32 or more. */
            probe_size = 64;
        } else {
            m->script.reset(new torch::jit::Module(torch::jit::load(spec, m->device)));
            m->script->eval();
            m->script->to(m->device, m->dtype);
            if (m->channels_last)
                mb_params_channels_last(m->script->parameters());
        }
        /* One forward pass at load finds the embedding width of a TorchScript
         * model, and fails early (here, not in the first timed job) when the
         * device or the precision cannot run the model. */
        c10::InferenceMode guard;
        at::Tensor x = torch::zeros({1, 3, probe_size, probe_size},
                                    torch::TensorOptions().device(m->device));
        at::Tensor y = mb_forward(*m, x, 0);
        mb_sync(m->device);
        m->dim = y.size(1);
        return 0;
    });
    if (rc != 0)
        return rc;
    *out = m.release();
    return 0;
}

void mb_torch_model_free(mb_torch_model *m) noexcept
{
    try {
        delete m;
    } catch (...) {
        /* A destructor that throws leaves nothing to recover; the C caller
         * must not see the exception. */
    }
}

int mb_torch_model_dim(const mb_torch_model *m) noexcept
{
    return m != nullptr ? static_cast<int>(m->dim) : 0;
}

} /* extern "C" */
