/* mpsbench-worker: consumes embedding jobs from a Redis stream and answers
 * on the results stream (harness/queue/PROTOCOL.md).  Lifecycle: apply the
 * environment policy -> probe the device -> load the model once -> announce
 * (hello key) -> consume jobs until SIGTERM.  A failing job is reported and
 * the worker keeps going; only `--on-oom exit` ends it on an OOM, to mimic
 * the service's crash. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "env_policy.h"
#include "heap_policy.h"
#include "host_memory.h"
#include "job_loop.h"
#include "memory_cap.h"
#include "mps_device.h"
#include "mb_opts.h"
#include "mb_exit.h"
#include "mb_util.h"
#include "pipeline.h"
#include "protocol.h"
#include "queue.h"
#include "torch_api.h"

typedef struct worker_config {
    const char *redis_url;
    const char *jobs_stream;
    const char *results_stream;
    const char *group;
    const char *worker_id;
    const char *hello_key;
    const char *device;
    const char *model;
    const char *precision;
    int threads;
    int decode_threads;
    bool watermark_fix;
    bool exit_on_oom;
    bool channels_last;
    bool probe_only;
    const char *check_model;    /* --check-model PATH: load it on the CPU and exit */
    bool fork_per_job;
    bool allow_paravirtual_mps;
    int heartbeat_s;
    uint64_t memory_limit;
    bool heap_keeps_freed;      /* mb_heap_keep_freed took effect (hello record) */
    /* Fault injection (testing the harness itself). */
    bool fault_mps_accounting;
    int fault_crash_after;
    int fault_hang_after;
} worker_config;

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

enum {
    OPT_REDIS = 1, OPT_JOBS, OPT_RESULTS, OPT_GROUP, OPT_ID, OPT_HELLO, OPT_DEVICE,
    OPT_MODEL, OPT_PRECISION, OPT_THREADS, OPT_FIX, OPT_ON_OOM, OPT_CHANNELS_LAST,
    OPT_PROBE, OPT_HEARTBEAT, OPT_HELP, OPT_EXEC, OPT_MEMORY_LIMIT, OPT_FAULT_MPS,
    OPT_FAULT_CRASH, OPT_FAULT_HANG, OPT_DECODE_THREADS, OPT_ALLOW_PARAVIRTUAL, OPT_CHECK_MODEL
};

static const mb_opt worker_opts[] = {
    {"redis", 0, 1, OPT_REDIS},
    {"jobs", 0, 1, OPT_JOBS},
    {"results", 0, 1, OPT_RESULTS},
    {"group", 0, 1, OPT_GROUP},
    {"id", 0, 1, OPT_ID},
    {"hello-key", 0, 1, OPT_HELLO},
    {"device", 0, 1, OPT_DEVICE},
    {"model", 0, 1, OPT_MODEL},
    {"precision", 0, 1, OPT_PRECISION},
    {"threads", 0, 1, OPT_THREADS},
    {"decode-threads", 0, 1, OPT_DECODE_THREADS},
    {"allow-paravirtual-mps", 0, 0, OPT_ALLOW_PARAVIRTUAL},
    {"watermark-fix", 0, 1, OPT_FIX},
    {"on-oom", 0, 1, OPT_ON_OOM},
    {"channels-last", 0, 0, OPT_CHANNELS_LAST},
    {"probe", 0, 0, OPT_PROBE},
    {"check-model", 0, 1, OPT_CHECK_MODEL},
    {"heartbeat", 0, 1, OPT_HEARTBEAT},
    {"help", 'h', 0, OPT_HELP},
    {"exec", 0, 1, OPT_EXEC},
    {"memory-limit", 0, 1, OPT_MEMORY_LIMIT},
    {"fault-mps-accounting", 0, 0, OPT_FAULT_MPS},
    {"fault-crash-after", 0, 1, OPT_FAULT_CRASH},
    {"fault-hang-after", 0, 1, OPT_FAULT_HANG},
    {NULL, 0, 0, 0},
};

