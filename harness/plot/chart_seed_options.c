/* The seed's four options, recomputed from the run's measurements. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

static bool truthy(const char *v)
{
    return v != NULL
           && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0
               || strcasecmp(v, "on") == 0);
}

static int effective_batch(const mb__plot_cell *c)
{
    long b;
    const char *v = mb__plot_cell_env(c, "GPU_BATCH_SIZE");
    if (v != NULL && mb_parse_long(v, &b) == 0 && b > 0)
        return (int)b;
    return c->batch;
}

static bool forced_cpu(const mb__plot_cell *c)
{
    return truthy(mb__plot_cell_env(c, "FORCE_CPU"));
}

static bool cleans_up(const mb__plot_cell *c)
{
    return truthy(mb__plot_cell_env(c, "GPU_MEMORY_CLEANUP_ENABLED"));
}

/* The device the seed's service ran on: a GPU, or the CPU in a run without
 * any GPU cell (seed-options.yaml with the emulated MPS fault on a CPU-only
 * machine), where FORCE_CPU is then the only thing option 2 changes. */
static bool service_device(const mb__plot_cell *c, bool cpu_only)
{
    return cpu_only ? strcmp(c->device, "cpu") == 0 : mb__plot_is_gpu(c->device);
}

/* A plain service cell: on the service's device, no FORCE_CPU, no periodic
 * cleanup. */
static bool plain_service(const mb__plot_cell *c, bool cpu_only)
{
    return !c->skipped && service_device(c, cpu_only) && !forced_cpu(c) && !cleans_up(c);
}

enum { SEED_REF, SEED_FIX, SEED_CPU, SEED_BATCH, SEED_CLEANUP, SEED_N };

typedef struct seed_group {
    const char *image;
    const mb__plot_cell *opt[SEED_N];
} seed_group;

/* Finds the seed's configurations among the cells of one image size: the
 * reference is the service as it was (a GPU, watermark fix off, batch 16 or
 * the largest run), and each option changes one thing against it. */
static void seed_find(const mb__plot_run *run, const char *image, seed_group *g)
{
    memset(g, 0, sizeof *g);
    g->image = image;
    bool cpu_only = true;
    for (size_t i = 0; i < run->n_cells; i++)
        cpu_only &= !mb__plot_is_gpu(run->cells[i].device);
    const mb__plot_cell *ref = NULL;
    for (int pass = 0; pass < 2 && ref == NULL; pass++)
        for (size_t i = 0; i < run->n_cells; i++) {
            const mb__plot_cell *c = &run->cells[i];
            if (strcmp(c->image, image) != 0 || !plain_service(c, cpu_only) || c->fix)
                continue;
            if (pass == 0 && effective_batch(c) != 16)
                continue;
            if (ref == NULL || strcmp(c->device, "mps") == 0
                || (pass == 1 && effective_batch(c) > effective_batch(ref)))
                ref = c;
        }
    if (ref == NULL)
        return;
    g->opt[SEED_REF] = ref;
    int rb = effective_batch(ref);
    int small = 0;
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        if (c == ref || strcmp(c->image, image) != 0 || c->skipped)
            continue;
        bool same_dev = strcmp(c->device, ref->device) == 0;
        int eb = effective_batch(c);
        if (plain_service(c, cpu_only) && same_dev && c->fix && eb == rb
            && g->opt[SEED_FIX] == NULL)
            g->opt[SEED_FIX] = c;
        if ((forced_cpu(c) || (!cpu_only && strcmp(c->device, "cpu") == 0)) && eb == rb
            && (g->opt[SEED_CPU] == NULL || (!c->fix && g->opt[SEED_CPU]->fix)))
            g->opt[SEED_CPU] = c;
        if (plain_service(c, cpu_only) && same_dev && !c->fix && eb < rb
            && (eb == 8 || (small != 8 && eb > small))) {
            g->opt[SEED_BATCH] = c;
            small = eb;
        }
        if (!c->fix && same_dev && service_device(c, cpu_only) && !forced_cpu(c) && cleans_up(c)
            && eb == rb && g->opt[SEED_CLEANUP] == NULL)
            g->opt[SEED_CLEANUP] = c;
    }
}

static char *seed_option_name(int k, const mb__plot_cell *c)
{
    switch (k) {
    case SEED_REF: return mb_asprintf("no fix (reference, batch %d)", c ? effective_batch(c) : 16);
    case SEED_FIX: return mb_strdup("1: PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0");
    case SEED_CPU: return mb_strdup("2: FORCE_CPU=true");
    case SEED_BATCH:
        return c ? mb_asprintf("3: GPU_BATCH_SIZE=%d", effective_batch(c))
                 : mb_strdup("3: GPU_BATCH_SIZE=8");
    default: {
        const char *every = c ? mb__plot_cell_env(c, "GPU_MEMORY_CLEANUP_INTERVAL") : NULL;
        return every ? mb_asprintf("4: cleanup every %s", every) : mb_strdup("4: memory cleanup");
    }
    }
}

