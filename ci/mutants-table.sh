# The mutant table, sourced by ci/mutants.sh (its header says how to add a
# mutant and what each field means): one `mutant` call per behaviour the
# README promises, in the order the lanes take them.
# shellcheck shell=bash
mutant oom_mps_not_oom harness/core/oom.c mb_oom_parse \
    'info.kind = MB_OOM_MPS;' 'info.kind = MB_OOM_NONE;' \
    '^test_oom/' 'test_oom' \
    'the MPS "out of memory" message is classified as no OOM'
mutant regression_flipped harness/compare/compare.c rule \
    'lo < -threshold' 'lo > -threshold' \
    '^test_compare/' 'test_compare' \
    'the regression rule compares the change'"'"'s interval with the threshold the wrong way'
mutant significance_ignored harness/compare/compare.c rule \
    'if (p < alpha && change < 0 && lo < -threshold)' 'if (change < 0 && lo < -threshold)' \
    '^test_compare/' 'test_compare' \
    'a drop whose interval reaches past the threshold is a regression whatever the p-value'
mutant verdict_median_past_threshold harness/compare/compare.c rule \
    'change < 0 && lo < -threshold' 'change < -threshold' \
    '^test_compare/test_paired_threshold_bounds_the_interval$' 'test_compare' \
    'a regression needs the median change past the threshold (a change of the threshold'"'"'s size is found half the time)'
mutant verdict_significance_alone harness/compare/compare.c rule \
    'change > 0 && hi > threshold' 'change > 0' \
    '^test_compare/test_paired_threshold_bounds_the_interval$' 'test_compare' \
    'a significant improvement whose whole interval lies within the threshold is called an improvement'
mutant inconclusive_never harness/compare/compare.c rule \
    'if (!(mde <= threshold))' 'if (0)' \
    '^test_compare/' 'test_compare' \
    'noise larger than the threshold is called "no change" instead of inconclusive'
mutant device_all_usable harness/torch/torch_device.cc mb_torch_device_usable \
    'mb_copy_string(reason, reason_size, "");' 'mb_copy_string(reason, reason_size, ""); return 1;' \
    '^test_run/unusable_device_is_skipped_visibly$|^test_faults/required_device_skip_fails$' \
    'test_run test_faults' \
    'the device probe calls every device usable'
mutant pixel_limit_unlimited harness/imaging/image.c check_pixel_limit \
    '> MB_IMAGE_MAX_PIXELS)' '> MB_IMAGE_MAX_PIXELS && 0)' \
    '^test_imaging/' 'test_imaging' \
    'the decompression-bomb guard (pixel limit) never refuses an image'
mutant truncated_jpeg_accepted harness/imaging/image.c decode_jpeg \
    'if (jpeg_warning_loses_data(why)) {' 'if (0) {' \
    '^test_imaging/|^test_hostile/jpeg_cut_and_closed_fails_the_job$' 'test_imaging test_hostile' \
    'a truncated JPEG (cut short, or cut and closed with an end marker) decodes to grey rows instead of an error'
mutant atomic_write_in_place harness/core/mb_util.c mb_write_file_atomic \
    'mb_asprintf("%s.tmp.%ld", path, (long)getpid())' 'mb_strdup(path)' \
    '^test_util/|^test_baseline/' 'test_util test_baseline' \
    'files are written in place instead of staged and renamed over the old one'
mutant baseline_unstaged harness/compare/baseline.c install \
    'mb_asprintf("%s/.%s.json.staged.%ld", dir, key, (long)getpid())' 'mb_strdup(final)' \
    '^test_baseline/' 'test_baseline' \
    'a baseline update replaces the old baseline before its staging step is done'
mutant watchdog_never_fires harness/run/jobs.c mb__await_result \
    'bool late = mb_now_ms() - jobs[0].submitted_ms > timeout_ms;' 'bool late = false;' \
    '^test_faults/hung_worker_times_out$' 'test_faults' \
    'a job that never answers is waited for forever (no timeout)'
mutant crash_not_detected harness/run/jobs.c mb__await_result \
    'bool dead = !mb_proc_alive(&run->worker.proc);' 'bool dead = false;' \
    '^test_faults/killed_worker_is_detected_and_replaced$' 'test_faults' \
    'a worker that died with a job in flight is not noticed as dead'
mutant detector_rounds_saved_at_end harness/tools/detector_live.c mb_det_measure_live \
    'rc = mb_det_save_rounds(d, err);' '(void)0;' \
    '^test_bench_detector/cut_stream_keeps_valid_rounds$' 'test_bench_detector mpsbench-bench-detector mpsbench-worker' \
    'live rounds are saved only when the measurement ends, so a stream killed by its time bound loses them all'
mutant lost_job_not_counted harness/run/jobs.c record_lost \
    'cs->counts[status]++;' '(void)status;' \
    '^test_faults/killed_worker_is_detected_and_replaced$|^test_faults/hung_worker_times_out$' \
    'test_faults' \
    'job accounting: a job lost to a crash or timeout is left out of the counts'
mutant result_record_dropped harness/run/jobs.c mb__record_result \
    'job_record *rec = add_record(cs);' \
    'job_record *rec = add_record(cs); if (repetition == 1) cs->n_records--;' \
    '^test_run/run_writes_the_run_directory$|^test_faults/killed_worker_is_detected_and_replaced$' \
    'test_run test_faults' \
    'job accounting: the record of one answered job (repetition 1) is dropped'
