
/*
 * Copyright (C) ngx_http_session_module authors
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "fuzz_common.h"


/*
 * ngx_http_session_parse_xml(): any body parses into a document freed
 * with the pool, or fails with a message; a document never carries a
 * DTD (none is ever read, so no entity is declared or expanded).
 */

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    xmlDocPtr    doc;
    ngx_str_t    body, error;
    ngx_pool_t  *pool;

    pool = ngx_fuzz_pool();

    ngx_fuzz_str(pool, &body, data, size);
    ngx_str_null(&error);

    doc = ngx_http_session_parse_xml(pool, &body, &error);

    if (doc == NULL) {
        ngx_fuzz_assert(error.len > 0 && error.data != NULL);
        ngx_fuzz_assert(ngx_strlchr(error.data, error.data + error.len, '\0')
                        == NULL);

    } else {
        ngx_fuzz_assert(doc->intSubset == NULL && doc->extSubset == NULL);
        ngx_fuzz_assert(xmlDocGetRootElement(doc) != NULL);
    }

    /* frees the document: LeakSanitizer sees what the pool did not */
    ngx_destroy_pool(pool);

    return 0;
}
