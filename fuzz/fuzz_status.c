
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"


/*
 * ngx_http_session_status_parse(): the session_status query string.  An
 * empty input is a request without one, as nginx has it: r->args with
 * no data at all.  The parser accepts or refuses with a reason, and what
 * it accepts is within the documented bounds.
 */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                            i;
    ngx_int_t                         rc;
    ngx_str_t                         args;
    ngx_pool_t                       *pool;
    volatile u_char                   sum;
    ngx_http_session_status_query_t   q;

    pool = ngx_fuzz_pool();

    if (size == 0) {
        ngx_str_null(&args);

    } else {
        ngx_fuzz_str(pool, &args, data, size);
    }

    rc = ngx_http_session_status_parse(pool, &args, &q);

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

    if (rc == NGX_DECLINED) {
        ngx_fuzz_assert(q.error.len > 0);

    } else {
        ngx_fuzz_assert(q.error.len == 0);
        ngx_fuzz_assert(q.format <= NGX_HTTP_SESSION_STATUS_HTML);
        ngx_fuzz_assert(q.limit >= 1);
        ngx_fuzz_assert(q.addr_len == 0 || q.addr_len == 4
                        || q.addr_len == 16);
        ngx_fuzz_assert(q.account.len <= NGX_HTTP_SESSION_ID_MAX);
        ngx_fuzz_assert(q.match.len <= 1024);
        ngx_fuzz_assert(q.type.len <= size && q.account.len <= size
                        && q.match.len <= size);

        /* every value is readable to its end */
        sum = 0;

        for (i = 0; i < q.type.len; i++) {
            sum ^= q.type.data[i];
        }

        for (i = 0; i < q.account.len; i++) {
            sum ^= q.account.data[i];
        }

        for (i = 0; i < q.match.len; i++) {
            sum ^= q.match.data[i];
        }

        (void) sum;
    }

    ngx_destroy_pool(pool);

    return 0;
}