mutant watermark_kept_when_off harness/core/watermark.c mb_watermark_rule \
    'high = NULL;' '(void)0;' \
    '^test_watermark/|^test_run/native_worker_gets_the_watermark_rule$|^test_rq/rq_worker_gets_the_watermark_rule$' \
    'test_watermark test_run test_rq' \
    'the one watermark rule keeps PYTORCH_MPS_HIGH_WATERMARK_RATIO when the fix is off (every worker kind)'
mutant watermark_env_not_removed harness/workerclient/workerclient.c mb_worker_env \
    'mb_env_unset(env, MB_WATERMARK_HIGH);' '(void)0;' \
    '^test_run/native_worker_gets_the_watermark_rule$|^test_rq/rq_worker_gets_the_watermark_rule$' \
    'test_run test_rq' \
    'the harness leaves the shell'"'"'s watermark variable in a worker'"'"'s environment when the rule removes it'
mutant rq_workers_not_parked harness/run/worker_slots.c mb__slot_select \
    'w->backend != NULL && max_live > 1' 'w->backend == &mb_native_backend && max_live > 1' \
    '^test_rq/rq_workers_are_parked_between_rounds$' 'test_rq' \
    'an RQ worker is stopped and restarted whenever interleaved cells alternate, instead of parked'
mutant leftovers_not_stopped harness/run/leftovers.c stop_leftovers \
    'stop_group((pid_t)p->pid);' '(void)p;' \
    '^test_leftovers/leftover_child_is_stopped$' 'test_leftovers' \
    'a run finds processes a killed harness left in its folder and leaves them running'
mutant leftovers_pid_reuse_ignored harness/run/leftovers.c same_process \
    'now == p->start' '1' \
    '^test_leftovers/reused_pid_is_left_alone$' 'test_leftovers' \
    'a leftover is stopped by pid alone: a reused pid (another start time) is killed'
mutant rounds_not_shuffled harness/run/schedule.c mb__schedule_run \
    'shuffle(order, n, &state);' '(void)state;' \
    '^test_ab/rounds_are_shuffled_from_the_seed$' 'test_ab' \
    'interleaved rounds all run the cells in the same order'
mutant ab_sides_swapped harness/run/ab.c compare_pair \
    'mb_compare_paired(xa, xb,' 'mb_compare_paired(xb, xa,' \
    '^test_ab/ab_finds_a_slow_candidate_and_no_change_in_aa$' 'test_ab' \
    'an A/B run judges the baseline against the candidate instead of the other way round'
mutant cxx_guard_rethrows harness/core/mb_cxx_guard.hpp mb_cxx_guard \
    'return translate(err);' 'throw;' \
    '^test_torch/test_corrupt_script_is_torch_error$' 'test_torch' \
    'a C++ exception crosses the C boundary of a shim instead of becoming an mb_err'
mutant torch_error_code_lost harness/torch/torch_error.cc mb_torch_translate \
    'mb_is_oom_message(m) ? MB_EOOM : MB_ETORCH' 'MB_EIO' \
    '^test_torch/test_corrupt_script_is_torch_error$' 'test_torch' \
    'libtorch'"'"'s own errors are not reported as MB_ETORCH'
mutant two_runs_judged harness/compare/compare.c judge \
    'unmeasured_drift(c);' '(void)c;' \
    '^test_compare/test_cli_exit_codes$|^test_baseline/test_update_converts_old_format$' \
    'test_compare test_baseline mpsbench' \
    'two plain runs are judged on their repetitions alone, as if nothing drifted between them'
mutant gate_passes_on_median harness/run/contrast_gate.c mb_contrast_gate_judge \
    'if (out->cost_high <= max_cost)' 'if (out->cost <= max_cost)' \
    '^test_contrast_gate/' 'test_contrast_gate' \
    'a contrast gate passes on the median cost instead of the upper end of its interval'
mutant gate_fails_on_median harness/run/contrast_gate.c mb_contrast_gate_judge \
    'else if (out->cost_low > max_cost)' 'else if (out->cost > max_cost)' \
    '^test_contrast_gate/' 'test_contrast_gate' \
    'a contrast gate fails on the median cost instead of the lower end of its interval'
mutant gate_interval_not_negated harness/run/contrast_gate.c mb_contrast_gate_judge \
    'out->cost_low = 1.0 - hi;' 'out->cost_low = 1.0 - lo;' \
    '^test_contrast_gate/' 'test_contrast_gate' \
    'the cost interval is taken from the wrong ends of the ratio interval'
mutant gate_ignored_by_exit_code harness/run/ab.c mb__contrast_gates_count \
    'outcome->gates_failed++;' '(void)outcome;' \
    '^test_ab/contrast_gate_fails_beyond_max_cost$' 'test_ab' \
    'a failed contrast gate does not fail the run'
mutant gate_inconclusive_never_fails harness/core/mb_outcome.h mb_outcome_failed \
    '(o->inconclusive > 0 || o->gates_inconclusive > 0)' 'o->inconclusive > 0' \
    '^test_ab/unmeasured_gate_is_inconclusive$|^test_exit_code/' 'test_ab test_exit_code' \
    'an inconclusive contrast gate passes under --fail-on-inconclusive'
mutant schema_defaults_ignored harness/scenario/loader.c apply_table \
    'if (k->def != NULL && convert(' 'if (0 && convert(' \
    '^test_scenario/test_defaults$|^test_schema/every_default_parses_into_the_model$' \
    'test_scenario test_schema' \
    'the defaults in the schema table are not applied to a loaded scenario'
mutant schema_no_did_you_mean harness/scenario/loader.c unknown_key \
    'const char *hint = mb__did_you_mean(key, known, n_known);' 'const char *hint = NULL;' \
    '^test_scenario/test_unknown_keys$' 'test_scenario' \
    'an unknown key gets no did-you-mean from its table'