static void usage(FILE *f)
{
    fputs("usage: mpsbench-worker --redis URL --jobs STREAM --results STREAM [--group NAME]\n"
          "         [--id ID] [--hello-key KEY] [--device cpu|cuda|mps] [--model SPEC]\n"
          "         [--precision fp32|fp16|bf16] [--threads N] [--decode-threads N]\n"
          "         [--watermark-fix on|off]\n"
          "         [--on-oom continue|exit] [--channels-last] [--heartbeat SECONDS]\n"
          "         [--exec persistent|fork_per_job] [--memory-limit BYTES]\n"
          "         [--fault-mps-accounting] [--fault-crash-after N] [--fault-hang-after N]\n"
          "         [--allow-paravirtual-mps]\n"
          "       mpsbench-worker --probe    (prints the usable devices as JSON)\n"
          "       mpsbench-worker --check-model PATH    (loads a TorchScript file on the CPU;\n"
          "                                              exit 0, or 2 with the reason)\n",
          f);
}

static int parse_on_off(const char *opt, const char *v, bool *out, mb_err *err)
{
    if (strcmp(v, "on") == 0 || strcmp(v, "true") == 0)
        *out = true;
    else if (strcmp(v, "off") == 0 || strcmp(v, "false") == 0)
        *out = false;
    else
        return mb_err_set(err, MB_EUSAGE, "option --%s: expected on or off, got '%s'", opt, v);
    return 0;
}

static int parse_args(int argc, char **argv, worker_config *c, mb_err *err)
{
    memset(c, 0, sizeof *c);
    c->group = "workers";
    c->device = "cpu";
    c->model = "builtin:tiny";
    c->precision = "fp32";
    c->watermark_fix = true;
    c->heartbeat_s = 1;
    mb_opt_iter it;
    mb_opt_init(&it, argc, argv, 1);
    for (;;) {
        int id;
        if (mb_opt_next(&it, worker_opts, &id, err) != 0)
            return MB_EUSAGE;
        if (id == MB_OPT_END)
            break;
        long n;
        switch (id) {
        case MB_OPT_POSITIONAL:
            return mb_err_set(err, MB_EUSAGE, "unexpected argument '%s'", it.arg);
        case OPT_REDIS: c->redis_url = it.arg; break;
        case OPT_JOBS: c->jobs_stream = it.arg; break;
        case OPT_RESULTS: c->results_stream = it.arg; break;
        case OPT_GROUP: c->group = it.arg; break;
        case OPT_ID: c->worker_id = it.arg; break;
        case OPT_HELLO: c->hello_key = it.arg; break;
        case OPT_DEVICE: c->device = it.arg; break;
        case OPT_MODEL: c->model = it.arg; break;
        case OPT_PRECISION: c->precision = it.arg; break;
        case OPT_CHANNELS_LAST: c->channels_last = true; break;
        case OPT_PROBE: c->probe_only = true; break;
        case OPT_CHECK_MODEL: c->check_model = it.arg; break;
        case OPT_ALLOW_PARAVIRTUAL: c->allow_paravirtual_mps = true; break;
        case OPT_HELP: usage(stdout); exit(0);
        case OPT_THREADS:
            if (mb_parse_long(it.arg, &n) != 0 || n < 0 || n > 4096)
                return mb_err_set(err, MB_EUSAGE, "option --threads: expected 0..4096, got '%s'", it.arg);
            c->threads = (int)n;
            break;
        case OPT_DECODE_THREADS:
            if (mb_parse_long(it.arg, &n) != 0 || n < 0 || n > 4096)
                return mb_err_set(err, MB_EUSAGE, "option --decode-threads: expected 0..4096, got '%s'",
                                  it.arg);
            c->decode_threads = (int)n;
            break;
        case OPT_HEARTBEAT:
            if (mb_parse_long(it.arg, &n) != 0 || n < 1 || n > 3600)
                return mb_err_set(err, MB_EUSAGE, "option --heartbeat: expected 1..3600 seconds");
            c->heartbeat_s = (int)n;
            break;
        case OPT_FIX:
            if (parse_on_off("watermark-fix", it.arg, &c->watermark_fix, err) != 0)
                return MB_EUSAGE;
            break;
        case OPT_EXEC:
            if (strcmp(it.arg, "fork_per_job") == 0)
                c->fork_per_job = true;
            else if (strcmp(it.arg, "persistent") != 0)
                return mb_err_set(err, MB_EUSAGE, "option --exec: expected persistent or fork_per_job");
            break;
        case OPT_MEMORY_LIMIT:
            if (mb_parse_bytes(it.arg, &c->memory_limit) != 0)
                return mb_err_set(err, MB_EUSAGE, "option --memory-limit: expected bytes, got '%s'",
                                  it.arg);
            break;
        case OPT_FAULT_MPS: c->fault_mps_accounting = true; break;
        case OPT_FAULT_CRASH:
        case OPT_FAULT_HANG:
            if (mb_parse_long(it.arg, &n) != 0 || n < 0 || n > 1000000)
                return mb_err_set(err, MB_EUSAGE, "option --fault-%s-after: expected a job count",
                                  id == OPT_FAULT_CRASH ? "crash" : "hang");
            *(id == OPT_FAULT_CRASH ? &c->fault_crash_after : &c->fault_hang_after) = (int)n;
            break;
        case OPT_ON_OOM:
            if (strcmp(it.arg, "exit") == 0)
                c->exit_on_oom = true;
            else if (strcmp(it.arg, "continue") != 0)
                return mb_err_set(err, MB_EUSAGE, "option --on-oom: expected continue or exit");
            break;
        }
    }
    if (c->probe_only || c->check_model != NULL)
        return 0;
    if (c->redis_url == NULL || c->jobs_stream == NULL || c->results_stream == NULL)
        return mb_err_set(err, MB_EUSAGE, "--redis, --jobs and --results are required");
    if (mb_device_parse(c->device) < 0)
        return mb_err_set(err, MB_EUSAGE, "option --device: unknown device '%s'", c->device);
    return 0;
}

