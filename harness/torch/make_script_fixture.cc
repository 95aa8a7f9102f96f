/* Writes the TorchScript fixture fixtures/models/tiny_script.pt and, beside
 * it, tiny_script.reference.json: a deterministic input recipe and the
 * embedding this program computes for it at generation time.  test_torch
 * then runs the saved file through mb_torch's whole pipeline (load, device
 * copy, forward, flatten, L2 normalization) and compares with the reference,
 * so the reference must not come from mb_torch itself.
 *
 * Usage: mb_make_script_fixture OUTPUT_DIR
 * Built on request only (EXCLUDE_FROM_ALL); rerun it only when the fixture
 * must change, and commit both files together. */

#include <torch/script.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace {

/* The model: two strided 3x3 convolutions with ReLU and a global mean that
 * keeps its 1x1 spatial dimensions, so the loader's [n, d, 1, 1] flattening
 * is exercised too. */
const char *const kForward = R"JIT(
def forward(self, x):
    y = torch.relu(torch.conv2d(x, self.w1, self.b1, [2, 2], [1, 1]))
    y = torch.relu(torch.conv2d(y, self.w2, self.b2, [2, 2], [1, 1]))
    return torch.mean(y, [2, 3], True)
)JIT";

constexpr int kN = 2, kC = 3, kH = 32, kW = 32;

/* Exact in float and free of libm, so C code can rebuild the same input. */
float input_value(long i)
{
    return static_cast<float>((i * 37) % 101) / 50.0f - 1.0f;
}

} /* namespace */

int main(int argc, char **argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    try {
        torch::manual_seed(7);
        torch::jit::Module m("MbTinyScript");
        m.register_parameter("w1", torch::randn({8, kC, 3, 3}) * 0.3, false);
        m.register_parameter("b1", torch::randn({8}) * 0.1, false);
        m.register_parameter("w2", torch::randn({16, 8, 3, 3}) * 0.2, false);
        m.register_parameter("b2", torch::randn({16}) * 0.1, false);
        m.define(kForward);
        m.eval();
        m.save(dir + "/tiny_script.pt");

        std::vector<float> input(static_cast<size_t>(kN) * kC * kH * kW);
        for (size_t i = 0; i < input.size(); i++)
            input[i] = input_value(static_cast<long>(i));
        torch::NoGradGuard no_grad;
        at::Tensor x = torch::from_blob(input.data(), {kN, kC, kH, kW}, torch::kFloat);
        at::Tensor y = m.forward({x}).toTensor().reshape({kN, -1}).contiguous();
        const int64_t dim = y.size(1);
        const float *raw = y.data_ptr<float>();

        std::string path = dir + "/tiny_script.reference.json";
        std::FILE *f = std::fopen(path.c_str(), "w");
        if (f == nullptr) {
            std::perror(path.c_str());
            return 1;
        }
        std::fprintf(f,
                     "{\n"
                     "  \"model\": \"tiny_script.pt\",\n"
                     "  \"generator\": \"harness/torch/make_script_fixture.cc\",\n"
                     "  \"torch_version\": \"%s\",\n"
                     "  \"input\": {\"n\": %d, \"c\": %d, \"h\": %d, \"w\": %d,\n"
                     "            \"recipe\": \"x[i] = ((i * 37) %% 101) / 50 - 1 for the flat "
                     "NCHW index i, in float32\"},\n"
                     "  \"dim\": %lld,\n"
                     "  \"embedding\": [\n",
                     TORCH_VERSION, kN, kC, kH, kW, static_cast<long long>(dim));
        /* L2 normalization done here in double, independently of torch. */
        for (int r = 0; r < kN; r++) {
            double norm = 0.0;
            for (int64_t j = 0; j < dim; j++)
                norm += static_cast<double>(raw[r * dim + j]) * raw[r * dim + j];
            norm = std::sqrt(norm);
            std::fprintf(f, "    [");
            for (int64_t j = 0; j < dim; j++)
                std::fprintf(f, "%s%.9g", j ? ", " : "", raw[r * dim + j] / norm);
            std::fprintf(f, "]%s\n", r + 1 < kN ? "," : "");
        }
        std::fprintf(f, "  ]\n}\n");
        if (std::fclose(f) != 0) {
            std::perror(path.c_str());
            return 1;
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "mb_make_script_fixture: %s\n", e.what());
        return 1;
    }
    return 0;
}