mutant schema_positive_ignored harness/scenario/loader.c convert \
    'rc == 0 && k->positive &&' 'rc == 0 && 0 &&' \
    '^test_schema/positive_fraction_refuses_zero$' 'test_schema' \
    'a fraction row marked positive accepts 0%'
mutant schema_seen_bits_wrong harness/scenario/validate.c mb__read_override_expect \
    'ov->has_oom |= (seen & 1) != 0;' 'ov->has_oom |= (seen & 2) != 0;' \
    '^test_scenario/' 'test_scenario' \
    'an override that sets expect.oom is read as not setting it'
mutant contrast_max_cost_dropped harness/scenario/readers.c read_contrast \
    '*max_cost = e.max_cost;' '*max_cost = NAN;' \
    '^test_contrasts/' 'test_contrasts' \
    'the max_cost of a contrasts entry is read and then forgotten'
mutant reference_stale harness/scenario/reference.c rows \
    'cell(b, k->help);' 'cell(b, k->name);' \
    '^test_schema/readme_reference_is_generated$' 'test_schema' \
    'the generated reference changes and the README no longer matches it'
mutant ab_workers_kept harness/run/schedule.c mb__schedule_run \
    'mb__slot_retire(run, pair[p]);' '(void)0;' \
    '^test_ab/ab_finds_a_slow_candidate_and_no_change_in_aa$' 'test_ab' \
    'the two sides of an A/B pair keep one worker process each for the whole run'
mutant fresh_worker_not_warmed harness/run/execute.c ready_to_measure \
    'cs->warmed_on != run->worker.generation' '0' \
    '^test_ab/ab_finds_a_slow_candidate_and_no_change_in_aa$' 'test_ab' \
    'a fresh worker process is measured cold, without its warm-up jobs'
mutant plot_subject_dropped harness/plot/layout.c mb__plot_title_text \
    'lines += wrap_even(&plain, subject, max_chars);' '(void)subject;' \
    '^test_plot/test_titles_name_machine_model_job$' 'test_plot mpsbench' \
    'chart titles stop naming the machine, the model and the job size'
mutant plot_title_not_wrapped harness/plot/layout.c wrap_lines \
    'if (n > max_chars) {' 'if (0) {' \
    '^test_plot/test_titles_name_machine_model_job$' 'test_plot mpsbench' \
    'a chart title longer than its canvas is not broken into lines (clipped)'
mutant plot_one_colour_per_device harness/plot/layout.c mb__plot_series_color \
    'return s->n_styles > 1 ?' 'return 0 ?' \
    '^test_plot/test_many_series_get_colours_and_panels$' 'test_plot mpsbench' \
    'every series of a device is drawn in the device'"'"'s one colour'
mutant plot_fix_effect_unmarked harness/plot/plot_data.c name_variants \
    'strcmp(c->device, "mps") == 0 ? "" : MB__PLOT_FIX_NO_EFFECT' '""' \
    '^test_plot/test_(gpu_run_every_chart|many_series_get_colours_and_panels)$' 'test_plot mpsbench' \
    'fix on/off on cuda or the CPU is labelled as if the variable did something there'
mutant plot_empty_chart_drawn harness/plot/chart_seed_options.c mb__plot_chart_seed_options \
    'if (ng > 0 && drawable == 0) {' 'if (0) {' \
    '^test_plot/test_empty_chart_listed_not_drawn$' 'test_plot mpsbench' \
    'a seed-options chart with no bar to draw is drawn empty instead of listed under Not drawn'
mutant plot_oom_matrix_pools harness/plot/chart_oom_matrix.c square \
    'strcmp(c->variant, s->variant) != 0' '0' \
    '^test_plot/test_(gpu_run_every_chart|long_cell_sets_stay_readable)$' 'test_plot mpsbench' \
    'an OOM-matrix square pools the jobs of several configurations'
mutant plot_latency_one_wide_row harness/plot/chart_latency.c mb__plot_chart_latency \
    'ni, 1, panel_w,' 'ni, 3, panel_w,' \
    '^test_plot/test_long_cell_sets_stay_readable$' 'test_plot mpsbench' \
    'the latency panels stand side by side in one chart too wide to read'
mutant html_not_escaped harness/report/html_report.c esc \
    'mb_strbuf_add(b, "&lt;");' 'mb_strbuf_add(b, "<");' \
    '^test_report_html/test_page_holds_the_run_escaped$' 'test_report_html mpsbench' \
    'report.html copies a "<" from the run into the page unescaped'
mutant html_charts_left_out harness/report/html_report.c inline_svg \
    'mb_strbuf_add(b, start);' '(void)start;' \
    '^test_report_html/' 'test_report_html mpsbench' \
    'report.html names its charts without drawing them'
mutant run_html_before_charts harness/run/runner.c finish_run \
    'if (rc == 0 && !run->cfg->no_charts) {' 'if (rc == 0 && !run->cfg->no_charts && 0) {' \
    '^test_tracking/run_writes_report_html_with_its_charts$' 'test_tracking mpsbench' \
    'mpsbench run renders report.html before the charts exist, so the page has none'
mutant plot_single_batch_stacked harness/plot/chart_throughput.c mb__plot_chart_throughput \
    'bool rows = g.nb == 1;' 'bool rows = false;' \
    '^test_plot/test_long_cell_sets_stay_readable$' 'test_plot mpsbench' \
    'a throughput chart of one batch size stacks every configuration'"'"'s point on one x'