static int parse_precision(const char *p)
{
    if (strcmp(p, "fp32") == 0) return MB_PRECISION_FP32;
    if (strcmp(p, "fp16") == 0) return MB_PRECISION_FP16;
    if (strcmp(p, "bf16") == 0) return MB_PRECISION_BF16;
    return -1;
}

/* The MPS probe, classified: the Metal device's name and working set, the
 * small probe and, when it can tell, the large one (harness/core/
 * mps_device.h).  Returns the probe's record for run.json, reason filled
 * unless the device is usable. */
static json_t *probe_mps(bool try_large, mb_mps_class *cls, char *reason, size_t reason_size)
{
    mb_mps_facts f;
    json_t *o = json_object();
    if (mb_torch_mps_probe(try_large, &f) != 0) {
        *cls = MB_MPS_UNUSABLE;
        snprintf(reason, reason_size, "%s", f.small_error);
        json_object_set_new(o, "class", json_string(mb_mps_class_name(*cls)));
        return o;
    }
    mb_mps_probe p = {
        .device_name = f.device_name,
        .working_set = (double)f.working_set,
        .small_error = f.small_failed ? f.small_error : NULL,
        .large_tried = f.large_tried,
        .large_error = f.large_failed ? f.large_error : NULL,
    };
    *cls = mb_mps_classify(&p, reason, reason_size);
    json_object_set_new(o, "class", json_string(mb_mps_class_name(*cls)));
    json_object_set_new(o, "metal_device", f.device_name[0] ? json_string(f.device_name) : json_null());
    json_object_set_new(o, "recommended_max_working_set",
                        f.working_set > 0 ? json_integer((json_int_t)f.working_set) : json_null());
    json_object_set_new(o, "probe_error", f.small_failed ? json_string(f.small_error) : json_null());
    json_object_set_new(o, "large_probe", json_string(!f.large_tried ? "not_run"
                                                      : f.large_failed ? "failed" : "ok"));
    json_object_set_new(o, "large_probe_error",
                        f.large_failed ? json_string(f.large_error) : json_null());
    return o;
}

