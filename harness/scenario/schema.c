/* The scenario schema: every key a scenario file may hold, one row each.
 * The order of the rows is the order of the "expected a, b or c" lists in
 * messages and of the reference in the README. */
#include "schema.h"

#include <stddef.h>


#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define TABLE(rows) {rows, COUNT(rows)}

#define INT_ROW(T, key, field, lo, hi, dflt, text)                                            \
    {.name = key, .type = MB__KEY_INT, .offset = offsetof(T, field), .min = lo, .max = hi,   \
     .def = dflt, .help = text}
#define BOOL_ROW(T, key, field, dflt, text)                                                   \
    {.name = key, .type = MB__KEY_BOOL, .offset = offsetof(T, field), .def = dflt, .help = text}
#define FRACTION_ROW(T, key, field, most, dflt, text)                                         \
    {.name = key, .type = MB__KEY_FRACTION, .offset = offsetof(T, field), .fmax = most,       \
     .def = dflt, .help = text}
#define ENUM_ROW(T, key, field, what_, list, dflt, text)                                      \
    {.name = key, .type = MB__KEY_ENUM, .offset = offsetof(T, field), .what = what_,          \
     .words = list, .n_words = COUNT(list), .def = dflt, .help = text}
#define TABLE_ROW(T, key, field, table, text)                                                 \
    {.name = key, .type = MB__KEY_TABLE, .offset = offsetof(T, field), .sub = &table,         \
     .help = text}
#define CUSTOM_ROW(key, reader, type_, range, dflt, text)                                     \
    {.name = key, .type = MB__KEY_CUSTOM, .read = reader, .doc_type = type_,                  \
     .doc_range = range, .def = dflt, .help = text}

static const char *const formats[] = {"jpeg", "png"};
static const char *const resize_on[] = {"host", "device"};
static const char *const decodes[] = {"auto", "host", "gpu"};
static const char *const on_oom[] = {"continue", "exit"};
static const char *const orders[] = {"interleaved", "sequential"};
static const char *const fresh[] = {"auto", "always", "never"};
static const char *const oom[] = {"never", "allowed", "expected"};

static const mb__key images_keys[] = {
    CUSTOM_ROW("sizes", mb__read_sizes, "list", "WIDTHxHEIGHT", "224x224",
               "image sizes to measure (the image_size axis)"),
    INT_ROW(mb_images, "per_job", per_job, 1, 10000, "32", "images in one job"),
    ENUM_ROW(mb_images, "format", format, "image format", formats, "jpeg",
             "format of the generated images"),
    CUSTOM_ROW("dir", mb__read_images_dir, "folder", "relative to the scenario", NULL,
               "your own photos instead of generated ones"),
    CUSTOM_ROW("group_by_size", mb__read_group_by_size, "bool", "true, false", "true",
               "false: take the photos in images.dir as they are, without sizes"),
    BOOL_ROW(mb_images, "allow_unreadable", allow_unreadable, "false",
             "photos that cannot be read are listed but do not fail the cell"),
};
static const mb__table images_table = TABLE(images_keys);

static const mb__key adaptive_keys[] = {
    INT_ROW(mb__adaptive, "min", min, 2, 1000, NULL, "repetitions before a cell may stop"),
    INT_ROW(mb__adaptive, "max", max, 2, 1000, NULL, "repetitions at most"),
    {.name = "target_ci", .type = MB__KEY_FRACTION, .offset = offsetof(mb__adaptive, target_ci),
     .fmax = 1.0, .positive = true,
     .help = "stop once the 95% interval of the median is within +-this of it"},
};
const mb__table mb__adaptive_table = TABLE(adaptive_keys);

