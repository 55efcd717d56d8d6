/* Thread-local error status of the core.
 *
 * Core functions return NULL (for pointers) or a negative ct_status and leave a
 * message here; the Python layer maps the code to the exception PyTorch raises
 * for the same case. */
#ifndef CT_STATUS_H
#define CT_STATUS_H

typedef enum {
    CT_OK = 0,
    CT_ERR_RUNTIME = -1,   /* RuntimeError */
    CT_ERR_INDEX = -2,     /* IndexError */
    CT_ERR_VALUE = -3,     /* ValueError */
    CT_ERR_TYPE = -4,      /* TypeError */
    CT_ERR_NOTIMPL = -5,   /* NotImplementedError */
    CT_ERR_NOMEM = -6,     /* RuntimeError (allocation failure) */
} ct_status;

#if defined(__GNUC__)
#define CT_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CT_PRINTF(f, a)
#endif

/* set the error and return the code, so callers can `return ct_error(...)` */
ct_status ct_error(ct_status code, const char *fmt, ...) CT_PRINTF(2, 3);
/* the same, for functions returning a pointer */
void *ct_error_null(ct_status code, const char *fmt, ...) CT_PRINTF(2, 3);

ct_status ct_last_error(void);
const char *ct_last_error_message(void);
void ct_clear_error(void);

#endif