/* The large MPS probe holds 1.25 GiB; under a memory cap or an explicit
 * high watermark ratio it would fail on any Mac and prove nothing. */
static bool large_probe_meaningful(const worker_config *c)
{
    const char *high = getenv("PYTORCH_MPS_HIGH_WATERMARK_RATIO");
    return c->memory_limit == 0 && (high == NULL || strtod(high, NULL) == 0.0);
}

/* `--probe`: which devices are usable here, for `device: auto`.  A
 * paravirtual MPS device is not: a scenario opts in to it by name. */
static int run_probe(const worker_config *c)
{
    json_t *devices = json_object();
    const mb_device all[] = {MB_DEVICE_CUDA, MB_DEVICE_MPS, MB_DEVICE_CPU};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        char reason[1024] = "", desc[256] = "";
        json_t *mps = NULL;
        int usable;
        if (all[i] == MB_DEVICE_MPS) {
            mb_mps_class cls;
            mps = probe_mps(large_probe_meaningful(c), &cls, reason, sizeof reason);
            usable = cls == MB_MPS_USABLE;
        } else {
            usable = mb_torch_device_usable(all[i], reason, sizeof reason);
        }
        json_t *d = json_pack("{s:b}", "usable", usable);
        if (mps != NULL)
            json_object_set_new(d, "probe", mps);
        if (usable) {
            mb_torch_device_description(all[i], desc, sizeof desc);
            json_object_set_new(d, "description", json_string(desc));
        } else {
            json_object_set_new(d, "reason", json_string(reason));
        }
        json_object_set_new(devices, mb_device_name(all[i]), d);
    }
    json_t *o = json_pack("{s:s, s:o}", "torch_version", mb_torch_version(), "devices", devices);
    char *text = json_dumps(o, JSON_COMPACT);
    puts(text);
    free(text);
    json_decref(o);
    return 0;
}

static const char *const reported_env[] = {
    "PYTORCH_MPS_HIGH_WATERMARK_RATIO", "PYTORCH_MPS_LOW_WATERMARK_RATIO", "FORCE_CPU",
    "GPU_BATCH_SIZE", "GPU_MEMORY_CLEANUP_ENABLED", "GPU_MEMORY_CLEANUP_INTERVAL",
    "OMP_NUM_THREADS", "CUDA_VISIBLE_DEVICES",
};

/* The hello record: the worker's facts, so that every result can be tied to
 * the configuration that produced it. */
