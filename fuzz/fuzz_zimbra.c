
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"


/*
 * ngx_http_session_zimbra_parse(): a DumpSessionsRequest body in any of
 * its formats (SOAP 1.2, SOAP 1.1, JSON), or, for an input starting with
 * "GET\n", the GET arguments "LIST\nGROUP" (a part without its line is
 * absent).  Whatever the input, the parser answers (NGX_ERROR is for a
 * failed allocation only), a fault has a reason, and every string it
 * hands out is readable to its end while the pool lives.
 */


static void ngx_fuzz_touch(ngx_str_t *s);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                             *nl;
    ngx_int_t                           rc;
    ngx_str_t                           body, list, group, *lp, *gp;
    ngx_pool_t                         *pool;
    ngx_http_session_zimbra_request_t   zr;

    pool = ngx_fuzz_pool();

    ngx_memzero(&zr, sizeof(ngx_http_session_zimbra_request_t));

    if (size >= 4 && ngx_strncmp(data, "GET\n", 4) == 0) {
        data += 4;
        size -= 4;

        lp = NULL;
        gp = NULL;

        nl = memchr(data, '\n', size);

        if (nl) {
            ngx_fuzz_str(pool, &list, data, nl - (u_char *) data);
            ngx_fuzz_str(pool, &group, nl + 1,
                         size - (nl + 1 - (u_char *) data));
            lp = &list;
            gp = &group;

        } else if (size) {
            ngx_fuzz_str(pool, &list, data, size);
            lp = &list;
        }

        rc = ngx_http_session_zimbra_parse(pool, NULL, lp, gp, &zr);

    } else {
        ngx_fuzz_str(pool, &body, data, size);

        rc = ngx_http_session_zimbra_parse(pool, &body, NULL, NULL, &zr);
    }

    ngx_fuzz_assert(rc == NGX_OK);

    ngx_fuzz_assert(zr.response == NGX_HTTP_SESSION_ZIMBRA_SOAP12
                    || zr.response == NGX_HTTP_SESSION_ZIMBRA_SOAP11
                    || zr.response == NGX_HTTP_SESSION_ZIMBRA_JSON);

    if (zr.fault) {
        ngx_fuzz_assert(zr.fault == NGX_HTTP_SESSION_ZIMBRA_PARSE_ERROR
                        || zr.fault == NGX_HTTP_SESSION_ZIMBRA_INVALID_REQUEST
                        || zr.fault
                           == NGX_HTTP_SESSION_ZIMBRA_UNKNOWN_DOCUMENT);
        ngx_fuzz_assert(zr.reason.len > 0);
    }

    ngx_fuzz_touch(&zr.reason);
    ngx_fuzz_touch(&zr.invalid);
    ngx_fuzz_touch(&zr.token);

    /* a token is taken from the body, never made longer than it */
    ngx_fuzz_assert(zr.token.len <= size);

    ngx_destroy_pool(pool);

    return 0;
}


/* reads every byte, so ASan sees a string that outlived its memory */

static void
ngx_fuzz_touch(ngx_str_t *s)
{
    size_t             i;
    volatile u_char    sum;

    if (s->len == 0) {
        return;
    }

    ngx_fuzz_assert(s->data != NULL);

    sum = 0;

    for (i = 0; i < s->len; i++) {
        sum ^= s->data[i];
    }

    (void) sum;
}