mutant detector_change_unpaired harness/compare/detector_logic.c mb_det_paired_change \
    'r[m++] = b[i] / a[i];' 'r[m++] = b[i] / a[0];' \
    '^test_detector/paired_change_cancels_drift$' 'test_detector' \
    'the detector reads an injected slowdown off unpaired values, so drift between rounds leaks in'
mutant detector_change_keeps_missing harness/compare/detector_logic.c mb_det_paired_change \
    'if (a[i] > 0 && b[i] > 0)' 'if (a[i] >= 0)' \
    '^test_detector/paired_change_cancels_drift$' 'test_detector' \
    'a round with a missing side enters the detector'"'"'s slowdown figure'
mutant detector_fresh_one_session harness/compare/detector_logic.c mb_det_fresh_draw \
    'round_out[k] = mb_det_rng_below(state, rounds);' 'session_out[k] = session_out[0]; round_out[k] = mb_det_rng_below(state, len[session_out[0]]);' \
    '^test_detector/fresh_draw_takes_one_round_of_distinct_sessions$' 'test_detector' \
    'ab_fresh takes all of a verdict'"'"'s rounds from one session, so the workers'"'"' offset is back'
mutant detector_fresh_same_round harness/compare/detector_logic.c mb_det_fresh_draw \
    'round_out[k] = mb_det_rng_below(state, rounds);' 'round_out[k] = 0;' \
    '^test_detector/fresh_draw_takes_one_round_of_distinct_sessions$' 'test_detector' \
    'ab_fresh always takes the first round of each session'
mutant detector_offset_keeps_within harness/compare/detector_logic.c mb_det_offset_split \
    'double component = (ms_between - ms_within) / (double)per_group;' 'double component = ms_between / (double)per_group;' \
    '^test_detector/offset_split_separates_process_from_round_noise$' 'test_detector' \
    'the per-process offset counts the within-process noise of the group means as a lasting offset'
mutant cpu_count_ignores_affinity harness/core/cpu_count.c mb_cpu_count \
    'if (allowed >= 1)' 'if (0)' \
    '^test_cpu_count/' 'test_cpu_count' \
    'thread pools are sized for every online CPU, not the ones the process may use'
mutant heap_policy_mmap_kept harness/core/heap_policy.c mb_heap_keep_freed \
    'mallopt(M_MMAP_MAX, 0)' 'mallopt(M_MMAP_MAX, 65536)' \
    '^test_heap_policy/|^test_torch/test_warm_forward_faults_nothing_in$' 'test_heap_policy test_torch' \
    'blocks of 32 MiB or more are mapped afresh and unmapped on free, so every CPU forward faults its activations in again'
mutant heap_policy_trim_kept harness/core/heap_policy.c mb_heap_keep_freed \
    'mallopt(M_TRIM_THRESHOLD, -1)' 'mallopt(M_TRIM_THRESHOLD, 128 * 1024)' \
    '^test_heap_policy/|^test_torch/test_warm_forward_faults_nothing_in$' 'test_heap_policy test_torch' \
    'the heap gives its free top back to the system, so the next forward faults those pages in again'
mutant worker_heap_policy_unapplied harness/worker/worker_main.c main \
    'c.heap_keeps_freed =' 'c.heap_keeps_freed = false &&' \
    '^test_worker/bad_model_is_announced$' 'test_worker mpsbench-worker' \
    'the worker leaves the heap as glibc has it, and its CPU forward takes the page faults torchvision'"'"'s may not'
mutant heap_policy_on_gpu harness/core/heap_policy.c mb_heap_keep_freed_for \
    'if (!cpu_forward || memory_limited)' 'if (memory_limited)' \
    '^test_heap_policy/|^test_worker/bad_model_is_announced$' 'test_heap_policy test_worker mpsbench-worker' \
    'a CUDA worker keeps its freed host memory too (with it, 12 MP decode: auto jobs gave NaN embeddings or hung on an H200)'
mutant heap_policy_under_memory_cap harness/core/heap_policy.c mb_heap_keep_freed_for \
    'if (!cpu_forward || memory_limited)' 'if (!cpu_forward)' \
    '^test_heap_policy/|^test_faults/real_cap_ooms_large_batches$' 'test_heap_policy test_faults mpsbench mpsbench-worker' \
    'a worker under a memory limit keeps its freed memory, so after one OOM the next job has none and the worker crashes'
mutant max_cells_before_filter harness/run/cell_select.c mb_cells_selected \
    'kept += mb_cell_filter_match(f, name);' 'kept++;' \
    '^test_cell_select/selected_count_follows_the_filter$|^test_hostile/input_size_limits$' 'test_cell_select test_hostile mpsbench' \
    'run.max_cells counts the whole matrix, so a --filter that selects a few cells of a wide one cannot run'
mutant eta_bound_unsaid harness/run/progress.c mb_progress_format_eta \
    'const char *bound = at_most ? "≤" : "";' 'const char *bound = "";' \
    '^test_progress/eta_from_pace_and_its_text$' 'test_progress' \
    'the ETA of a run with adaptive cells, counted at their maximum, reads as an estimate instead of an upper bound'
mutant summary_torch_unknown_for_rq harness/run/report.c mb__report_write_summary \
    'any_rq |= run->cells[i].cell->worker_kind == MB_WORKER_RQ;' 'any_rq |= false;' \
    '^test_rq/rq_jobs_succeed_beside_native$|^test_rq/failing_job_text_comes_back$' 'test_rq mpsbench' \
    'summary.md says "torch ?" for an RQ run instead of where torch runs'