static char *hello_json(const worker_config *c, const mb_env_policy *env, const char *device,
                        const char *state, const char *reason, int dim, const mb_memory_cap *cap,
                        json_t *mps_probe)
{
    json_t *envo = json_object();
    for (size_t i = 0; i < sizeof reported_env / sizeof reported_env[0]; i++) {
        const char *v = getenv(reported_env[i]);
        json_object_set_new(envo, reported_env[i], v ? json_string(v) : json_null());
    }
    char desc[256] = "";
    int dev = mb_device_parse(device);
    if (strcmp(state, "ready") == 0 && dev >= 0)
        mb_torch_device_description((mb_device)dev, desc, sizeof desc);
    json_t *o = json_pack(
        "{s:i, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:b, s:b, s:b, s:b, s:o, s:f}",
        "v", MB_PROTOCOL_VERSION,
        "worker_id", c->worker_id,
        "pid", (json_int_t)getpid(),
        "state", state,
        "device", device,
        "device_description", desc,
        "torch_version", mb_torch_version(),
        "model", c->model,
        "embedding_dim", dim,
        "threads", mb_torch_get_threads(),
        "precision", c->precision,
        "watermark_fix", env->watermark_fix,
        "watermark_explicit", env->high_was_explicit,
        "low_watermark_lowered", env->low_lowered,
        /* The policy runs before any torch call, so the allocator has not
         * started yet when the variables are set. */
        "env_before_allocator", 1,
        "env", envo,
        "started_ms", mb_now_ms());
    if (reason != NULL)
        json_object_set_new(o, "reason", json_string(reason));
    /* The MPS probe's record; "class": "paravirtual" with
     * "paravirtual_allowed" tells the harness to label every OOM of this
     * worker a paravirtual-device limit. */
    if (mps_probe != NULL) {
        json_object_set_new(mps_probe, "paravirtual_allowed", json_boolean(c->allow_paravirtual_mps));
        json_object_set(o, "mps_probe", mps_probe);
    }
    json_object_set_new(o, "exec", json_string(c->fork_per_job ? "fork_per_job" : "persistent"));
    json_object_set_new(o, "heap_keeps_freed", json_boolean(c->heap_keeps_freed));
    json_object_set_new(o, "decode_threads",
                        json_integer(c->decode_threads > 0 ? c->decode_threads : mb_cpu_count()));
    /* What the worker holds once ready, before any job: what a memory cap
     * must leave room for (the cap tests size their cap from it). */
    if (strcmp(state, "ready") == 0) {
        uint64_t data = mb_host_data_bytes();
        json_object_set_new(o, "host_memory",
                            json_pack("{s:I, s:o}", "rss_bytes", (json_int_t)mb_host_current_rss(),
                                      "data_bytes", data > 0 ? json_integer((json_int_t)data)
                                                             : json_null()));
    }
    if (cap != NULL && cap->bytes > 0)
        json_object_set_new(o, "memory_cap", json_pack("{s:I, s:b, s:s}", "bytes",
                                                       (json_int_t)cap->bytes, "enforced",
                                                       cap->enforced, "how", cap->how));
    if (c->fault_mps_accounting || c->fault_crash_after || c->fault_hang_after)
        json_object_set_new(o, "faults", json_pack("{s:b, s:i, s:i}", "emulate_mps_accounting",
                                                   c->fault_mps_accounting, "crash_after_jobs",
                                                   c->fault_crash_after, "hang_after_jobs",
                                                   c->fault_hang_after));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Keeps the hello key alive while the worker lives; a stale key tells a
 * remote harness that the worker is gone. */
typedef struct heartbeat {
    pthread_t thread;
    const worker_config *config;
    const char *hello;
    volatile int stop;
} heartbeat;

static void *heartbeat_main(void *arg)
{
    heartbeat *hb = arg;
    mb_queue *q = NULL;
    if (mb_queue_connect(hb->config->redis_url, 5000, &q, NULL) != 0)
        return NULL;
    int ttl = hb->config->heartbeat_s * 5;
    while (!hb->stop) {
        mb_queue_set(q, hb->config->hello_key, hb->hello, ttl, NULL);
        for (int i = 0; i < hb->config->heartbeat_s * 10 && !hb->stop; i++) {
            struct timespec tick = {0, 100 * 1000 * 1000};
            nanosleep(&tick, NULL);
        }
    }
    mb_queue_free(q);
    return NULL;
}

static int announce(mb_queue *q, const worker_config *c, const char *hello)
{
    mb_err err;
    if (mb_queue_set(q, c->hello_key, hello, c->heartbeat_s * 5, &err) != 0) {
        fprintf(stderr, "mpsbench-worker: %s\n", err.msg);
        return MB_EREDIS;
    }
    return 0;
}

/* --check-model: the harness (which does not link libtorch) asks whether a
 * model file loads before any benchmark worker starts.  One line on stdout,
 * libtorch's reason cut to its first line, and exit 2 when it does not. */
static int check_model(const char *path)
{
    mb_model_options opt = {0};
    opt.spec = path;
    opt.device = MB_DEVICE_CPU;
    opt.precision = MB_PRECISION_FP32;
    mb_torch_model *m = NULL;
    mb_err err;
    mb_err_clear(&err);
    if (mb_torch_model_load(&opt, &m, &err) != 0) {
        char *nl = strchr(err.msg, '\n');
        if (nl != NULL)
            *nl = '\0';
        printf("not loadable: %s\n", err.msg[0] ? err.msg : "libtorch refused it");
        fflush(stdout);
        return mb_exit_code(MB_EINVAL, NULL);
    }
    mb_torch_model_free(m);
    printf("ok\n");
    return mb_exit_code(MB_OK, NULL);
}

/* What start-up leaves to the job loop, freed by worker_session_free. */
typedef struct worker_session {
    char default_id[64];
    char *default_hello;
    mb_queue *q;
    mb_torch_model *model;
    json_t *mps_probe;
    char *hello;
    mb_device dev;
} worker_session;

static void worker_session_free(worker_session *s)
{
    mb_torch_model_free(s->model);
    mb_queue_free(s->q);
    free(s->hello);
    json_decref(s->mps_probe);
    free(s->default_hello);
}

/* The worker's id and hello key when the harness gave none. */
static void default_names(worker_config *c, worker_session *s)
{
    if (c->worker_id == NULL) {
        snprintf(s->default_id, sizeof s->default_id, "w%ld", (long)getpid());
        c->worker_id = s->default_id;
    }
    if (c->hello_key == NULL)
        c->hello_key = s->default_hello =
            mb_asprintf("%s:hello:%s", c->jobs_stream, c->worker_id);
}

static void install_signal_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* A dead Redis connection is an error to report, not a silent death. */
    signal(SIGPIPE, SIG_IGN);
}