static const char *const seed_tics[SEED_N] = {"no fix\\n(reference)", "1: fix on", "2: FORCE_CPU",
                                              "3: smaller\\nbatch", "4: cleanup"};

/* One bar of a panel (its data row) and its row of seed-options.md. */
static void seed_row(const seed_group *g, int k, double ref_ips, double top, mb_strbuf *md,
                     mb_strbuf *dat)
{
    const mb__plot_cell *c = g->opt[k];
    char *opt = seed_option_name(k, c);
    if (c == NULL) {
        mb_strbuf_printf(md, "| %s | %s | not in this run | | | | |\n", g->image, opt);
        mb_strbuf_printf(dat, "%d 0 NaN 0 0 %u \"not run\" %.6g\n", k, 0xbbbbbbu, top * 0.07);
        free(opt);
        return;
    }
    double ips = mb__plot_has_ips(c) ? c->ips_median : 0;
    double rel = isfinite(ref_ips) && ref_ips > 0 && mb__plot_has_ips(c) ? ips / ref_ips : NAN;
    char rel_text[32] = "–", ips_text[32] = "–", label[64];
    if (isfinite(rel))
        snprintf(rel_text, sizeof rel_text, "%.2f×", rel);
    if (mb__plot_has_ips(c))
        snprintf(ips_text, sizeof ips_text, "%.3g", ips);
    /* Without a reference throughput (it ran out of memory) the bar
     * is labelled with its own throughput instead. */
    char head[40] = "";
    if (isfinite(rel))
        snprintf(head, sizeof head, "%s", rel_text);
    else if (mb__plot_has_ips(c))
        snprintf(head, sizeof head, "%s img/s", ips_text);
    if (c->n_oom > 0)
        snprintf(label, sizeof label, "%s%sOOM %d/%d", head, *head ? "\\n" : "", c->n_oom,
                 c->n_jobs);
    else
        snprintf(label, sizeof label, "%s", head);
    mb_strbuf_printf(md, "| %s | %s | `%s` | %s | %s | %d/%d | %s%s%s |\n", g->image, opt, c->name,
                     ips_text, rel_text, c->n_oom, c->n_jobs,
                     c->n_oom > 0      ? "OOM"
                     : c->n_failed > 0 ? "failures"
                                       : "ok",
                     c->reason ? ": " : "", c->reason ? c->reason : "");
    /* Two-line labels sit higher, clear of their bar. */
    double label_y = ips + top * (strstr(label, "\\n") != NULL ? 0.13 : 0.07);
    mb_strbuf_printf(dat, "%d %.6g %.6g %d %d %u \"%s\" %.6g\n", k, ips, rel, c->n_oom, c->n_jobs,
                     mb__plot_hex_colour(mb__plot_device_color(c->device)), label, label_y);
    free(opt);
}

/* The x tics of a panel.  Option 1 (the watermark fix) only acts on the
 * MPS allocator: on another device its bar is a control, and says so. */
static void seed_tics_of(const seed_group *g, mb_strbuf *body)
{
    mb_strbuf_printf(body, "set xtics (");
    for (int k = 0; k < SEED_N; k++) {
        const mb__plot_cell *c = g->opt[k];
        char *tic = k == SEED_BATCH && c != NULL ? mb_asprintf("3: batch %d", effective_batch(c))
                    : k == SEED_FIX && c != NULL && strcmp(c->device, "mps") != 0
                        ? mb_asprintf("1: fix on\\n(no effect\\non %s)", c->device)
                        : mb_strdup(seed_tics[k]);
        mb_strbuf_printf(body, "%s\"%s\" %d", k ? ", " : "", tic, k);
        free(tic);
    }
    mb_strbuf_printf(body, ") scale 0 font \",10\"\n");
}

/* The head of seed-options.md. */
static void seed_md_head(mb_strbuf *md, const char *source)
{
    mb_strbuf_printf(
        md,
        "# The seed's options, recomputed from measurements\n\n"
        "Source: `%s`.  Each option changes one thing against the reference, the service as it "
        "was (a GPU, watermark fix off, default batch size).  Throughput is the median images/s "
        "over repetitions; *relative* divides it by the reference's.\n\n"
        "| image | option | cell | images/s | relative to no fix | OOM jobs | verdict |\n"
        "|---|---|---|---:|---:|---:|---|\n",
        source);
}

/* A group has something to draw when one of its bars has a throughput. */
static bool seed_drawable(const seed_group *g)
{
    for (int k = 0; k < SEED_N; k++)
        if (g->opt[k] != NULL && mb__plot_has_ips(g->opt[k]))
            return true;
    return false;
}

