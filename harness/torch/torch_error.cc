/* libtorch's exceptions as mb_err codes: the OOM capture of the shim.  The
 * worker tells an out-of-memory failure from any other by its code, and
 * reads the MPS OOM text itself, so both must survive the translation. */
#include "torch_private.hpp"

#include <cstring>

namespace mb_torch_detail {

namespace {

bool mb_is_oom_message(const char *m)
{
    return std::strncmp(m, "MPS backend out of memory", 25) == 0 ||
           std::strncmp(m, "CUDA out of memory", 18) == 0 ||
           std::strstr(m, "DefaultCPUAllocator: can't allocate memory") != nullptr;
}

} /* namespace */

/* libtorch's exceptions as mb_err codes, then the shared translation for the
 * rest.  Messages are libtorch's own, minus the backtrace, because the worker
 * parses the MPS OOM text.  Called inside a catch block (mb_cxx_guard). */
int mb_torch_translate(mb_err *err) noexcept
{
    int rc;
    try {
        throw;
    } catch (const c10::OutOfMemoryError &e) {
        rc = mb_err_set(err, MB_EOOM, "%s", e.what_without_backtrace());
    } catch (const c10::Error &e) {
        const char *m = e.what_without_backtrace();
        rc = mb_err_set(err, mb_is_oom_message(m) ? MB_EOOM : MB_ETORCH, "%s", m);
    } catch (...) {
        rc = mb_cxx_translate(err, MB_ETORCH, MB_EOOM, nullptr);
    }
    /* libtorch messages often end with a newline; mb_err promises none. */
    if (err != nullptr) {
        size_t len = std::strlen(err->msg);
        while (len > 0 && (err->msg[len - 1] == '\n' || err->msg[len - 1] == ' '))
            err->msg[--len] = '\0';
    }
    return rc;
}

} /* namespace mb_torch_detail */
