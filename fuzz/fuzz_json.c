
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <jansson.h>

#include "fuzz_common.h"


/*
 * ngx_http_session_parse_json(): any body parses into a value freed with
 * the pool, or fails with a message; a value that parsed is written and
 * read back to the same value (what the dialects read is what was sent).
 */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char        *text;
    json_t      *json, *again;
    ngx_str_t    body, error;
    ngx_pool_t  *pool;

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &body, data, size);
    ngx_str_null(&error);

    json = ngx_http_session_parse_json(pool, &body, &error);

    if (json == NULL) {
        ngx_fuzz_assert(error.len > 0 && error.data != NULL);

    } else {
        text = json_dumps(json, JSON_ENCODE_ANY | JSON_COMPACT);
        ngx_fuzz_assert(text != NULL);

        again = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        ngx_fuzz_assert(again != NULL && json_equal(json, again));

        json_decref(again);
        free(text);
    }

    ngx_destroy_pool(pool);

    return 0;
}
