/* The OOM matrix: one grid of batch x image size per device and watermark fix. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mb_util.h"
#include "plot_private.h"
#include "stats.h"

static bool any_cell(const mb__plot_cell *c)
{
    (void)c;
    return true;
}

int mb__plot_chart_oom_matrix(const mb__plot_ctx *ctx, const char *name, char **reason, mb_err *err)
{
    const mb__plot_run *run = ctx->run;
    if (run->n_cells == 0)
        return mb__plot_skip(reason, "the run has no cells");
    const mb__plot_cell **images = mb_calloc(run->n_cells + 1, sizeof *images);
    int *batches = mb_calloc(run->n_cells + 1, sizeof *batches);
    const char **devices = mb_calloc(run->n_cells + 1, sizeof *devices);
    size_t ni = mb__plot_image_sizes(run, any_cell, images);
    size_t nb = mb__plot_batch_sizes(run, any_cell, batches);
    size_t nd = 0;
    bool fix_seen[2] = {false, false};
    for (size_t i = 0; i < run->n_cells; i++) {
        const mb__plot_cell *c = &run->cells[i];
        fix_seen[c->fix] = true;
        size_t j = 0;
        while (j < nd && strcmp(devices[j], c->device) != 0)
            j++;
        if (j < nd)
            continue;
        size_t k = nd++;
        while (k > 0 && mb__plot_device_rank(devices[k - 1]) > mb__plot_device_rank(c->device)) {
            devices[k] = devices[k - 1];
            k--;
        }
        devices[k] = c->device;
    }
    /* Fix off on the left, as the "before" of the comparison. */
    int fixes[2], nf = 0;
    if (fix_seen[0])
        fixes[nf++] = 0;
    if (fix_seen[1])
        fixes[nf++] = 1;
    mb_strbuf dat = {0}, body = {0};
    mb_strbuf_printf(&dat, "# OOM matrix: one row per grid square (cells of the same device, "
                           "fix, image and batch size together)\n"
                           "# columns: batch_index image_index colour(0xRRGGBB) \"label\" "
                           "batch image measured_jobs oom_jobs failed_jobs\n");
    int panel_h = 120 + 46 * (int)ni;
    int panel_w = 170 + 95 * (int)nb;
    if (panel_w * nf < 700)
        panel_w = 700 / nf;
    mb__plot_layout l = mb__plot_layout_make(nd * (size_t)nf, nf, panel_w, panel_h, 4, 26);
    mb_strbuf_printf(&body,
                     "set multiplot title \"Out-of-memory matrix: OOM jobs per "
                     "cell%s\" font \",13\"\nunset key\n"
                     "unset grid\nset style fill solid 1.0 border lc rgb \"white\"\n"
                     "set xlabel \"batch size\"\nset ylabel \"image size\"\n"
                     "set xrange [-0.5:%zu.5]\nset yrange [-0.5:%zu.5]\nset xtics (",
                     nf == 2 ? ", watermark fix off and on" : "", nb - 1, ni - 1);
    for (size_t b = 0; b < nb; b++)
        mb_strbuf_printf(&body, "%s\"%d\" %zu", b ? ", " : "", batches[b], b);
    mb_strbuf_printf(&body, ") scale 0\nset ytics (");
    for (size_t i = 0; i < ni; i++)
        mb_strbuf_printf(&body, "%s\"%s\" %zu", i ? ", " : "", images[i]->image, i);
    mb_strbuf_printf(&body, ") scale 0\n");
    bool seen[4] = {true, true, false, false};
    static const unsigned colours[] = {0xa1d99b, 0xd62728, 0xfdae6b, 0xe0e0e0, 0xffffff};
    static const char *const names[] = {"all jobs ok", "out of memory", "other failures",
                                        "skipped (device unusable)", ""};
    int index = 0;
    for (size_t d = 0; d < nd; d++) {
        for (int f = 0; f < nf; f++) {
            /* A device that ran with one fix state only leaves the other
             * slot empty, so that fix off stays on the left throughout. */
            bool has_cells = false;
            for (size_t k = 0; k < run->n_cells && !has_cells; k++)
                has_cells = strcmp(run->cells[k].device, devices[d]) == 0
                            && run->cells[k].fix == (fixes[f] == 1);
            if (!has_cells)
                continue;
            mb_strbuf_printf(&dat, "# series: %s, fix %s\n", devices[d], fixes[f] ? "on" : "off");
            for (size_t i = 0; i < ni; i++) {
                for (size_t b = 0; b < nb; b++) {
                    int jobs = 0, ooms = 0, failed = 0, cells = 0, skipped = 0;
                    for (size_t k = 0; k < run->n_cells; k++) {
                        const mb__plot_cell *c = &run->cells[k];
                        if (strcmp(c->device, devices[d]) != 0 || c->fix != (fixes[f] == 1)
                            || strcmp(c->image, images[i]->image) != 0 || c->batch != batches[b])
                            continue;
                        cells++;
                        skipped += c->skipped;
                        jobs += c->n_jobs;
                        ooms += c->n_oom;
                        failed += c->n_failed;
                    }
                    int state = cells == 0         ? 4
                                : ooms > 0         ? 1
                                : failed > 0       ? 2
                                : skipped == cells ? 3
                                                   : 0;
                    if (state < 4)
                        seen[state] = true;
                    char label[48];
                    if (state == 4)
                        snprintf(label, sizeof label, "not run");
                    else if (state == 3)
                        snprintf(label, sizeof label, "skipped");
                    else if (state == 1)
                        snprintf(label, sizeof label, "OOM %d/%d", ooms, jobs);
                    else if (state == 2)
                        snprintf(label, sizeof label, "failed %d/%d", failed, jobs);
                    else
                        snprintf(label, sizeof label, "ok %d/%d", jobs, jobs);
                    mb_strbuf_printf(&dat, "%zu %zu %u \"%s\" %d %s %d %d %d\n", b, i,
                                     colours[state], label, batches[b], images[i]->image, jobs,
                                     ooms, failed);
                }
            }
            mb_strbuf_printf(&dat, "\n\n");
            mb__plot_layout_panel(&body, &l, (int)d * nf + f);
            mb_strbuf_printf(&body, "set title \"%s, watermark fix %s\"\n", devices[d],
                             fixes[f] ? "on" : "off");
            mb_strbuf_printf(&body,
                             "plot '%s.dat' index %d using 1:2:(0.49):(0.49):3 with boxxyerror "
                             "lc rgb variable notitle, \\\n"
                             "     '' index %d using 1:2:4 with labels font \",10\" notitle",
                             name, index, index);
            mb_strbuf_printf(&body, "\n");
            index++;
        }
    }
    mb_strbuf legend = {0};
    for (int s = 0; s < 4; s++)
        if (seen[s])
            mb_strbuf_printf(&legend, ", NaN with boxes lc rgb \"#%06x\" title \"%s\"", colours[s],
                             names[s]);
    mb__plot_layout_legend(&body, &l, legend.s);
    mb__plot_strbuf_free(&legend);
    int rc = mb__plot_finish(ctx, name, "oom-matrix.dat", &dat, &body, l.width, l.height, err);
    free(images);
    free(batches);
    free(devices);
    return rc;
}
