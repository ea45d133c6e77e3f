
/*
 * Copyright (C) ngx_http_session_module authors
 */


#ifndef _NGX_FUZZ_COMMON_H_INCLUDED_
#define _NGX_FUZZ_COMMON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_session_state.h"
#include "ngx_http_session_endpoint.h"


/* a failed check is a crash: libFuzzer keeps the input that caused it */
#define ngx_fuzz_assert(expr)                                                \
    if (!(expr)) {                                                           \
        ngx_fuzz_fail(#expr, __FILE__, __LINE__);                            \
    }


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

void ngx_fuzz_fail(const char *expr, const char *file, int line);

/* a new pool, all of whose allocations ASan checks one by one */
ngx_pool_t *ngx_fuzz_pool(void);

/* a copy of data in memory of exactly size + 1 bytes, NUL-terminated */
void ngx_fuzz_str(ngx_pool_t *pool, ngx_str_t *s, const void *data,
    size_t size);

/* a request with just what request-level helpers read: pool, log, args */
ngx_http_request_t *ngx_fuzz_request(ngx_pool_t *pool, ngx_str_t *args);

/*
 * UTF-8, decoded here independently of the module: the length of the
 * well-formed sequence at p (0 if none) and its code point.
 */
size_t ngx_fuzz_utf8(const u_char *p, const u_char *last, uint32_t *cp);
ngx_uint_t ngx_fuzz_valid_utf8(const u_char *p, size_t len);

/*
 * What the escapers promise the text becomes once unescaped: each byte
 * that does not start a well-formed sequence is U+FFFD; with "xml", so
 * are the control characters other than tab, LF and CR, and U+FFFE/FFFF.
 * dst must hold 3 * size bytes.
 */
u_char *ngx_fuzz_expected_text(u_char *dst, const u_char *src, size_t size,
    ngx_uint_t xml);


extern ngx_log_t  *ngx_fuzz_log;


#endif /* _NGX_FUZZ_COMMON_H_INCLUDED_ */