mutant summary_contrast_full_name harness/run/report.c mb__report_write_summary \
    'char *line = mb__contrast_sentence_named(run, i, label);' 'char *line = mb__contrast_sentence_named(run, i, NULL);' \
    '^test_ab/watermark_fix_is_contrasted$' 'test_ab mpsbench' \
    'summary.md'"'"'s contrast sentences name cells by their full names instead of the table'"'"'s labels'
mutant junit_gate_never_fails harness/report/junit.c gate_suite \
    'k.outcome = strcmp(g->verdict, "fail") == 0 ' 'k.outcome = strcmp(g->verdict, "xfail") == 0 ' \
    '^test_ab/contrast_gate_fails_beyond_max_cost$' 'test_ab mpsbench' \
    'junit.xml passes a contrast gate that failed, so a CI page shows green'
mutant compare_md_without_gates harness/run/runner.c finish_run \
    'rc = mb__contrast_gates_publish(run, &werr);' 'rc = 0;' \
    '^test_ab/contrast_gate_fails_beyond_max_cost$' 'test_ab mpsbench' \
    'compare.md leaves out the contrasts'"'"' max_cost gates'
mutant filter_ignored harness/run/cell_select.c mb_cell_filter_match \
    'if (f->n == 0)' 'if (1)' \
    '^test_cell_select/filter|^test_cli/filter_' 'test_cell_select test_cli' \
    'run --filter runs every cell instead of the matching ones'
mutant list_runs_cells harness/run/runner.c mb_run \
    'if (rc == 0 && cfg->list) {' 'if (rc == 0 && 0) {' \
    '^test_cli/list_prints_cells_and_starts_nothing$' 'test_cli' \
    'run --list starts the run (model check, redis, workers) instead of only listing'
mutant override_not_applied harness/run/cell_select.c mb_cells_apply_overrides \
    'run->repetitions = o->repetitions;' ';' \
    '^test_cell_select/overrides|^test_cli/filter_and_overrides' 'test_cell_select test_cli' \
    '--repetitions does not change the cells'
mutant override_not_recorded harness/results/run_dir_write.c overrides_json \
    'if (run->override_warmup_jobs >= 0)' 'if (run->override_warmup_jobs > 0)' \
    '^test_cli/filter_and_overrides_shape_the_run$|^test_results/' 'test_cli test_results' \
    'run.json does not record the --warmup-jobs override (0 is a value, not absence)'
mutant live_line_off_a_terminal harness/run/progress.c mb_progress_update \
    'if (p->quiet || !p->live)' 'if (p->quiet)' \
    '^test_cli/filter_and_overrides_shape_the_run$' 'test_cli' \
    'stderr that is not a terminal gets the live line with its carriage returns'
mutant progress_name_not_cut harness/run/progress.c mb_progress_format_line \
    'add_name(&line, name, room - fixed);' 'mb_strbuf_add(&line, name);' \
    '^test_progress/' 'test_progress' \
    'the live line is as wide as the cell name, and wraps on a narrow terminal'
mutant summary_full_names harness/run/report.c short_label \
    'shown = !(' 'shown = 1 || !(' \
    '^test_cli/filter_and_overrides_shape_the_run$' 'test_cli' \
    'summary.md labels a cell with its whole name, repeating the columns beside it'
mutant plot_any_folder harness/cli/run_dir.c mb_cli_need_run_dir \
    'if (!found)' 'if (0)' \
    '^test_cli/readers_refuse_a_folder_that_is_not_a_run$' 'test_cli' \
    'plot/report/export on a folder without run.json is not bad usage (exit 2)'
mutant results_failed_rep_fast harness/results/run_dir_read.c read_throughput \
    'rep->images_per_second = number(r, v, sub, "images_per_second", NAN);' \
    'rep->images_per_second = number(r, v, sub, "images_per_second", 0);' \
    '^test_results/' 'test_results' \
    'run.json read back: a failed repetition (null throughput) reads as 0 images/s, not as failed'
mutant results_field_unchecked harness/results/run_dir_read.c number \
    'expected(r, where, key, "a number");' ';' \
    '^test_results/' 'test_results' \
    'run.json read back: a number field of the wrong type is read as its default, not refused with file and field'
mutant results_running_finished harness/results/run_dir_read.c mb_res_run_unfinished \
    '|| strcmp(run->status, "running") == 0' '' \
    '^test_results/|^test_compare/|^test_baseline/' 'test_results test_compare test_baseline' \
    'a run.json still "running" (its harness died) reads as a finished run'
mutant results_format_unstamped harness/results/run_dir_write.c write_doc \
    'json_pack("{s:i}", "format", MB_RES_FORMAT)' 'json_object()' \
    '^test_results/' 'test_results' \
    'the run.json writer leaves out the format the reader requires'
mutant jpeg_progressive_to_gpu harness/imaging/jpeg_info.c mb_jpeg_gpu_decodable \
    '(info->sof == 0xC0 || info->sof == 0xC1)' '(info->sof >= 0xC0)' \
    '^test_jpeg_info/' 'test_jpeg_info' \
    'progressive and other non-sequential JPEGs are handed to nvJPEG instead of the host'
mutant jpeg_cut_to_gpu harness/imaging/jpeg_info.c mb_jpeg_gpu_decodable \
    'info->ends_with_eoi && ' '' \
    '^test_jpeg_info/' 'test_jpeg_info' \
    'a JPEG cut short goes to nvJPEG, which may decode it into grey rows without an error'
mutant split_wrong_way harness/worker/decode_split.c mb_split_next \
    'pool_behind ? -MB_SPLIT_STEP : MB_SPLIT_STEP' 'pool_behind ? MB_SPLIT_STEP : -MB_SPLIT_STEP' \
    '^test_decode_split/' 'test_decode_split' \
    'decode: auto gives the host pool more images when it is already behind'