/* Probes the device, loads the model and announces the outcome in the hello
 * record the harness waits for: "ready", or "unusable" or "error" with the
 * reason.  Returns 0 when ready, else the exit code (after saying why). */
static int start_up(worker_config *c, const mb_env_policy *env, worker_session *s)
{
    mb_err err;
    mb_err_clear(&err);
    if (mb_queue_connect(c->redis_url, 5000, &s->q, &err) != 0) {
        fprintf(stderr, "mpsbench-worker: %s\n", err.msg);
        return mb_exit_code(MB_EREDIS, NULL);
    }
    const char *device = env->force_cpu ? "cpu" : c->device;
    mb_device dev = s->dev = (mb_device)mb_device_parse(device);
    int threads = c->threads > 0 ? c->threads : mb_cpu_count();
    mb_torch_set_threads(threads);

    /* The host cap comes first so that the model itself counts against it. */
    mb_memory_cap cap;
    mb_memory_cap_apply_host(&cap, dev, c->memory_limit);

    int error = MB_OK;
    mb_outcome found = {0};
    char reason[1024] = "";
    mb_mps_class mps_class = MB_MPS_UNUSABLE;
    int precision = parse_precision(c->precision);
    if (precision < 0) {
        snprintf(reason, sizeof reason, "unknown precision '%s'", c->precision);
        s->hello = hello_json(c, env, device, "error", reason, 0, &cap, NULL);
        error = MB_EUSAGE;
    } else if (dev == MB_DEVICE_MPS &&
               (s->mps_probe = probe_mps(large_probe_meaningful(c), &mps_class, reason,
                                         sizeof reason)) != NULL &&
               !(mps_class == MB_MPS_USABLE ||
                 (mps_class == MB_MPS_PARAVIRTUAL && c->allow_paravirtual_mps))) {
        s->hello = hello_json(c, env, device, "unusable", reason, 0, &cap, s->mps_probe);
        found.device_unusable = true;
    } else if (dev != MB_DEVICE_MPS && !mb_torch_device_usable(dev, reason, sizeof reason)) {
        s->hello = hello_json(c, env, device, "unusable", reason, 0, &cap, NULL);
        found.device_unusable = true;
    } else {
        mb_model_options mo = {.spec = c->model, .device = dev,
                               .precision = (mb_precision)precision,
                               .channels_last = c->channels_last};
        if (mb_torch_model_load(&mo, &s->model, &err) != 0) {
            s->hello = hello_json(c, env, device, "error", err.msg, 0, &cap, s->mps_probe);
            error = MB_EWORKER;
        } else {
            mb_memory_cap_apply_device(&cap, dev, env->watermark_fix);
            s->hello = hello_json(c, env, device, "ready", NULL, mb_torch_model_dim(s->model),
                                  &cap, s->mps_probe);
        }
    }
    int announced = announce(s->q, c, s->hello);
    int status = mb_exit_code(error, &found);
    if (status != 0)
        fprintf(stderr, "mpsbench-worker: %s\n", reason[0] ? reason : err.msg);
    return status != 0 ? status : mb_exit_code(announced, NULL);
}

