#include "mb_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int mb_err_set(mb_err *err, int code, const char *fmt, ...)
{
    if (err == NULL)
        return code;
    err->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return code;
}

void mb_err_clear(mb_err *err)
{
    if (err == NULL)
        return;
    err->code = MB_OK;
    err->msg[0] = '\0';
}

const char *mb_err_name(int code)
{
    switch (code) {
    case MB_OK: return "MB_OK";
#define MB_ERR_NAME(name, exit_code, text) case MB_E##name: return "MB_E" #name;
    MB_ERRNO_MAP(MB_ERR_NAME)
#undef MB_ERR_NAME
    default: return "MB_E_UNKNOWN";
    }
}

const char *mb_strerror(int code)
{
    switch (code) {
    case MB_OK: return "success";
#define MB_ERR_TEXT(name, exit_code, text) case MB_E##name: return text;
    MB_ERRNO_MAP(MB_ERR_TEXT)
#undef MB_ERR_TEXT
    default: return "unknown error";
    }
}