mutant split_small_images_to_gpu harness/worker/decode_split.c mb_split_small_image \
    'return (double)width * height <= MB_SPLIT_HOST_AREA * side * side;' 'return false;' \
    '^test_decode_split/' 'test_decode_split' \
    'decode: auto sends 224x224 images to nvJPEG, slower there than the host pool'
mutant decode_gpu_silently_host harness/worker/pipeline.c resolve_decode \
    'bool want_gpu = job->decode == MB_DECODE_GPU;' 'bool want_gpu = false;' \
    '^test_worker/decode_modes' 'test_worker mpsbench-worker' \
    'decode: gpu on a worker without nvJPEG decodes on the host instead of failing with the reason'
mutant result_decode_dropped harness/protocol/protocol.c mb_result_encode \
    'if (r->decode != MB_DECODE_AUTO) {' 'if (0) {' \
    '^test_protocol/|^test_worker/decode_modes' 'test_protocol test_worker mpsbench-worker' \
    'the result no longer says where its images were decoded'
mutant job_decode_dropped harness/protocol/protocol.c mb_job_encode \
    'if (job->decode != MB_DECODE_AUTO)' 'if (0)' \
    '^test_protocol/|^test_worker/decode_modes' 'test_protocol test_worker mpsbench-worker' \
    'the decode mode of a job is not sent to the worker'
mutant exit_table_row_wrong harness/core/mb_exit.c error_row \
    'case MB_E##name: return exit_code;' 'case MB_E##name: return MB_E##name == MB_EIO ? 2 : exit_code;' \
    '^test_exit_code/' 'test_exit_code' \
    'one row of the exit code table is wrong: an I/O error is exit 2 instead of 3'
mutant exit_interrupt_not_infra harness/core/mb_exit.c mb_exit_code \
    'return MB_EXIT_INFRA;' 'return MB_EXIT_EXPECTATION;' \
    '^test_exit_code/|^test_faults/interrupted_run_cleans_up$' 'test_exit_code test_faults' \
    'an interrupted run is exit 1 (a failed expectation) instead of 3'
mutant exit_error_outranked harness/core/mb_exit.c mb_exit_code \
    'if (error != MB_OK)' 'if (error != MB_OK && outcome == NULL)' \
    '^test_exit_code/' 'test_exit_code' \
    'an error is hidden behind what the command judged (its exit code lost)'
mutant run_fail_not_counted harness/run/runner.c count_cell \
    'o->cells_failed++;' '(void)o;' \
    '^test_faults/hung_worker_times_out$' 'test_faults' \
    'a cell that failed (a timeout) does not make the run exit 1'
mutant run_interrupt_ignored harness/run/runner.c mb_run \
    'o->interrupted = mb__run_interrupted();' 'o->interrupted = false;' \
    '^test_faults/interrupted_run_cleans_up$' 'test_faults' \
    'a run stopped by SIGINT/SIGTERM exits 0 with its cells incomplete'
mutant compare_regression_lost harness/compare/compare.c mb_compare_outcome \
    'out->regressions = r->n_regressions;' '(void)out;' \
    '^test_compare/' 'test_compare' \
    'a comparison with a regression does not tell the CLI, which exits 0'
mutant file_error_raw_errno harness/core/mb_util.c mb_mkdir_p \
    'rc = mb_err_set(err, MB_EIO,' 'rc = -errno; mb_err_set(err, MB_EIO,' \
    '^test_util/|^test_image_set/' 'test_util test_image_set' \
    'a folder that cannot be made returns a raw -errno, which reads as an MB_E* code'
mutant announce_whole_matrix harness/run/setup.c mb__prepare_cells \
    'if (run->n_cells > MB_RUN_ANNOUNCE_CELLS' 'if (total > MB_RUN_ANNOUNCE_CELLS' \
    '^test_hostile/input_size_limits$' 'test_hostile mpsbench' \
    'a run that --filter brings down to a few cells of a wide matrix announces the matrix'"'"'s size'
mutant announce_counts_matrix harness/run/setup.c announce_size \
    'run->n_cells, of,' 'total, of,' \
    '^test_hostile/size_announcement_counts_the_cells_that_run$' 'test_hostile mpsbench' \
    'the size announcement counts the whole matrix, not the cells --filter keeps'
mutant list_count_inside_list harness/run/cell_select.c mb_run_list \
    'rc = mb_flush_checked(out, "standard output", err);' 'rc = 0;' \
    '^test_cli/list_count_follows_the_whole_list$' 'test_cli mpsbench' \
    'run --list into a file or pipe with stderr: the count lands before the list or inside one of its lines'
mutant stdout_loss_is_success harness/cli/main.c finish \
    'rc = mb_flush_checked(stdout, "standard output", err);' 'rc = MB_OK;' \
    '^test_cli/stdout_that_cannot_be_written_is_an_error$' 'test_cli mpsbench' \
    'compare, export and --help into a full disk or a closed pipe exit 0 with nothing said'
mutant stdout_error_flag_ignored harness/core/mb_util.c mb_flush_checked \
    '!ferror(stream)' 'true' \
    '^test_util/test_flush_checked_sees_every_lost_write$' 'test_util' \
    'output stdio dropped in an earlier failed write goes unnoticed when the last flush has nothing left to write'
mutant charts_of_unmeasured_run harness/plot/plot.c mb_plot_run_dir \
    'if (!any_measured(&run))' 'if (false)' \
    '^test_plot/test_unmeasured_run_draws_no_chart$|^test_cli/run_that_measured_nothing_draws_no_chart$' 'test_plot test_cli mpsbench' \
    'a run that measured no cell (it failed preparing its images) still draws charts of squares that never ran'
