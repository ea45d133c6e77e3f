
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"


/*
 * ngx_http_session_hornbill_parse(): an XMLMC body (XML, JSON, or either
 * in Python's b'...'), with the query arguments: an input starting with
 * "?" is "?METHOD\nSESSIONID\nBODY" (a part without its line is absent),
 * any other input is a body alone.  The parser accepts getSessionInfo
 * with a well-formed sessionId, if any, or refuses with a code and a
 * message; every string it hands out is readable to its end.
 */


static void ngx_fuzz_touch(ngx_str_t *s);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                               *nl, sid[NGX_HTTP_SESSION_SID_LEN];
    ngx_int_t                             rc;
    ngx_str_t                             method, session_id, body, *mp, *sp;
    ngx_uint_t                            i;
    ngx_pool_t                           *pool;
    const u_char                         *p, *last;
    ngx_http_session_hornbill_request_t   req;

    pool = ngx_fuzz_pool();

    mp = NULL;
    sp = NULL;
    p = data;
    last = data + size;

    if (size && data[0] == '?') {
        p++;

        nl = memchr(p, '\n', last - p);
        ngx_fuzz_str(pool, &method, p, nl ? nl - p : last - p);
        mp = &method;
        p = nl ? nl + 1 : last;

        nl = memchr(p, '\n', last - p);
        if (nl) {
            ngx_fuzz_str(pool, &session_id, p, nl - p);
            sp = &session_id;
            p = nl + 1;
        }
    }

    ngx_fuzz_str(pool, &body, p, last - p);

    ngx_memzero(&req, sizeof(ngx_http_session_hornbill_request_t));

    rc = ngx_http_session_hornbill_parse(pool, mp, sp, &body, &req);

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_DECLINED);

    ngx_fuzz_touch(&req.service);
    ngx_fuzz_touch(&req.method);
    ngx_fuzz_touch(&req.session_id);
    ngx_fuzz_touch(&req.error);

    if (rc == NGX_DECLINED) {
        ngx_fuzz_assert(req.code != 0 && req.error.len > 0);

    } else {
        ngx_fuzz_assert(req.method.len == sizeof("getSessionInfo") - 1
                        && ngx_strncmp(req.method.data, "getSessionInfo",
                                       req.method.len) == 0);

        if (req.has_session_id) {
            /* the digest is the one the id, in any case, names */
            ngx_fuzz_assert(req.session_id.len == NGX_HTTP_SESSION_SID_LEN);
            ngx_http_session_sid(sid, req.digest);

            for (i = 0; i < NGX_HTTP_SESSION_SID_LEN; i++) {
                ngx_fuzz_assert(sid[i]
                                == ngx_tolower(req.session_id.data[i]));
            }

        } else {
            ngx_fuzz_assert(req.session_id.len == 0);
        }
    }

    ngx_destroy_pool(pool);

    return 0;
}


/* reads every byte, so ASan sees a string that outlived its memory */

static void
ngx_fuzz_touch(ngx_str_t *s)
{
    size_t            i;
    volatile u_char   sum;

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
