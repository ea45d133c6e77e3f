
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "fuzz_common.h"


/*
 * Set-Cookie headers as the tracking reads them to tell a logout by
 * cookie deletion (ngx_http_session_cookie_parse()): the name and value
 * lie inside the header, trimmed, the name before any ";" or "=".  And
 * the RFC 6265 date reader (ngx_http_session_cookie_date()) on any
 * bytes, then on dates formatted from the input's first 8 bytes in the
 * forms servers send (RFC 1123, PHP's and RFC 850's dashes, asctime):
 * each reads back as the time it was made from.
 */

static void
ngx_fuzz_cookie_dates(const uint8_t *data, size_t size)
{
    u_char      buf[64], *last;
    int64_t     t, got;
    uint64_t    v;
    ngx_uint_t  i;
    struct tm   tm;
    time_t      tt;

    static const char  *formats[] = {
        "%a, %d %b %Y %H:%M:%S GMT",
        "%a, %d-%b-%Y %H:%M:%S GMT",
        "%A, %d-%b-%y %H:%M:%S GMT",
        "%a %b %e %H:%M:%S %Y",
    };

    if (size < 8) {
        return;
    }

    ngx_memcpy(&v, data, 8);

    /* 1970 to 9999: two-digit years read as 1970-2069 */
    t = (int64_t) (v % 253402300800ULL);

    tt = (time_t) t;
    if (gmtime_r(&tt, &tm) == NULL) {
        return;
    }

    for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {

        if (i == 2 && (tm.tm_year < 70 || tm.tm_year >= 170)) {
            continue;
        }

        last = buf + strftime((char *) buf, sizeof(buf), formats[i], &tm);

        ngx_fuzz_assert(ngx_http_session_cookie_date(buf, last, &got)
                        == NGX_OK);
        ngx_fuzz_assert(got == t);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                         *last;
    int64_t                         when;
    ngx_str_t                       header;
    ngx_pool_t                     *pool;
    ngx_http_session_set_cookie_t   sc;

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &header, data, size);

    ngx_http_session_cookie_parse(&header, &sc);

    last = header.data + header.len;

    if (sc.name.len) {
        ngx_fuzz_assert(sc.name.data >= header.data
                        && sc.name.data + sc.name.len <= last);
        ngx_fuzz_assert(ngx_strlchr(sc.name.data,
                                    sc.name.data + sc.name.len, ';')
                        == NULL);
        ngx_fuzz_assert(ngx_strlchr(sc.name.data,
                                    sc.name.data + sc.name.len, '=')
                        == NULL);
        ngx_fuzz_assert(sc.name.data[0] != ' ' && sc.name.data[0] != '\t');
        ngx_fuzz_assert(sc.value.data >= sc.name.data + sc.name.len
                        && sc.value.data + sc.value.len <= last);
        ngx_fuzz_assert(ngx_strlchr(sc.value.data,
                                    sc.value.data + sc.value.len, ';')
                        == NULL);
    }

    ngx_fuzz_assert(sc.deletes == 0 || sc.deletes == 1);

    /* any bytes as a date: a time of the years 1601 to 9999, or none */

    if (ngx_http_session_cookie_date(header.data, last, &when) == NGX_OK) {
        ngx_fuzz_assert(when >= -11644473600LL && when < 253402300800LL);
    }

    ngx_fuzz_cookie_dates(data, size);

    ngx_destroy_pool(pool);

    return 0;
}