mutant no_charts_unsaid harness/run/runner.c draw_charts \
    'run->plot_error = mb_strdup(rep.none_drawn);' '(void)0;' \
    '^test_cli/run_that_measured_nothing_draws_no_chart$' 'test_cli mpsbench' \
    'summary.md does not say why a run that measured nothing has no charts'
mutant oom_matrix_not_thinned harness/plot/chart_oom_matrix.c thin \
    'if (keep >= n)' 'if (true)' \
    '^test_plot/test_huge_oom_matrix_fits_cairo$' 'test_plot' \
    'an OOM matrix of thousands of cells asks for a canvas wider than Cairo can make and is not drawn'
mutant chart_canvas_unchecked harness/plot/layout.c mb__plot_finish \
    'if (width > MB__PLOT_CAIRO_MAX_PX || height > MB__PLOT_CAIRO_MAX_PX) {' 'if (false) {' \
    '^test_plot/test_huge_oom_matrix_fits_cairo$' 'test_plot' \
    'a chart taller than Cairo can make goes to gnuplot, which fails with "Cairo is unhappy"'
mutant stored_file_takes_run_failures harness/results/results_file.c read_run_failures \
    'mb_res_gb_run_json(f->path)' 'mb_res_run_json_beside(f->path)' \
    '^test_compare/test_failures_only_from_own_run_json$' 'test_compare' \
    'a baseline-results.json stored in a run folder is given that run'"'"'s failures'
mutant compare_any_file_takes_run_json harness/compare/compare.c run_json_for \
    'mb_res_gb_run_json(current_file)' 'mb_res_run_json_beside(current_file)' \
    '^test_compare/test_run_json_only_for_own_results$' 'test_compare' \
    'compare takes thresholds and "did not finish" from a run.json beside any results file, not only the run'"'"'s own results.json'
mutant baseline_any_file_takes_run_json harness/compare/baseline.c check_complete \
    'mb_res_gb_run_json(f->path)' 'mb_res_run_json_beside(f->path)' \
    '^test_baseline/test_incomplete_run_json_only_for_own_results$' 'test_baseline' \
    'baseline update refuses any results file beside an unfinished run'"'"'s run.json, not only that run'"'"'s own results.json'
mutant run_failures_dropped harness/results/results_file.c is_run_results \
    '"results.json") == 0' '"results.json") == 1' \
    '^test_compare/test_failures_only_from_own_run_json$' 'test_compare' \
    'a run directory'"'"'s failed repetitions (only in its run.json) are lost to compare'
mutant overlap_prefetch_off harness/worker/job_loop.c mb_job_loop_run \
    'pipeline->on_tail = prefetch_next;' 'pipeline->on_tail = NULL;' \
    '^test_worker/prefetched_jobs|^test_faults/crash_while_holding' 'test_worker test_faults' \
    'the worker no longer takes the next job during the last batch (no overlap between jobs)'
mutant overlap_slot_collides harness/worker/pipeline.c mb_pipeline_run \
    '((size_t)base + js.n_batches) % N_SLOTS' '((size_t)base + js.n_batches - 1) % N_SLOTS' \
    '^test_worker/prefetched_jobs' 'test_worker' \
    'the next job decodes into the slot of the batch still on the device, mixing two jobs'"'"' results'
mutant overlap_job_dropped harness/worker/job_loop.c prefetch_next \
    'cs->prefetched = t;' 'taken_free(t); return;' \
    '^test_worker/prefetched_jobs' 'test_worker' \
    'a job taken ahead is dropped: never answered, never acknowledged'
mutant overlap_lost_job_unreported harness/run/jobs.c mb__await_result \
    'record_lost(cs, &jobs[i], status, why);' 'if (i == 0) record_lost(cs, &jobs[i], status, why);' \
    '^test_faults/crash_while_holding' 'test_faults' \
    'a worker that dies holding a prefetched job has only its first job reported'
mutant handoff_held_while_decoding harness/worker/handoff.c mb_handoff_moment \
    'first_batch_ready && submit_queues' 'submit_queues' \
    '^test_handoff/' 'test_handoff' \
    'on CUDA a result waits for the next job'"'"'s first batch to be decoded (59-139 ms at 12 MP)'
mutant handoff_held_on_cpu harness/worker/pipeline.c mb_pipeline_init \
    'p->submit_queues = device == MB_DEVICE_CUDA;' 'p->submit_queues = true;' \
    '^test_worker/results_wait' 'test_worker' \
    'on the CPU a result waits for the next job'"'"'s first forward pass, which its submit runs'
mutant handoff_ready_unseen harness/worker/pipeline.c first_batch_handoff \
    'r->first_batch_ready = mb_latch_done(&s->done);' 'r->first_batch_ready = true;' \
    '^test_worker/results_wait' 'test_worker' \
    'a first batch still decoding counts as ready, so its result is held behind the decoding'
mutant handoff_after_next_job harness/worker/pipeline.c first_batch_handoff \
    'if (when == MB_SENT_BEFORE_NEXT_WAIT && p->on_handoff != NULL)' 'if (false)' \
    '^test_worker/results_wait' 'test_worker' \
    'a result not held behind the next submit waits for the whole next job instead of going out before its wait'
mutant handoff_moment_unrecorded harness/worker/job_loop.c hand_off \
    'cs->unsent.sent = when;' 'cs->unsent.sent = MB_SENT_AT_ONCE;' \
    '^test_worker/results_wait' 'test_worker' \
    'a result does not say when it was sent (held or not), so the latency cost of holding is not seen'