static const mb__key run_keys[] = {
    INT_ROW(mb_run_opts, "jobs", jobs, 1, 100000, "10", "measured jobs per repetition"),
    INT_ROW(mb_run_opts, "warmup_jobs", warmup_jobs, 0, 100000, "1",
            "jobs before the measured ones, per repetition"),
    {.name = "repetitions", .type = MB__KEY_CUSTOM, .read = mb__read_repetitions,
     .sub = &mb__adaptive_table, .doc_type = "int or mapping", .doc_range = "1 to 1000",
     .def = "5", .help = "repetitions of every cell; {min, max, target_ci} for adaptive"},
    {.name = "timeout", .type = MB__KEY_DURATION, .offset = offsetof(mb_run_opts, timeout_s),
     .fmax = 86400, .def = "120s", .help = "longest a job may take"},
    {.name = "memory_limit", .type = MB__KEY_BYTES, .offset = offsetof(mb_run_opts, memory_limit),
     .def = "none", .help = "memory cap of each worker"},
    CUSTOM_ROW("exec", mb__read_run_exec, "enum", "persistent, fork_per_job", "persistent",
               "one exec mode for every cell (a list belongs in matrix.exec)"),
    ENUM_ROW(mb_run_opts, "on_oom", on_oom, "on_oom action", on_oom, "continue",
             "what a cell does after an OOM"),
    INT_ROW(mb_run_opts, "threads", threads, 0, 4096, "0", "intra-op threads (0: all cores)"),
    INT_ROW(mb_run_opts, "inflight", inflight, 1, 1024, "1", "jobs queued ahead per worker"),
    INT_ROW(mb_run_opts, "decode_threads", decode_threads, 0, 4096, "0",
            "the worker's decode pool (0: all cores)"),
    ENUM_ROW(mb_run_opts, "order", order, "order", orders, "interleaved",
             "rounds of shuffled cells, or cell by cell"),
    INT_ROW(mb_run_opts, "max_live_workers", max_live_workers, 1, 64, "4",
            "worker processes kept alive across rounds"),
    ENUM_ROW(mb_run_opts, "fresh_workers", fresh_workers, "fresh_workers", fresh, "auto",
             "a new worker process for each repetition: auto (A/B pairs and contrasts), "
             "always, never"),
    BOOL_ROW(mb_run_opts, "allow_paravirtual_mps", allow_paravirtual_mps, "false",
             "run MPS cells on a hosted runner's paravirtual GPU"),
    INT_ROW(mb_run_opts, "max_cells", max_cells, 1, MB__MAX_CELLS, "2000",
            "a larger matrix needs --yes"),
};
static const mb__table run_table = TABLE(run_keys);

static const mb__key expect_keys[] = {
    ENUM_ROW(mb_expect, "oom", oom, "oom expectation", oom, "never",
             "whether a cell may run out of memory"),
    FRACTION_ROW(mb_expect, "regression", regression, 1.0, "5%",
                 "the smallest slowdown against a baseline that fails"),
};
const mb__table mb__expect_table = TABLE(expect_keys);

static const mb__key fault_keys[] = {
    BOOL_ROW(mb_fault, "emulate_mps_accounting", emulate_mps_accounting, "false",
             "harness self-test: fix-off cells OOM as on the seed's Mac"),
    INT_ROW(mb_fault, "crash_after_jobs", crash_after_jobs, 0, 100000, "0",
            "harness self-test: the worker kills itself as it takes job N+1 (with "
            "`inflight` > 1, during job N's last batch: both are reported crashed)"),
    INT_ROW(mb_fault, "hang_after_jobs", hang_after_jobs, 0, 100000, "0",
            "harness self-test: the worker stops answering as it takes job N+1 "
            "(likewise)"),
    /* Up to 100 times slower: more is no longer a benchmark. */
    FRACTION_ROW(mb_fault, "slowdown", slowdown, 100.0, "0%",
                 "harness self-test: each job takes this much longer"),
};
static const mb__table fault_table = TABLE(fault_keys);

static const mb__key search_keys[] = {
    CUSTOM_ROW("batch_size", mb__read_search_mode, "enum", "frontier", NULL,
               "find the largest batch that fits instead of measuring the batch axis"),
    INT_ROW(mb_search, "max_batch_size", max_batch_size, 1, 4096, "1024",
            "the largest batch the search tries"),
};
static const mb__table search_table = TABLE(search_keys);

static const mb__key worker_keys[] = {
    CUSTOM_ROW("kind", mb__read_worker_kind, "enum", "native, rq", "native",
               "the worker for every cell (a list belongs in matrix.worker)"),
    CUSTOM_ROW("command", mb__read_command, "list", "with {redis} and {queue}",
               "rq worker ...", "the RQ worker's argv (no shell)"),
    CUSTOM_ROW("function", mb__read_function, "string", "module.function", "embed_job.embed",
               "the RQ job function"),
    CUSTOM_ROW("queue", mb__read_queue, "string", "letters, digits, -, _, .", "mpsbench",
               "the RQ queue name"),
    CUSTOM_ROW("pythonpath", mb__read_pythonpath, "list", "folders", NULL,
               "folders put first on the RQ worker's PYTHONPATH"),
};
static const mb__table worker_table = TABLE(worker_keys);

