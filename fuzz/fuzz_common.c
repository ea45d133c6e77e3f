
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/parser.h>

#include "fuzz_common.h"


int LLVMFuzzerInitialize(int *argc, char ***argv);


ngx_log_t                *ngx_fuzz_log;

static ngx_log_t          ngx_fuzz_log_s;
static ngx_open_file_t    ngx_fuzz_log_file;
static ngx_connection_t   ngx_fuzz_connection;


/* nginx's globals as a worker has them, as far as the parsers need */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ngx_pagesize = getpagesize();
    for (ngx_pagesize_shift = 0; (ngx_pagesize >> ngx_pagesize_shift) > 1;
         ngx_pagesize_shift++)
    {
        /* void */
    }

    ngx_cacheline_size = NGX_CPU_CACHE_LINE;
    ngx_ncpu = 1;

    ngx_time_init();

    /* level 0 logs nothing: the parsers' messages are not what is tested */
    ngx_fuzz_log_file.fd = open("/dev/null", O_WRONLY);
    ngx_fuzz_log_s.file = &ngx_fuzz_log_file;
    ngx_fuzz_log_s.log_level = 0;
    ngx_fuzz_log = &ngx_fuzz_log_s;

    ngx_use_stderr = 0;

    ngx_fuzz_connection.log = ngx_fuzz_log;
    ngx_fuzz_connection.fd = (ngx_socket_t) -1;

    xmlInitParser();

    return 0;
}


void
ngx_fuzz_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "fuzz check failed: %s at %s:%d\n", expr, file, line);
    abort();
}


ngx_pool_t *
ngx_fuzz_pool(void)
{
    ngx_pool_t  *pool;

    pool = ngx_create_pool(1024, ngx_fuzz_log);
    if (pool == NULL) {
        abort();
    }

    return pool;
}


void
ngx_fuzz_str(ngx_pool_t *pool, ngx_str_t *s, const void *data, size_t size)
{
    u_char  *p;

    /* ngx_palloc() is a malloc() of its own with NGX_DEBUG_PALLOC */
    p = ngx_pnalloc(pool, size + 1);
    if (p == NULL) {
        abort();
    }

    if (size) {
        ngx_memcpy(p, data, size);
    }

    p[size] = '\0';

    s->data = p;
    s->len = size;
}


ngx_http_request_t *
ngx_fuzz_request(ngx_pool_t *pool, ngx_str_t *args)
{
    ngx_http_request_t  *r;

    r = ngx_pcalloc(pool, sizeof(ngx_http_request_t));
    if (r == NULL) {
        abort();
    }

    r->pool = pool;
    r->connection = &ngx_fuzz_connection;
    r->main = r;
    r->args = *args;

    if (ngx_list_init(&r->headers_in.headers, pool, 2,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        abort();
    }

    return r;
}


size_t
ngx_fuzz_utf8(const u_char *p, const u_char *last, uint32_t *cp)
{
    size_t    n, i;
    uint32_t  c, min;

    c = p[0];

    if (c < 0x80) {
        *cp = c;
        return 1;
    }

    if ((c & 0xe0) == 0xc0) {
        n = 2; c &= 0x1f; min = 0x80;

    } else if ((c & 0xf0) == 0xe0) {
        n = 3; c &= 0x0f; min = 0x800;

    } else if ((c & 0xf8) == 0xf0) {
        n = 4; c &= 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if ((size_t) (last - p) < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    *cp = c;

    return n;
}


ngx_uint_t
ngx_fuzz_valid_utf8(const u_char *p, size_t len)
{
    size_t         n;
    uint32_t       cp;
    const u_char  *last;

    last = p + len;

    while (p < last) {
        n = ngx_fuzz_utf8(p, last, &cp);
        if (n == 0) {
            return 0;
        }

        p += n;
    }

    return 1;
}


u_char *
ngx_fuzz_expected_text(u_char *dst, const u_char *src, size_t size,
    ngx_uint_t xml)
{
    size_t         n;
    uint32_t       cp;
    const u_char  *p, *last;

    last = src + size;

    for (p = src; p < last; p += n) {
        n = ngx_fuzz_utf8(p, last, &cp);

        if (n == 0
            || (xml && ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r')
                        || cp == 0xfffe || cp == 0xffff)))
        {
            *dst++ = 0xef; *dst++ = 0xbf; *dst++ = 0xbd;
            n = n ? n : 1;
            continue;
        }

        dst = ngx_cpymem(dst, p, n);
    }

    return dst;
}