mutant handoff_not_in_run_json harness/run/report.c fill_job \
    'j->sent = r->sent != MB_SENT_UNKNOWN' 'j->sent = false' \
    '^test_run/run_writes_the_run_directory' 'test_run' \
    'run.json drops when the worker sent each result and how long it held it'
mutant results_incomplete_drops_key harness/results/run_dir_write.c mb_res_run_mark_incomplete \
    'json_object_set_new(doc, "status", json_string("incomplete"));' \
    'json_object_del(doc, "devices"); json_object_set_new(doc, "status", json_string("incomplete"));' \
    '^test_results/' 'test_results' \
    'a dead run marked incomplete by a later run loses a key of its run.json the model does not read'
mutant results_gate_lost harness/results/run_dir_read.c read_contrast \
    'k->gate.rounds = number(r, g, sub, "rounds", NAN);' \
    'k->gate.rounds = NAN; k->gated = strcmp(k->gate.verdict ? k->gate.verdict : "", "fail") != 0;' \
    '^test_results/|^test_report_junit/' 'test_results test_report_junit' \
    'the run.json reader drops a failed contrast gate, so junit.xml shows no failed max_cost case'
mutant results_written_failed_rep_fast harness/results/run_dir_write.c throughput_json \
    'real_or_null(c->reps[i].images_per_second)' 'json_real(isfinite(c->reps[i].images_per_second) ? c->reps[i].images_per_second : 0)' \
    '^test_results/' 'test_results' \
    'run.json written: a failed repetition gets a throughput of 0 images/s instead of null'
mutant detector_disjoint_spans_streams harness/compare/detector_logic.c mb_det_stream_disjoint \
    'if (stream[i] != stream[first])' 'if (0)' \
    '^test_detector/stream_windows_never_span_streams$' 'test_detector' \
    'a pooled independent verdict takes rounds of two streams (CPU slices) as one run'
mutant detector_resampled_spans_streams harness/compare/detector_logic.c mb_det_stream_starts \
    'if (stream[i + n - 1] == stream[i])' 'if (1)' \
    '^test_detector/stream_windows_never_span_streams$' 'test_detector' \
    'a pooled resampled window spans two streams'
mutant detector_replay_streams_merged harness/tools/detector_replay.c replay_streams \
    'rc = replay_live(d, path, i, rows, n, err);' 'rc = replay_live(d, path, 0, rows, n, err);' \
    '^test_bench_detector/pooled_streams_count_disjoint_verdicts$' 'test_bench_detector mpsbench-bench-detector' \
    'several --replay files are pooled as one stream, so windows span CPU slices and the independent verdicts are miscounted'
mutant exit_shared_error_is_0 harness/core/mb_exit.c error_row \
    'case MB_E##name: return exit_code;' 'case MB_E##name: return MB_E##name == MB_EINVAL ? 0 : exit_code;' \
    '^test_exit_code/|^test_hostile/model_not_torchscript_is_refused$' 'test_exit_code test_hostile' \
    'the one exit-code mapping sends an error to 0: the CLI and the worker (--check-model) both pass it off as success'
mutant exit_device_unusable_not_4 harness/core/mb_exit.c mb_exit_code \
    'return MB_EXIT_DEVICE_UNUSABLE;' 'return MB_EXIT_INFRA;' \
    '^test_exit_code/' 'test_exit_code' \
    'a worker whose device is unusable exits 3 instead of the 4 PROTOCOL.md promises'
mutant remove_tree_follows_links harness/core/mb_util.c mb_remove_tree \
    'lstat(path, &st)' 'stat(path, &st)' \
    '^test_util/' 'test_util' \
    'removing a scratch or test folder follows a link inside it and empties what it points to'
mutant remove_tree_leaves_contents harness/core/mb_util.c mb_remove_tree \
    'mb_remove_tree(child);' '(void)child;' \
    '^test_util/' 'test_util' \
    'a folder with files in it is not removed (the scratch folders of tools and tests pile up)'
mutant test_fixture_each_not_run harness/testing/mb_test_main.c mb_test_main \
    'cases[i].setup_func = each_setup;' '(void)each_setup;' \
    '^test_util/' 'test_util' \
    'MB_TEST_MAIN_EACH runs its cases without their shared fixture'
mutant detector_alpha_ignored harness/tools/detector_analysis.c judge \
    'mb_compare_options o = {.alpha = d->cfg.alpha};' 'mb_compare_options o = {.alpha = 0};' \
    '^test_bench_detector/alpha' 'test_bench_detector mpsbench-bench-detector' \
    "the detector's --alpha does not reach the verdicts (always the default 0.01)"
mutant detector_replay_bounded_by_rounds harness/tools/bench_detector.c parse_args \
    'c->n_replay == 0 && i < c->n_rep_counts' 'i < c->n_rep_counts' \
    '^test_bench_detector/replay_windows_follow_the_files$' 'test_bench_detector mpsbench-bench-detector' \
    "a replay refuses windows longer than --rounds (40) however many rounds its files hold"
mutant non_finite_row_unnamed harness/worker/pipeline.c check_finite_rows \
    'if (k == dim)' 'if (1)' \
    '^test_worker/non_finite_embedding_names_its_image$' 'test_worker mpsbench-worker' \
    'a non-finite embedding passes as a finished job (its checksum becomes 0 on the wire)'
mutant nan_fault_ignored harness/protocol/protocol.c mb_job_decode \
    '"fault_nan_image", false, 0' '"fault_nan_imagX", false, 0' \
    '^test_protocol/job_round_trip$' 'test_protocol' \
    'the worker drops the fault injection that poisons one image'"'"'s embedding'