static const mb__key contrast_keys[] = {
    {.name = "axis", .type = MB__KEY_STRING, .offset = offsetof(mb__contrast_entry, axis),
     .doc_range = "an axis of the matrix", .help = "the axis whose cells are contrasted"},
    FRACTION_ROW(mb__contrast_entry, "max_cost", max_cost, 1.0, NULL,
                 "fail when the other side costs more than this"),
};
const mb__table mb__contrast_table = TABLE(contrast_keys);

static const mb__key override_keys[] = {
    CUSTOM_ROW("when", mb__read_when, "mapping", "axis: value", NULL,
               "the cells the override applies to"),
    {.name = "expect", .type = MB__KEY_CUSTOM, .read = mb__read_override_expect,
     .sub = &mb__expect_table, .doc_type = "mapping", .help = "expectations for those cells (others: the scenario's)"},
};
const mb__table mb__override_table = TABLE(override_keys);

/* The axes, for the reference only: matrix is read by mb__read_matrix
 * against the axis rules of axis.c (a test checks the two agree). */
static const mb__key matrix_keys[] = {
    CUSTOM_ROW("worker", NULL, "list", "native, rq", "native", "the program that serves jobs"),
    CUSTOM_ROW("device", NULL, "list", "mps, cuda, cpu, auto", "auto",
               "auto: every usable device"),
    CUSTOM_ROW("watermark_fix", NULL, "list", "on, off", "on", "PyTorch's MPS watermark fix"),
    CUSTOM_ROW("exec", NULL, "list", "persistent, fork_per_job", "persistent",
               "one process, or a fork per job"),
    CUSTOM_ROW("precision", NULL, "list", "fp32, fp16, bf16", "fp32", "the model's precision"),
    CUSTOM_ROW("image_size", NULL, "list", "WIDTHxHEIGHT", "224x224",
               "or images.sizes, not both"),
    CUSTOM_ROW("batch_size", NULL, "list", "1 to 4096", "16", "images per forward pass"),
    CUSTOM_ROW("env.NAME", NULL, "list", "any text", NULL,
               "an environment variable of the worker"),
};
const mb__table mb__matrix_table = TABLE(matrix_keys);

static const mb__key root_keys[] = {
    CUSTOM_ROW("name", mb__read_name, "string", "letters, digits, -, _, .", NULL,
               "names the results and the benchmarks (default: the file's name)"),
    CUSTOM_ROW("model", mb__read_model, "string",
               "builtin:tiny, builtin:resnet18, builtin:resnet50, or a file",
               "builtin:resnet50", "the model (a TorchScript file is relative to the scenario)"),
    CUSTOM_ROW("input_size", mb__read_input_size, "int", "1 to 16384, or native", "224",
               "the model's input side in pixels"),
    ENUM_ROW(mb_scenario, "resize_on", resize_on, "resize_on", resize_on, "host",
             "where images are resized"),
    ENUM_ROW(mb_scenario, "decode", decode, "decode", decodes, "auto",
             "where the native worker decodes JPEGs: host, gpu (nvJPEG), auto (nvJPEG and "
             "the host pool share each batch; images near the model's size stay on the host)"),
    TABLE_ROW(mb_scenario, "images", images, images_table, "the images the jobs carry"),
    {.name = "matrix", .type = MB__KEY_CUSTOM, .read = mb__read_matrix, .sub = &mb__matrix_table,
     .doc_type = "mapping", .help = "the axes; every combination is a cell"},
    TABLE_ROW(mb_scenario, "run", run, run_table, "how cells run"),
    TABLE_ROW(mb_scenario, "expect", expect, mb__expect_table, "what every cell must do"),
    CUSTOM_ROW("require", mb__read_require, "list", "mps, cuda, cpu", NULL,
               "devices that must be usable (a skipped cell then fails)"),
    {.name = "overrides", .type = MB__KEY_CUSTOM, .read = mb__read_overrides_node,
     .sub = &mb__override_table, .doc_type = "list", .doc_range = "at most 256",
     .help = "expectations for some cells"},
    TABLE_ROW(mb_scenario, "fault", fault, fault_table, "fault injection, for harness tests"),
    TABLE_ROW(mb_scenario, "search", search, search_table, "a batch-size frontier search"),
    TABLE_ROW(mb_scenario, "worker", worker, worker_table, "how the RQ worker runs"),
    {.name = "contrasts", .type = MB__KEY_CUSTOM, .read = mb__read_contrasts,
     .sub = &mb__contrast_table, .doc_type = "list", .doc_range = "axis names or mappings",
     .help = "axes whose cells are compared round by round (fix and worker: always)"},
};
const mb__table mb__root_table = TABLE(root_keys);
