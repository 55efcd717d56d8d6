/* Thread-local error status (ct_status.h). */
#include <stdarg.h>
#include <stdio.h>

#include "ctorch/ct_status.h"

static _Thread_local ct_status last_code = CT_OK;
static _Thread_local char last_message[1024];

static void set_error(ct_status code, const char *fmt, va_list ap) {
    last_code = code;
    vsnprintf(last_message, sizeof last_message, fmt, ap);
}

ct_status ct_error(ct_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error(code, fmt, ap);
    va_end(ap);
    return code;
}

void *ct_error_null(ct_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    set_error(code, fmt, ap);
    va_end(ap);
    return NULL;
}

ct_status ct_last_error(void) { return last_code; }
const char *ct_last_error_message(void) { return last_message; }
void ct_clear_error(void) {
    last_code = CT_OK;
    last_message[0] = 0;
}
