
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"


/*
 * ngx_http_session_state_parse() on any line of a state file, and
 * ngx_http_session_state_format() on every session it accepts: the
 * writer stays inside its buffer (exactly NGX_HTTP_SESSION_STATE_LINE_MAX
 * bytes), and the line it writes reads back to the same session.
 */


static void ngx_fuzz_same(ngx_str_t *a, ngx_str_t *b);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                         *buf, *end;
    ngx_int_t                       rc;
    ngx_str_t                       line, again;
    ngx_pool_t                     *pool;
    ngx_http_session_import_t      *a, *b;
    ngx_http_session_state_line_t   sl, sl2;

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &line, data, size);

    rc = ngx_http_session_state_parse(pool, &line, &sl);

    ngx_fuzz_assert(rc == NGX_OK || rc == NGX_ERROR);

    if (rc == NGX_ERROR) {
        ngx_fuzz_assert(sl.error != NULL && sl.error[0] != '\0');
        goto done;
    }

    ngx_fuzz_assert(sl.kind <= NGX_HTTP_SESSION_STATE_END);

    if (sl.kind != NGX_HTTP_SESSION_STATE_SESSION) {
        goto done;
    }

    a = &sl.session;

    ngx_fuzz_assert(a->addr_len == 0 || a->addr_len == 4
                    || a->addr_len == 16);

    buf = ngx_pnalloc(pool, NGX_HTTP_SESSION_STATE_LINE_MAX);
    if (buf == NULL) {
        abort();
    }

    end = ngx_http_session_state_format(buf,
                                        buf + NGX_HTTP_SESSION_STATE_LINE_MAX,
                                        a);
    if (end == NULL) {
        /* longer written than read: allowed, as long as it stayed inside */
        goto done;
    }

    ngx_fuzz_assert(end > buf && end[-1] == '\n');

    ngx_fuzz_str(pool, &again, buf, end - buf - 1);

    rc = ngx_http_session_state_parse(pool, &again, &sl2);
    ngx_fuzz_assert(rc == NGX_OK
                    && sl2.kind == NGX_HTTP_SESSION_STATE_SESSION);

    b = &sl2.session;

    ngx_fuzz_assert(ngx_memcmp(a->digest, b->digest,
                               NGX_HTTP_SESSION_DIGEST_LEN) == 0);
    ngx_fuzz_same(&a->type, &b->type);
    ngx_fuzz_same(&a->id, &b->id);

    if (a->id.len) {
        ngx_fuzz_same(&a->name, &b->name);
    }

    ngx_fuzz_same(&a->vars, &b->vars);
    ngx_fuzz_assert(a->addr_len == b->addr_len
                    && ngx_memcmp(a->addr, b->addr, a->addr_len) == 0);
    ngx_fuzz_assert(a->requests == b->requests);
    ngx_fuzz_assert(a->created == b->created && a->last == b->last
                    && a->logout == b->logout);

done:

    ngx_destroy_pool(pool);

    return 0;
}


static void
ngx_fuzz_same(ngx_str_t *a, ngx_str_t *b)
{
    ngx_fuzz_assert(a->len == b->len);

    if (a->len) {
        ngx_fuzz_assert(ngx_memcmp(a->data, b->data, a->len) == 0);
    }
}
