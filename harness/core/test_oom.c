/* The OOM message parser against real messages: the seed's, and ones
 * published in PyTorch issues and its source. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mb_test_main.h"

#include <math.h>

#include "oom.h"

#define GiB 1073741824.0
#define MiB 1048576.0
#define KiB 1024.0

static void assert_bytes(double got, double want)
{
    if (fabs(got - want) > fmax(1.0, fabs(want) * 1e-9))
        fail_msg("got %.17g bytes, want %.17g", got, want);
}

/* The seed's message: the garbage "other allocations" figure that started it all. */
static void seed_message(void **state)
{
    (void)state;
    mb_oom_info o;
    const char *msg = "MPS backend out of memory (MPS allocated: 1.49 GiB, other allocations: "
                      "67108914.49 GiB, max allowed: 30.19 GiB). Tried to allocate 9.19 MB on "
                      "private pool. Use PYTORCH_MPS_HIGH_WATERMARK_RATIO=0.0 to disable upper "
                      "limit for memory allocations (may cause system failure).";
    assert_int_equal(mb_oom_parse(msg, &o), MB_OOM_MPS);
    assert_int_equal(o.kind, MB_OOM_MPS);
    assert_bytes(o.allocated, 1.49 * GiB);
    assert_bytes(o.other, 67108914.49 * GiB);
    assert_bytes(o.max_allowed, 30.19 * GiB);
    assert_bytes(o.tried, 9.19 * MiB);
}

/* Messages as PyTorch's MPSAllocator formats them (c10::format_size:
 * bytes, KB, MB, GB, all powers of 1024). */
static void mps_messages_in_every_unit(void **state)
{
    (void)state;
    mb_oom_info o;
    const char *a = "MPS backend out of memory (MPS allocated: 18.05 GB, other allocations: "
                    "60.02 MB, max allowed: 18.13 GB). Tried to allocate 256 bytes on shared pool.";
    assert_int_equal(mb_oom_parse(a, &o), MB_OOM_MPS);
    assert_bytes(o.allocated, 18.05 * GiB);
    assert_bytes(o.other, 60.02 * MiB);
    assert_bytes(o.max_allowed, 18.13 * GiB);
    assert_bytes(o.tried, 256);
    const char *b = "MPS backend out of memory (MPS allocated: 512.00 KB, other allocations: "
                    "0 bytes, max allowed: 3.40 MiB). Tried to allocate 2.50 KiB on private pool.";
    assert_int_equal(mb_oom_parse(b, &o), MB_OOM_MPS);
    assert_bytes(o.allocated, 512 * KiB);
    assert_bytes(o.other, 0);
    assert_bytes(o.max_allowed, 3.40 * MiB);
    assert_bytes(o.tried, 2.5 * KiB);
}

/* A message missing fields still classifies; the missing figures are -1. */
static void partial_mps_message(void **state)
{
    (void)state;
    mb_oom_info o;
    assert_int_equal(mb_oom_parse("RuntimeError: MPS backend out of memory (MPS allocated: garbage",
                                  &o), MB_OOM_MPS);
    assert_true(o.allocated < 0 && o.other < 0 && o.max_allowed < 0 && o.tried < 0);
}

static void cuda_messages(void **state)
{
    (void)state;
    mb_oom_info o;
    const char *v2 = "CUDA out of memory. Tried to allocate 20.00 MiB. GPU 0 has a total capacity "
                     "of 79.11 GiB of which 3.81 MiB is free. Including non-PyTorch memory, this "
                     "process has 79.10 GiB memory in use. Of the allocated memory 78.20 GiB is "
                     "allocated by PyTorch, and 4.11 MiB is reserved by PyTorch but unallocated.";
    assert_int_equal(mb_oom_parse(v2, &o), MB_OOM_CUDA);
    assert_bytes(o.tried, 20 * MiB);
    assert_bytes(o.allocated, 78.20 * GiB);
    const char *v1 = "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 15.78 GiB total "
                     "capacity; 12.52 GiB already allocated; 1.06 GiB free)";
    assert_int_equal(mb_oom_parse(v1, &o), MB_OOM_CUDA);
    assert_bytes(o.tried, 2 * GiB);
    assert_bytes(o.allocated, 12.52 * GiB);
    assert_int_equal(mb_oom_parse("CUDA error: out of memory", &o), MB_OOM_CUDA);
}

static void cpu_messages(void **state)
{
    (void)state;
    mb_oom_info o;
    const char *msg = "[enforce fail at alloc_cpu.cpp:75] err == 0. DefaultCPUAllocator: can't "
                      "allocate memory: you tried to allocate 1073741824 bytes. Error code 12 "
                      "(Cannot allocate memory)";
    assert_int_equal(mb_oom_parse(msg, &o), MB_OOM_CPU);
    assert_bytes(o.tried, 1073741824);
    assert_int_equal(mb_oom_parse("std::bad_alloc", &o), MB_OOM_CPU);
    assert_int_equal(mb_oom_parse("Traceback ...\nMemoryError", &o), MB_OOM_CPU);
}

static void other_errors_are_not_oom(void **state)
{
    (void)state;
    mb_oom_info o;
    assert_int_equal(mb_oom_parse("truncated JPEG (Premature end of JPEG file)", &o), MB_OOM_NONE);
    assert_int_equal(mb_oom_parse("", &o), MB_OOM_NONE);
    assert_int_equal(mb_oom_parse(NULL, &o), MB_OOM_NONE);
    assert_string_equal(mb_oom_kind_name(MB_OOM_MPS), "mps");
}

static void sizes(void **state)
{
    (void)state;
    const char *end;
    assert_bytes(mb_oom_parse_size("1.5 GiB, x", &end), 1.5 * GiB);
    assert_string_equal(end, ", x");
    assert_bytes(mb_oom_parse_size("  7 bytes", NULL), 7);
    assert_true(mb_oom_parse_size("GiB", NULL) < 0);
    assert_true(mb_oom_parse_size("12 parsecs", NULL) < 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(seed_message),
    cmocka_unit_test(mps_messages_in_every_unit),
    cmocka_unit_test(partial_mps_message),
    cmocka_unit_test(cuda_messages),
    cmocka_unit_test(cpu_messages),
    cmocka_unit_test(other_errors_are_not_oom),
    cmocka_unit_test(sizes),
};

MB_TEST_MAIN("oom parser", tests, NULL, NULL)