/* Consumes jobs until a stop signal, with the heartbeat beside it; removes
 * the hello key when done.  Returns the exit code. */
static int serve(worker_config *c, const mb_env_policy *env, worker_session *s)
{
    heartbeat hb = {.config = c, .hello = s->hello};
    bool hb_running = pthread_create(&hb.thread, NULL, heartbeat_main, &hb) == 0;
    mb_pipeline pipeline;
    mb_pipeline_init(&pipeline, s->model, s->dev);
    pipeline.decode_threads = c->decode_threads;
    /* FORCE_CPU skips MPS altogether, and with it the MPS accounting fault. */
    pipeline.emulate_mps_accounting = c->fault_mps_accounting && !env->force_cpu;
    mb_job_loop_config lc = {
        .jobs_stream = c->jobs_stream, .results_stream = c->results_stream, .group = c->group,
        .worker_id = c->worker_id, .fork_per_job = c->fork_per_job,
        .exit_on_oom = c->exit_on_oom, .fault_crash_after = c->fault_crash_after,
        .fault_hang_after = c->fault_hang_after, .stop = &stop_requested,
    };
    int status = mb_job_loop_run(s->q, &lc, &pipeline);
    if (hb_running) {
        hb.stop = 1;
        pthread_join(hb.thread, NULL);
    }
    mb_queue_del(s->q, c->hello_key, NULL);
    mb_pipeline_free(&pipeline);
    return status;
}

int main(int argc, char **argv)
{
    worker_config c;
    mb_err err;
    if (parse_args(argc, argv, &c, &err) != 0) {
        fprintf(stderr, "mpsbench-worker: %s\n", err.msg);
        usage(stderr);
        return mb_exit_code(MB_EUSAGE, NULL);
    }
    /* Before the first large allocation: a CPU forward pass otherwise
     * faults its activations in again on every batch (heap_policy.h says
     * where it applies). */
    c.heap_keeps_freed =
        mb_heap_keep_freed_for(mb_device_parse(c.device) == MB_DEVICE_CPU, c.memory_limit != 0);
    /* Before anything touches a device: the MPS allocator reads the
     * watermark variables once, when it is created. */
    mb_env_policy env;
    mb_env_policy_apply(&env, c.probe_only ? false : c.watermark_fix);
    if (c.probe_only)
        return run_probe(&c);
    if (c.check_model != NULL)
        return check_model(c.check_model);

    worker_session s = {0};
    default_names(&c, &s);
    install_signal_handlers();
    int status = start_up(&c, &env, &s);
    if (status == 0)
        status = serve(&c, &env, &s);
    worker_session_free(&s);
    return status;
}
