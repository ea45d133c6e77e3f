
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"


/*
 * The session-variable block walker on any bytes (a block comes from
 * the zone or a state file): ngx_http_session_var_next() hands out names
 * and values inside the block, always moves forward and stops at its
 * end; ngx_http_session_var_get() finds the first variable of a name,
 * in any case, as a walk does.
 */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char      *p, *next, *last;
    ngx_str_t    block, name, value, found, n, v;
    ngx_int_t    rc;
    ngx_uint_t   count;
    ngx_pool_t  *pool;

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &block, data, size);

    ngx_fuzz_assert(ngx_http_session_var_next(NULL, block.data, &name,
                                              &value)
                    == NULL);

    last = block.data + block.len;
    count = 0;

    for (p = block.data;
         (next = ngx_http_session_var_next(p, last, &name, &value));
         p = next)
    {
        ngx_fuzz_assert(next > p && next <= last);
        ngx_fuzz_assert(name.data == p + 2 && name.len == p[0]);
        ngx_fuzz_assert(value.data == name.data + name.len
                        && value.len == p[1]);
        ngx_fuzz_assert(value.data + value.len == next);

        count++;
        ngx_fuzz_assert(count <= block.len / 2);

        /* the first variable of this name, in any case, is the one got */

        rc = ngx_http_session_var_get(block.data, block.len, &name, &found);
        ngx_fuzz_assert(rc == NGX_OK);

        for (next = block.data;
             (next = ngx_http_session_var_next(next, last, &n, &v));
             /* void */)
        {
            if (n.len == name.len
                && ngx_strncasecmp(n.data, name.data, n.len) == 0)
            {
                break;
            }
        }

        ngx_fuzz_assert(found.data == v.data && found.len == v.len);

        next = ngx_http_session_var_next(p, last, &name, &value);
    }

    /* a name nobody stored: the block's first bytes, up to 32 */

    name.data = block.data;
    name.len = ngx_min(block.len, NGX_HTTP_SESSION_VAR_NAME_MAX);

    rc = ngx_http_session_var_get(block.data, block.len, &name, &found);
    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

    if (rc == NGX_OK) {
        ngx_fuzz_assert(found.data >= block.data
                        && found.data + found.len <= last);
    }

    ngx_destroy_pool(pool);

    return 0;
}