int mb__plot_chart_seed_options(const mb__plot_ctx *ctx, const char *name, char **reason,
                                mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    size_t ni = mb__plot_image_sizes(run, NULL, images);
    seed_group *groups = mb_calloc(ni + 1, sizeof *groups);
    size_t ng = 0;
    for (size_t i = 0; i < ni; i++) {
        seed_find(run, images[i]->image, &groups[ng]);
        int found = 0;
        for (int k = 1; k < SEED_N; k++)
            found += groups[ng].opt[k] != NULL;
        if (groups[ng].opt[SEED_REF] != NULL && found > 0)
            ng++;
    }
    free(images);
    size_t drawable = 0;
    for (size_t gi = 0; gi < ng; gi++)
        drawable += seed_drawable(&groups[gi]);
    if (ng > 0 && drawable == 0) {
        free(groups);
        return mb__plot_skip(reason,
                             "seed options: no reference or option cell has a successful "
                             "repetition (each ran out of memory, failed or was not run), so "
                             "there is no throughput to draw; the OOM matrix shows them");
    }
    if (ng == 0) {
        free(groups);
        return mb__plot_skip(reason,
                             "seed options: no \"no fix\" reference (a GPU cell - or a CPU cell in "
                             "a run without GPUs - with the watermark fix off, no FORCE_CPU, no "
                             "cleanup) with an option cell beside it");
    }
    mb_strbuf md = {0}, dat = {0}, body = {0};
    seed_md_head(&md, run->source);
    mb_strbuf_printf(&dat, "# seed options per image size\n"
                           "# columns: option_index images_per_s relative oom_jobs measured_jobs "
                           "colour \"label\" label_y\n");
    bool dev_seen[3] = {false, false, false};
    static const char *const devs[3] = {"cuda", "mps", "cpu"};
    for (size_t gi = 0; gi < ng; gi++)
        for (int k = 0; k < SEED_N; k++)
            for (int d = 0; d < 3; d++)
                if (groups[gi].opt[k] != NULL && strcmp(groups[gi].opt[k]->device, devs[d]) == 0)
                    dev_seen[d] = true;
    mb_strbuf legend = {0};
    for (int d = 0; d < 3; d++)
        if (dev_seen[d])
            mb_strbuf_printf(&legend, ", NaN with boxes lc rgb \"%s\" title \"%s\"",
                             mb__plot_device_color(devs[d]), devs[d]);
    mb__plot_layout l = mb__plot_layout_make(
        ctx,
        "The seed's options, measured: bars are the median images/s; labels give the throughput "
        "relative to no fix, or the OOM jobs",
        ng, 2, 540, 440, 3, 6);
    mb__plot_layout_begin(&body, &l);
    mb_strbuf_printf(&body, "set style fill solid 0.85 border lc rgb \"white\"\n"
                            "set boxwidth 0.6\nset xrange [-0.6:4.6]\nset bmargin 5\n"
                            "set ylabel \"throughput (images/s, median)\"\n");
    for (size_t gi = 0; gi < ng; gi++) {
        const seed_group *g = &groups[gi];
        mb__plot_layout_panel(&body, &l, (int)gi);
        seed_tics_of(g, &body);
        double ref_ips = mb__plot_has_ips(g->opt[SEED_REF]) ? g->opt[SEED_REF]->ips_median : NAN;
        double top = 0;
        for (int k = 0; k < SEED_N; k++)
            if (g->opt[k] != NULL && mb__plot_has_ips(g->opt[k]))
                top = fmax(top, g->opt[k]->ips_median);
        if (top <= 0)
            top = 1;
        mb_strbuf_printf(&dat, "# series: image %s\n", g->image);
        for (int k = 0; k < SEED_N; k++)
            seed_row(g, k, ref_ips, top, &md, &dat);
        mb_strbuf_printf(&dat, "\n\n");
        mb_strbuf_printf(&body,
                         "set title \"%s images, reference on %s\"\nset yrange [0:%g]\n"
                         "plot '%s.dat' index %zu using 1:2:6 with boxes lc rgb variable "
                         "notitle, \\\n"
                         "     '' index %zu using 1:8:7 with labels font \",10\" notitle",
                         g->image, g->opt[SEED_REF]->device, top * 1.3, name, gi, gi);
        mb_strbuf_printf(&body, "\n");
    }
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    mb_strbuf_printf(&md, "\nThe seed's estimates, for comparison: option 1 \"0%% overhead\", "
                          "option 2 \"-90%%\", option 3 \"-50%%\", option 4 \"-5%%\".\n");
    free(groups);
    int rc = mb__plot_write_file(ctx, "seed-options.md", md.s, err);
    mb__plot_strbuf_free(&md);
    if (rc != 0) {
        mb__plot_strbuf_free(&dat);
        mb__plot_strbuf_free(&body);
        return rc;
    }
    return mb__plot_finish(ctx, name, reason, "seed-options.dat", &dat, &body, l.width,
                           l.height, err);
}
